"""registry.log.tree and registry.log.hash_store: roots at every size, proof requests, stores."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest

from registry.log.hash_store import HashStore, MemoryHashStore
from registry.log.tree import MerkleTree, ProofRequestError
from registry.verify.merkle import EMPTY_ROOT, leaf_hash, node_hash


def _hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def _tree(n: int) -> MerkleTree:
    tree = MerkleTree()
    tree.extend(_hashes(n))
    return tree


def test_empty_tree() -> None:
    tree = MerkleTree()
    assert tree.size == 0
    assert tree.root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert tree.root(0) == EMPTY_ROOT
    assert tree.extend([]) == 0
    with pytest.raises(ProofRequestError, match="not in a tree of 0 leaves"):
        tree.inclusion_proof(0, 0)
    with pytest.raises(ProofRequestError, match=r"outside 0\.\.0"):
        tree.root(1)


def test_small_trees_by_hand() -> None:
    a, b, c = _hashes(3)
    tree = MerkleTree()
    assert tree.append(a) == 0
    assert tree.root() == a
    assert tree.append(b) == 1
    assert tree.root() == node_hash(a, b)
    assert tree.append(c) == 2
    assert tree.root() == node_hash(node_hash(a, b), c)
    assert tree.inclusion_proof(2, 3) == [node_hash(a, b)]
    assert tree.inclusion_proof(0, 3) == [b, c]
    assert tree.consistency_proof(2, 3) == [c]
    assert tree.consistency_proof(1, 3) == [b, c]
    assert tree.node(1, 0) == node_hash(a, b)


def test_historical_roots_do_not_change_as_the_tree_grows() -> None:
    tree = MerkleTree()
    roots = [tree.root()]
    for h in _hashes(300):
        tree.append(h)
        roots.append(tree.root())
    assert [tree.root(n) for n in range(301)] == roots
    tree.extend(_hashes(1000)[300:])
    assert [tree.root(n) for n in range(301)] == roots


def test_append_and_extend_build_the_same_tree() -> None:
    hashes = _hashes(1000)
    one_by_one = MerkleTree()
    for h in hashes:
        one_by_one.append(h)
    batched = MerkleTree()
    for start in (0, 1, 2, 7, 255, 256, 600):
        end = {0: 1, 1: 2, 2: 7, 7: 255, 255: 256, 256: 600, 600: 1000}[start]
        assert batched.extend(hashes[start:end]) == end
    assert batched.root() == one_by_one.root()
    for level in range(11):
        assert batched.store.count(level) == one_by_one.store.count(level) == 1000 >> level


def test_reopening_a_store_resumes_the_tree() -> None:
    store = MemoryHashStore()
    first = MerkleTree(store)
    first.extend(_hashes(777))
    again = MerkleTree(store)
    assert again.size == 777
    assert again.root() == first.root()
    again.append(leaf_hash(b"next"))
    first_root = again.root()
    reference = _tree(777)
    reference.append(leaf_hash(b"next"))
    assert first_root == reference.root()


def test_memory_store_is_a_hash_store_and_packs_hashes() -> None:
    store: HashStore = MemoryHashStore()
    tree = MerkleTree(store)
    tree.extend(_hashes(1024))
    assert store.count(0) == 1024
    assert store.count(10) == 1
    assert store.count(11) == 0
    assert store.get_range(0, 0, 2) == b"".join(_hashes(2))
    assert store.get_many([(10, 0), (0, 1)]) == [tree.root(), _hashes(2)[1]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda t: t.root(11), r"tree size 11 is outside 0\.\.10", id="root-beyond-size"
        ),
        pytest.param(lambda t: t.root(-1), "tree size -1", id="root-negative-size"),
        pytest.param(
            lambda t: t.inclusion_proof(5, 11), "tree size 11", id="inclusion-size-beyond"
        ),
        pytest.param(
            lambda t: t.inclusion_proof(5, 5), "index 5 is not in", id="inclusion-index-eq-size"
        ),
        pytest.param(lambda t: t.inclusion_proof(-1, 5), "index -1", id="inclusion-index-negative"),
        pytest.param(
            lambda t: t.consistency_proof(0, 5), "old size 0", id="consistency-from-empty"
        ),
        pytest.param(lambda t: t.consistency_proof(6, 5), "old size 6", id="consistency-shrinking"),
        pytest.param(lambda t: t.consistency_proof(5, 11), "tree size 11", id="consistency-beyond"),
        pytest.param(lambda t: t.node(2, 2), "not a complete subtree", id="node-incomplete"),
        pytest.param(lambda t: t.node(0, 10), "not a complete subtree", id="node-beyond"),
        pytest.param(lambda t: t.node(-1, 0), "not a complete subtree", id="node-negative-level"),
        pytest.param(lambda t: t.nodes(0, 8, 3), "not all complete", id="nodes-beyond"),
    ],
)
def test_out_of_range_requests_raise(call: Callable[[MerkleTree], object], message: str) -> None:
    tree = _tree(10)
    with pytest.raises(ProofRequestError, match=message):
        call(tree)


def test_proof_request_error_is_a_value_error() -> None:
    assert issubclass(ProofRequestError, ValueError)


def test_equal_sizes_give_an_empty_consistency_proof() -> None:
    assert _tree(10).consistency_proof(7, 7) == []


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33], ids=["empty", "31", "33"])
def test_leaf_hashes_must_be_32_bytes(bad: bytes) -> None:
    tree = _tree(3)
    with pytest.raises(ValueError, match="32 bytes"):
        tree.append(bad)
    with pytest.raises(ValueError, match="leaf hash 1 of the batch"):
        tree.extend([_hashes(1)[0], bad])
    assert tree.size == 3
    assert tree.root() == _tree(3).root()


def test_proofs_read_only_stored_nodes() -> None:
    """A proof costs O(log n) stored hashes, whatever the (index, size)."""

    class CountingStore(MemoryHashStore):
        reads = 0

        def get_many(self, positions: Sequence[tuple[int, int]]) -> list[bytes]:
            self.reads += len(positions)
            return super().get_many(positions)

    store = CountingStore()
    tree = MerkleTree(store)
    tree.extend(_hashes(5000))
    for index, size in [(0, 5000), (4999, 5000), (1234, 4097), (4095, 4097), (3, 4)]:
        store.reads = 0
        tree.inclusion_proof(index, size)
        assert store.reads <= 2 * size.bit_length()
        store.reads = 0
        tree.consistency_proof(index + 1, size)
        assert store.reads <= 2 * size.bit_length() + 1


@pytest.mark.parametrize(("grown", "kept"), [(1, 0), (7, 5), (16, 9), (300, 256), (513, 1)])
def test_truncate_forgets_an_uncommitted_batch(grown: int, kept: int) -> None:
    hashes = [hashlib.sha256(b"%d" % i).digest() for i in range(grown + 40)]
    tree = MerkleTree()
    tree.extend(hashes[:grown])
    tree.truncate(kept)
    assert tree.size == kept
    reference = MerkleTree()
    reference.extend(hashes[:kept])
    if kept:
        assert tree.root() == reference.root()
    # appending after the truncation gives the same tree as never having grown
    tree.extend(hashes[kept : kept + 40])
    reference.extend(hashes[kept : kept + 40])
    assert tree.root() == reference.root()
    assert tree.inclusion_proof(kept, kept + 40) == reference.inclusion_proof(kept, kept + 40)


def test_truncate_beyond_the_size_is_refused() -> None:
    tree = MerkleTree()
    tree.extend([bytes(32)] * 3)
    with pytest.raises(ProofRequestError, match="truncate"):
        tree.truncate(4)
