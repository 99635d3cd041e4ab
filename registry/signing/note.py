"""Signing C2SP signed notes and tlog-cosignature/v1 cosignatures with Ed25519.

The verifying side is :mod:`registry.verify.note`; this module only makes
signatures.  One Ed25519 key and one name give two signers in the C2SP sense:
type ``0x01`` (plain note signatures, what a log signs its checkpoints with)
and type ``0x04`` (timestamped cosignatures, what a witness adds).  Each has
its own key id, SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], and its own
verifier key string.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from registry.verify.checkpoint import parse_checkpoint
from registry.verify.note import (
    MAX_TIMESTAMP,
    Note,
    NoteSignature,
    SignatureType,
    VerifierKey,
    cosignature_message,
    is_valid_key_name,
    parse_note,
    parse_note_text,
)


class NoteSigner:
    """Signs notes, and cosigns checkpoints, as ``name`` with an Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey, name: str) -> None:
        if not is_valid_key_name(name):
            raise ValueError(f"invalid key name {name!r}: empty, or has a space or '+'")
        self._private_key = private_key
        self.name = name
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier_key = VerifierKey.ed25519(name, self.public_key, SignatureType.ED25519)
        self.cosignature_verifier_key = VerifierKey.ed25519(
            name, self.public_key, SignatureType.COSIGNATURE_V1
        )

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A signer with a fresh random key."""
        return cls(Ed25519PrivateKey.generate(), name)

    @property
    def key_id(self) -> bytes:
        """The 4-byte key id of the type-0x01 (note signature) key."""
        return self.verifier_key.key_id

    @property
    def cosignature_key_id(self) -> bytes:
        """The 4-byte key id of the type-0x04 (cosignature) key."""
        return self.cosignature_verifier_key.key_id

    @property
    def verifier_key_string(self) -> str:
        """``<name>+<key id hex>+<base64(0x01 ‖ public key)>``, what verifiers configure."""
        return str(self.verifier_key)

    @property
    def cosignature_verifier_key_string(self) -> str:
        """``<name>+<key id hex>+<base64(0x04 ‖ public key)>``, what a witness publishes."""
        return str(self.cosignature_verifier_key)

    def signature(self, text: str) -> NoteSignature:
        """The type-0x01 Ed25519 signature of the note text ``text``."""
        _check_text(text)
        return NoteSignature(self.name, self.key_id, self._private_key.sign(text.encode()))

    def sign(self, text: str) -> str:
        """A signed note: ``text``, a blank line, and this key's signature line."""
        return Note(text, (self.signature(text),)).render()

    def add_signature(self, note_text: str) -> str:
        """Add this key's signature to an already signed note, keeping the others.

        A signature this key made before is replaced (a key signs a note once).
        Raises ``ValueError`` when ``note_text`` is not a well-formed signed note.
        """
        parsed = parse_note(note_text)
        if not parsed:
            raise ValueError(parsed.explain())
        note = parsed.unwrap()
        mine = self.signature(note.text)
        others = tuple(s for s in note.signatures if (s.name, s.key_id) != (mine.name, mine.key_id))
        return Note(note.text, (*others, mine)).render()

    def cosignature(self, checkpoint_body: str, timestamp: int) -> NoteSignature:
        """The tlog-cosignature/v1 signature of a checkpoint body at POSIX time ``timestamp``."""
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise ValueError(f"timestamp {timestamp} is outside 0..2^63-1")
        parsed = parse_checkpoint(checkpoint_body)
        if not parsed:
            raise ValueError(parsed.explain())
        _check_text(checkpoint_body)
        sig = self._private_key.sign(cosignature_message(timestamp, checkpoint_body))
        return NoteSignature(self.name, self.cosignature_key_id, timestamp.to_bytes(8, "big") + sig)

    def cosign(self, checkpoint_body: str, timestamp: int) -> str:
        """The cosignature line (``— <name> <base64>`` and newline) for a checkpoint body."""
        return self.cosignature(checkpoint_body, timestamp).line


def _check_text(text: str) -> None:
    checked = parse_note_text(text)
    if not checked:
        raise ValueError(checked.explain())
