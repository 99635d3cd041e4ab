"""Right folds: hashing the incomplete subtree at the right edge of an older tree size.

A subtree of the tree at ``size`` leaves that runs into its right edge is not
stored; it is the fold of the complete subtrees that make up its leaves, one
per set bit of ``size`` below its level (:func:`edge_positions` names them,
smallest first).  :func:`fold_hashes` folds their hashes as read from any
:class:`~registry.log.hash_store.HashStore`, :func:`memory_fold` reads and
folds them straight from a :class:`~registry.log.hash_store.MemoryHashStore`'s
arrays, and :func:`right_folds` computes every level's fold of one size at
once, which is what :class:`~registry.log.tree.MerkleTree` keeps per tree size
so that proofs under the same size share them.  Pure functions over hashes:
the tree decides when to fold and what to keep.
"""

from __future__ import annotations

import hashlib

from registry.log.hash_store import hash_at
from registry.verify.merkle import NODE_PREFIX

_sha256 = hashlib.sha256
# A SHA-256 that has taken the node prefix: copying it is cheaper than a new
# hash object (OpenSSL's per-object setup), so folds start from a copy.
_node_hasher = hashlib.sha256(NODE_PREFIX).copy
# _SET_BITS[k][byte]: the positions of the set bits of byte k of an int, so a
# fold visits only the levels where the tree size has a set bit.
_SET_BITS: list[list[tuple[int, ...]]] = [
    [tuple(8 * k + b for b in range(8) if (value >> b) & 1) for value in range(256)]
    for k in range(8)
]


def right_folds(size: int, edge: list[bytes]) -> list[bytes]:
    """Every right fold of ``size``, by level, from its right edge (smallest subtree first).

    Entry ``level`` is the hash of the last ``size % 2**level`` leaves (``b""``
    where that is none); entry ``size.bit_length()`` is the root.
    """
    sha256 = _sha256
    hashes = iter(edge)
    folds = [b""]
    node = b""
    for b in range(size.bit_length()):
        if (size >> b) & 1:
            left = next(hashes)
            node = sha256(NODE_PREFIX + left + node).digest() if node else left
        folds.append(node)
    return folds


def memory_fold(levels: list[bytearray], size: int, level: int) -> bytes:
    """:func:`fold_hashes` of the right edge of ``size`` below ``level``, from in-memory arrays.

    ``size`` has at least one set bit below ``level`` (and fewer than 64 bits,
    as any tree an in-memory store can hold).
    """
    at = hash_at
    node_hasher = _node_hasher
    low = size & ((1 << level) - 1)
    bits = _SET_BITS[0][low & 255]
    low >>= 8
    k = 1
    while low:
        bits += _SET_BITS[k][low & 255]
        low >>= 8
        k += 1
    b = bits[0]
    node = at(levels[b], ((size >> b) ^ 1) << 5)[0]
    for b in bits[1:]:
        hasher = node_hasher()
        hasher.update(at(levels[b], ((size >> b) ^ 1) << 5)[0])
        hasher.update(node)
        node = hasher.digest()
    return node


def edge_positions(size: int, level: int) -> list[tuple[int, int]]:
    """The complete subtrees that make up the last ``size mod 2**level`` leaves, smallest first.

    One per set bit of ``size`` below ``level``: the subtree of 2**b leaves
    for bit b ends where the bits above it end.
    """
    return [(b, (size >> b) - 1) for b in range(level) if (size >> b) & 1]


def fold_hashes(hashes: list[bytes]) -> bytes:
    """Hash subtree roots given right to left into the root of the tree they form."""
    sha256 = _sha256
    node = hashes[0]
    for left in hashes[1:]:
        node = sha256(NODE_PREFIX + left + node).digest()
    return node
