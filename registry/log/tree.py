"""The append-only RFC 9162 Merkle tree, kept as stored complete-subtree hashes.

Node (level L, index j) is the hash of leaves ``[j * 2**L, (j + 1) * 2**L)``;
a node is stored once both halves exist and never changes afterwards.  Any
root, inclusion proof or consistency proof, for the current size or any
earlier one, is read from O(log n) stored nodes: a subtree that runs into
the right edge of an older tree is folded from the complete subtrees that
make it up, never rehashed from leaves (:mod:`registry.log.folds`).

Storage is handed in (a :class:`~registry.log.hash_store.HashStore`), as
Trillian Tessera hands its storage to the integration code, so the same tree
runs in memory or on disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from registry.log.folds import edge_positions, fold_hashes, memory_fold, right_folds
from registry.log.hash_store import HashStore, MemoryHashStore, hash_at
from registry.verify.merkle import EMPTY_ROOT, HASH_SIZE, NODE_PREFIX

_sha256 = hashlib.sha256

# Right folds (see MerkleTree._fold_at) are kept for this many tree sizes, the
# checkpoints that proofs are asked under; a size earns its place on its second
# request, so a stream of one-off sizes costs a set lookup and never evicts them.
_FOLD_SIZES = 32
_FOLD_ASKED = 4096


class ProofRequestError(ValueError):
    """A root, proof or node was asked for outside the tree (bad index or size)."""


class MerkleTree:
    """An append-only RFC 9162 tree over 32-byte leaf hashes.

    Appending costs one SHA-256 per leaf on average (the parents it
    completes); the caller has already spent one on the leaf hash.  Every
    read is O(log n) stored hashes.  One writer at a time: threads that share
    a tree while it grows must hold a lock around appends and reads.
    """

    __slots__ = (
        "_fold_asked",
        "_folds",
        "_frontier",
        "_levels",
        "_size",
        "_store",
        "_store_append",
    )

    def __init__(self, store: HashStore | None = None) -> None:
        """Open the tree kept in ``store`` (a new :class:`MemoryHashStore` if none)."""
        self._store: HashStore = MemoryHashStore() if store is None else store
        self._store_append = self._store.append
        # Proofs over the in-memory store read its arrays directly (about 10%
        # faster, see bench/); other stores get one get_many read per proof.
        self._levels = self._store._levels if type(self._store) is MemoryHashStore else None
        self._size = self._store.count(0)
        # The complete subtrees along the right edge, largest (leftmost) first:
        # one per set bit of the size.  Appends only ever touch these.
        self._frontier: list[bytes] = self._store.get_many(
            edge_positions(self._size, self._size.bit_length())[::-1]
        )
        # Right folds by tree size (valid until a truncate below that size:
        # appends never change what an older size folds), and the sizes asked
        # for once.  Only ever replaced or grown, so readers see a whole dict.
        self._folds: dict[int, list[bytes]] = {}
        self._fold_asked: set[int] = set()

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def truncate(self, size: int) -> None:
        """Forget every leaf from ``size`` on, as if they were never appended.

        For a writer whose batch was appended but could not be made durable:
        the nodes those leaves completed are dropped and the right edge is
        read back for ``size``.  Raises :class:`ProofRequestError` for a size
        outside ``0..self.size``.
        """
        if not 0 <= size <= self._size:
            raise ProofRequestError(f"cannot truncate a tree of {self._size} leaves to {size}")
        for level in range(self._size.bit_length()):
            self._store.truncate(level, size >> level)
        self._size = size
        self._frontier = self._store.get_many(edge_positions(size, size.bit_length())[::-1])
        # Folds of sizes past the cut would hash leaves that are gone (and may
        # come back different); those up to it read only nodes that stay.
        self._folds = {kept: folds for kept, folds in self._folds.items() if kept <= size}

    def settle(self, size: int) -> None:
        """The leaves below ``size`` are durable (under a checkpoint): see ``HashStore.settle``."""
        self._store.settle(size)

    @property
    def store(self) -> HashStore:
        """The store the tree keeps its hashes in."""
        return self._store

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash and return its index.

        Raises ``ValueError`` (and appends nothing) unless ``leaf_hash`` is 32 bytes.
        """
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(leaf_hash)}")
        index = self._size
        store_append = self._store_append
        store_append(0, leaf_hash)
        if not index & 1:
            # Half of all appends complete no parent.
            self._frontier.append(leaf_hash)
            self._size = index + 1
            return index
        frontier = self._frontier
        sha256 = _sha256
        node = leaf_hash
        pending = index
        level = 0
        while pending & 1:
            node = sha256(NODE_PREFIX + frontier.pop() + node).digest()
            level += 1
            store_append(level, node)
            pending >>= 1
        frontier.append(node)
        self._size = index + 1
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> int:
        """Append many leaf hashes in order (one batch, one write per level); return the new size.

        Raises ``ValueError`` and appends nothing if any hash is not 32 bytes.
        """
        hashes = leaf_hashes if isinstance(leaf_hashes, list) else list(leaf_hashes)
        if not hashes:
            return self._size
        if set(map(len, hashes)) != {HASH_SIZE}:
            bad = next(i for i, h in enumerate(hashes) if len(h) != HASH_SIZE)
            raise ValueError(f"leaf hash {bad} of the batch is not {HASH_SIZE} bytes")
        store = self._store
        sha256 = _sha256
        old_size = self._size
        new_size = old_size + len(hashes)
        data = b"".join(hashes)
        level = 0
        while data:
            store.append(level, data)
            # A node left waiting for its right sibling joins the new ones.
            if (old_size >> level) & 1:
                data = store.get(level, (old_size >> level) - 1) + data
            end = len(data) - len(data) % (2 * HASH_SIZE)
            data = b"".join(
                [sha256(NODE_PREFIX + data[i : i + 64]).digest() for i in range(0, end, 64)]
            )
            level += 1
        self._size = new_size
        self._frontier = store.get_many(edge_positions(new_size, new_size.bit_length())[::-1])
        return new_size

    def node(self, level: int, index: int) -> bytes:
        """Return the stored hash of complete subtree (``level``, ``index``).

        Raises :class:`ProofRequestError` if that subtree is not complete yet.
        """
        if level < 0 or index < 0 or ((index + 1) << level) > self._size:
            raise ProofRequestError(
                f"node (level {level}, index {index}) is not a complete subtree of a tree of "
                f"{self._size} leaves"
            )
        return self._store.get(level, index)

    def nodes(self, level: int, start: int, count: int) -> bytes:
        """Return ``count`` consecutive stored hashes of ``level`` from ``start``, concatenated.

        Raises :class:`ProofRequestError` unless all of them are complete subtrees.
        """
        if level < 0 or start < 0 or count < 0 or ((start + count) << level) > self._size:
            raise ProofRequestError(
                f"nodes {start}..{start + count} of level {level} are not all complete subtrees "
                f"of a tree of {self._size} leaves"
            )
        return self._store.get_range(level, start, count)

    def root_kept(self, size: int) -> bool:
        """Whether the root of ``size`` is made from what is in memory (the current size, or
        a size whose right folds are kept) rather than from its last leaf tile's nodes."""
        return size == self._size or size in self._folds

    def root(self, size: int | None = None) -> bytes:
        """Return the root hash of the tree at ``size`` leaves (default: now).

        The empty tree's root is SHA-256 of the empty string.  Raises
        :class:`ProofRequestError` for a size the tree has not reached.
        """
        if size is None or size == self._size:
            frontier = self._frontier
            if not frontier:
                return EMPTY_ROOT
            node = frontier[-1]
            for left in reversed(frontier[:-1]):
                node = _sha256(NODE_PREFIX + left + node).digest()
            return node
        self._check_size(size, "root")
        if size == 0:
            return EMPTY_ROOT
        return self._fold_at(size, size.bit_length())

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return the RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves.

        Raises :class:`ProofRequestError` unless ``0 <= index < size <= self.size``.
        """
        if not 0 <= size <= self._size:
            self._check_size(size, "inclusion proof")
        if not 0 <= index < size:
            raise ProofRequestError(
                f"inclusion proof: leaf index {index} is not in a tree of {size} leaves"
            )
        levels = self._levels
        if levels is None:
            return self._path(0, index, size)
        # _path for a leaf over the in-memory arrays, inlined: this is the
        # proof a log serves most, and CPython pays for every call and level.
        at = hash_at
        inner = (index ^ (size - 1)).bit_length()
        top = inner - 1
        proof = [at(levels[i], ((index >> i) ^ 1) << 5)[0] for i in range(top)]
        if inner:
            sibling = (index >> top) ^ 1
            if ((sibling + 1) << top) <= size:
                proof.append(at(levels[top], sibling << 5)[0])
            else:
                folds = self._folds.get(size)
                if folds is None:
                    asked = self._fold_asked
                    if size not in asked:
                        if len(asked) >= _FOLD_ASKED:
                            asked.clear()
                        asked.add(size)
                        proof.append(memory_fold(levels, size, top))
                    else:
                        proof.append(self._keep_folds(size)[top])
                else:
                    proof.append(folds[top])
        node = index >> inner
        if node:
            proof += [
                at(levels[inner + b], ((node >> b) ^ 1) << 5)[0]
                for b in range(node.bit_length())
                if (node >> b) & 1
            ]
        return proof

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Return the RFC 9162 consistency proof from ``old_size`` to ``new_size`` leaves.

        Equal sizes give an empty proof.  Raises :class:`ProofRequestError`
        unless ``0 < old_size <= new_size <= self.size``: a proof from the
        empty tree proves nothing, and verifiers refuse it.
        """
        self._check_size(new_size, "consistency proof")
        if not 0 < old_size <= new_size:
            raise ProofRequestError(
                f"consistency proof: old size {old_size} must be between 1 and the new size "
                f"{new_size}"
            )
        if old_size == new_size:
            return []
        # Start from the largest complete subtree that ends at old_size; the
        # verifier knows it already when it is the whole old tree.
        level = (old_size & -old_size).bit_length() - 1
        index = (old_size - 1) >> level
        if self._levels is not None:
            return self._memory_path(self._levels, level, index, new_size, index > 0)
        return self._path(level, index, new_size, with_node=index > 0)

    def _check_size(self, size: int, what: str) -> None:
        """Refuse a tree size that is negative or not reached yet."""
        if not 0 <= size <= self._size:
            raise ProofRequestError(
                f"{what}: tree size {size} is outside 0..{self._size} (the current size)"
            )

    def _path(self, level: int, index: int, size: int, *, with_node: bool = False) -> list[bytes]:
        """The proof hashes for complete node (level, index) in the tree of ``size`` leaves.

        With ``with_node`` the node's own hash comes first (a consistency
        proof's seed).  All stored hashes the proof needs are fetched in one
        ``get_many`` read (none for a right fold already kept).
        """
        if self._levels is not None:
            return self._memory_path(self._levels, level, index, size, with_node)
        inner = (index ^ ((size - 1) >> level)).bit_length()
        top = inner - 1
        # Inner hashes: the sibling at each level below where the path meets
        # the right edge.  All but the topmost are complete subtrees.
        positions = [(level + i, (index >> i) ^ 1) for i in range(top)]
        if with_node:
            positions.insert(0, (level, index))
        edge: list[tuple[int, int]] = []
        fold = b""
        if inner:
            top_level = level + top
            sibling = (index >> top) ^ 1
            if ((sibling + 1) << top_level) <= size:
                positions.append((top_level, sibling))
            else:
                # It runs past `size`: fold it from the subtrees it is made of.
                folds = self._kept_folds(size)
                if folds is None:
                    edge = edge_positions(size, top_level)
                else:
                    fold = folds[top_level]
        # Border hashes: the complete left siblings of the right edge above.
        node = index >> inner
        base = level + inner
        border = [(base + b, (node >> b) ^ 1) for b in range(node.bit_length()) if (node >> b) & 1]
        split = len(positions)
        hashes = self._store.get_many(positions + border + edge)
        if edge:
            fold = fold_hashes(hashes[split + len(border) :])
            del hashes[split + len(border) :]
        if fold:
            hashes.insert(split, fold)
        return hashes

    def _memory_path(
        self, levels: list[bytearray], level: int, index: int, size: int, with_node: bool
    ) -> list[bytes]:
        """:meth:`_path` over a :class:`MemoryHashStore`'s arrays, in one pass."""
        at = hash_at
        inner = (index ^ ((size - 1) >> level)).bit_length()
        top = inner - 1
        proof = [at(levels[level + i], ((index >> i) ^ 1) << 5)[0] for i in range(top)]
        if with_node:
            proof.insert(0, at(levels[level], index << 5)[0])
        if inner:
            top_level = level + top
            sibling = (index >> top) ^ 1
            if ((sibling + 1) << top_level) <= size:
                proof.append(at(levels[top_level], sibling << 5)[0])
            else:
                folds = self._folds.get(size) or self._asked_folds(size)
                proof.append(folds[top_level] if folds else memory_fold(levels, size, top_level))
        node = index >> inner
        if node:
            base = level + inner
            proof += [
                at(levels[base + b], ((node >> b) ^ 1) << 5)[0]
                for b in range(node.bit_length())
                if (node >> b) & 1
            ]
        return proof

    def _fold_at(self, size: int, level: int) -> bytes:
        """The right fold of ``size`` at ``level``: the incomplete subtree there that ends the tree.

        That is the hash of leaves ``size - size % 2**level`` to ``size``,
        folded from one complete subtree per set bit of ``size`` below
        ``level``; the caller knows there is at least one.  Every proof whose
        path meets the right edge at ``level`` needs it, so proofs under the
        same tree size share it: see :meth:`_kept_folds`.
        """
        folds = self._kept_folds(size)
        if folds is not None:
            return folds[level]
        if self._levels is not None:
            return memory_fold(self._levels, size, level)
        return fold_hashes(self._store.get_many(edge_positions(size, level)))

    def _kept_folds(self, size: int) -> list[bytes] | None:
        """All right folds of ``size`` by level if kept, else ``None`` and the caller folds.

        A size asked for the second time gets all its folds computed at once
        (one read of its right edge, one hash per set bit of the size) and
        kept, so every later proof under it reads its fold instead of hashing.
        (The proofs over in-memory arrays have this inlined.)
        """
        return self._folds.get(size) or self._asked_folds(size)

    def _asked_folds(self, size: int) -> list[bytes] | None:
        """:meth:`_kept_folds` for a size whose folds are not kept: keep them if asked before."""
        asked = self._fold_asked
        if size in asked:
            return self._keep_folds(size)
        if len(asked) >= _FOLD_ASKED:
            asked.clear()
        asked.add(size)
        return None

    def _keep_folds(self, size: int) -> list[bytes]:
        """Compute and keep every right fold of ``size`` (evicting the older half when full)."""
        folds = right_folds(size, self._store.get_many(edge_positions(size, size.bit_length())))
        kept = self._folds
        if len(kept) >= _FOLD_SIZES:
            # A new dict, so a reader in another thread never sees one change
            # size under it.
            kept = dict(list(kept.items())[_FOLD_SIZES // 2 :])
        kept[size] = folds
        self._folds = kept
        return folds
