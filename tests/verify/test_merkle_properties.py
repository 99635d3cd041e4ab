"""Properties of the Merkle tree and its proofs, checked against RFC 9162 itself.

A naive recursive reference (MTH, PATH and SUBPROOF, RFC 9162 §2.1.1,
§2.1.3.1, §2.1.4.1) exists only here, to test ``registry.log.tree`` and
``registry.verify.merkle``: every proof the tree serves must equal the
reference's and verify, and any single flipped bit must be rejected.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from registry.log.hash_store import MemoryHashStore
from registry.log.tree import MerkleTree
from registry.verify.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from registry.verify.result import Reason, Verdict

MAX_SIZE = 3000


def _leaves(size: int, salt: int) -> list[bytes]:
    return [leaf_hash(salt.to_bytes(4, "big") + i.to_bytes(8, "big")) for i in range(size)]


class Reference:
    """RFC 9162 §2.1 written as recursion over leaf ranges (memoised MTH)."""

    def __init__(self, hashes: list[bytes]) -> None:
        self.hashes = hashes
        self.mth: Callable[[int, int], bytes] = cache(self._mth)

    @staticmethod
    def split(n: int) -> int:
        """The largest power of two smaller than n (n > 1)."""
        return 1 << ((n - 1).bit_length() - 1)

    def _mth(self, start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self.hashes[start]
        k = self.split(n)
        return node_hash(self.mth(start, start + k), self.mth(start + k, end))

    def path(self, m: int, start: int, end: int) -> list[bytes]:
        """PATH(m, D[start:end]), m relative to start."""
        n = end - start
        if n == 1:
            return []
        k = self.split(n)
        if m < k:
            return [*self.path(m, start, start + k), self.mth(start + k, end)]
        return [*self.path(m - k, start + k, end), self.mth(start, start + k)]

    def subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        """SUBPROOF(m, D[start:end], b)."""
        n = end - start
        if m == n:
            return [] if complete else [self.mth(start, end)]
        k = self.split(n)
        if m <= k:
            return [*self.subproof(m, start, start + k, complete), self.mth(start + k, end)]
        return [*self.subproof(m - k, start + k, end, False), self.mth(start, start + k)]


def _flips(value: bytes) -> list[bytes]:
    """Every single-bit mutation of value."""
    out = []
    for bit in range(len(value) * 8):
        mutated = bytearray(value)
        mutated[bit // 8] ^= 1 << (bit % 8)
        out.append(bytes(mutated))
    return out


@st.composite
def tree_and_sizes(draw: st.DrawFn, max_size: int = MAX_SIZE) -> tuple[list[bytes], int, int, int]:
    """Leaf hashes, then a size, an index below it and an older size up to it."""
    size = draw(st.integers(1, max_size))
    hashes = _leaves(size, draw(st.integers(0, 2**32 - 1)))
    tree_size = draw(st.integers(size, min(max_size, size + 40)))
    hashes += _leaves(tree_size - size, 7)
    index = draw(st.integers(0, size - 1))
    old_size = draw(st.integers(1, size))
    return hashes, size, index, old_size


class GenericStore(MemoryHashStore):
    """A MemoryHashStore the tree does not recognise: proofs take the generic get_many path."""

    __slots__ = ()


def _build(hashes: list[bytes], cuts: list[int], *, generic: bool = False) -> MerkleTree:
    """Append one by one up to the first cut, then extend in batches at the others."""
    tree = MerkleTree(GenericStore() if generic else None)
    bounds = sorted({min(c, len(hashes)) for c in cuts} | {len(hashes)})
    for h in hashes[: bounds[0]]:
        tree.append(h)
    for a, b in pairwise(bounds):
        tree.extend(hashes[a:b])
    return tree


@settings(max_examples=60, deadline=None)
@given(tree_and_sizes(), st.lists(st.integers(0, MAX_SIZE), max_size=4), st.booleans())
def test_proofs_match_reference_and_verify(
    case: tuple[list[bytes], int, int, int], cuts: list[int], generic: bool
) -> None:
    hashes, size, index, old_size = case
    tree = _build(hashes, cuts, generic=generic)
    ref = Reference(hashes)
    assert tree.size == len(hashes)
    assert tree.root() == ref.mth(0, len(hashes))
    root, old_root = tree.root(size), tree.root(old_size)
    assert root == ref.mth(0, size)
    assert old_root == ref.mth(0, old_size)

    proof = tree.inclusion_proof(index, size)
    assert proof == ref.path(index, 0, size)
    verdict = verify_inclusion(index, size, hashes[index], proof, root)
    assert verdict.ok, verdict.explain()
    assert verdict.value == root

    consistency = tree.consistency_proof(old_size, size)
    assert consistency == ref.subproof(old_size, 0, size, True)
    assert verify_consistency(old_size, size, old_root, root, consistency).ok


@settings(max_examples=10, deadline=None)
@given(st.integers(1, MAX_SIZE), st.integers(0, 40))
@example(size=MAX_SIZE, grown=0)
@example(size=2048, grown=1)
@example(size=1, grown=0)
def test_every_proof_of_a_tree_matches_reference_and_verifies(size: int, grown: int) -> None:
    hashes = _leaves(size + grown, 3)
    tree = _build(hashes, [0])
    generic = _build(hashes, [len(hashes)], generic=True)
    ref = Reference(hashes)
    roots = [tree.root(n) for n in range(size + 1)]
    assert roots == [ref.mth(0, n) for n in range(size + 1)]
    root = roots[size]
    for index in range(size):
        proof = tree.inclusion_proof(index, size)
        assert proof == ref.path(index, 0, size) == generic.inclusion_proof(index, size), index
        assert verify_inclusion(index, size, hashes[index], proof, root).ok, index
    for old_size in range(1, size + 1):
        proof = tree.consistency_proof(old_size, size)
        assert proof == ref.subproof(old_size, 0, size, True), old_size
        assert proof == generic.consistency_proof(old_size, size), old_size
        assert verify_consistency(old_size, size, roots[old_size], root, proof).ok, old_size


@settings(max_examples=25, deadline=None)
@given(tree_and_sizes(max_size=300))
def test_every_single_bit_flip_is_rejected(case: tuple[list[bytes], int, int, int]) -> None:
    hashes, size, index, old_size = case
    tree = MerkleTree()
    tree.extend(hashes)
    root, old_root = tree.root(size), tree.root(old_size)

    proof = tree.inclusion_proof(index, size)
    for position, element in enumerate(proof):
        for flipped in _flips(element):
            bad = [*proof[:position], flipped, *proof[position + 1 :]]
            assert verify_inclusion(index, size, hashes[index], bad, root).reason is (
                Reason.WRONG_ROOT
            )
    for flipped in _flips(hashes[index]):
        assert not verify_inclusion(index, size, flipped, proof, root)
    for flipped in _flips(root):
        assert not verify_inclusion(index, size, hashes[index], proof, flipped)

    consistency = tree.consistency_proof(old_size, size)
    for position, element in enumerate(consistency):
        for flipped in _flips(element):
            bad = [*consistency[:position], flipped, *consistency[position + 1 :]]
            assert not verify_consistency(old_size, size, old_root, root, bad)
    for flipped in _flips(old_root):
        assert not verify_consistency(old_size, size, flipped, root, consistency)
    for flipped in _flips(root):
        assert not verify_consistency(old_size, size, old_root, flipped, consistency)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200), st.data())
def test_wrong_index_is_rejected(size: int, data: st.DataObject) -> None:
    hashes = _leaves(size, 1)
    tree = MerkleTree()
    tree.extend(hashes)
    index = data.draw(st.integers(0, size - 1))
    proof = tree.inclusion_proof(index, size)
    if size > 1:
        other = (index + data.draw(st.integers(1, size - 1))) % size
        assert not verify_inclusion(other, size, hashes[index], proof, tree.root(size))
    beyond = verify_inclusion(size, size, hashes[index], proof, tree.root(size))
    assert beyond.reason is Reason.INDEX_OUT_OF_RANGE


_H = leaf_hash(b"x")
# Wrongly typed inputs, as an untrusted receipt might carry them.
NONE: Any = None
TEXT: Any = "x" * 32
FLOAT: Any = 1.0
RAW: Any = _H


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        pytest.param(
            lambda: verify_inclusion(-1, 1, _H, [], _H), Reason.MALFORMED, id="index-negative"
        ),
        pytest.param(
            lambda: verify_inclusion(0, -1, _H, [], _H), Reason.MALFORMED, id="size-negative"
        ),
        pytest.param(
            lambda: verify_inclusion(0, 0, _H, [], _H), Reason.INDEX_OUT_OF_RANGE, id="size-0"
        ),
        pytest.param(
            lambda: verify_inclusion(True, 2, _H, [_H], _H), Reason.MALFORMED, id="index-bool"
        ),
        pytest.param(
            lambda: verify_inclusion(0, 1, NONE, [], _H), Reason.MALFORMED, id="leaf-none"
        ),
        pytest.param(lambda: verify_inclusion(0, 1, TEXT, [], _H), Reason.MALFORMED, id="leaf-str"),
        pytest.param(
            lambda: verify_inclusion(0, 1, _H, NONE, _H), Reason.MALFORMED, id="proof-none"
        ),
        pytest.param(
            lambda: verify_inclusion(0, 2, _H, RAW, _H), Reason.MALFORMED, id="proof-bytes"
        ),
        pytest.param(
            lambda: verify_inclusion(0, 2, _H, [NONE], _H), Reason.MALFORMED, id="proof-elem-none"
        ),
        pytest.param(
            lambda: verify_inclusion(0, 2, _H, [_H[:31]], _H), Reason.MALFORMED, id="proof-elem-31"
        ),
        pytest.param(
            lambda: verify_inclusion(0, 2, _H, [], _H), Reason.WRONG_PROOF_LENGTH, id="proof-short"
        ),
        pytest.param(
            lambda: verify_inclusion(0, 1, _H, [], NONE), Reason.MALFORMED, id="root-none"
        ),
        pytest.param(
            lambda: verify_inclusion(0, 1, _H, [], _H + b"\0"), Reason.MALFORMED, id="root-33"
        ),
        pytest.param(
            lambda: verify_consistency(2, 1, _H, _H, []), Reason.SIZE_MISMATCH, id="shrinking"
        ),
        pytest.param(lambda: verify_consistency(0, 3, _H, _H, []), Reason.EMPTY, id="from-empty"),
        pytest.param(
            lambda: verify_consistency(1, 1, NONE, NONE, []), Reason.MALFORMED, id="roots-none"
        ),
        pytest.param(
            lambda: verify_consistency(2, 2, _H, bytes(32), []), Reason.INCONSISTENT, id="fork"
        ),
        pytest.param(
            lambda: verify_consistency(1, 2, _H, NONE, [_H]), Reason.MALFORMED, id="new-root-none"
        ),
        pytest.param(
            lambda: verify_consistency(1, 2, _H, _H, [TEXT]), Reason.MALFORMED, id="proof-elem-str"
        ),
        pytest.param(
            lambda: verify_consistency(3, 4, _H, _H, [_H]),
            Reason.WRONG_PROOF_LENGTH,
            id="proof-short",
        ),
        pytest.param(
            lambda: verify_consistency(FLOAT, 2, _H, _H, [_H]), Reason.MALFORMED, id="size-float"
        ),
    ],
)
def test_malformed_input_fails_without_raising(call: Callable[[], object], reason: Reason) -> None:
    verdict = call()
    assert isinstance(verdict, Verdict)
    assert not verdict
    assert verdict.reason is reason, verdict.explain()
    assert verdict.explain()
