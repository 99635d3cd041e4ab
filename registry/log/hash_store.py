"""Where a :class:`~registry.log.tree.MerkleTree` keeps its complete-subtree hashes.

:class:`HashStore` is the protocol the tree is handed (as Trillian Tessera
hands its storage to the integration code), so the same tree runs in memory
or on disk: level 0 holds the leaf hashes, level L the hashes of complete
subtrees of 2**L leaves, left to right, and stores only ever grow at the end
(or are cut back by a truncate).  :class:`MemoryHashStore` is the in-memory
one, one ``bytearray`` of packed 32-byte hashes per level; :data:`hash_at`
reads a hash out of such an array, and the tree's and the right folds' fast
paths read those arrays directly with it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Protocol

from registry.verify.merkle import HASH_SIZE

# Hash (level, j) sits at byte j << 5 (j * HASH_SIZE) of its level's array.
# unpack_from copies those 32 bytes out about twice as fast as bytes(array[a:b]).
hash_at: Callable[[bytearray, int], tuple[bytes]] = struct.Struct(f"{HASH_SIZE}s").unpack_from


class HashStore(Protocol):
    """Where the tree keeps its complete-subtree hashes, level by level.

    Level 0 holds the leaf hashes; level L holds the hashes of complete
    subtrees of 2**L leaves, left to right.  Stores only ever grow at the end.
    """

    def count(self, level: int) -> int:
        """Return how many hashes level ``level`` holds (0 for a level never written)."""
        ...

    def get(self, level: int, index: int) -> bytes:
        """Return the 32-byte hash at (``level``, ``index``), which the caller knows is stored."""
        ...

    def get_many(self, positions: Sequence[tuple[int, int]]) -> list[bytes]:
        """Return the hashes at the given (level, index) positions, in order (one read)."""
        ...

    def get_range(self, level: int, start: int, count: int) -> bytes:
        """Return ``count`` consecutive hashes of ``level`` from ``start``, concatenated."""
        ...

    def append(self, level: int, hashes: bytes) -> None:
        """Append one or more concatenated 32-byte hashes to the end of ``level``."""
        ...

    def truncate(self, level: int, count: int) -> None:
        """Keep only the first ``count`` hashes of ``level`` (undoes appends never committed)."""
        ...

    def settle(self, size: int) -> None:
        """The leaves below ``size`` are durable: a store may let their lower levels go."""
        ...


class MemoryHashStore:
    """A :class:`HashStore` in memory: one ``bytearray`` of packed hashes per level.

    About 64 bytes per leaf in all (32 for the leaf, 32 spread over the levels above).
    """

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: list[bytearray] = []

    @property
    def levels(self) -> list[bytearray]:
        """The packed hashes of each level (for readers that index them directly)."""
        return self._levels

    def count(self, level: int) -> int:
        """Return how many hashes level ``level`` holds."""
        levels = self._levels
        return len(levels[level]) // HASH_SIZE if level < len(levels) else 0

    def get(self, level: int, index: int) -> bytes:
        """Return the hash at (``level``, ``index``)."""
        return hash_at(self._levels[level], index << 5)[0]

    def get_many(self, positions: Sequence[tuple[int, int]]) -> list[bytes]:
        """Return the hashes at the given (level, index) positions, in order."""
        levels = self._levels
        return [hash_at(levels[level], index << 5)[0] for level, index in positions]

    def get_range(self, level: int, start: int, count: int) -> bytes:
        """Return ``count`` hashes of ``level`` from ``start``, concatenated."""
        return bytes(self._levels[level][start * HASH_SIZE : (start + count) * HASH_SIZE])

    def append(self, level: int, hashes: bytes) -> None:
        """Append concatenated hashes to ``level``, creating the level when it is the next one."""
        try:
            self._levels[level] += hashes
        except IndexError:
            if level != len(self._levels):
                raise
            self._levels.append(bytearray(hashes))

    def truncate(self, level: int, count: int) -> None:
        """Keep only the first ``count`` hashes of ``level``."""
        if level < len(self._levels):
            del self._levels[level][count * HASH_SIZE :]

    def settle(self, size: int) -> None:
        """Nothing to do: this store keeps every level."""
