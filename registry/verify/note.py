"""C2SP signed notes (c2sp.org/signed-note): strict parsing and verification.

A signed note is a text ending in a newline, a blank line, and one or more
signature lines ``— <key name> <base64(key id(4) ‖ signature)>``.  This module
parses that format strictly and verifies two signature types against
:class:`VerifierKey` objects read from verifier key strings
``<name>+<key id hex>+<base64(type ‖ public key)>``:

* ``0x01``: Ed25519 over the note text (c2sp.org/signed-note);
* ``0x04``: timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature), the
  signature bytes being ``timestamp(8, big-endian) ‖ Ed25519 signature(64)``
  over ``cosignature/v1\\ntime <t>\\n`` followed by the note text.

Steps of :func:`verify_note`: (1) parse the note; (2) match each signature to
a known key by name and key id, setting aside the rest as unknown, as the
spec requires; (3) verify every matched signature, rejecting the note when one
fails; (4) require at least one verified signature.

Stricter than the spec, on purpose: base64 must be canonical (so that no two
encodings of one signature exist), a key may sign a note only once, and a note
is limited to :data:`MAX_NOTE_BYTES` and :data:`MAX_SIGNATURES`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.verify.result import Reason, Verdict

SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_NOTE_BYTES = 128 * 1024  # room for the spec's 16 post-quantum signatures
MAX_SIGNATURES = 100
MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature: "MUST NOT exceed 2^63 - 1"
ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
KEY_ID_SIZE = 4
TIMESTAMP_SIZE = 8

_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


class SignatureType(IntEnum):
    """Signature type identifier bytes (c2sp.org/signed-note#signature-types) we verify."""

    ED25519 = 0x01
    COSIGNATURE_V1 = 0x04


def decode_base64_strict(text: str) -> bytes | None:
    """Standard padded base64 (RFC 4648 §4) in its one canonical form, else ``None``."""
    if len(text) % 4 or not _BASE64.fullmatch(text):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def is_valid_key_name(name: str) -> bool:
    """A key name is non-empty and has no Unicode space, plus sign or control character."""
    return bool(name) and "+" not in name and not any(ch.isspace() or ord(ch) < 0x20 for ch in name)


def compute_key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """The 4-byte key id: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def cosignature_message(timestamp: int, text: str) -> bytes:
    """The bytes a tlog-cosignature/v1 Ed25519 cosigner signs for ``text`` at ``timestamp``."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


@dataclass(frozen=True)
class VerifierKey:
    """A public key that may sign notes: its name, key id, type and raw public key."""

    name: str
    key_id: bytes
    sig_type: SignatureType
    public_key: bytes

    @classmethod
    def from_string(cls, text: str) -> VerifierKey:
        """Parse a verifier key string, raising ``VerificationError`` if it is not one."""
        return parse_verifier_key(text).unwrap()

    @classmethod
    def ed25519(cls, name: str, public_key: bytes, sig_type: SignatureType) -> VerifierKey:
        """The key of type ``sig_type`` for a raw Ed25519 public key, with its key id computed."""
        if not is_valid_key_name(name) or len(public_key) != ED25519_KEY_SIZE:
            raise ValueError("a key needs a valid name and a 32-byte Ed25519 public key")
        return cls(name, compute_key_id(name, sig_type, public_key), sig_type, public_key)

    @property
    def key_id_hex(self) -> str:
        """The key id as 8 lowercase hex digits."""
        return self.key_id.hex()

    def __str__(self) -> str:
        blob = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id_hex}+{blob}"


def parse_verifier_key(text: str) -> Verdict[VerifierKey]:
    """Parse ``<name>+<key id hex>+<base64(type ‖ public key)>`` and check its key id."""
    check = "verifier-key"
    name, _, rest = text.partition("+")
    key_id_hex, _, blob_b64 = rest.partition("+")
    if not is_valid_key_name(name):
        return Verdict.failed(check, Reason.MALFORMED, "the key name is empty or has a space or +")
    if not _KEY_ID_HEX.fullmatch(key_id_hex):
        return Verdict.failed(
            check, Reason.MALFORMED, "the key id is not 8 lowercase hex digits", key_id=key_id_hex
        )
    blob = decode_base64_strict(blob_b64)
    if not blob:
        return Verdict.failed(check, Reason.MALFORMED, "the key material is not canonical base64")
    try:
        sig_type = SignatureType(blob[0])
    except ValueError:
        return Verdict.failed(
            check, Reason.WRONG_ALGORITHM, "unsupported signature type", type=f"0x{blob[0]:02x}"
        )
    if len(blob) != 1 + ED25519_KEY_SIZE:
        return Verdict.failed(
            check, Reason.MALFORMED, "an Ed25519 key is 32 bytes", length=str(len(blob) - 1)
        )
    expected = compute_key_id(name, sig_type, blob[1:])
    if bytes.fromhex(key_id_hex) != expected:
        why = "the key id does not match the name and key"
        return Verdict.failed(check, Reason.MALFORMED, why, key_id=key_id_hex, want=expected.hex())
    key = VerifierKey(name, expected, sig_type, blob[1:])
    return Verdict.passed(check, key, key=str(key))


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key id and the signature bytes after the id."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def signer(self) -> str:
        """``<name>+<key id hex>``, how the spec names a key in messages."""
        return f"{self.name}+{self.key_id.hex()}"

    @property
    def line(self) -> str:
        """The signature line, newline included."""
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.name} {blob}\n"


@dataclass(frozen=True)
class Note:
    """A parsed, not yet verified, signed note: its text and signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        """The note in wire form: text, blank line, signature lines."""
        return self.text + "\n" + "".join(s.line for s in self.signatures)


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified, the key that made it, and a cosignature's timestamp."""

    key: VerifierKey
    signature: NoteSignature
    timestamp: int | None = None


@dataclass(frozen=True)
class VerifiedNote:
    """A note with at least one verified signature; unknown signatures set aside."""

    text: str
    verified: tuple[VerifiedSignature, ...]
    unknown: tuple[NoteSignature, ...]

    def signed_by(self, key: VerifierKey) -> bool:
        """Whether ``key`` made one of the verified signatures."""
        return any(v.key == key for v in self.verified)


def parse_note_text(text: str) -> Verdict[str]:
    """Check that ``text`` may be the text of a note: valid, non-empty, ends in a newline."""
    check = "note-text"
    if not text:
        return Verdict.failed(check, Reason.EMPTY, "the note text is empty")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return Verdict.failed(check, Reason.MALFORMED, "the note text is not valid Unicode")
    if size > MAX_NOTE_BYTES:
        return Verdict.failed(check, Reason.OVERSIZED, "the note is too large", size=str(size))
    if (bad := _CONTROL.search(text)) is not None:
        return Verdict.failed(
            check,
            Reason.MALFORMED,
            "the note has a control character other than newline",
            offset=str(bad.start()),
            char=f"U+{ord(bad.group()):04X}",
        )
    if not text.endswith("\n"):
        return Verdict.failed(check, Reason.MALFORMED, "the note does not end in a newline")
    return Verdict.passed(check, text)


def parse_note(data: str | bytes) -> Verdict[Note]:
    """Parse a signed note strictly, without verifying any signature."""
    check = "signed-note"
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            why = "the note is too large"
            return Verdict.failed(check, Reason.OVERSIZED, why, size=str(len(data)))
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            return Verdict.failed(
                check, Reason.MALFORMED, "the note is not valid UTF-8", offset=str(e.start)
            )
    checked = parse_note_text(data)
    if not checked:
        return checked.fail_as(check)
    split = data.rfind("\n\n")
    if split < 0:
        return Verdict.failed(check, Reason.MALFORMED, "no blank line before the signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block:
        return Verdict.failed(check, Reason.MALFORMED, "the note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        why = f"the note has more than {MAX_SIGNATURES} signatures"
        return Verdict.failed(check, Reason.OVERSIZED, why, count=str(len(lines)))
    signatures: list[NoteSignature] = []
    seen: set[tuple[str, bytes]] = set()
    for number, line in enumerate(lines, start=1):
        parsed = parse_signature_line(line)
        if not parsed:
            why = f"signature line {number}: {parsed.detail}"
            reason = parsed.reason or Reason.MALFORMED
            return Verdict.failed(check, reason, why, line=line[:200])
        sig = parsed.unwrap()
        if (sig.name, sig.key_id) in seen:
            return Verdict.failed(
                check, Reason.MALFORMED, "the same key signed the note twice", signer=sig.signer
            )
        seen.add((sig.name, sig.key_id))
        signatures.append(sig)
    return Verdict.passed(check, Note(text, tuple(signatures)))


def parse_signature_line(line: str) -> Verdict[NoteSignature]:
    """Parse one signature line, given without its newline."""
    check = "signature-line"
    if not line.startswith(SIGNATURE_PREFIX):
        return Verdict.failed(check, Reason.MALFORMED, "it does not start with '\u2014 '")
    name, space, blob_b64 = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or not is_valid_key_name(name):
        return Verdict.failed(check, Reason.MALFORMED, "the key name is missing or invalid")
    blob = decode_base64_strict(blob_b64)
    if blob is None:
        return Verdict.failed(check, Reason.MALFORMED, "the signature is not canonical base64")
    if len(blob) <= KEY_ID_SIZE:
        return Verdict.failed(check, Reason.TRUNCATED, "the signature is shorter than a key id")
    return Verdict.passed(check, NoteSignature(name, blob[:KEY_ID_SIZE], blob[KEY_ID_SIZE:]))


def verify_signature(key: VerifierKey, text: str, sig: NoteSignature) -> Verdict[VerifiedSignature]:
    """Verify one signature by ``key`` over the note ``text``, per the key's type."""
    check = "note-signature"
    evidence = {"signer": sig.signer}
    message = text.encode()
    timestamp: int | None = None
    raw = sig.signature
    if key.sig_type == SignatureType.COSIGNATURE_V1:
        if len(raw) != TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
            why = "a cosignature is 72 bytes after the key id"
            return Verdict.failed(check, Reason.BAD_SIGNATURE, why, size=str(len(raw)), **evidence)
        timestamp = int.from_bytes(raw[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            why = f"the cosignature timestamp {timestamp} exceeds 2^63 - 1"
            return Verdict.failed(check, Reason.BAD_SIGNATURE, why, **evidence)
        message = cosignature_message(timestamp, text)
        raw = raw[TIMESTAMP_SIZE:]
    elif len(raw) != ED25519_SIGNATURE_SIZE:
        why = "an Ed25519 signature is 64 bytes"
        return Verdict.failed(check, Reason.BAD_SIGNATURE, why, size=str(len(raw)), **evidence)
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw, message)
    except (InvalidSignature, ValueError):
        why = "the signature does not verify with the known key"
        return Verdict.failed(check, Reason.BAD_SIGNATURE, why, **evidence)
    if timestamp is not None:
        evidence["timestamp"] = str(timestamp)
    return Verdict.passed(check, VerifiedSignature(key, sig, timestamp), **evidence)


def verify_note(data: str | bytes, keys: Sequence[VerifierKey]) -> Verdict[VerifiedNote]:
    """Verify a signed note against ``keys``; see the module docstring for the steps.

    The verdict holds when every signature from a known key verifies and there
    is at least one.  Signatures from unknown keys are ignored, but listed in
    the value and in the evidence (``unknown``).
    """
    check = "signed-note"
    # (1) parse.
    parsed = parse_note(data)
    if not parsed:
        return parsed.fail_as(check)
    note = parsed.unwrap()
    known: dict[tuple[str, bytes], set[VerifierKey]] = {}
    for key in keys:
        known.setdefault((key.name, key.key_id), set()).add(key)
    verified: list[VerifiedSignature] = []
    unknown: list[NoteSignature] = []
    for sig in note.signatures:
        # (2) match by name and key id.
        candidates = known.get((sig.name, sig.key_id), set())
        if not candidates:
            unknown.append(sig)
            continue
        if len(candidates) > 1:
            why = "two different known keys share this name and key id"
            return Verdict.failed(check, Reason.MALFORMED, why, signer=sig.signer)
        # (3) verify.
        result = verify_signature(next(iter(candidates)), note.text, sig)
        if not result:
            return result.fail_as(check)
        verified.append(result.unwrap())
    unknown_list = ", ".join(s.signer for s in unknown)
    # (4) at least one.
    if not verified:
        return Verdict.failed(
            check, Reason.UNKNOWN_KEY, "no signature is from a known key", unknown=unknown_list
        )
    value = VerifiedNote(note.text, tuple(verified), tuple(unknown))
    signers = ", ".join(v.signature.signer for v in verified)
    return Verdict.passed(check, value, signers=signers, unknown=unknown_list)
