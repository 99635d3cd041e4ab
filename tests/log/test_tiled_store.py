"""registry.log.tiled_store: the bounded tree serves what the full tree serves, byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.log.tiled_store import TILE_LEAVES, TiledHashStore, TileMismatch, TilesNeeded
from registry.log.tiles import Tile, tile_bytes
from registry.log.tree import MerkleTree
from registry.verify.merkle import leaf_hash

T = TypeVar("T")


def _hashes(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash((i + salt).to_bytes(8, "big")) for i in range(n)]


def _with_tiles(tree: MerkleTree, leaves: list[bytes], compute: Callable[[], T]) -> tuple[T, int]:
    """Run ``compute``, loading every tile it asks for (as records does); and the rounds."""
    store = tree.store
    assert isinstance(store, TiledHashStore)
    wanted: set[int] = set()
    rounds = 0
    while True:
        try:
            return compute(), rounds
        except TilesNeeded as need:
            asked = set(need.tiles)
        assert not asked <= wanted, "a tile loaded was asked for again"
        wanted |= asked
        rounds += 1
        fetched = {
            t: b"".join(leaves[t * TILE_LEAVES : (t + 1) * TILE_LEAVES])
            for t in store.absent(wanted)
        }
        store.load(fetched, keep=wanted)


def _bounded(leaves: list[bytes], cache: int, settle: bool = True) -> MerkleTree:
    tree = MerkleTree(TiledHashStore(cache))
    tree.extend(leaves)
    if settle:
        tree.settle(tree.size)
    return tree


sizes = st.integers(min_value=1, max_value=3 * TILE_LEAVES + 40)


def _both(size: int, cache: int) -> tuple[list[bytes], MerkleTree, MerkleTree]:
    """``size`` leaf hashes, the full tree over them and the bounded one caching ``cache``."""
    leaves = _hashes(size)
    full = MerkleTree()
    full.extend(leaves)
    return leaves, full, _bounded(leaves, cache)


@settings(max_examples=60, deadline=None)
@given(size=sizes, cache=st.integers(1, 3), data=st.data())
def test_roots_and_proofs_are_byte_identical_to_the_full_tree(
    size: int, cache: int, data: st.DataObject
) -> None:
    leaves, full, tree = _both(size, cache)
    for _ in range(6):
        new = data.draw(st.integers(1, size))
        old = data.draw(st.integers(1, new))
        index = data.draw(st.integers(0, new - 1))
        for compute, expected in [
            (partial(tree.root, new), full.root(new)),
            (partial(tree.inclusion_proof, index, new), full.inclusion_proof(index, new)),
            (partial(tree.consistency_proof, old, new), full.consistency_proof(old, new)),
            (partial(tree.node, 0, index), leaves[index]),
        ]:
            assert _with_tiles(tree, leaves, compute)[0] == expected
    assert tree.root() == full.root()


@settings(max_examples=40, deadline=None)
@given(size=sizes, cache=st.integers(1, 2))
def test_tiles_are_byte_identical_to_the_full_tree(size: int, cache: int) -> None:
    leaves, full, tree = _both(size, cache)
    for level in (0, 1):
        width_leaves = TILE_LEAVES << (8 * level)
        for index in range(size // width_leaves + 1):
            width = min(TILE_LEAVES, (size >> (8 * level)) - index * TILE_LEAVES)
            if width <= 0:
                continue
            tile = Tile(level, index, width)
            got = _with_tiles(tree, leaves, lambda tile=tile: tile_bytes(tree, tile))[0]  # type: ignore[misc]
            assert got == tile_bytes(full, tile)


@settings(max_examples=40, deadline=None)
@given(
    batches=st.lists(st.integers(0, 300), min_size=1, max_size=6),
    cut=st.integers(0, 300),
    cache=st.integers(1, 3),
)
def test_appends_settles_and_cutting_back_unsettled_leaves_match_the_full_tree(
    batches: list[int], cut: int, cache: int
) -> None:
    full = MerkleTree()
    tree = MerkleTree(TiledHashStore(cache))
    salt = 0
    for count in batches:
        batch = _hashes(count, salt)
        salt += count
        settled = tree.size
        for i, h in enumerate(batch):  # one by one (append) or all at once (extend)
            if count % 2:
                tree.append(h)
            elif i == 0:
                tree.extend(batch)
        full.extend(batch)
        assert tree.root() == full.root()
        back = max(settled, tree.size - cut)
        tree.truncate(back)  # a batch that could not be written: never below the settled size
        full.truncate(back)
        assert tree.root() == full.root()
        tree.settle(tree.size)
    leaves = [full.node(0, i) for i in range(full.size)]
    for size in range(1, full.size + 1, 37):
        assert _with_tiles(tree, leaves, lambda s=size: tree.root(s))[0] == full.root(size)  # type: ignore[misc]


def test_memory_is_the_upper_levels_the_tail_and_the_cache() -> None:
    leaves = _hashes(100 * TILE_LEAVES + 17)
    store = TiledHashStore(4)
    tree = MerkleTree(store)
    tree.extend(leaves)
    tree.settle(tree.size)
    # About 200 upper nodes, at most two tiles' levels unsettled, four cached tiles.
    assert store.memory() < (2 * 100 + 2 * 2 * TILE_LEAVES + 4 * 2 * TILE_LEAVES) * 32
    full = MerkleTree()
    full.extend(leaves)
    assert tree.root() == full.root()


def test_a_proof_of_an_uncached_tile_names_the_tile_and_changes_nothing() -> None:
    leaves = _hashes(10 * TILE_LEAVES)
    tree = _bounded(leaves, 1)
    with pytest.raises(TilesNeeded) as caught:
        tree.inclusion_proof(3, tree.size)
    assert caught.value.tiles == (0,)
    (proof, rounds) = _with_tiles(tree, leaves, lambda: tree.inclusion_proof(3, tree.size))
    assert rounds == 1
    assert len(proof) == 12


def test_leaf_hash_edited_in_the_database_is_refused_when_its_tile_is_read() -> None:
    leaves = _hashes(4 * TILE_LEAVES)
    tree = _bounded(leaves, 1)
    store = tree.store
    assert isinstance(store, TiledHashStore)
    edited = list(leaves)
    edited[300] = leaf_hash(b"someone else's entry")
    with pytest.raises(TileMismatch) as caught:
        store.load({1: b"".join(edited[TILE_LEAVES : 2 * TILE_LEAVES])})
    assert caught.value.tile == 1
    assert caught.value.expected == tree.node(8, 1)
    assert caught.value.found != caught.value.expected
    assert "entries 256 to 511" in str(caught.value)
    # Nothing was cached: the proof still asks for the tile.
    with pytest.raises(TilesNeeded):
        tree.inclusion_proof(300, tree.size)


def test_leaf_hashes_swapped_within_a_tile_are_refused() -> None:
    leaves = _hashes(2 * TILE_LEAVES)
    tree = _bounded(leaves, 1)
    store = tree.store
    assert isinstance(store, TiledHashStore)
    swapped = leaves[:TILE_LEAVES]
    swapped[0], swapped[1] = swapped[1], swapped[0]
    with pytest.raises(TileMismatch):
        store.load({0: b"".join(swapped)})


def test_a_tile_the_tree_has_not_completed_is_not_loaded() -> None:
    tree = _bounded(_hashes(TILE_LEAVES + 3), 1)
    store = tree.store
    assert isinstance(store, TiledHashStore)
    with pytest.raises(ValueError, match="not a full tile"):
        store.load({1: b"\0" * 32 * TILE_LEAVES})
    with pytest.raises(ValueError, match="8192 bytes"):
        store.load({0: b"\0" * 32})


@settings(max_examples=30, deadline=None)
@given(tiles=st.integers(0, 9), tail=st.integers(0, 600), cache=st.integers(1, 3))
def test_a_tree_restored_from_its_tile_roots_is_the_full_tree(
    tiles: int, tail: int, cache: int
) -> None:
    leaves = _hashes(tiles * TILE_LEAVES + tail)
    full = MerkleTree()
    full.extend(leaves)
    roots = b"".join(full.node(8, t) for t in range(tiles))
    tree = MerkleTree(TiledHashStore.from_tile_roots(roots, cache))
    assert tree.size == tiles * TILE_LEAVES
    tree.extend(leaves[tree.size :])
    tree.settle(tree.size)
    assert tree.root() == full.root()
    for size in range(1, full.size + 1, 53):
        index = size // 2
        proof = _with_tiles(tree, leaves, partial(tree.inclusion_proof, index, size))[0]
        assert proof == full.inclusion_proof(index, size)


def test_tiles_kept_for_one_computation_are_evicted_by_trim() -> None:
    leaves = _hashes(8 * TILE_LEAVES)
    tree = _bounded(leaves, 2)
    store = tree.store
    assert isinstance(store, TiledHashStore)
    tiles = {t: b"".join(leaves[t * TILE_LEAVES : (t + 1) * TILE_LEAVES]) for t in range(6)}
    store.load(tiles, keep=set(tiles))
    assert store.absent(range(6)) == []  # all six kept, past the cache's two
    store.trim()
    assert store.absent(range(6)) == [0, 1, 2, 3]


def test_forgetting_the_cache_makes_every_settled_tile_read_again() -> None:
    leaves = _hashes(4 * TILE_LEAVES + 10)
    tree = _bounded(leaves, 8)
    store = tree.store
    assert isinstance(store, TiledHashStore)
    assert store.absent(range(4)) == []
    store.forget_cached()
    assert store.absent(range(4)) == [0, 1, 2, 3]
    full = MerkleTree()
    full.extend(leaves)
    (proof, rounds) = _with_tiles(tree, leaves, lambda: tree.inclusion_proof(300, tree.size))
    assert (proof, rounds) == (full.inclusion_proof(300, tree.size), 1)
