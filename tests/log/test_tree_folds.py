"""registry.log.tree keeps right folds per tree size: proofs must not notice.

The tree keeps the folded right edge of a size once proofs have asked for it
twice, and drops what a truncate makes stale.  Whatever the history of
appends, truncates and requests, every root and proof must equal what a tree
that never kept anything serves, and verify.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache

import pytest
from hypothesis import given, settings
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


class GenericStore(MemoryHashStore):
    """A MemoryHashStore the tree does not recognise: proofs take the generic get_many path."""

    reads = 0

    def get_many(self, positions: Sequence[tuple[int, int]]) -> list[bytes]:
        self.reads += len(positions)
        return super().get_many(positions)


def _mth(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 MTH by recursion over the leaf hashes (memoised per leaf range)."""

    @cache
    def mth(start: int, end: int) -> bytes:
        if end - start == 1:
            return leaves[start]
        k = 1 << ((end - start - 1).bit_length() - 1)
        return node_hash(mth(start, start + k), mth(start + k, end))

    return mth(0, len(leaves)) if leaves else EMPTY_ROOT


def _uncached(leaves: Sequence[bytes], generic: bool) -> MerkleTree:
    """A new tree over ``leaves``: it has kept nothing, so it folds every edge afresh."""
    tree = MerkleTree(GenericStore() if generic else None)
    tree.extend(list(leaves))
    return tree


def _check_size(tree: MerkleTree, leaves: list[bytes], size: int, index: int, old: int) -> None:
    """Root, inclusion and consistency proofs at ``size``, asked three times each.

    The first ask folds directly, the second keeps the folds, the third reads
    them: all three must agree with a tree that kept nothing, and verify.
    """
    generic = type(tree.store) is GenericStore
    root = _mth(leaves[:size])
    old_root = _mth(leaves[:old])
    for _ in range(3):
        fresh = _uncached(leaves, generic)
        assert tree.root(size) == fresh.root(size) == root
        proof = tree.inclusion_proof(index, size)
        assert proof == fresh.inclusion_proof(index, size)
        verify_inclusion(index, size, leaves[index], proof, root).raise_for_failure()
        consistency = tree.consistency_proof(old, size)
        assert consistency == fresh.consistency_proof(old, size)
        verify_consistency(old, size, old_root, root, consistency).raise_for_failure()


@st.composite
def _histories(draw: st.DrawFn) -> list[tuple[str, int]]:
    """Appends (of n leaves, one by one or as a batch) and truncates to a fraction of the size."""
    op = st.one_of(
        st.tuples(st.sampled_from(["append", "extend"]), st.integers(1, 70)),
        st.tuples(st.just("truncate"), st.integers(0, 1000)),
    )
    return draw(st.lists(op, min_size=1, max_size=8))


@settings(max_examples=60, deadline=None)
@given(history=_histories(), generic=st.booleans(), data=st.data())
def test_proofs_after_appends_and_truncates_equal_uncached_ones(
    history: list[tuple[str, int]], generic: bool, data: st.DataObject
) -> None:
    tree = MerkleTree(GenericStore() if generic else None)
    leaves: list[bytes] = []
    serial = 0  # every appended leaf is new, so a truncated size regrows different
    for op, amount in history:
        if op == "truncate":
            size = amount * len(leaves) // 1000
            tree.truncate(size)
            del leaves[size:]
        else:
            batch = [leaf_hash(b"leaf %d" % (serial + i)) for i in range(amount)]
            serial += amount
            if op == "extend":
                tree.extend(batch)
            else:
                for h in batch:
                    tree.append(h)
            leaves += batch
        assert tree.size == len(leaves)
        if not leaves:
            continue
        # The latest size, and earlier ones (checkpoints proofs are asked under).
        sizes = [len(leaves), *data.draw(st.lists(st.integers(1, len(leaves)), max_size=3))]
        for size in sizes:
            index = data.draw(st.integers(0, size - 1))
            old = data.draw(st.integers(1, size))
            _check_size(tree, leaves, size, index, old)


def test_a_truncate_drops_folds_that_would_be_stale() -> None:
    first = [hashlib.sha256(b"first %d" % i).digest() for i in range(100)]
    second = [hashlib.sha256(b"second %d" % i).digest() for i in range(100)]
    tree = MerkleTree()
    tree.extend(first)
    for _ in range(3):  # kept folds for 77 and 55
        tree.inclusion_proof(0, 77)
        tree.inclusion_proof(0, 55)
    tree.truncate(60)
    tree.extend(second[60:])
    leaves = first[:60] + second[60:]
    for size in (77, 55):
        for index in (0, size - 1, size // 2):
            proof = tree.inclusion_proof(index, size)
            assert proof == _uncached(leaves, generic=False).inclusion_proof(index, size)
            root = _mth(leaves[:size])
            verify_inclusion(index, size, leaves[index], proof, root).raise_for_failure()
        assert tree.root(size) == _mth(leaves[:size])


@pytest.mark.parametrize("size", [5, 77, 1000, 1023])
def test_a_size_asked_again_reads_its_kept_fold(size: int) -> None:
    """From the third proof on, a size's right fold costs no store read."""
    store = GenericStore()
    tree = MerkleTree(store)
    tree.extend([hashlib.sha256(b"%d" % i).digest() for i in range(1024)])
    reads = []
    for _ in range(4):
        store.reads = 0
        tree.inclusion_proof(0, size)
        reads.append(store.reads)
    edge = (size % (1 << (size.bit_length() - 1))).bit_count()
    assert reads[0] == reads[2] + edge
    assert reads[2] == reads[3]


def test_a_root_is_kept_for_the_current_size_and_a_size_asked_twice() -> None:
    """What a reader of leaf tiles skips: a root made from memory, not from its last tile."""
    tree = MerkleTree()
    tree.extend([hashlib.sha256(b"%d" % i).digest() for i in range(1024)])
    assert tree.root_kept(1024)
    assert not tree.root_kept(777)
    tree.inclusion_proof(0, 777)
    assert not tree.root_kept(777)  # asked once: not kept yet
    tree.inclusion_proof(0, 777)
    assert tree.root_kept(777)
    tree.truncate(700)
    assert not tree.root_kept(777)
