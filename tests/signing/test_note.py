"""NoteSigner: reproduces golang.org/x/mod/sumdb/note's published bytes, and cosigns.

The PeterNeumann signer key, its verifier key and the signed note are from
golang.org/x/mod/sumdb/note note_test.go (TestNewSigner, TestSign).  Ed25519
is deterministic, so signing the same text with the same key must give the
same bytes.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from registry.signing.note import NoteSigner
from registry.verify.note import (
    SignatureType,
    parse_note,
    parse_signature_line,
    verify_note,
)
from tests.factories import fixed_key

GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNED = (
    TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSN"
    "XgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
BODY = "example.org/log\n3\n" + base64.b64encode(bytes(32)).decode() + "\n"


def peter() -> NoteSigner:
    """The signer of Go's test vector: its seed follows the type byte 0x01."""
    blob = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])
    assert blob[0] == 0x01
    return NoteSigner(Ed25519PrivateKey.from_private_bytes(blob[1:]), "PeterNeumann")


def test_go_signer_key_gives_go_verifier_key() -> None:
    signer = peter()
    assert signer.verifier_key_string == GO_VERIFIER_KEY
    assert signer.key_id.hex() == "c74f20a3"


def test_sign_reproduces_go_signed_note() -> None:
    assert peter().sign(TEXT) == GO_SIGNED


def test_add_signature_replaces_the_keys_own_signature() -> None:
    # Go's TestSign: "Check that existing signature is replaced by new one."
    stale = (
        TEXT
        + "\n\u2014 PeterNeumann "
        + base64.b64encode(bytes.fromhex("c74f20a3") + bytes(64)).decode()
        + "\n"
    )
    assert peter().add_signature(stale) == GO_SIGNED


def test_add_signature_keeps_other_signatures() -> None:
    other = NoteSigner(fixed_key("other"), "other.example")
    first = other.sign(TEXT)
    both = peter().add_signature(first)
    assert both == first + GO_SIGNED.split("\n\n", 1)[1]
    verdict = verify_note(both, [other.verifier_key, peter().verifier_key])
    assert verdict.ok, verdict.explain()
    assert len(verdict.unwrap().verified) == 2


def test_key_ids_follow_the_spec_formula() -> None:
    signer = NoteSigner(fixed_key("w"), "witness.example/w1")
    for sig_type, key_id in ((0x01, signer.key_id), (0x04, signer.cosignature_key_id)):
        expected = hashlib.sha256(b"witness.example/w1\n" + bytes([sig_type]) + signer.public_key)
        assert key_id == expected.digest()[:4]
    assert signer.key_id != signer.cosignature_key_id


def test_cosignature_verifier_key_string_carries_type_4() -> None:
    signer = NoteSigner(fixed_key("w"), "witness.example/w1")
    name, key_id, blob = signer.cosignature_verifier_key_string.split("+", 2)
    assert (name, key_id) == ("witness.example/w1", signer.cosignature_key_id.hex())
    assert base64.b64decode(blob) == b"\x04" + signer.public_key
    assert signer.cosignature_verifier_key.sig_type == SignatureType.COSIGNATURE_V1


def test_cosign_line_layout_is_key_id_timestamp_signature() -> None:
    signer = NoteSigner(fixed_key("w"), "witness.example/w1")
    line = signer.cosign(BODY, 1679315147)
    sig = parse_signature_line(line.rstrip("\n")).unwrap()
    assert line.startswith("\u2014 witness.example/w1 ")
    assert line.endswith("\n")
    assert sig.key_id == signer.cosignature_key_id
    assert sig.signature[:8] == (1679315147).to_bytes(8, "big")
    assert len(sig.signature) == 72


def test_cosignature_verifies_and_is_deterministic() -> None:
    signer = NoteSigner(fixed_key("w"), "witness.example/w1")
    line = signer.cosign(BODY, 1700000000)
    assert signer.cosign(BODY, 1700000000) == line
    verdict = verify_note(BODY + "\n" + line, [signer.cosignature_verifier_key])
    assert verdict.ok, verdict.explain()
    assert verdict.unwrap().verified[0].timestamp == 1700000000


def test_cosignature_covers_extension_lines() -> None:
    # transparency-dev/formats TestSigCoversExtensionLines.
    signer = NoteSigner(fixed_key("w"), "witness.example/w1")
    body = BODY + "Extendo\n"
    line = signer.cosign(body, 1)
    tampered = body.replace("Extendo", "Extend@") + "\n" + line
    assert not verify_note(tampered, [signer.cosignature_verifier_key])


@pytest.mark.parametrize(
    "timestamp", [-1, 2**63], ids=["negative-timestamp", "timestamp-over-2-63"]
)
def test_cosign_refuses_out_of_range_timestamps(timestamp: int) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        NoteSigner(fixed_key("w"), "w").cosign(BODY, timestamp)


@pytest.mark.parametrize(
    "body",
    ["hello\n", BODY[:-1], "origin\n01\n" + BODY.split("\n")[2] + "\n"],
    ids=["not-a-checkpoint", "missing-final-newline", "leading-zero-size"],
)
def test_cosign_refuses_a_body_that_is_not_a_checkpoint(body: str) -> None:
    with pytest.raises(ValueError, match="checkpoint"):
        NoteSigner(fixed_key("w"), "w").cosign(body, 1)


@pytest.mark.parametrize(
    "text",
    ["abc", "", "tab\there\n", "cr\r\n"],
    ids=["missing-final-newline", "empty", "tab", "carriage-return"],
)
def test_sign_refuses_malformed_text(text: str) -> None:
    with pytest.raises(ValueError, match="note"):
        peter().sign(text)


@pytest.mark.parametrize("name", ["a+b", "bad name", "", "tab\tname", "nbsp\u00a0name"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="key name"):
        NoteSigner(fixed_key("k"), name)


def test_add_signature_refuses_a_malformed_note() -> None:
    with pytest.raises(ValueError, match="signed-note"):
        peter().add_signature(TEXT)


@given(st.text(st.characters(blacklist_categories=["Cc", "Cs"]), max_size=200))
def test_any_text_round_trips(line: str) -> None:
    signer = NoteSigner(fixed_key("k"), "k")
    note = signer.sign(line + "\n")
    assert parse_note(note).unwrap().text == line + "\n"
    assert verify_note(note, [signer.verifier_key]).ok
