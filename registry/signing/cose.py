"""Signing COSE_Sign1 messages and signed statements with Ed25519."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.signing.keys import raw_public_key
from registry.signing.seal import Sealer
from registry.verify.canonical import decode_canonical
from registry.verify.cbor import MAX_CBOR_SIZE, encode_deterministic
from registry.verify.cose import (
    ALG_EDDSA,
    COSE_SIGN1_TAG,
    HEADER_ALG,
    HEADER_CONTENT_TYPE,
    HEADER_CWT_CLAIMS,
    HEADER_KID,
    key_id,
    sig_structure,
)
from registry.verify.statement import CONTENT_TYPE, CWT_IAT, CWT_ISS, CWT_SUB

_EMPTY_TAIL = b"\xa0\xf6\x40"
"""An empty map, nil and an empty byte string: the end of :meth:`CoseSigner.sign1_frame`'s
placeholder message, cut off to leave its prefix."""


class CoseSigner:
    """Signs COSE_Sign1 messages with one Ed25519 key; the kid is SHA-256 of its public key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = raw_public_key(key)
        self.kid = key_id(self.public_key)
        self._last: tuple[bytes, bytes, bytes] | None = None

    def sealer(self, purpose: str) -> Sealer:
        """A :class:`Sealer` for ``purpose`` under a key derived from this signer's key."""
        return Sealer(self._key, purpose)

    def sign1(
        self,
        protected: Mapping[int, Any],
        unprotected: Mapping[int, Any],
        payload: bytes,
        *,
        detached: bool = False,
    ) -> bytes:
        """A tagged COSE_Sign1 over ``payload``; with ``detached`` the payload is left out (nil).

        ``alg`` and ``kid`` are added to the protected header.
        """
        header = {HEADER_ALG: ALG_EDDSA, HEADER_KID: self.kid, **protected}
        protected_bytes = encode_deterministic(header)
        # Ed25519 is deterministic: the receipts of one batch share protected header and
        # root, so their one signature is computed once, not once per entry.
        last = self._last
        if last is not None and last[0] == protected_bytes and last[1] == payload:
            signature = last[2]
        else:
            signature = self._key.sign(sig_structure(protected_bytes, payload))
            self._last = (protected_bytes, payload, signature)
        body = [protected_bytes, dict(unprotected), None if detached else payload, signature]
        return encode_deterministic(cbor2.CBORTag(COSE_SIGN1_TAG, body))

    def sign1_frame(
        self, protected: Mapping[int, Any], payload: bytes, *, detached: bool = False
    ) -> tuple[bytes, bytes]:
        """:meth:`sign1`'s bytes before and after the unprotected header, signed once.

        ``prefix + encode_deterministic(unprotected) + suffix`` is exactly
        ``sign1(protected, unprotected, payload, detached=detached)``: a CBOR
        array's encoding is its head and its elements' encodings in order.  So
        messages that differ only in their unprotected header (the receipts of
        one batch) cost one signature and one header encoding between them.
        """
        header = {HEADER_ALG: ALG_EDDSA, HEADER_KID: self.kid, **protected}
        protected_bytes = encode_deterministic(header)
        signature = self._key.sign(sig_structure(protected_bytes, payload))
        head = encode_deterministic(cbor2.CBORTag(COSE_SIGN1_TAG, [protected_bytes, {}, None, b""]))
        # head ends with the empty map (a0), nil (f6) and the empty byte string (40)
        prefix = head[: -len(_EMPTY_TAIL)]
        suffix = encode_deterministic(None if detached else payload)
        return prefix, suffix + encode_deterministic(signature)

    def sign_statement(
        self, payload: Mapping[str, Any], issuer: str, issued_at: int | None = None
    ) -> bytes:
        """A signed statement (docs/formats.md) for a record whose ``type`` is in ``payload``.

        In its one accepted encoding: tagged 18, deterministic CBOR inside and out, an
        empty unprotected header.  Raises ``ValueError`` for a payload no verifier would
        read (a float, an integer beyond 2^53 - 1, a tag...) rather than sign it.
        """
        statement_type = payload.get("type")
        if not isinstance(statement_type, str) or not statement_type:
            raise ValueError("a record needs a text 'type'")
        claims = {
            CWT_ISS: issuer,
            CWT_SUB: statement_type,
            CWT_IAT: int(time.time()) if issued_at is None else issued_at,
        }
        protected = {HEADER_CONTENT_TYPE: CONTENT_TYPE, HEADER_CWT_CLAIMS: claims}
        encoded = encode_deterministic(dict(payload))
        readable = decode_canonical(encoded, "payload", MAX_CBOR_SIZE)
        if not readable.ok:
            raise ValueError(f"the payload is outside the registry's CBOR: {readable.detail}")
        return self.sign1(protected, {}, encoded)
