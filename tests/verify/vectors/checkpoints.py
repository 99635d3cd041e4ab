"""Checkpoints (signed notes): the log's and their mutations."""

from __future__ import annotations

import base64
from collections.abc import Iterator

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.verify.note import (
    Note,
    NoteSignature,
    SignatureType,
    compute_key_id,
    cosignature_message,
)
from tests.factories import ISSUED_AT, fixed_key
from tests.verify.vectors.material import (
    CHECKPOINT,
    LOG_KEY,
    NOTE,
    OK,
    ORIGIN,
    OTHER_KEY,
    REGISTRY_TRUST,
    ROOT,
    SIZE,
    Case,
    flip,
)


def checkpoint_cases() -> Iterator[Case]:
    def case(name: str, description: str, text: str, expect: str) -> Case:
        return Case(f"checkpoint/{name}", "checkpoint", description, text, REGISTRY_TRUST, expect)

    root64 = base64.b64encode(ROOT).decode()
    body = f"{ORIGIN}\n{SIZE}\n{root64}\n"
    text, _, block = CHECKPOINT.partition("\n\n")
    line = block[:-1]
    blob = base64.b64decode(line.split(" ")[2])
    witness = NoteSigner(fixed_key("vectors-witness"), "witness.example/w1")
    timestamp = ISSUED_AT + 30
    cosignature = witness._private_key.sign(cosignature_message(timestamp, body))
    cosigned = "\u2014 {} {}".format(
        witness.name,
        base64.b64encode(
            witness.cosignature_key_id + timestamp.to_bytes(8, "big") + cosignature
        ).decode(),
    )

    def with_line(signature_blob: bytes, name: str = ORIGIN) -> str:
        return f"{body}\n\u2014 {name} {base64.b64encode(signature_blob).decode()}\n"

    yield case("valid", f"the log's checkpoint at size {SIZE}", CHECKPOINT, OK)
    yield case(
        "valid-with-extension-line",
        "an extension line after the root, signed",
        NOTE.sign(body + "extension line\n"),
        OK,
    )
    yield case(
        "valid-with-an-unknown-cosignature",
        "a witness the verifier does not know cosigned it too: set aside",
        f"{CHECKPOINT}{cosigned}\n",
        OK,
    )
    yield case(
        "valid-size-2^64-1",
        "the largest size a checkpoint may state, signed",
        NOTE.sign(f"{ORIGIN}\n{2**64 - 1}\n{root64}\n"),
        OK,
    )
    yield case(
        "size-2^64",
        "a size one beyond 2^64 - 1, signed",
        NOTE.sign(f"{ORIGIN}\n{2**64}\n{root64}\n"),
        "malformed",
    )
    yield case(
        "signature-bit-flipped",
        "bit 0 of the signature's last byte flipped",
        with_line(flip(blob, -1)),
        "bad-signature",
    )
    yield case(
        "signature-63-bytes",
        "the signature's last byte cut off",
        with_line(blob[:-1]),
        "bad-signature",
    )
    yield case(
        "signature-key-id-only",
        "a signature of nothing but its key id",
        with_line(blob[:4]),
        "truncated",
    )
    yield case(
        "signed-by-another-key",
        "signed by another key under the log's name",
        NoteSigner(OTHER_KEY, ORIGIN).sign(body),
        "unknown-key",
    )
    yield case(
        "signed-by-another-name",
        "signed by the log's key under another name",
        NoteSigner(LOG_KEY, "other.example/log").sign(body),
        "unknown-key",
    )
    yield case(
        "another-origin",
        "the checkpoint of another log, signed by this log's key and name",
        NOTE.sign(f"other.example/log\n{SIZE}\n{root64}\n"),
        "wrong-origin",
    )
    yield case(
        "trailing-garbage",
        "a line of text after the signatures",
        CHECKPOINT + "garbage\n",
        "malformed",
    )
    yield case("no-final-newline", "the last newline left out", CHECKPOINT[:-1], "malformed")
    yield case(
        "no-blank-line", "no blank line before the signature", text + "\n" + block, "malformed"
    )
    yield case("no-signatures", "the blank line and nothing after it", body + "\n", "malformed")
    yield case("empty", "no text at all", "", "empty")
    yield case(
        "signed-twice", "the log's signature line twice", CHECKPOINT + line + "\n", "malformed"
    )
    yield case(
        "signature-not-canonical-base64",
        "the signature's base64 without its padding",
        f"{body}\n\u2014 {ORIGIN} {base64.b64encode(blob).decode().rstrip('=')}\n",
        "malformed",
    )
    yield case(
        "signature-line-without-dash",
        "a signature line without its em dash",
        f"{body}\n- {ORIGIN} x\n",
        "malformed",
    )
    yield case(
        "crlf-line-endings",
        "carriage returns before the newlines",
        CHECKPOINT.replace("\n", "\r\n"),
        "malformed",
    )
    yield case(
        "control-character",
        "a control character (0x01) in the origin, signed",
        raw_note(f"{ORIGIN}\x01\n{SIZE}\n{root64}\n"),
        "malformed",
    )
    yield case(
        "size-leading-zero",
        "the size written 05, signed",
        NOTE.sign(f"{ORIGIN}\n0{SIZE}\n{root64}\n"),
        "malformed",
    )
    yield case(
        "size-not-decimal",
        "the size written 0x5, signed",
        NOTE.sign(f"{ORIGIN}\n0x5\n{root64}\n"),
        "malformed",
    )
    yield case(
        "root-31-bytes",
        "a 31-byte root, signed",
        NOTE.sign(f"{ORIGIN}\n{SIZE}\n{base64.b64encode(ROOT[:31]).decode()}\n"),
        "malformed",
    )
    yield case(
        "root-not-canonical-base64",
        "the root's base64 without its padding, signed",
        NOTE.sign(f"{ORIGIN}\n{SIZE}\n{root64.rstrip('=')}\n"),
        "malformed",
    )
    yield case(
        "two-lines",
        "a body of origin and size only, signed",
        NOTE.sign(f"{ORIGIN}\n{SIZE}\n"),
        "truncated",
    )
    yield case(
        "empty-extension-line",
        "an empty line among the extension lines, signed",
        NOTE.sign(body + "\nextension\n"),
        "malformed",
    )


def raw_note(text: str, key: Ed25519PrivateKey = LOG_KEY, name: str = ORIGIN) -> str:
    """``text`` signed as a note by ``key`` under ``name``, whatever the text (no checks)."""
    public = CoseSigner(key).public_key
    key_id = compute_key_id(name, SignatureType.ED25519, public)
    return Note(text, (NoteSignature(name, key_id, key.sign(text.encode())),)).render()
