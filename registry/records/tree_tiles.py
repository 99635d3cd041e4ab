"""The leaf tiles a bounded tree needs, read from the store and checked before a computation.

The tree (:mod:`registry.log.tiled_store`) keeps only its levels 8 and up, the
leaves not yet settled and a cache of full leaf tiles; its code is synchronous
and raises :class:`~registry.log.tiled_store.TilesNeeded` for a node below level
8 in a tile it does not hold.  :meth:`TreeTiles.ensure` runs such a computation,
reads the tiles it asked for (one indexed range query of ``(idx, leaf_hash)``
per run of consecutive tiles), has the tree hash each up against the level-8
node it holds, and runs it again.  A tile whose hashes were edited in the
database is refused as a :class:`~registry.records.errors.TamperedEntry`
carrying both hashes: the request fails, it is never answered from them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
from registry.store.repository import Store

T = TypeVar("T")


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

    async def ensure(self, compute: Callable[[], T], leaves: Iterable[int] = ()) -> T:
        """``compute()``, once the tiles it needs are in memory (the tiles of ``leaves`` read
        first, in one go, when the caller knows them: many leaves, one round).

        Raises :class:`TamperedEntry` if a tile read does not hash to the tree's node.
        Nothing is awaited between the last load and ``compute``, so no other
        request can evict what it needs in between.
        """
        tiled = self._state.tree.store
        if not isinstance(tiled, TiledHashStore):
            return compute()
        wanted = {index // TILE_LEAVES for index in leaves}
        if wanted:
            await self._load(tiled, wanted)
        try:
            while True:
                try:
                    return compute()
                except TilesNeeded as need:
                    asked = set(need.tiles)
                if asked <= wanted:  # pragma: no cover - load keeps every tile wanted
                    raise RuntimeError(f"leaf tiles {sorted(asked)} were loaded and are missing")
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

    async def _load(self, tiled: TiledHashStore, wanted: set[int]) -> None:
        fetched: dict[int, bytes] = {}
        for first, last in _runs(tiled.absent(wanted)):
            try:
                data = await self._store.leaf_hashes_between(
                    first * TILE_LEAVES, (last + 1) * TILE_LEAVES
                )
            except DamagedLog as exc:
                raise self._tampered(
                    TamperedEntry(first * TILE_LEAVES, "leaf_hash", "256 leaf hashes", str(exc))
                ) from exc
            for tile in range(first, last + 1):
                offset = (tile - first) * TILE_BYTES
                fetched[tile] = data[offset : offset + TILE_BYTES]
        self.tiles_read += len(fetched)
        try:
            tiled.load(fetched, keep=wanted)
        except TileMismatch as exc:
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
