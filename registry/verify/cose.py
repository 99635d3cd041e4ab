"""COSE_Sign1 (RFC 9052) parsing and Ed25519 signature checks.

Only what the registry speaks: EdDSA (alg -8) with Ed25519 keys, the kid
being SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from registry.verify.canonical import decode_canonical
from registry.verify.cbor import MAX_CBOR_SIZE, decode, encode_deterministic
from registry.verify.result import Reason, Verdict

COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_CONTENT_TYPE = 3
HEADER_KID = 4
HEADER_CWT_CLAIMS = 15
ALG_EDDSA = -8
ED25519_SIGNATURE_SIZE = 64
ED25519_KEY_SIZE = 32


def key_id(public_key: bytes) -> bytes:
    """The registry's kid for a raw Ed25519 public key: its SHA-256."""
    return hashlib.sha256(public_key).digest()


def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """The bytes a COSE_Sign1 signature covers (RFC 9052 §4.4)."""
    return encode_deterministic(["Signature1", protected, external_aad, payload])


@dataclass(frozen=True)
class Sign1:
    """A parsed COSE_Sign1 message; ``protected_bytes`` is kept as signed."""

    protected_bytes: bytes
    protected: dict[Any, Any]
    unprotected: dict[Any, Any]
    payload: bytes | None
    signature: bytes
    raw: bytes = field(repr=False)

    @property
    def kid(self) -> bytes | None:
        """The protected kid, if any (an unprotected kid is not trusted)."""
        kid = self.protected.get(HEADER_KID)
        return kid if isinstance(kid, bytes) else None


def parse_sign1(
    data: bytes,
    what: str = "COSE_Sign1",
    max_size: int = MAX_CBOR_SIZE,
    *,
    canonical: bool = True,
) -> Verdict[Sign1]:
    """Parse a COSE_Sign1 whose algorithm is EdDSA.

    By default the message must be in its one accepted encoding: tagged 18,
    and the message and its protected header in the registry's CBOR profile
    (:func:`registry.verify.canonical.decode_canonical`, deterministic CBOR);
    a message that differs only in how it is encoded is refused as
    ``non-canonical-encoding``.  What the unprotected header may hold depends
    on the kind of message: the caller checks it.

    ``canonical=False`` reads any CBOR encoding, tagged or not: only for
    reading back entries already in the log, never to decide whether to trust
    bytes.
    """
    check = f"parse {what}"
    decoded = decode_canonical(data, what, max_size) if canonical else decode(data, what, max_size)
    if not decoded.ok:
        return _encoding_fault(decoded, check)
    item = decoded.value
    if isinstance(item, cbor2.CBORTag):
        if item.tag != COSE_SIGN1_TAG:
            return Verdict.failed(
                check, Reason.WRONG_TYPE, f"{what} has CBOR tag {item.tag}, not COSE_Sign1 (18)"
            )
        item = item.value
    elif canonical and isinstance(item, list):
        return Verdict.failed(
            check, Reason.NON_CANONICAL, f"{what} is not tagged 18 (COSE_Sign1)", tag="none"
        )
    if not isinstance(item, list) or len(item) != 4:
        return Verdict.failed(check, Reason.WRONG_TYPE, f"{what} is not a 4-item COSE_Sign1 array")
    protected_bytes, unprotected, payload, signature = item
    if not isinstance(protected_bytes, bytes):
        return Verdict.failed(check, Reason.MALFORMED, "protected header must be a byte string")
    if not isinstance(unprotected, dict):
        return Verdict.failed(check, Reason.MALFORMED, "unprotected header must be a map")
    if payload is not None and not isinstance(payload, bytes):
        return Verdict.failed(check, Reason.MALFORMED, "payload must be a byte string or nil")
    if not isinstance(signature, bytes):
        return Verdict.failed(check, Reason.MALFORMED, "signature must be a byte string")
    protected: dict[Any, Any] = {}
    if protected_bytes:
        header = (
            decode_canonical(protected_bytes, "protected header", max_size)
            if canonical
            else decode(protected_bytes, "protected header")
        )
        if not header.ok:
            return _encoding_fault(header, check)
        if not isinstance(header.value, dict):
            return Verdict.failed(check, Reason.MALFORMED, "protected header must encode a map")
        protected = header.value
    alg = protected.get(HEADER_ALG)
    if alg != ALG_EDDSA:
        return Verdict.failed(
            check,
            Reason.WRONG_ALGORITHM,
            f"{what} uses algorithm {alg!r}; only EdDSA (-8) with Ed25519 is accepted",
        )
    if len(signature) != ED25519_SIGNATURE_SIZE:
        return Verdict.failed(
            check,
            Reason.MALFORMED,
            f"an Ed25519 signature is 64 bytes, this one is {len(signature)}",
        )
    return Verdict.passed(
        check, Sign1(protected_bytes, protected, unprotected, payload, signature, bytes(data))
    )


def unprotected_empty(message: Sign1, check: str, what: str) -> Verdict[Any] | None:
    """The failed ``check`` if ``message``'s unprotected header is not empty, as ``what``'s
    must be (it is not signed: anyone could add to it); else None."""
    if not message.unprotected:
        return None
    return Verdict.failed(
        check,
        Reason.NON_CANONICAL,
        f"{what}'s unprotected header is empty: everything it says is signed",
        labels=" ".join(sorted(str(label) for label in message.unprotected)),
    )


def _encoding_fault(verdict: Verdict[Any], check: str) -> Verdict[Sign1]:
    """A decoding refusal of the envelope; a non-deterministic one is a non-canonical encoding."""
    failed = verdict.fail_as(check)
    if failed.reason is Reason.NOT_DETERMINISTIC:
        return Verdict.failed(check, Reason.NON_CANONICAL, failed.detail, **failed.evidence)
    return failed


def content_digest(message: Sign1, payload: bytes | None = None) -> bytes:
    """SHA-256 of what ``message``'s signature covers (its Sig_structure, RFC 9052 §4.4).

    Two messages with the same digest say the same thing under the same
    protected header, whatever bytes their signatures are: the registry keeps
    one entry per digest.  ``payload`` is the detached payload, if any.
    """
    body = payload if payload is not None else message.payload
    return hashlib.sha256(sig_structure(message.protected_bytes, body or b"")).digest()


def verify_signature(
    message: Sign1, public_key: bytes, payload: bytes | None = None, what: str = "signature"
) -> Verdict[None]:
    """Check ``message``'s Ed25519 signature with ``public_key``.

    ``payload`` is the detached payload; without it the attached one is used.
    """
    check = f"verify {what}"
    body = payload if payload is not None else message.payload
    if body is None:
        return Verdict.failed(check, Reason.MALFORMED, "no payload to check the signature over")
    if len(public_key) != ED25519_KEY_SIZE:
        return Verdict.failed(check, Reason.MALFORMED, "an Ed25519 public key is 32 bytes")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            message.signature, sig_structure(message.protected_bytes, body)
        )
    except InvalidSignature:
        return Verdict.failed(
            check,
            Reason.BAD_SIGNATURE,
            f"the {what} does not match the signer's key",
            kid=key_id(public_key).hex(),
        )
    except ValueError as exc:
        return Verdict.failed(check, Reason.MALFORMED, f"unusable public key: {exc}")
    return Verdict.passed(check, kid=key_id(public_key).hex())
