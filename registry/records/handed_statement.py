"""A verified statement as a follower hands it to the sequencer: read once, not twice.

A follower verifies a statement (signature, encoding, claims) and hands it to
the sequencer with the key it checked it with (``handoff.py``).  The
sequencer needs it as a :class:`Statement` to admit it; reading that again
from the COSE bytes (:func:`read_verified_statement`: the envelope, the
payload's CBOR, the content digest) was about 47 µs of its serial cycle.  So
the follower also sends what it read, as MessagePack, which the sequencer
decodes in a few microseconds.

The trust is the one the hand-off already places in the follower's word
"checked with key K": only the registry's own processes reach the socket.
Where it is cheap, what is sent is checked to be these bytes' reading: the
kid in the bytes' protected header must be K's (else the sequencer reads and
verifies the bytes in full, as for a claim of a check with another key), the
bytes' SHA-256 is computed here, not sent.  A payload that MessagePack does
not carry back exactly (a CBOR tag, a set, a decimal) is not sent at all:
the sequencer then reads the bytes as before.
"""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2
import msgspec

from registry.verify.cose import HEADER_KID, key_id
from registry.verify.statement import Statement

_Fields = tuple[str, dict[str, Any], str, int, bytes]
"""statement type, payload, issuer, issued-at, content SHA-256."""

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_Fields)


def encode_read(statement: Statement) -> bytes | None:
    """``statement``'s reading to send along with its bytes; None if it does not survive
    MessagePack unchanged (the sequencer then reads the bytes itself)."""
    fields = (
        statement.statement_type,
        statement.payload,
        statement.issuer,
        statement.issued_at,
        statement.content_sha256,
    )
    try:
        encoded = _encoder.encode(fields)
        same = _decoder.decode(encoded) == fields
    except (TypeError, ValueError, msgspec.MsgspecError):  # a type MessagePack has not
        return None
    return encoded if same else None


def decode_read(encoded: bytes | memoryview, data: bytes, public_key: bytes) -> Statement | None:
    """The :class:`Statement` of ``data`` (checked with ``public_key``) from ``encoded``;
    None if ``encoded`` is malformed or ``data``'s kid is not ``public_key``'s (the
    sequencer then reads and checks ``data`` itself)."""
    try:
        statement_type, payload, issuer, issued_at, content_sha256 = _decoder.decode(encoded)
    except msgspec.MsgspecError:
        return None
    kid = key_id(public_key)
    if payload.get("type") != statement_type or _protected_kid(data) != kid:
        return None
    return Statement(
        statement_type=statement_type,
        payload=payload,
        kid=kid,
        public_key=public_key,
        issuer=issuer,
        issued_at=issued_at,
        sha256=hashlib.sha256(data).digest(),
        content_sha256=content_sha256,
        raw=data,
    )


def _protected_kid(data: bytes) -> object:
    """The kid in the protected header of COSE_Sign1 ``data``; None if it has none."""
    try:
        envelope = cbor2.loads(data)
        protected = cbor2.loads(envelope.value[0])
        return protected.get(HEADER_KID)
    except (cbor2.CBORError, ValueError, TypeError, AttributeError, IndexError, KeyError):
        return None
