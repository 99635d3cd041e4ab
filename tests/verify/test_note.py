"""C2SP signed notes: published vectors verify, each mutation fails with its reason.

Vectors:
* golang.org/x/mod/sumdb/note, note_test.go (TestNewVerifier, TestOpen): the
  PeterNeumann and EnochRoot keys, their note and signature lines, and the
  malformed notes of TestOpen's ``badMsgs``.
* github.com/transparency-dev/formats, note/note_cosigv1_test.go
  (TestCoSigV1NewVerifier): the ``remora.n621.de`` type-0x04 witness key and
  the ``TEST`` key whose base64 contains ``+``.
* c2sp.org/tlog-cosignature: the example checkpoint with a witness
  cosignature, and its example signed message.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.signing.note import NoteSigner
from registry.verify.note import (
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
    SignatureType,
    VerifierKey,
    compute_key_id,
    cosignature_message,
    decode_base64_strict,
    parse_note,
    parse_signature_line,
    parse_verifier_key,
    verify_note,
)
from registry.verify.result import Reason, VerificationError
from tests.factories import fixed_key

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
    "dngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
    "Lox33WWd1RvMc+QQ=\n"
)
PETER = VerifierKey.from_string(PETER_VKEY)
ENOCH = VerifierKey.from_string(ENOCH_VKEY)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_COSIGNED = (
    SPEC_BODY
    + "\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u"
    "5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJ"
    "sX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)

WITNESS = NoteSigner(fixed_key("witness"), "witness.example/w1")
CHECKPOINT_BODY = "example.org/log\n3\n" + base64.b64encode(bytes(range(32))).decode() + "\n"


def flip_signature_bit(line: str, bit: int) -> str:
    """The signature line with one bit of its signature bytes (after the key id) flipped."""
    sig = parse_signature_line(line.rstrip("\n")).unwrap()
    raw = bytearray(sig.key_id + sig.signature)
    raw[4 + bit // 8] ^= 1 << (bit % 8)
    return f"\u2014 {sig.name} {base64.b64encode(bytes(raw)).decode()}\n"


# Published vectors.


def test_go_sumdb_note_verifies_with_its_published_key() -> None:
    verdict = verify_note(TEXT + "\n" + PETER_SIG, [PETER])
    assert verdict.ok, verdict.explain()
    note = verdict.unwrap()
    assert note.text == TEXT
    assert [v.key for v in note.verified] == [PETER]
    assert note.verified[0].timestamp is None
    assert note.unknown == ()


def test_signature_from_an_unknown_key_is_ignored_but_reported() -> None:
    verdict = verify_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER])
    assert verdict.ok, verdict.explain()
    assert [s.signer for s in verdict.unwrap().unknown] == ["EnochRoot+af0cfe78"]
    assert verdict.evidence["unknown"] == "EnochRoot+af0cfe78"


def test_both_known_keys_verify() -> None:
    verdict = verify_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [PETER, ENOCH])
    assert verdict.ok, verdict.explain()
    assert [v.key for v in verdict.unwrap().verified] == [PETER, ENOCH]


def test_note_with_no_known_key_fails_naming_the_signers() -> None:
    verdict = verify_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    assert verdict.reason == Reason.UNKNOWN_KEY
    assert verdict.evidence["unknown"] == "PeterNeumann+c74f20a3, EnochRoot+af0cfe78"


def test_note_bytes_are_accepted_like_text() -> None:
    assert verify_note((TEXT + "\n" + PETER_SIG).encode(), [PETER]).ok


def test_spec_cosignature_example_parses_to_its_key_id_and_timestamp() -> None:
    note = parse_note(SPEC_COSIGNED).unwrap()
    assert note.text == SPEC_BODY
    log_sig, witness_sig = note.signatures
    assert log_sig.name == "example.com/behind-the-sofa"
    assert witness_sig.key_id.hex() == "8d66cf3f"
    assert int.from_bytes(witness_sig.signature[:8], "big") == 1679315147
    assert len(witness_sig.signature) == 8 + 64
    assert note.render() == SPEC_COSIGNED


def test_cosignature_message_matches_the_spec_example() -> None:
    expected = (
        "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    assert cosignature_message(1679315147, SPEC_BODY) == expected.encode()


# Verifier keys.


@pytest.mark.parametrize(
    ("vkey", "name", "sig_type"),
    [
        pytest.param(PETER_VKEY, "PeterNeumann", SignatureType.ED25519, id="go-peter"),
        pytest.param(REMORA_VKEY, "remora.n621.de", SignatureType.COSIGNATURE_V1, id="remora"),
        pytest.param(
            "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
            "TEST",
            SignatureType.ED25519,
            id="plus-in-base64",
        ),
    ],
)
def test_published_verifier_keys_parse_and_round_trip(
    vkey: str, name: str, sig_type: SignatureType
) -> None:
    key = parse_verifier_key(vkey).unwrap()
    assert (key.name, key.sig_type, str(key)) == (name, sig_type, vkey)
    assert key.key_id == compute_key_id(name, sig_type, key.public_key)


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        pytest.param(
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            Reason.MALFORMED,
            id="wrong-key-length",
        ),
        pytest.param(
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            Reason.WRONG_ALGORITHM,
            id="unknown-algorithm",
        ),
        pytest.param("bananas.sigstore.dev+12344556", Reason.MALFORMED, id="two-parts"),
        pytest.param(
            "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!", Reason.MALFORMED, id="not-base64"
        ),
        pytest.param("rekor.sigstore.dev+12345678+AwEB", Reason.WRONG_ALGORITHM, id="type-3"),
        pytest.param(PETER_VKEY.replace("c74f20a3", "C74F20A3"), Reason.MALFORMED, id="upper-hex"),
        pytest.param(PETER_VKEY.replace("c74f20a3", "00000000"), Reason.MALFORMED, id="wrong-id"),
        pytest.param("+c74f20a3+" + PETER_VKEY.split("+")[2], Reason.MALFORMED, id="empty-name"),
        pytest.param("", Reason.MALFORMED, id="empty"),
    ],
)
def test_bad_verifier_key_fails(vkey: str, reason: Reason) -> None:
    verdict = parse_verifier_key(vkey)
    assert verdict.reason == reason, verdict.explain()
    with pytest.raises(VerificationError):
        VerifierKey.from_string(vkey)


def test_every_mangling_of_a_verifier_key_is_refused() -> None:
    # Go's TestNewVerifier: every proper substring, every byte incremented.
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                assert not parse_verifier_key(PETER_VKEY[i:j]), PETER_VKEY[i:j]
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        assert not parse_verifier_key(mangled), mangled


# Malformed notes.


def _control_char_note() -> str:
    return "\x01" + TEXT + "\n" + PETER_SIG


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        pytest.param(TEXT, Reason.MALFORMED, id="no-signatures"),
        pytest.param(TEXT + "\n", Reason.MALFORMED, id="blank-line-only"),
        pytest.param(TEXT + "\n" + PETER_SIG[:-1], Reason.MALFORMED, id="missing-final-newline"),
        pytest.param(_control_char_note(), Reason.MALFORMED, id="control-character"),
        pytest.param(TEXT + "\r\n" + PETER_SIG, Reason.MALFORMED, id="carriage-return"),
        pytest.param(b"\xff" + (TEXT + "\n" + PETER_SIG).encode(), Reason.MALFORMED, id="bad-utf8"),
        pytest.param("\ud800" + TEXT + "\n" + PETER_SIG, Reason.MALFORMED, id="lone-surrogate"),
        pytest.param(
            TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
            Reason.MALFORMED,
            id="space-in-key-name",
        ),
        pytest.param(
            TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"),
            Reason.MALFORMED,
            id="plus-in-key-name",
        ),
        pytest.param(
            TEXT + "\n" + PETER_SIG + "Unexpected line.\n", Reason.MALFORMED, id="trailing-garbage"
        ),
        pytest.param(TEXT + "\n" + PETER_SIG + "\n", Reason.MALFORMED, id="trailing-blank-line"),
        pytest.param(
            TEXT + "\n" + PETER_SIG.replace("\u2014 ", "- "),
            Reason.MALFORMED,
            id="hyphen-not-em-dash",
        ),
        pytest.param(
            TEXT + "\n" + PETER_SIG.replace("AM=", "AN="),
            Reason.MALFORMED,
            id="noncanonical-base64",
        ),
        pytest.param(
            TEXT + "\n" + PETER_SIG.replace("AM=", "AM"), Reason.MALFORMED, id="missing-padding"
        ),
        pytest.param(
            TEXT + "\n\u2014 PeterNeumann AAAA\n", Reason.TRUNCATED, id="signature-too-short"
        ),
        pytest.param(
            TEXT + "\n" + PETER_SIG + PETER_SIG, Reason.MALFORMED, id="duplicate-signature"
        ),
        pytest.param("", Reason.EMPTY, id="empty"),
        pytest.param("x" * MAX_NOTE_BYTES + "\n\n" + PETER_SIG, Reason.OVERSIZED, id="oversized"),
        pytest.param(b"x" * (MAX_NOTE_BYTES + 1), Reason.OVERSIZED, id="oversized-bytes"),
    ],
)
def test_malformed_note_fails(note: str | bytes, reason: Reason) -> None:
    for verdict in (parse_note(note), verify_note(note, [PETER])):
        assert not verdict.ok
        assert verdict.reason == reason, verdict.explain()
        assert verdict.detail


def test_too_many_signatures_fail() -> None:
    signers = [NoteSigner(fixed_key(f"k{i}"), f"k{i}") for i in range(MAX_SIGNATURES + 1)]
    lines = "".join(s.signature(TEXT).line for s in signers)
    verdict = parse_note(TEXT + "\n" + lines)
    assert verdict.reason == Reason.OVERSIZED


def test_sixteen_signatures_are_accepted() -> None:
    # signed-note: verifiers "MUST accept at least up to 16 signatures".
    signers = [NoteSigner(fixed_key(f"k{i}"), f"k{i}") for i in range(16)]
    note = TEXT + "\n" + "".join(s.signature(TEXT).line for s in signers)
    verdict = verify_note(note, [s.verifier_key for s in signers])
    assert verdict.ok, verdict.explain()
    assert len(verdict.unwrap().verified) == 16


# Signatures that do not verify.


def test_signature_bit_flipped_fails() -> None:
    verdict = verify_note(TEXT + "\n" + flip_signature_bit(PETER_SIG, 5), [PETER])
    assert verdict.reason == Reason.BAD_SIGNATURE
    assert verdict.evidence["signer"] == "PeterNeumann+c74f20a3"


def test_text_modified_fails() -> None:
    verdict = verify_note(TEXT.replace("answer", "Answer") + "\n" + PETER_SIG, [PETER])
    assert verdict.reason == Reason.BAD_SIGNATURE


def test_signature_lengthened_fails() -> None:
    # Go's TestOpen "Invalid signature": four base64 characters inserted.
    verdict = verify_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [PETER])
    assert verdict.reason == Reason.BAD_SIGNATURE


def test_bad_signature_from_one_known_key_rejects_the_whole_note() -> None:
    note = TEXT + "\n" + PETER_SIG + flip_signature_bit(ENOCH_SIG, 0)
    assert verify_note(note, [PETER, ENOCH]).reason == Reason.BAD_SIGNATURE
    assert verify_note(note, [PETER]).ok  # Enoch unknown: ignored


def test_key_id_flipped_makes_the_signature_unknown() -> None:
    sig = parse_signature_line(PETER_SIG.rstrip("\n")).unwrap()
    raw = bytes([sig.key_id[0] ^ 1]) + sig.key_id[1:] + sig.signature
    line = f"\u2014 PeterNeumann {base64.b64encode(raw).decode()}\n"
    assert verify_note(TEXT + "\n" + line, [PETER]).reason == Reason.UNKNOWN_KEY


def test_renamed_signature_is_unknown() -> None:
    note = TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "CarmenSandiego")
    assert verify_note(note, [PETER]).reason == Reason.UNKNOWN_KEY


def test_ambiguous_known_keys_fail() -> None:
    impostor = VerifierKey("PeterNeumann", PETER.key_id, SignatureType.ED25519, ENOCH.public_key)
    verdict = verify_note(TEXT + "\n" + PETER_SIG, [PETER, impostor])
    assert verdict.reason == Reason.MALFORMED
    assert "share" in verdict.detail


def test_same_key_listed_twice_is_not_ambiguous() -> None:
    assert verify_note(TEXT + "\n" + PETER_SIG, [PETER, PETER]).ok


# Cosignatures (type 0x04).


def test_cosignature_verifies_with_the_type_4_key_and_reports_its_time() -> None:
    note = CHECKPOINT_BODY + "\n" + WITNESS.cosign(CHECKPOINT_BODY, 1700000000)
    verdict = verify_note(note, [WITNESS.cosignature_verifier_key])
    assert verdict.ok, verdict.explain()
    assert verdict.unwrap().verified[0].timestamp == 1700000000
    assert verdict.evidence["signers"] == f"witness.example/w1+{WITNESS.cosignature_key_id.hex()}"


def test_cosignature_is_not_an_ed25519_note_signature() -> None:
    note = CHECKPOINT_BODY + "\n" + WITNESS.cosign(CHECKPOINT_BODY, 1700000000)
    assert verify_note(note, [WITNESS.verifier_key]).reason == Reason.UNKNOWN_KEY


@pytest.mark.parametrize("bit", [0, 63, 64, 300, 575], ids=lambda b: f"cosignature-bit-{b}-flipped")
def test_cosignature_bit_flipped_fails(bit: int) -> None:
    line = flip_signature_bit(WITNESS.cosign(CHECKPOINT_BODY, 1700000000), bit)
    verdict = verify_note(CHECKPOINT_BODY + "\n" + line, [WITNESS.cosignature_verifier_key])
    assert verdict.reason == Reason.BAD_SIGNATURE


def test_cosignature_timestamp_above_2_63_fails() -> None:
    sig = WITNESS.cosignature(CHECKPOINT_BODY, 1)
    raw = sig.key_id + (2**63).to_bytes(8, "big") + sig.signature[8:]
    line = f"\u2014 {sig.name} {base64.b64encode(raw).decode()}\n"
    verdict = verify_note(CHECKPOINT_BODY + "\n" + line, [WITNESS.cosignature_verifier_key])
    assert verdict.reason == Reason.BAD_SIGNATURE
    assert "2^63" in verdict.detail


def test_cosignature_without_timestamp_fails() -> None:
    sig = WITNESS.cosignature(CHECKPOINT_BODY, 1)
    raw = sig.key_id + sig.signature[8:]
    line = f"\u2014 {sig.name} {base64.b64encode(raw).decode()}\n"
    verdict = verify_note(CHECKPOINT_BODY + "\n" + line, [WITNESS.cosignature_verifier_key])
    assert verdict.reason == Reason.BAD_SIGNATURE


# Properties.


@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    verdict = verify_note(data, [PETER])
    assert verdict.ok or (verdict.reason is not None and verdict.detail)
    verdict.explain()


@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text: str) -> None:
    verdict = verify_note(text + "\n\n" + PETER_SIG, [PETER])
    assert verdict.ok == (text + "\n" == TEXT)


@given(st.binary(max_size=80))
def test_strict_base64_round_trips(raw: bytes) -> None:
    encoded = base64.b64encode(raw).decode()
    assert decode_base64_strict(encoded) == raw
    if len(raw) % 3:
        assert decode_base64_strict(encoded.rstrip("=")) is None
