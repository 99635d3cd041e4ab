"""Signed statements: a COSE_Sign1 over a deterministic-CBOR record.

Steps of :func:`verify_statement`:
(1) parse the COSE_Sign1 strictly (EdDSA only), in its one accepted encoding:
    tagged 18, deterministic CBOR inside and out, an empty unprotected header;
(2) the protected kid names a key the caller trusts, and is that key's SHA-256;
(3) the Ed25519 signature holds;
(4) the payload is a deterministic CBOR map with a text ``type``;
(5) the CWT claims (issuer, subject = type, issued-at) are well formed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.verify.canonical import decode_canonical
from registry.verify.cbor import MAX_CBOR_SIZE, decode
from registry.verify.cose import (
    HEADER_CONTENT_TYPE,
    HEADER_CWT_CLAIMS,
    Sign1,
    content_digest,
    key_id,
    parse_sign1,
    unprotected_empty,
    verify_signature,
)
from registry.verify.result import Reason, Verdict

CWT_ISS = 1
CWT_SUB = 2
CWT_IAT = 6
CONTENT_TYPE = "application/cbor"

KeyLookup = Mapping[bytes, bytes] | Callable[[bytes], bytes | None]
"""kid → raw Ed25519 public key, as a mapping or a function returning None if unknown."""


@dataclass(frozen=True)
class Statement:
    """A verified signed statement.

    ``sha256`` is the SHA-256 of its bytes (what the log's leaf records);
    ``content_sha256`` that of what its signature covers (protected header and
    payload): the same statement signed twice has two ``sha256`` and one
    ``content_sha256``.
    """

    statement_type: str
    payload: dict[str, Any]
    kid: bytes
    public_key: bytes
    issuer: str
    issued_at: int
    sha256: bytes
    content_sha256: bytes
    raw: bytes = field(repr=False)


def lookup_key(keys: KeyLookup, kid: bytes) -> bytes | None:
    """Find the public key for ``kid`` in a mapping or lookup function."""
    if callable(keys):
        return keys(kid)
    return keys.get(kid)


def registry_key(
    message: Sign1, registry_keys: KeyLookup, check: str, what: str
) -> tuple[bytes, bytes] | Verdict[Any]:
    """The (kid, public key) of the registry key ``message`` is signed with, by its kid.

    Or the failed ``check`` to return, unless the protected kid names a trusted
    key whose SHA-256 it is; ``what`` names the message ("the receipt").
    """
    kid = message.kid
    public_key = lookup_key(registry_keys, kid) if kid is not None else None
    if kid is None or public_key is None or key_id(public_key) != kid:
        return Verdict.failed(
            check,
            Reason.UNKNOWN_KEY,
            f"{what} is signed by a key that is not a registry key",
            kid=kid.hex() if kid else "",
        )
    return kid, public_key


def _claims(message: Sign1) -> tuple[str, str, int] | str:
    claims = message.protected.get(HEADER_CWT_CLAIMS)
    if not isinstance(claims, dict):
        return "the protected header has no CWT claims (label 15)"
    iss, sub, iat = claims.get(CWT_ISS), claims.get(CWT_SUB), claims.get(CWT_IAT)
    if not isinstance(iss, str) or not iss:
        return "CWT claim iss (1) must be non-empty text"
    if not isinstance(sub, str) or not sub:
        return "CWT claim sub (2) must name the statement type"
    if not isinstance(iat, int) or isinstance(iat, bool) or iat < 0:
        return "CWT claim iat (6) must be a non-negative integer"
    return iss, sub, iat


def verify_statement(data: bytes, keys: KeyLookup) -> Verdict[Statement]:
    """Verify a signed statement against trusted keys; the value is the :class:`Statement`."""
    check = "signed statement"
    # (1)
    parsed = parse_sign1(data, "signed statement")
    if not parsed.ok or parsed.value is None:
        return parsed.fail_as(check)
    message = parsed.value
    unsigned = unprotected_empty(message, check, "a signed statement")
    if unsigned is not None:
        return unsigned
    # (2)
    kid = message.kid
    if kid is None or len(kid) != 32:
        return Verdict.failed(check, Reason.MALFORMED, "the protected header has no 32-byte kid")
    public_key = lookup_key(keys, kid)
    if public_key is None:
        return Verdict.failed(
            check,
            Reason.UNKNOWN_KEY,
            "the statement is signed by a key that is not trusted here",
            kid=kid.hex(),
        )
    if key_id(public_key) != kid:
        return Verdict.failed(
            check,
            Reason.UNKNOWN_KEY,
            "the kid is not the SHA-256 of the key it names",
            kid=kid.hex(),
            key_sha256=key_id(public_key).hex(),
        )
    # (3)
    signed = verify_signature(message, public_key, what="statement signature")
    if not signed.ok:
        return signed.fail_as(check)
    # (4), (5)
    return _read_body(message, data, kid, public_key, _decode_payload)


def _decode_payload(data: bytes, what: str) -> Verdict[Any]:
    return decode_canonical(data, what, MAX_CBOR_SIZE)


def statement_content(data: bytes) -> bytes | None:
    """What :attr:`Statement.content_sha256` will be for ``data``, found without verifying it.

    ``None`` when ``data`` is no COSE_Sign1 in its one accepted encoding with a
    payload (it cannot verify then).  For looking up, before the dear checks,
    whether the log has this statement already, however signed.
    """
    parsed = parse_sign1(data, "signed statement")
    if not parsed.ok or parsed.value is None or parsed.value.payload is None:
        return None
    return content_digest(parsed.value)


def read_verified_statement(data: bytes, public_key: bytes) -> Verdict[Statement]:
    """The :class:`Statement` of bytes that :func:`verify_statement` already accepted.

    For a caller that verified these exact bytes with ``public_key`` elsewhere
    (another process of its own) and must not pay for the signature check and
    the determinism re-encoding twice: steps (1), (2), (4) and (5) without
    the signature and with a plain decode.  Never use it on bytes nobody checked.
    """
    check = "signed statement"
    parsed = parse_sign1(data, "signed statement")
    if not parsed.ok or parsed.value is None:
        return parsed.fail_as(check)
    message = parsed.value
    kid = key_id(public_key)
    if message.kid != kid:
        return Verdict.failed(
            check, Reason.UNKNOWN_KEY, "the statement's kid is not the key it was checked with"
        )
    return _read_body(message, data, kid, public_key, decode)


def _read_body(
    message: Sign1,
    data: bytes,
    kid: bytes,
    public_key: bytes,
    decode_payload: Callable[[bytes, str], Verdict[Any]],
) -> Verdict[Statement]:
    check = "signed statement"
    if message.payload is None:
        return Verdict.failed(check, Reason.MALFORMED, "a signed statement carries its payload")
    body = decode_payload(message.payload, "statement payload")
    if not body.ok:
        return body.fail_as(check)
    payload = body.value
    if not isinstance(payload, dict) or not all(isinstance(k, str) for k in payload):
        return Verdict.failed(check, Reason.MALFORMED, "the payload must be a map with text keys")
    statement_type = payload.get("type")
    if not isinstance(statement_type, str) or not statement_type:
        return Verdict.failed(check, Reason.MALFORMED, "the payload has no text 'type'")
    # (5)
    content_type = message.protected.get(HEADER_CONTENT_TYPE)
    if content_type != CONTENT_TYPE:
        return Verdict.failed(
            check, Reason.MALFORMED, f"content type must be {CONTENT_TYPE!r}, not {content_type!r}"
        )
    claims = _claims(message)
    if isinstance(claims, str):
        return Verdict.failed(check, Reason.MALFORMED, claims)
    issuer, subject, issued_at = claims
    if subject != statement_type:
        return Verdict.failed(
            check,
            Reason.MALFORMED,
            f"CWT sub {subject!r} differs from the payload type {statement_type!r}",
        )
    return Verdict.passed(
        check,
        Statement(
            statement_type=statement_type,
            payload=payload,
            kid=kid,
            public_key=public_key,
            issuer=issuer,
            issued_at=issued_at,
            sha256=hashlib.sha256(data).digest(),
            content_sha256=content_digest(message),
            raw=bytes(data),
        ),
        kid=kid.hex(),
        type=statement_type,
    )
