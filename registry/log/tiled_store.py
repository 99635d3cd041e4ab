"""A :class:`~registry.log.hash_store.HashStore` whose memory is O(n / 256 + tail), not O(n).

It keeps in memory the tree's levels 8 and up (one hash per 256 leaves: 1.25 MB
at ten million leaves), every level of the leaves not yet settled (the last,
partial 256-leaf tile and any leaves appended but not yet under a checkpoint),
and an LRU cache of a bounded number of full leaf tiles with their levels 0 to
7.  A read that needs a node below level 8 inside a full tile that is not
cached raises :class:`TilesNeeded` naming every such tile the read needs; the
caller (async, in ``registry/records``) reads those tiles' 256 leaf hashes from
the database and hands them to :meth:`TiledHashStore.load`, which hashes each
tile up and refuses it with :class:`TileMismatch` unless its root is the
level-8 node held in memory.  So a leaf hash edited in the database is found
the first time its tile is read, never served inside a proof.

The tree code (:class:`~registry.log.tree.MerkleTree`) is the same as over the
in-memory store: the same nodes, so byte-identical roots, proofs and tiles.
"""

from __future__ import annotations

import hashlib
import struct
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from registry.log.hash_store import MemoryHashStore
from registry.verify.merkle import HASH_SIZE, NODE_PREFIX

TILE_LEVEL = 8
"""The level whose nodes are the roots of the leaf tiles; it and the levels above stay in memory."""
TILE_LEAVES = 1 << TILE_LEVEL
TILE_BYTES = TILE_LEAVES * HASH_SIZE
DEFAULT_CACHED_TILES = 1024
"""Full leaf tiles kept (about 16 KiB each with their lower levels: 16 MiB)."""

_sha256 = hashlib.sha256
_LOW = range(TILE_LEVEL)
_Reader = Callable[[bytes | bytearray, int], tuple[bytes]]
hash_at: _Reader = struct.Struct(f"{HASH_SIZE}s").unpack_from


class TilesNeeded(LookupError):
    """A read needs the leaf hashes of full tiles that are not in memory: load them and retry."""

    def __init__(self, tiles: Iterable[int]) -> None:
        self.tiles = tuple(sorted(set(tiles)))
        super().__init__(f"leaf tiles {', '.join(map(str, self.tiles))} are not loaded")


class TileMismatch(ValueError):
    """The leaf hashes read for a tile do not hash to the level-8 node the tree holds for it.

    ``expected`` is the node in memory (restored from, or built over, hashes
    checked against the signed checkpoint), ``found`` what the hashes read give.
    """

    def __init__(self, tile: int, expected: bytes, found: bytes) -> None:
        self.tile = tile
        self.expected = expected
        self.found = found
        super().__init__(
            f"the leaf hashes of entries {tile * TILE_LEAVES} to {tile * TILE_LEAVES + 255} hash to"
            f" {found.hex()}, not to {expected.hex()}, the tree's node for them"
        )


def tile_levels(leaf_hashes: bytes) -> tuple[list[bytes], bytes]:
    """Levels 0 to 7 of one full tile (packed hashes each) and its root (its level-8 node)."""
    if len(leaf_hashes) != TILE_BYTES:
        raise ValueError(f"a full tile is {TILE_BYTES} bytes of hashes, got {len(leaf_hashes)}")
    levels = [leaf_hashes]
    data = leaf_hashes
    while len(data) > HASH_SIZE:
        data = b"".join(
            [_sha256(NODE_PREFIX + data[i : i + 64]).digest() for i in range(0, len(data), 64)]
        )
        levels.append(data)
    return levels[:TILE_LEVEL], data


class TiledHashStore:
    """Levels 8 and up, the unsettled leaves' levels, and an LRU of full tiles (see the module)."""

    __slots__ = ("_base", "_cache", "_capacity", "_low", "_settled", "_upper")

    def __init__(self, cached_tiles: int | None = None) -> None:
        """Keep ``cached_tiles`` full leaf tiles (default :data:`DEFAULT_CACHED_TILES`)."""
        if cached_tiles is None:
            cached_tiles = DEFAULT_CACHED_TILES
        if cached_tiles < 1:
            raise ValueError("at least one leaf tile must be cached")
        self._upper = MemoryHashStore()  # tree level L >= 8 is its level L - 8
        # Levels 0..7 of the leaves from tile _base on (the unsettled ones and the tail).
        self._low: list[bytearray] = [bytearray() for _ in range(TILE_LEVEL)]
        self._base = 0
        self._settled = 0
        self._cache: OrderedDict[int, list[bytes]] = OrderedDict()
        self._capacity = cached_tiles

    @classmethod
    def from_tile_roots(cls, roots: bytes, cached_tiles: int | None = None) -> TiledHashStore:
        """A store holding the levels 8 and up of a tree of ``len(roots) // 32`` full tiles,
        from their roots (its level-8 nodes), settled; their leaves are read when needed."""
        store = cls(cached_tiles)
        data, level = roots, 0
        while data:  # every complete subtree over the roots, level by level
            store._upper.append(level, data)
            end = len(data) - len(data) % (2 * HASH_SIZE)
            data = b"".join(
                [_sha256(NODE_PREFIX + data[i : i + 64]).digest() for i in range(0, end, 64)]
            )
            level += 1
        store._base = store._upper.count(0)
        store._settled = store._base * TILE_LEAVES
        return store

    # -- what the tree reads -------------------------------------------------

    def count(self, level: int) -> int:
        """How many hashes level ``level`` holds (cached or not)."""
        if level >= TILE_LEVEL:
            return self._upper.count(level - TILE_LEVEL)
        return (self._base << (TILE_LEVEL - level)) + len(self._low[level]) // HASH_SIZE

    def _where(self, level: int, index: int) -> tuple[bytes | bytearray, int] | int:
        """The array and byte offset of low node (level, index), or its tile if not in memory."""
        shift = TILE_LEVEL - level
        tile = index >> shift
        if tile >= self._base:
            return self._low[level], (index - (self._base << shift)) << 5
        levels = self._cache.get(tile)
        if levels is None:
            return tile
        self._cache.move_to_end(tile)
        return levels[level], (index - (tile << shift)) << 5

    def get(self, level: int, index: int) -> bytes:
        """The hash at (``level``, ``index``); :class:`TilesNeeded` if its tile is not here."""
        if level >= TILE_LEVEL:
            return self._upper.get(level - TILE_LEVEL, index)
        found = self._where(level, index)
        if isinstance(found, int):
            raise TilesNeeded([found])
        return hash_at(found[0], found[1])[0]

    def get_many(self, positions: Sequence[tuple[int, int]]) -> list[bytes]:
        """The hashes at ``positions``; :class:`TilesNeeded` names every tile missing for them.

        Every proof reads through here: the lookups are inlined (about twice as fast
        as one :meth:`_where` call per hash).
        """
        hashes: list[bytes] = []
        add = hashes.append
        missing: set[int] = set()
        upper = self._upper.levels
        low, base, cache, at = self._low, self._base, self._cache, hash_at
        for level, index in positions:
            if level >= TILE_LEVEL:
                add(at(upper[level - TILE_LEVEL], index << 5)[0])
                continue
            shift = TILE_LEVEL - level
            tile = index >> shift
            if tile >= base:
                add(at(low[level], (index - (base << shift)) << 5)[0])
                continue
            levels = cache.get(tile)
            if levels is None:
                missing.add(tile)
            else:
                cache.move_to_end(tile)
                add(at(levels[level], (index - (tile << shift)) << 5)[0])
        if missing:
            raise TilesNeeded(missing)
        return hashes

    def get_range(self, level: int, start: int, count: int) -> bytes:
        """``count`` consecutive hashes of ``level`` from ``start``, concatenated."""
        if level >= TILE_LEVEL:
            return self._upper.get_range(level - TILE_LEVEL, start, count)
        if count <= 0:
            return b""
        first, last = self._where(level, start), self._where(level, start + count - 1)
        if not isinstance(first, int) and not isinstance(last, int) and first[0] is last[0]:
            return bytes(first[0][first[1] : last[1] + HASH_SIZE])
        return b"".join(self.get_many([(level, i) for i in range(start, start + count)]))

    # -- what the tree writes ------------------------------------------------

    def append(self, level: int, hashes: bytes) -> None:
        """Append hashes to ``level``; a completed tile may leave the unsettled part."""
        if level < TILE_LEVEL:
            self._low[level] += hashes
            return
        self._upper.append(level - TILE_LEVEL, hashes)
        if level == TILE_LEVEL:
            self._compact()

    def truncate(self, level: int, count: int) -> None:
        """Keep only the first ``count`` hashes of ``level``.

        Cutting level 0 back into a full tile that has left memory needs that
        tile (raises :class:`TilesNeeded`, changing nothing); a writer only cuts
        back leaves not yet settled, which are always here.
        """
        if level >= TILE_LEVEL:
            self._upper.truncate(level - TILE_LEVEL, count)
            return
        if level == 0:
            self._cut_leaves(count)
        del self._low[level][(count - (self._base << (TILE_LEVEL - level))) * HASH_SIZE :]

    def _cut_leaves(self, count: int) -> None:
        tile, rest = count >> TILE_LEVEL, count & (TILE_LEAVES - 1)
        if tile < self._base:
            levels = self._cache.get(tile) if rest else None
            if rest and levels is None:
                raise TilesNeeded([tile])
            kept = levels or [b""] * TILE_LEVEL
            self._low = [bytearray(kept[lv][: (rest >> lv) * HASH_SIZE]) for lv in _LOW]
            self._base = tile
        for stale in [t for t in self._cache if t >= tile]:
            del self._cache[stale]
        self._settled = min(self._settled, count)

    def settle(self, size: int) -> None:
        """Leaves below ``size`` are durable (under a checkpoint): their tiles may leave memory."""
        self._settled = size
        self._compact()

    def _compact(self) -> None:
        """Move the settled full tiles out of the unsettled part (the newest into the cache).

        The tile holding the last settled leaf stays, so a writer can always
        read it back after cutting off what it appended since.
        """
        settled_tile = (self._settled - 1) >> TILE_LEVEL if self._settled else 0
        target = min(self._upper.count(0), settled_tile)
        moved = target - self._base
        if moved <= 0:
            return
        first_cached = max(self._base, target - self._capacity)
        for tile in range(first_cached, target):
            offset = tile - self._base
            self._remember(
                tile,
                [
                    bytes(
                        self._low[lv][(offset << (TILE_LEVEL - lv)) * HASH_SIZE :][
                            : (TILE_LEAVES >> lv) * HASH_SIZE
                        ]
                    )
                    for lv in range(TILE_LEVEL)
                ],
            )
        for lv in range(TILE_LEVEL):
            del self._low[lv][: (moved << (TILE_LEVEL - lv)) * HASH_SIZE]
        self._base = target
        self._evict(())

    # -- loading tiles -------------------------------------------------------

    @property
    def full_tiles(self) -> int:
        """How many full leaf tiles the tree has (their roots are its level-8 nodes)."""
        return self._upper.count(0)

    def absent(self, tiles: Iterable[int]) -> list[int]:
        """Those of ``tiles`` (full tiles of the tree) that must be read to be used, in order."""
        return sorted({t for t in tiles if t < self._base and t not in self._cache})

    def load(self, tiles: Mapping[int, bytes], keep: Collection[int] = ()) -> None:
        """Check and cache full tiles from their 256 leaf hashes each, keeping ``keep`` cached too.

        Raises :class:`TileMismatch` (caching none of ``tiles``) if a tile's
        hashes do not hash up to the level-8 node the tree holds for it, and
        ``ValueError`` for a tile the tree has not completed or a wrong length.
        """
        self.cache_checked(self.check(tiles), keep)

    def check(self, tiles: Mapping[int, bytes]) -> dict[int, list[bytes]]:
        """The levels 0 to 7 of each of ``tiles`` (full tiles, 256 leaf hashes each), once each
        hashes up to the level-8 node the tree holds for it; :class:`TileMismatch` for the
        first that does not, ``ValueError`` as :meth:`load`.  Caches nothing."""
        checked: dict[int, list[bytes]] = {}
        for tile, hashes in tiles.items():
            if not 0 <= tile < self.full_tiles:
                raise ValueError(f"tile {tile} is not a full tile of {self.full_tiles}")
            levels, root = tile_levels(hashes)
            expected = self._upper.get(0, tile)
            if root != expected:
                raise TileMismatch(tile, expected, root)
            checked[tile] = levels
        return checked

    def cache_checked(self, checked: Mapping[int, list[bytes]], keep: Collection[int] = ()) -> None:
        """Cache tiles :meth:`check` returned, keeping ``keep`` cached too (see :meth:`load`)."""
        for tile, levels in checked.items():
            if tile < self._base:
                self._remember(tile, levels)
        for tile in keep:
            if tile in self._cache:
                self._cache.move_to_end(tile)
        self._evict(set(keep) | set(checked))

    def forget_cached(self) -> None:
        """Drop every cached full tile (benchmarks: every settled tile read again)."""
        self._cache.clear()

    def trim(self) -> None:
        """Evict down to the cache's size (after a load that kept more for one computation)."""
        self._evict(())

    def _remember(self, tile: int, levels: list[bytes]) -> None:
        self._cache[tile] = levels
        self._cache.move_to_end(tile)

    def _evict(self, keep: Collection[int]) -> None:
        cache = self._cache
        excess = len(cache) - max(self._capacity, len(keep))
        for tile in [t for t in cache if t not in keep][: max(0, excess)]:
            del cache[tile]

    # -- start-up state ------------------------------------------------------

    @property
    def upper(self) -> MemoryHashStore:
        """Levels 8 and up (level L as level L - 8), what a start-up snapshot saves."""
        return self._upper

    def memory(self) -> int:
        """Bytes of hashes held: levels 8 and up, the unsettled leaves' levels and the cache."""
        upper, level = 0, 0
        while count := self._upper.count(level):
            upper += count * HASH_SIZE
            level += 1
        low = sum(len(a) for a in self._low)
        return upper + low + sum(len(a) for levels in self._cache.values() for a in levels)
