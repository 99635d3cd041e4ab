"""The leaf tiles a bounded tree needs, read from the store and checked before a computation.

The tree (:mod:`registry.log.tiled_store`) keeps only its levels 8 and up, the
leaves not yet settled and a cache of full leaf tiles; its code is synchronous
and raises :class:`~registry.log.tiled_store.TilesNeeded` for a node below level
8 in a tile it does not hold.  :meth:`TreeTiles.ensure` runs such a computation,
reads the tiles it asked for, has the tree hash each up against the level-8
node it holds, and runs it again.  A tile is read as one row of ``leaf_tiles``
(its 256 leaf hashes packed, written by the batch that completed it); a tile
without one (a log older than that table) is read from ``entries`` (one indexed
range query of ``(idx, leaf_hash)`` per run of consecutive tiles) and, once it
checks, its packed row is written for the next read.  A tile whose hashes were
edited in the database, in either table (changed, cut short, swapped with
another tile's, copied from another log) is refused as a
:class:`~registry.records.errors.TamperedEntry` carrying both hashes: the
request fails, it is never answered from them.  A packed row that does not
check is not replaced from ``entries``: it is evidence; deleting it (the
table is derived) makes the next read use ``entries`` again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from registry.log.state import LogState
from registry.log.tiled_store import (
    TILE_BYTES,
    TILE_LEAVES,
    TiledHashStore,
    TileMismatch,
    TilesNeeded,
)
from registry.records.errors import TamperedEntry
from registry.store.errors import DamagedLog
from registry.store.models import EntryRecord
from registry.store.repository import Store
from registry.verify.receipt import signed_tree_size

T = TypeVar("T")
log = logging.getLogger(__name__)


RELOADS = 8
"""Times a computation reads again tiles other requests evicted while it loaded them."""


class LeavesMissing(Exception):
    """Leaf hashes of entries ``first <= idx < end`` are missing or not 32 bytes in ``entries``."""

    def __init__(self, first: int, end: int, detail: str) -> None:
        self.first = first
        self.end = end
        self.detail = detail
        super().__init__(detail)


class TreeTiles:
    """Loads the leaf tiles ``state``'s tree asks for from ``store`` (see the module)."""

    def __init__(
        self, store: Store, state: LogState, tampered: Callable[[TamperedEntry], TamperedEntry]
    ) -> None:
        self._store = store
        self._state = state
        self._tampered = tampered
        self.tiles_read = 0
        """Tiles read from the store by this loader (for tests and benchmarks)."""
        self.tiles_packed = 0
        """Packed rows this loader wrote for tiles it read from ``entries`` (tests)."""

    async def ensure(
        self,
        compute: Callable[[], T],
        leaves: Iterable[int] = (),
        read: Mapping[int, bytes] | None = None,
    ) -> T:
        """``compute()``, once the tiles it needs are in memory (the tiles of ``leaves`` read
        first, in one go, when the caller knows them: many leaves, one round).

        ``read``: packed rows the caller already read (:meth:`entry_and_tiles`), used for
        the tiles they cover instead of reading them again; checked as any row read.
        Raises :class:`TamperedEntry` if a tile read does not hash to the tree's node.
        Nothing is awaited between the last load and ``compute``, so no other
        request can evict what it needs in between.
        """
        tiled = self._state.tree.store
        if not isinstance(tiled, TiledHashStore):
            return compute()
        wanted = {index // TILE_LEAVES for index in leaves}
        if wanted:
            await self._load(tiled, wanted, read or {})
        reloads = 0
        try:
            while True:
                try:
                    return compute()
                except TilesNeeded as need:
                    asked = set(need.tiles)
                if asked <= wanted:
                    # A tile that was cached when this load began was evicted by another
                    # request's load while this one awaited its reads: read it again.
                    reloads += 1
                    if reloads > RELOADS:
                        raise RuntimeError(
                            f"leaf tiles {sorted(asked)} evicted {RELOADS} times while loading"
                        )
                wanted |= asked
                await self._load(tiled, wanted)
        finally:
            if len(wanted) > 1:
                tiled.trim()  # what was kept past the cache's size for this computation

    async def preload(self, leaves: Iterable[int]) -> None:
        """Read the tiles of ``leaves`` into the cache, kept until the next load: for a caller
        that then checks those leaves without awaiting anything in between."""
        await self.ensure(lambda: None, leaves)

    async def load(self, tiles: Iterable[int]) -> None:
        """Read and check ``tiles`` into the tree's cache (for a caller that must await
        between loading and using them: they may be evicted again by then)."""
        tiled = self._state.tree.store
        if isinstance(tiled, TiledHashStore):
            await self._load(tiled, set(tiles))

    async def entry_and_tiles(
        self, index: int, *, receipt: bool
    ) -> tuple[EntryRecord | None, dict[int, bytes]]:
        """Entry ``index`` and, if its tile is not in memory, read at the same time the packed
        rows its check (``receipt``: and its receipt's) most likely needs
        (``Store.packed_tiles_of_entry``), unchecked: for :meth:`ensure`'s ``read``."""
        tiled = self._state.tree.store
        if isinstance(tiled, TiledHashStore) and tiled.absent([index // TILE_LEAVES]):
            return await self._store.entry_and_tiles(index, receipt=receipt)
        return await self._store.get_entry(index), {}

    def receipt_leaves(self, index: int, receipt: bytes) -> list[int]:
        """The leaves whose tiles checking entry ``index``'s ``receipt`` needs: the entry's,
        and the last of the tree size the receipt states (its root), if that size ends
        inside a tile.  Read from the unverified bytes: a hint of what to read at once."""
        size = signed_tree_size(receipt)
        if size is None or size > self._state.size or size % TILE_LEAVES == 0:
            return [index]
        if self._state.tree.root_kept(size):
            return [index]
        return [index, size - 1]

    async def _load(
        self, tiled: TiledHashStore, wanted: set[int], read: Mapping[int, bytes] | None = None
    ) -> None:
        absent = tiled.absent(wanted)
        if not absent:
            return
        packed = {tile: read[tile] for tile in absent if read and tile in read}
        if len(packed) < len(absent):
            packed.update(await self._store.packed_tiles(t for t in absent if t not in packed))
        for tile, data in packed.items():
            if len(data) != TILE_BYTES:
                raise self._tampered(_packed_evidence(tile, tiled.upper.get(0, tile), data))
        from_entries = await self._from_entries([t for t in absent if t not in packed])
        self.tiles_read += len(absent)
        try:
            checked = tiled.check({**packed, **from_entries})
        except TileMismatch as exc:
            if exc.tile in packed:
                raise self._tampered(
                    _packed_evidence(exc.tile, exc.expected, packed[exc.tile], exc.found)
                ) from exc
            first_leaf = exc.tile * TILE_LEAVES
            raise self._tampered(
                TamperedEntry(
                    first_leaf,
                    "leaf_hash",
                    f"leaf hashes {first_leaf}..{first_leaf + TILE_LEAVES - 1} hashing to"
                    f" {exc.expected.hex()}",
                    exc.found.hex(),
                )
            ) from exc
        if from_entries:
            # Before caching them: nothing is awaited between caching tiles and using them.
            await self._fill(from_entries)
        tiled.cache_checked(checked, keep=wanted)

    async def _from_entries(self, tiles: list[int]) -> dict[int, bytes]:
        """The leaf hashes of ``tiles`` read from ``entries`` (tiles with no packed row)."""
        try:
            return await tiles_from_entries(self._store, tiles)
        except LeavesMissing as exc:
            raise self._tampered(
                TamperedEntry(exc.first, "leaf_hash", "256 leaf hashes", exc.detail)
            ) from exc

    async def _fill(self, tiles: dict[int, bytes]) -> None:
        """Write the packed rows of ``tiles`` (read from ``entries`` and checked), so that the
        next read of each is one row; a failure (a read-only database, a lock) is only logged."""
        try:
            await self._store.fill_packed_tiles(tiles)
        except Exception:  # derived rows: a read never fails for them
            log.warning("could not save packed leaf tiles %s", sorted(tiles), exc_info=True)
        else:
            self.tiles_packed += len(tiles)


def _packed_evidence(
    tile: int, expected: bytes, data: bytes, found: bytes | None = None
) -> TamperedEntry:
    """The evidence of a packed row of ``leaf_tiles`` that is not the tree's tile ``tile``:
    the node it should hash to, and what it hashes to (or its length and SHA-256 if it is
    not 256 hashes long: truncated or padded)."""
    first_leaf = tile * TILE_LEAVES
    if found is None:
        shown = f"{len(data)} bytes, SHA-256 {hashlib.sha256(data).hexdigest()}"
    else:
        shown = found.hex()
    return TamperedEntry(
        first_leaf,
        "leaf_tiles",
        f"tile {tile}: {TILE_BYTES} bytes, the leaf hashes {first_leaf}.."
        f"{first_leaf + TILE_LEAVES - 1} hashing to {expected.hex()}",
        shown,
    )


async def tiles_from_entries(store: Store, tiles: list[int]) -> dict[int, bytes]:
    """The 256 leaf hashes of each of the full ``tiles`` read from ``entries`` (one range
    query per run of consecutive tiles), not checked; :class:`LeavesMissing` if one is missing."""
    fetched: dict[int, bytes] = {}
    for first, last in _runs(sorted(tiles)):
        start, end = first * TILE_LEAVES, (last + 1) * TILE_LEAVES
        try:
            data = await store.leaf_hashes_between(start, end)
        except DamagedLog as exc:
            raise LeavesMissing(start, end, str(exc)) from exc
        for tile in range(first, last + 1):
            offset = (tile - first) * TILE_BYTES
            fetched[tile] = data[offset : offset + TILE_BYTES]
    return fetched


async def full_tiles(store: Store, first: int, end: int) -> dict[int, bytes]:
    """The leaf hashes of full tiles ``first <= tile < end``, not checked: each tile's packed
    row if it is 256 hashes long, else read from ``entries``."""
    found = {
        tile: data
        for tile, data in (await store.packed_tiles_between(first, end)).items()
        if len(data) == TILE_BYTES
    }
    found.update(await tiles_from_entries(store, [t for t in range(first, end) if t not in found]))
    return found


def _runs(tiles: list[int]) -> Iterable[tuple[int, int]]:
    """Sorted ``tiles`` as runs of consecutive numbers (first, last)."""
    start = previous = None
    for tile in tiles:
        if previous is not None and tile == previous + 1:
            previous = tile
            continue
        if start is not None and previous is not None:
            yield start, previous
        start = previous = tile
    if start is not None and previous is not None:
        yield start, previous
