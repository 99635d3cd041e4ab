"""COSE Receipts (RFC 9942) with the RFC9162_SHA256 verifiable data structure.

Steps of :func:`verify_receipt`:
(1) parse the COSE_Sign1 (EdDSA only, its one accepted encoding), check vds =
    RFC9162_SHA256, a detached payload and the claims ``{1: origin, 6: iat}``;
(2) the kid names a registry key the caller trusts;
(3) the unprotected header holds the proofs (396) and the leaf (-65537) and
    nothing else; exactly one inclusion proof `[tree_size, leaf_index, path]`
    in vdp, its size the one the registry signed (protected label -65538:
    RFC 9942 signs only the root, so without it a proof's size could be
    restated);
(4) the leaf bytes (unprotected label -65537) parse, their index is the proof's,
    and, when the statement is given, they log that statement's SHA-256;
(5) compute the root from the leaf hash and the proof;
(6) the registry's signature over that root (the detached payload) holds, by a
    key valid for the tree size when the caller gives the keys' validity;
(7) when the caller names the log it trusts, the receipt's origin is that log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from registry.verify.canonical import decode_canonical
from registry.verify.cbor import MAX_CBOR_SIZE
from registry.verify.cose import HEADER_CWT_CLAIMS, parse_sign1, verify_signature
from registry.verify.leaf import Leaf, decode_leaf
from registry.verify.merkle import leaf_hash, root_from_inclusion_proof
from registry.verify.result import Reason, Verdict
from registry.verify.statement import KeyLookup, registry_key
from registry.verify.validity import Validity, outside_validity

HEADER_VDS = 395
HEADER_VDP = 396
HEADER_LEAF = -65537
HEADER_TREE_SIZE = -65538
VDS_RFC9162_SHA256 = 1
VDP_INCLUSION = -1
CLAIM_ORIGIN = 1
CLAIM_IAT = 6


@dataclass(frozen=True)
class ReceiptInfo:
    """What a verified receipt proves: this leaf is at ``index`` in the tree of ``tree_size``."""

    tree_size: int
    index: int
    root: bytes
    leaf: Leaf
    leaf_bytes: bytes
    leaf_hash: bytes
    kid: bytes
    origin: str
    issued_at: int
    proof: tuple[bytes, ...]


def signed_claims(protected: dict[Any, Any]) -> tuple[str, int] | None:
    """The registry's claims ``{1: origin, 6: iat}`` in a protected header, if well formed."""
    claims = protected.get(HEADER_CWT_CLAIMS)
    origin = claims.get(CLAIM_ORIGIN) if isinstance(claims, dict) else None
    iat = claims.get(CLAIM_IAT) if isinstance(claims, dict) else None
    if not isinstance(origin, str) or not isinstance(iat, int) or isinstance(iat, bool):
        return None
    return origin, iat


def from_another_log(
    check: str, what: str, claimed: str, origin: str | None
) -> Verdict[Any] | None:
    """The failed ``check`` if ``what`` names a log (``claimed``) other than ``origin``, the
    one the caller trusts (if it named one); else None."""
    if origin is None or claimed == origin:
        return None
    why = f"{what} is from another log"
    return Verdict.failed(check, Reason.WRONG_ORIGIN, why, expected=origin, found=claimed)


def _inclusion_proof(unprotected: dict[Any, Any]) -> tuple[int, int, list[bytes]] | Verdict[Any]:
    """The one inclusion proof in the unprotected header, or the failed check saying why not."""
    check = "receipt"
    vdp = unprotected.get(HEADER_VDP)
    if not isinstance(vdp, dict):
        why = "the receipt has no verifiable data proof map (label 396)"
        return Verdict.failed(check, Reason.MALFORMED, why)
    proofs = vdp.get(VDP_INCLUSION)
    if not isinstance(proofs, list) or len(proofs) != 1 or not isinstance(proofs[0], bytes):
        why = "the receipt must hold exactly one encoded inclusion proof (label -1)"
        return Verdict.failed(check, Reason.MALFORMED, why)
    decoded = decode_canonical(proofs[0], "inclusion proof", MAX_CBOR_SIZE)
    if not decoded.ok:
        return decoded.fail_as(check)
    item = decoded.value
    why = ""
    if not isinstance(item, list) or len(item) != 3:
        why = "an inclusion proof is [tree_size, leaf_index, path]"
    else:
        size, index, path = item
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            why = "tree_size must be a positive integer"
        elif not isinstance(index, int) or isinstance(index, bool) or index < 0:
            why = "leaf_index must be a non-negative integer"
        elif not isinstance(path, list) or not all(isinstance(h, bytes) for h in path):
            why = "the inclusion path must be an array of byte strings"
    if why:
        return Verdict.failed(check, Reason.MALFORMED, why)
    return size, index, path


_UNPROTECTED_LABELS = frozenset({HEADER_VDP, HEADER_LEAF})
_VDP_LABELS = frozenset({VDP_INCLUSION})


def signed_tree_size(receipt: bytes) -> int | None:
    """The tree size a receipt's protected header states (label -65538), without verifying it.

    A hint only (which leaf tiles a reader fetches before checking the receipt
    with :func:`verify_receipt`); ``None`` if the bytes do not state one.
    """
    parsed = parse_sign1(receipt, "receipt")
    if not parsed.ok or parsed.value is None:
        return None
    size = parsed.value.protected.get(HEADER_TREE_SIZE)
    return size if type(size) is int and size > 0 else None


def _extra_labels(header: dict[Any, Any], allowed: frozenset[int]) -> list[str]:
    return sorted(str(label) for label in header if label not in allowed or type(label) is not int)


def verify_receipt(
    receipt: bytes,
    registry_keys: KeyLookup,
    statement: bytes | None = None,
    origin: str | None = None,
    validity: Validity | None = None,
) -> Verdict[ReceiptInfo]:
    """Verify a receipt alone, against the registry's public keys.

    With ``validity``, the key must be one announced for the receipt's tree size
    (:mod:`registry.verify.validity`).

    With ``statement`` (the signed statement bytes) it also checks that the
    receipt is for that statement; with ``origin``, that it is from that log.
    The value is a :class:`ReceiptInfo`.
    """
    check = "receipt"
    # (1)
    parsed = parse_sign1(receipt, "receipt")
    if not parsed.ok or parsed.value is None:
        return parsed.fail_as(check)
    message = parsed.value
    vds = message.protected.get(HEADER_VDS)
    if vds != VDS_RFC9162_SHA256:
        return Verdict.failed(
            check,
            Reason.WRONG_ALGORITHM,
            f"verifiable data structure {vds!r} is not RFC9162_SHA256 (1)",
        )
    if message.payload is not None:
        return Verdict.failed(check, Reason.MALFORMED, "a receipt's payload must be detached (nil)")
    claims = signed_claims(message.protected)
    if claims is None:
        return Verdict.failed(
            check, Reason.MALFORMED, "the receipt's claims are {1: origin, 6: iat}"
        )
    # (2)
    signer = registry_key(message, registry_keys, check, "the receipt")
    if isinstance(signer, Verdict):
        return signer
    kid, public_key = signer
    # (3)
    extra = _extra_labels(message.unprotected, _UNPROTECTED_LABELS)
    vdp = message.unprotected.get(HEADER_VDP)
    extra += _extra_labels(vdp, _VDP_LABELS) if isinstance(vdp, dict) else []
    if extra:
        return Verdict.failed(
            check,
            Reason.NON_CANONICAL,
            "a receipt's unprotected header holds its inclusion proof and leaf, nothing else",
            labels=" ".join(extra),
        )
    proof = _inclusion_proof(message.unprotected)
    if isinstance(proof, Verdict):
        return proof
    size, index, path = proof
    signed_size = message.protected.get(HEADER_TREE_SIZE)
    if signed_size != size:
        return Verdict.failed(
            check,
            Reason.SIZE_MISMATCH,
            "the proof is for another tree size than the signed one",
            proof_size=str(size),
            signed_size=str(signed_size),
        )
    # (4)
    leaf_bytes = message.unprotected.get(HEADER_LEAF)
    if not isinstance(leaf_bytes, bytes):
        return Verdict.failed(check, Reason.MALFORMED, "the receipt carries no leaf (label -65537)")
    leaf = decode_leaf(leaf_bytes)
    if not leaf.ok or leaf.value is None:
        return leaf.fail_as(check)
    if leaf.value.index != index:
        return Verdict.failed(
            check,
            Reason.WRONG_LEAF,
            "the leaf's index is not the proof's",
            leaf_index=str(leaf.value.index),
            proof_index=str(index),
        )
    if statement is not None:
        digest = hashlib.sha256(statement).digest()
        if digest != leaf.value.statement_sha256:
            return Verdict.failed(
                check,
                Reason.WRONG_STATEMENT,
                "the receipt logs another statement",
                statement_sha256=digest.hex(),
                leaf_statement_sha256=leaf.value.statement_sha256.hex(),
            )
    # (5)
    hashed = leaf_hash(leaf_bytes)
    computed = root_from_inclusion_proof(index, size, hashed, path)
    if not computed.ok or computed.value is None:
        return computed.fail_as(check)
    root = computed.value
    # (6)
    signed = verify_signature(message, public_key, payload=root, what="receipt signature")
    if not signed.ok:
        return Verdict.failed(
            check,
            Reason.BAD_SIGNATURE,
            "the registry's signature does not cover the root computed from this leaf and proof",
            computed_root=root.hex(),
            kid=kid.hex(),
        )
    # (6b)
    retired = outside_validity(check, "the receipt", public_key, size, validity)
    if retired is not None:
        return retired
    claimed, issued_at = claims
    # (7)
    elsewhere = from_another_log(check, "the receipt", claimed, origin)
    if elsewhere is not None:
        return elsewhere
    info = ReceiptInfo(
        tree_size=size,
        index=index,
        root=root,
        leaf=leaf.value,
        leaf_bytes=leaf_bytes,
        leaf_hash=hashed,
        kid=kid,
        origin=claimed,
        issued_at=issued_at,
        proof=tuple(path),
    )
    return Verdict.passed(check, info, root=root.hex(), tree_size=str(size), index=str(index))
