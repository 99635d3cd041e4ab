"""Witness cosignatures offline: the QR's witnessed checkpoint, the trust policy, split views."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from registry.log.tree import MerkleTree
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.signing.timestamp import sign_entry_timestamp
from registry.verify.checkpoint import Checkpoint, verify_checkpoint
from registry.verify.note import parse_note
from registry.verify.qr import encode_offline, verify_offline
from registry.verify.receipt import verify_receipt
from registry.verify.result import Reason
from registry.verify.split import compare_checkpoints
from registry.verify.trust import KeySourceError, TrustedKeys
from registry.verify.witnessed import (
    COSIGNATURE_SIZE,
    cosignature_bytes,
    parse_witnessed,
    verify_witnessed,
)
from tests.factories import ISSUED_AT, fixed_key, logged, signed_pact
from tests.factories import forkable_tree as tree

ORIGIN = "test.example/log"
STATEMENTS = [signed_pact(place=f"Kota {i}") for i in range(5)]
LEAVES, RECEIPTS, REGISTRY = logged(STATEMENTS, ORIGIN)
KEYS = {REGISTRY.kid: REGISTRY.public_key}
INFO = verify_receipt(RECEIPTS[2], KEYS).unwrap()
SIZE, ROOT = INFO.tree_size, INFO.root
WITNESSES = [NoteSigner(fixed_key(f"witness-{i}"), f"witness.example/w{i}") for i in range(3)]
WITNESS_KEYS = [w.cosignature_verifier_key for w in WITNESSES]
STRANGER = NoteSigner(fixed_key("stranger"), "stranger.example/w")


SIGNER_PUBLIC_KEY = CoseSigner(fixed_key("ppk-jabar")).public_key  # signed_pact's signer


def signer_id(witness: NoteSigner) -> str:
    return f"{witness.name}+{witness.cosignature_key_id.hex()}"


def cosig(witness: NoteSigner, size: int = SIZE, root: bytes = ROOT, at: int = 0) -> bytes:
    body = Checkpoint(ORIGIN, size, root).body
    return cosignature_bytes(witness.cosignature(body, ISSUED_AT + 60 + at))


def qr(
    cosigs: list[bytes] | None,
    *,
    size: int = SIZE,
    root: bytes = ROOT,
    timestamp: bool = False,
    index: int = 2,
) -> str:
    proof: dict[str, Any] = (
        {"timestamp": sign_entry_timestamp(REGISTRY, ORIGIN, LEAVES[index], ISSUED_AT)}
        if timestamp
        else {"receipt": RECEIPTS[index]}
    )
    witnessed = None if cosigs is None else (size, root, cosigs)
    return encode_offline(
        STATEMENTS[index], SIGNER_PUBLIC_KEY, LEAVES[index], witnessed=witnessed, **proof
    )


def verdict(text: str, required: int) -> Any:
    return verify_offline(text, KEYS, ORIGIN, WITNESS_KEYS, required)


# -- the offline QR ---------------------------------------------------------------------------


def test_receipt_with_the_quorum_of_cosignatures_is_witnessed() -> None:
    result = verdict(qr([cosig(WITNESSES[0]), cosig(WITNESSES[1])]), 2)
    assert result.ok, result.explain()
    record = result.unwrap()
    assert record.witnessed_size == SIZE
    assert record.witnesses == (signer_id(WITNESSES[0]), signer_id(WITNESSES[1]))


def test_timestamp_with_a_witnessed_tree_covering_the_entry_is_witnessed() -> None:
    result = verdict(qr([cosig(WITNESSES[2])], timestamp=True), 1)
    assert result.ok, result.explain()
    assert result.unwrap().proven_by == "timestamp"
    assert result.unwrap().witnesses == (signer_id(WITNESSES[2]),)


def test_fewer_cosignatures_than_required_is_not_witnessed_yet_carries_the_record() -> None:
    result = verdict(qr([cosig(WITNESSES[0])]), 2)
    assert result.reason == Reason.NOT_WITNESSED
    assert "1 of the 2" in result.detail
    assert result.value is not None
    assert result.value.index == 2


def test_no_witnessed_checkpoint_with_a_quorum_required_is_not_witnessed() -> None:
    result = verdict(qr(None), 1)
    assert result.reason == Reason.NOT_WITNESSED
    assert verdict(qr(None), 0).ok


def test_cosignature_by_an_unknown_witness_does_not_count() -> None:
    result = verdict(qr([cosig(WITNESSES[0]), cosig(STRANGER)]), 2)
    assert result.reason == Reason.NOT_WITNESSED


def test_cosignature_bit_flipped_is_a_bad_signature() -> None:
    bad = bytearray(cosig(WITNESSES[1]))
    bad[-1] ^= 1
    result = verdict(qr([cosig(WITNESSES[0]), bytes(bad)]), 1)
    assert result.reason == Reason.BAD_SIGNATURE


def test_cosignature_timestamp_changed_is_a_bad_signature() -> None:
    bad = bytearray(cosig(WITNESSES[0]))
    bad[11] ^= 1  # the timestamp's last byte is signed too
    assert verdict(qr([bytes(bad)]), 1).reason == Reason.BAD_SIGNATURE


def test_cosignature_over_another_checkpoint_is_a_bad_signature() -> None:
    other_root = hashlib.sha256(b"another tree").digest()
    assert verdict(qr([cosig(WITNESSES[0], root=other_root)]), 1).reason == Reason.BAD_SIGNATURE
    assert verdict(qr([cosig(WITNESSES[0], size=SIZE - 1)]), 1).reason == Reason.BAD_SIGNATURE


def test_witnessed_checkpoint_of_another_size_than_the_receipt_is_refused() -> None:
    text = qr([cosig(WITNESSES[0], size=SIZE + 1)], size=SIZE + 1)
    assert verdict(text, 1).reason == Reason.SIZE_MISMATCH


def test_witnessed_checkpoint_of_another_root_than_the_receipt_is_refused() -> None:
    other_root = hashlib.sha256(b"another tree").digest()
    text = qr([cosig(WITNESSES[0], root=other_root)], root=other_root)
    assert verdict(text, 1).reason == Reason.WRONG_ROOT


def test_witnessed_tree_without_the_entry_is_refused() -> None:
    text = qr([cosig(WITNESSES[0], size=2)], size=2, timestamp=True)
    assert verdict(text, 1).reason == Reason.INDEX_OUT_OF_RANGE


@pytest.mark.parametrize(
    "item",
    [
        pytest.param([SIZE, ROOT], id="two-items"),
        pytest.param([0, ROOT, [bytes(COSIGNATURE_SIZE)]], id="size-0"),
        pytest.param([True, ROOT, [bytes(COSIGNATURE_SIZE)]], id="size-a-bool"),
        pytest.param([SIZE, ROOT[:31], [bytes(COSIGNATURE_SIZE)]], id="root-31-bytes"),
        pytest.param([SIZE, ROOT, []], id="no-cosignature"),
        pytest.param([SIZE, ROOT, [bytes(COSIGNATURE_SIZE - 1)]], id="cosignature-75-bytes"),
        pytest.param([SIZE, ROOT, [bytes(COSIGNATURE_SIZE)] * 2], id="one-key-id-twice"),
        pytest.param(
            [SIZE, ROOT, [bytes([i]) * COSIGNATURE_SIZE for i in range(17)]], id="17-cosignatures"
        ),
    ],
)
def test_malformed_witnessed_checkpoint_is_refused(item: Any) -> None:
    assert parse_witnessed(item).reason == Reason.MALFORMED
    assert verify_witnessed(item, ORIGIN, WITNESS_KEYS).reason == Reason.MALFORMED


def test_sixteen_cosignatures_are_accepted_and_unknown_ones_counted() -> None:
    cosigs = [cosig(WITNESSES[0])] + [bytes([i]) * COSIGNATURE_SIZE for i in range(1, 16)]
    witnessed = verify_witnessed([SIZE, ROOT, cosigs], ORIGIN, WITNESS_KEYS).unwrap()
    assert len(witnessed.witnesses) == 1
    assert witnessed.unknown == 15


# -- the trust policy in the configuration ------------------------------------------------------


def configuration(**changes: Any) -> bytes:
    document: dict[str, Any] = {
        "origin": ORIGIN,
        "keys": [],
        "witnesses": [
            {"name": w.name, "verifier_key": w.cosignature_verifier_key_string, "url": "http://w"}
            for w in WITNESSES[:2]
        ],
        "witnesses_required": 2,
    }
    document.update(changes)
    return json.dumps(document).encode()


def test_configuration_names_the_witnesses_and_the_quorum() -> None:
    trusted = TrustedKeys.build(configurations=[configuration()])
    assert trusted.witness_keys == WITNESS_KEYS[:2]
    assert trusted.witnesses_required == 2


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"witnesses_required": 3}, "from 0 to 2"),
        ({"witnesses_required": -1}, "from 0 to 2"),
        ({"witnesses_required": "2"}, "whole number"),
        ({"witnesses_required": True}, "whole number"),
        ({"witnesses": {"a": 1}}, "not a list"),
        ({"witnesses": [{"name": "w"}]}, "no verifier_key"),
        ({"witnesses": [{"verifier_key": "not a key"}]}, "witness 1"),
        (
            {"witnesses": [{"verifier_key": WITNESSES[0].verifier_key_string}]},
            "not a cosignature key",
        ),
        (
            {
                "witnesses": [
                    {"name": "other", "verifier_key": WITNESSES[0].cosignature_verifier_key_string}
                ]
            },
            "named 'other'",
        ),
        (
            {
                "witnesses": [{"verifier_key": WITNESSES[0].cosignature_verifier_key_string}] * 2,
                "witnesses_required": 1,
            },
            "twice",
        ),
    ],
)
def test_a_witness_policy_read_wrongly_is_refused(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(KeySourceError, match=match):
        TrustedKeys.build(configurations=[configuration(**changes)])


# -- split views --------------------------------------------------------------------------------

LOG = NoteSigner(fixed_key("log"), ORIGIN)


def signed(t: MerkleTree, size: int, *witnesses: NoteSigner) -> str:
    body = Checkpoint(ORIGIN, size, t.root(size)).body
    return LOG.sign(body) + "".join(w.cosign(body, ISSUED_AT) for w in witnesses)


HONEST, FORK = tree(12), tree(12, fork_at=6)


def test_two_roots_for_one_size_prove_a_split_view_naming_who_cosigned_each() -> None:
    result = compare_checkpoints(
        signed(HONEST, 10, WITNESSES[0]),
        signed(FORK, 10, WITNESSES[1]),
        [LOG.verifier_key],
        WITNESS_KEYS,
    )
    assert result.reason == Reason.INCONSISTENT
    assert "split view" in result.detail
    assert result.evidence["first_witnesses"].startswith("witness.example/w0+")
    assert result.evidence["second_witnesses"].startswith("witness.example/w1+")
    assert parse_note(result.evidence["second_checkpoint"]).ok


def test_one_tree_seen_twice_is_consistent() -> None:
    result = compare_checkpoints(
        signed(HONEST, 10, WITNESSES[0]), signed(HONEST, 10, WITNESSES[1]), [LOG.verifier_key]
    )
    assert result.ok, result.explain()


def test_different_sizes_need_a_consistency_proof() -> None:
    old, new = signed(HONEST, 6), signed(HONEST, 12)
    assert compare_checkpoints(old, new, [LOG.verifier_key]).reason == Reason.SIZE_MISMATCH
    proof = HONEST.consistency_proof(6, 12)
    assert compare_checkpoints(new, old, [LOG.verifier_key], proof=proof).ok


def test_a_fork_at_different_sizes_fails_its_consistency_proof() -> None:
    old, new = signed(HONEST, 8), signed(FORK, 12)
    proof = FORK.consistency_proof(8, 12)
    result = compare_checkpoints(old, new, [LOG.verifier_key], proof=proof)
    assert result.reason == Reason.INCONSISTENT


def test_a_checkpoint_not_signed_by_the_log_proves_nothing() -> None:
    impostor = NoteSigner(fixed_key("impostor"), ORIGIN)
    body = Checkpoint(ORIGIN, 10, FORK.root(10)).body
    result = compare_checkpoints(signed(HONEST, 10), impostor.sign(body), [LOG.verifier_key])
    assert result.reason == Reason.UNKNOWN_KEY
    assert "second" in result.detail


def test_checkpoint_quorum_failure_keeps_the_checkpoint() -> None:
    result = verify_checkpoint(
        signed(HONEST, 10, WITNESSES[0]), [LOG.verifier_key], WITNESS_KEYS, 2
    )
    assert result.reason == Reason.NOT_WITNESSED
    assert result.value is not None
    assert result.value.size == 10
    assert result.evidence["checkpoint"] == result.value.describe()
