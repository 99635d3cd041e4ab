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
    size = encode_deterministic(tree_size)
    return [
        prefix + _unprotected(size, index, proof, leaf_bytes) + suffix
        for leaf_bytes, index, proof in entries
    ]


_VDP_KEY = encode_deterministic(HEADER_VDP)
_LEAF_KEY = encode_deterministic(HEADER_LEAF)
_INCLUSION_KEY = encode_deterministic(VDP_INCLUSION)
_HASH_HEAD = b"\x58\x20"
"""A 32-byte byte string's head."""


def _unprotected(size: bytes, index: int, proof: Sequence[bytes], leaf_bytes: bytes) -> bytes:
    """``encode_deterministic({HEADER_VDP: {VDP_INCLUSION: [inclusion]}, HEADER_LEAF: leaf})``
    put together from its parts (``inclusion`` being ``[tree size, index, proof]``, encoded):
    ``size`` is the tree size encoded, the same for a whole batch."""
    n = len(proof)
    inclusion = b"".join(
        [b"\x83", size, encode_deterministic(index), bytes((0x80 | n,) if n < 24 else (0x98, n))]
        + [_HASH_HEAD + h if len(h) == 32 else encode_deterministic(h) for h in proof]
    )
    return b"".join(
        (
            b"\xa2",  # a map of two, its keys in their deterministic (bytewise) order
            _VDP_KEY,
            b"\xa1",
            _INCLUSION_KEY,
            b"\x81",
            encode_deterministic(inclusion),
            _LEAF_KEY,
            encode_deterministic(leaf_bytes),
        )
    )
