"""The log's checkpoints: exact body bytes, signing, and merging witness cosignatures."""

from __future__ import annotations

import base64
import hashlib

import pytest

from registry.log.checkpoint import add_cosignatures, checkpoint_body, sign_checkpoint
from registry.signing.note import NoteSigner
from registry.verify.checkpoint import Checkpoint, verify_checkpoint
from registry.verify.note import parse_note, verify_note
from registry.verify.result import Reason
from tests.factories import fixed_key

ORIGIN = "registry.example/log"
LOG = NoteSigner(fixed_key("log"), ORIGIN)
W1 = NoteSigner(fixed_key("w1"), "witness.example/w1")
W2 = NoteSigner(fixed_key("w2"), "witness.example/w2")
WITNESS_KEYS = [W1.cosignature_verifier_key, W2.cosignature_verifier_key]
ROOT = hashlib.sha256(b"root").digest()


def test_body_is_origin_size_root_lines() -> None:
    expected = f"{ORIGIN}\n1234\n{base64.b64encode(ROOT).decode()}\n"
    assert checkpoint_body(ORIGIN, 1234, ROOT) == expected


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [
        pytest.param("", 1, ROOT, id="empty-origin"),
        pytest.param("a\nb", 1, ROOT, id="newline-in-origin"),
        pytest.param("a\x00b", 1, ROOT, id="nul-in-origin"),
        pytest.param(ORIGIN, -1, ROOT, id="negative-size"),
        pytest.param(ORIGIN, 2**64, ROOT, id="size-over-2-64"),
        pytest.param(ORIGIN, 1, ROOT[:31], id="short-root"),
    ],
)
def test_invalid_body_is_refused(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(ValueError, match=r"origin|size|root"):
        checkpoint_body(origin, size, root)


def test_signed_checkpoint_verifies_with_the_log_key() -> None:
    note = sign_checkpoint(LOG, ORIGIN, 7, ROOT)
    verdict = verify_checkpoint(note, [LOG.verifier_key], origin=ORIGIN)
    assert verdict.ok, verdict.explain()
    assert verdict.unwrap() == Checkpoint(ORIGIN, 7, ROOT)
    assert note.startswith(checkpoint_body(ORIGIN, 7, ROOT) + "\n\u2014 " + ORIGIN + " ")


def test_signer_named_otherwise_than_the_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="not the origin"):
        sign_checkpoint(NoteSigner(fixed_key("log"), "other.example/log"), ORIGIN, 7, ROOT)


def test_cosignatures_merge_and_count() -> None:
    note = sign_checkpoint(LOG, ORIGIN, 7, ROOT)
    body = checkpoint_body(ORIGIN, 7, ROOT)
    merged = add_cosignatures(note, [W1.cosign(body, 100), W2.cosign(body, 101)])
    assert merged.startswith(note)
    verdict = verify_checkpoint(merged, [LOG.verifier_key], WITNESS_KEYS, 2, ORIGIN)
    assert verdict.ok, verdict.explain()


def test_a_witness_response_body_merges_as_is() -> None:
    note = sign_checkpoint(LOG, ORIGIN, 7, ROOT)
    body = checkpoint_body(ORIGIN, 7, ROOT)
    response = W1.cosign(body, 100) + W2.cosign(body, 100)
    # tlog-witness: a client MAY check a response by appending it to the checkpoint.
    assert verify_note(note + response, WITNESS_KEYS).ok
    assert add_cosignatures(note, response) == note + response


def test_a_newer_cosignature_replaces_the_older_one_in_place() -> None:
    note = sign_checkpoint(LOG, ORIGIN, 7, ROOT)
    body = checkpoint_body(ORIGIN, 7, ROOT)
    old = add_cosignatures(note, [W1.cosign(body, 100), W2.cosign(body, 100)])
    new = add_cosignatures(old, W1.cosign(body, 200))
    assert new == note + W1.cosign(body, 200) + W2.cosign(body, 100)
    verified = verify_note(new, [W1.cosignature_verifier_key]).unwrap().verified
    assert [v.timestamp for v in verified] == [200]


def test_merging_nothing_changes_nothing() -> None:
    note = sign_checkpoint(LOG, ORIGIN, 7, ROOT)
    assert add_cosignatures(note, "") == note
    assert add_cosignatures(note, []) == note


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param("\u2014 w AAAAAAB=\n", id="noncanonical-base64"),
        pytest.param("- witness.example/w1 AAAAAAAA\n", id="hyphen-not-em-dash"),
        pytest.param("\u2014 witness.example/w1 AAAAAAAA", id="missing-final-newline"),
        pytest.param("garbage\n", id="trailing-garbage"),
    ],
)
def test_malformed_cosignature_lines_are_refused(lines: str) -> None:
    with pytest.raises(ValueError, match=r"signature|newline|em dash|\u2014"):
        add_cosignatures(sign_checkpoint(LOG, ORIGIN, 7, ROOT), lines)


def test_merging_into_a_malformed_note_is_refused() -> None:
    with pytest.raises(ValueError, match="signed-note"):
        add_cosignatures(checkpoint_body(ORIGIN, 7, ROOT), [])


def test_merged_note_stays_strictly_parseable() -> None:
    note = sign_checkpoint(LOG, ORIGIN, 7, ROOT)
    body = checkpoint_body(ORIGIN, 7, ROOT)
    merged = add_cosignatures(note, [W1.cosign(body, 1)])
    parsed = parse_note(merged).unwrap()
    assert [s.name for s in parsed.signatures] == [ORIGIN, "witness.example/w1"]


def test_cosignature_over_another_checkpoint_fails_after_merging() -> None:
    note = sign_checkpoint(LOG, ORIGIN, 7, ROOT)
    stale = W1.cosign(checkpoint_body(ORIGIN, 6, ROOT), 1)
    merged = add_cosignatures(note, stale)
    verdict = verify_checkpoint(merged, [LOG.verifier_key], WITNESS_KEYS, 1)
    assert verdict.reason == Reason.BAD_SIGNATURE
