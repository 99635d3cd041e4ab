"""Issuing COSE Receipts (RFC 9942, RFC9162_SHA256) for log entries."""

from __future__ import annotations

from collections.abc import Sequence

from registry.signing.cose import CoseSigner
from registry.verify.cbor import encode_deterministic
from registry.verify.cose import HEADER_CWT_CLAIMS
from registry.verify.receipt import (
    HEADER_LEAF,
    HEADER_TREE_SIZE,
    HEADER_VDP,
    HEADER_VDS,
    VDP_INCLUSION,
    VDS_RFC9162_SHA256,
)


def issue_receipt(
    signer: CoseSigner,
    origin: str,
    leaf_bytes: bytes,
    index: int,
    tree_size: int,
    proof: Sequence[bytes],
    root: bytes,
    issued_at: int,
) -> bytes:
    """A receipt: ``leaf_bytes`` sits at ``index`` in the tree of ``tree_size`` with ``root``.

    The registry signs the root (the detached payload); the proof and the leaf
    travel in the unprotected header so the receipt verifies on its own.
    """
    protected = {
        HEADER_VDS: VDS_RFC9162_SHA256,
        HEADER_CWT_CLAIMS: {1: origin, 6: issued_at},
        HEADER_TREE_SIZE: tree_size,
    }
    inclusion = encode_deterministic([tree_size, index, list(proof)])
    unprotected = {HEADER_VDP: {VDP_INCLUSION: [inclusion]}, HEADER_LEAF: leaf_bytes}
    return signer.sign1(protected, unprotected, root, detached=True)


def issue_receipts(
    signer: CoseSigner,
    origin: str,
    entries: Sequence[tuple[bytes, int, Sequence[bytes]]],
    tree_size: int,
    root: bytes,
    issued_at: int,
) -> list[bytes]:
    """:func:`issue_receipt` for each (leaf bytes, index, proof) of ``entries``, all under
    one tree: the same bytes, with one signature and one protected header between them."""
    protected = {
        HEADER_VDS: VDS_RFC9162_SHA256,
        HEADER_CWT_CLAIMS: {1: origin, 6: issued_at},
        HEADER_TREE_SIZE: tree_size,
    }
    prefix, suffix = signer.sign1_frame(protected, root, detached=True)
    receipts = []
    for leaf_bytes, index, proof in entries:
        inclusion = encode_deterministic([tree_size, index, list(proof)])
        unprotected = {HEADER_VDP: {VDP_INCLUSION: [inclusion]}, HEADER_LEAF: leaf_bytes}
        receipts.append(prefix + encode_deterministic(unprotected) + suffix)
    return receipts
