"""C2SP checkpoints: parsing, k-of-n verification and consistency between two of them."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.log.tree import MerkleTree
from registry.signing.note import NoteSigner
from registry.verify.checkpoint import (
    Checkpoint,
    parse_checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from registry.verify.merkle import EMPTY_ROOT
from registry.verify.result import Reason
from tests.factories import fixed_key
from tests.factories import forkable_tree as tree

ORIGIN = "registry.example/log"
LOG = NoteSigner(fixed_key("log"), ORIGIN)
OTHER_LOG = NoteSigner(fixed_key("other-log"), ORIGIN)
WITNESSES = [NoteSigner(fixed_key(f"witness-{i}"), f"witness.example/w{i}") for i in range(3)]
WITNESS_KEYS = [w.cosignature_verifier_key for w in WITNESSES]
ROOT = hashlib.sha256(b"root").digest()
BODY = f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n"
# c2sp.org/tlog-checkpoint's example body.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def cosigned(body: str = BODY, witnesses: int = 0, signer: NoteSigner = LOG) -> str:
    """``body`` signed by ``signer`` and cosigned by the first ``witnesses`` witnesses."""
    note = signer.sign(body)
    return note + "".join(
        w.cosign(body, 1700000000 + i) for i, w in enumerate(WITNESSES[:witnesses])
    )


# Parsing.


def test_spec_example_body_parses_and_renders_back() -> None:
    checkpoint = parse_checkpoint(SPEC_BODY).unwrap()
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.body == SPEC_BODY


def test_extension_lines_are_kept() -> None:
    checkpoint = parse_checkpoint(BODY + "ext one\next two\n").unwrap()
    assert checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.body == BODY + "ext one\next two\n"


def test_size_zero_parses() -> None:
    body = f"{ORIGIN}\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\n"
    assert parse_checkpoint(body).unwrap().size == 0


ROOT_B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(BODY[:-1], Reason.MALFORMED, id="missing-final-newline"),
        pytest.param(f"{ORIGIN}\n42\n", Reason.TRUNCATED, id="missing-root"),
        pytest.param(f"\n42\n{ROOT_B64}\n", Reason.MALFORMED, id="empty-origin"),
        pytest.param(f"{ORIGIN}\n042\n{ROOT_B64}\n", Reason.MALFORMED, id="leading-zero-size"),
        pytest.param(f"{ORIGIN}\n-1\n{ROOT_B64}\n", Reason.MALFORMED, id="negative-size"),
        pytest.param(f"{ORIGIN}\n+4\n{ROOT_B64}\n", Reason.MALFORMED, id="plus-size"),
        pytest.param(f"{ORIGIN}\n4_2\n{ROOT_B64}\n", Reason.MALFORMED, id="underscore-size"),
        pytest.param(f"{ORIGIN}\n\u0664\u0662\n{ROOT_B64}\n", Reason.MALFORMED, id="arabic-digits"),
        pytest.param(f"{ORIGIN}\n{2**64}\n{ROOT_B64}\n", Reason.MALFORMED, id="size-over-2-64"),
        pytest.param(
            f"{ORIGIN}\n{'9' * 5000}\n{ROOT_B64}\n", Reason.MALFORMED, id="size-5000-digits"
        ),
        pytest.param(f"{ORIGIN}\n42\n{ROOT_B64[:-4]}\n", Reason.MALFORMED, id="short-root"),
        pytest.param(f"{ORIGIN}\n42\n{ROOT_B64[:-1]}\n", Reason.MALFORMED, id="root-unpadded"),
        pytest.param(f"{ORIGIN}\n42\n{ROOT_B64} \n", Reason.MALFORMED, id="root-trailing-space"),
        pytest.param(BODY + "\n", Reason.MALFORMED, id="empty-extension-line"),
        pytest.param(BODY.replace("\n42", "\n4\t2"), Reason.MALFORMED, id="tab-in-size"),
    ],
)
def test_malformed_body_fails(body: str, reason: Reason) -> None:
    verdict = parse_checkpoint(body)
    assert verdict.reason == reason, verdict.explain()


# Signatures and witnesses.


def test_signed_checkpoint_verifies() -> None:
    verdict = verify_checkpoint(cosigned(), [LOG.verifier_key], origin=ORIGIN)
    assert verdict.ok, verdict.explain()
    assert verdict.unwrap() == Checkpoint(ORIGIN, 42, ROOT)


def test_wrong_origin_fails() -> None:
    verdict = verify_checkpoint(cosigned(), [LOG.verifier_key], origin="elsewhere.example/log")
    assert verdict.reason == Reason.WRONG_ORIGIN
    assert verdict.evidence["origin"] == ORIGIN


def test_signed_by_another_key_fails_as_unknown() -> None:
    verdict = verify_checkpoint(cosigned(signer=OTHER_LOG), [LOG.verifier_key])
    assert verdict.reason == Reason.UNKNOWN_KEY


def test_signed_only_by_a_witness_fails_as_unknown() -> None:
    note = BODY + "\n" + WITNESSES[0].cosign(BODY, 1)
    verdict = verify_checkpoint(note, [LOG.verifier_key], WITNESS_KEYS)
    assert verdict.reason == Reason.UNKNOWN_KEY


def test_signature_bit_flipped_fails() -> None:
    note = cosigned()
    mutated = note[:-10] + ("A" if note[-10] != "A" else "B") + note[-9:]
    assert verify_checkpoint(mutated, [LOG.verifier_key]).reason == Reason.BAD_SIGNATURE


def test_signed_text_that_is_not_a_checkpoint_fails() -> None:
    verdict = verify_checkpoint(LOG.sign("hello\n"), [LOG.verifier_key])
    assert verdict.reason == Reason.TRUNCATED


@pytest.mark.parametrize(("cosigners", "required"), [(2, 2), (3, 2), (1, 1), (0, 0)])
def test_enough_witnesses_verify(cosigners: int, required: int) -> None:
    verdict = verify_checkpoint(
        cosigned(witnesses=cosigners), [LOG.verifier_key], WITNESS_KEYS, required, ORIGIN
    )
    assert verdict.ok, verdict.explain()
    assert len([w for w in verdict.evidence["witnesses"].split(", ") if w]) == cosigners


@pytest.mark.parametrize(("cosigners", "required"), [(1, 2), (0, 1), (2, 3)])
def test_too_few_witnesses_fail(cosigners: int, required: int) -> None:
    verdict = verify_checkpoint(
        cosigned(witnesses=cosigners), [LOG.verifier_key], WITNESS_KEYS, required
    )
    assert verdict.reason == Reason.NOT_WITNESSED
    assert f"{cosigners} of the {required}" in verdict.detail


def test_unknown_witness_does_not_count_but_is_reported() -> None:
    stranger = NoteSigner(fixed_key("stranger"), "stranger.example/w")
    note = cosigned(witnesses=1) + stranger.cosign(BODY, 5)
    verdict = verify_checkpoint(note, [LOG.verifier_key], WITNESS_KEYS, 2)
    assert verdict.reason == Reason.NOT_WITNESSED
    assert "stranger.example/w+" in verdict.evidence["unknown"]


def test_witness_signing_with_its_plain_key_does_not_count() -> None:
    note = cosigned() + WITNESSES[0].signature(BODY).line
    verdict = verify_checkpoint(note, [LOG.verifier_key], WITNESS_KEYS, 1)
    assert verdict.reason == Reason.NOT_WITNESSED


def test_bad_cosignature_from_a_trusted_witness_fails() -> None:
    good = cosigned(witnesses=2)
    bad_line = WITNESSES[1].cosign(BODY, 1700000001)
    mutated = good.replace(
        bad_line, bad_line[:-6] + ("A" if bad_line[-6] != "A" else "B") + bad_line[-5:]
    )
    verdict = verify_checkpoint(mutated, [LOG.verifier_key], WITNESS_KEYS, 1)
    assert verdict.reason == Reason.BAD_SIGNATURE


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_single_bit_change_is_rejected(data: st.DataObject) -> None:
    note = cosigned(witnesses=1).encode()
    bit = data.draw(st.integers(0, len(note) * 8 - 1), label="bit")
    mutated = bytearray(note)
    mutated[bit // 8] ^= 1 << (bit % 8)
    verdict = verify_checkpoint(bytes(mutated), [LOG.verifier_key], WITNESS_KEYS[:1], 1)
    assert not verdict.ok
    assert verdict.reason is not None
    assert verdict.detail


def test_every_single_bit_change_is_rejected() -> None:
    note = cosigned(witnesses=1).encode()
    for bit in range(len(note) * 8):
        mutated = bytearray(note)
        mutated[bit // 8] ^= 1 << (bit % 8)
        assert not verify_checkpoint(bytes(mutated), [LOG.verifier_key], WITNESS_KEYS[:1], 1), bit


# Consistency.


def checkpoint_of(t: MerkleTree, size: int) -> Checkpoint:
    return Checkpoint(ORIGIN, size, t.root(size))


def test_consistent_checkpoints_verify() -> None:
    t = tree(10)
    proof = t.consistency_proof(4, 10)
    verdict = verify_checkpoint_consistency(checkpoint_of(t, 4), checkpoint_of(t, 10), proof)
    assert verdict.ok, verdict.explain()


def test_equal_checkpoints_are_consistent() -> None:
    t = tree(5)
    assert verify_checkpoint_consistency(checkpoint_of(t, 5), checkpoint_of(t, 5), []).ok


def test_from_the_empty_tree_everything_is_consistent() -> None:
    t = tree(7)
    empty = Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    assert verify_checkpoint_consistency(empty, checkpoint_of(t, 7), []).ok


@pytest.mark.parametrize(
    ("old_root", "proof"),
    [
        pytest.param(ROOT, [], id="empty-tree-wrong-root"),
        pytest.param(EMPTY_ROOT, [ROOT], id="empty-tree-with-proof"),
    ],
)
def test_from_a_bad_empty_tree_fails(old_root: bytes, proof: list[bytes]) -> None:
    t = tree(7)
    verdict = verify_checkpoint_consistency(
        Checkpoint(ORIGIN, 0, old_root), checkpoint_of(t, 7), proof
    )
    assert verdict.reason == Reason.INCONSISTENT


def test_forked_log_fails_with_both_checkpoints_as_evidence() -> None:
    honest, fork = tree(10), tree(10, fork_at=6)
    old, new = checkpoint_of(honest, 4), checkpoint_of(fork, 10)
    verdict = verify_checkpoint_consistency(old, new, fork.consistency_proof(4, 10))
    assert verdict.ok  # the fork happened after 4: still consistent
    old = checkpoint_of(honest, 8)
    verdict = verify_checkpoint_consistency(old, new, fork.consistency_proof(8, 10))
    assert not verdict.ok
    assert verdict.evidence["old_checkpoint"] == old.body
    assert verdict.evidence["new_checkpoint"] == new.body


def test_proof_bit_flipped_fails() -> None:
    t = tree(10)
    proof = t.consistency_proof(3, 10)
    proof[1] = bytes([proof[1][0] ^ 1]) + proof[1][1:]
    verdict = verify_checkpoint_consistency(checkpoint_of(t, 3), checkpoint_of(t, 10), proof)
    assert not verdict.ok
    assert "proof" in verdict.evidence


def test_same_size_different_root_is_inconsistent() -> None:
    a, b = tree(5), tree(5, fork_at=4)
    verdict = verify_checkpoint_consistency(checkpoint_of(a, 5), checkpoint_of(b, 5), [])
    assert verdict.reason == Reason.INCONSISTENT


def test_checkpoints_of_different_logs_fail() -> None:
    t = tree(4)
    other = Checkpoint("other.example/log", 4, t.root(4))
    verdict = verify_checkpoint_consistency(checkpoint_of(t, 2), other, t.consistency_proof(2, 4))
    assert verdict.reason == Reason.WRONG_ORIGIN


def test_shrinking_checkpoint_fails() -> None:
    t = tree(6)
    verdict = verify_checkpoint_consistency(checkpoint_of(t, 6), checkpoint_of(t, 3), [])
    assert not verdict.ok
