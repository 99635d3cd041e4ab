"""COSE Receipts (RFC 9942) with the RFC9162_SHA256 verifiable data structure.

Steps of :func:`verify_receipt`:
(1) parse the COSE_Sign1 (EdDSA only) and check vds = RFC9162_SHA256;
(2) the kid names a registry key the caller trusts;
(3) exactly one inclusion proof `[tree_size, leaf_index, path]` in vdp, its
    size the one the registry signed (protected label -65538: RFC 9942 signs
    only the root, so without it a proof's size could be restated);
(4) the leaf bytes (unprotected label -65537) parse, their index is the proof's,
    and, when the statement is given, they log that statement's SHA-256;
(5) compute the root from the leaf hash and the proof;
(6) the registry's signature over that root (the detached payload) holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from registry.verify.cbor import decode
from registry.verify.cose import HEADER_CWT_CLAIMS, parse_sign1, verify_signature
from registry.verify.leaf import Leaf, decode_leaf
from registry.verify.merkle import leaf_hash, root_from_inclusion_proof
from registry.verify.result import Reason, Verdict
from registry.verify.statement import KeyLookup, registry_key

HEADER_VDS = 395
HEADER_VDP = 396
HEADER_LEAF = -65537
HEADER_TREE_SIZE = -65538
VDS_RFC9162_SHA256 = 1
VDP_INCLUSION = -1


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
    origin: str | None
    issued_at: int | None
    proof: tuple[bytes, ...]


def _inclusion_proof(unprotected: dict[Any, Any]) -> tuple[int, int, list[bytes]] | str:
    vdp = unprotected.get(HEADER_VDP)
    if not isinstance(vdp, dict):
        return "the receipt has no verifiable data proof map (label 396)"
    proofs = vdp.get(VDP_INCLUSION)
    if not isinstance(proofs, list) or len(proofs) != 1 or not isinstance(proofs[0], bytes):
        return "the receipt must hold exactly one encoded inclusion proof (label -1)"
    decoded = decode(proofs[0], "inclusion proof")
    if not decoded.ok:
        return decoded.detail
    item = decoded.value
    if not isinstance(item, list) or len(item) != 3:
        return "an inclusion proof is [tree_size, leaf_index, path]"
    size, index, path = item
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return "tree_size must be a positive integer"
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        return "leaf_index must be a non-negative integer"
    if not isinstance(path, list) or not all(isinstance(h, bytes) for h in path):
        return "the inclusion path must be an array of byte strings"
    return size, index, path


def verify_receipt(
    receipt: bytes, registry_keys: KeyLookup, statement: bytes | None = None
) -> Verdict[ReceiptInfo]:
    """Verify a receipt alone, against the registry's public keys.

    With ``statement`` (the signed statement bytes) it also checks that the
    receipt is for that statement.  The value is a :class:`ReceiptInfo`.
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
    # (2)
    signer = registry_key(message, registry_keys, check, "the receipt")
    if isinstance(signer, Verdict):
        return signer
    kid, public_key = signer
    # (3)
    proof = _inclusion_proof(message.unprotected)
    if isinstance(proof, str):
        return Verdict.failed(check, Reason.MALFORMED, proof)
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
    claims = message.protected.get(HEADER_CWT_CLAIMS)
    origin = claims.get(1) if isinstance(claims, dict) else None
    issued_at = claims.get(6) if isinstance(claims, dict) else None
    info = ReceiptInfo(
        tree_size=size,
        index=index,
        root=root,
        leaf=leaf.value,
        leaf_bytes=leaf_bytes,
        leaf_hash=hashed,
        kid=kid,
        origin=origin if isinstance(origin, str) else None,
        issued_at=issued_at if isinstance(issued_at, int) else None,
        proof=tuple(path),
    )
    return Verdict.passed(check, info, root=root.hex(), tree_size=str(size), index=str(index))
