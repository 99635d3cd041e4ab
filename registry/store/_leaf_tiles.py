"""Complete leaf tiles packed one row each (``leaf_tiles``): written with the batch that
completes a tile, read back as one row instead of 256 rows of ``entries``.

Mixed into :class:`registry.store.Store`.  The rows are derived from
``entries.leaf_hash`` and the store does not check them: their reader hashes
each up against the tree's level-8 node (``registry/records/tree_tiles.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import IN_LIST_CHUNK, in_chunks
from registry.store.models import EntryRecord
from registry.store.tables import CHECKPOINTS, ENTRIES, LEAF_TILES

TILE_LEAVES = 256
"""Leaves a tile (the tree's level 8: ``registry.log.tiled_store.TILE_LEAVES``)."""
HASH_SIZE = 32
TILE_BYTES = TILE_LEAVES * HASH_SIZE


class LeafTilesMixin:
    """Read and write ``leaf_tiles``."""

    _engine: AsyncEngine

    async def packed_tiles(self, tiles: Iterable[int]) -> dict[int, bytes]:
        """The packed rows of ``tiles`` that exist (any length: the caller checks them)."""
        wanted = sorted(set(tiles))
        found: dict[int, bytes] = {}
        async with self._engine.connect() as connection:
            for chunk in in_chunks(wanted, IN_LIST_CHUNK):
                query = select(LEAF_TILES.c.tile, LEAF_TILES.c.hashes).where(
                    LEAF_TILES.c.tile.in_(chunk)
                )
                found.update((int(t), bytes(h)) for t, h in await connection.execute(query))
        return found

    async def packed_tiles_of_entry(self, idx: int, *, receipt: bool = True) -> dict[int, bytes]:
        """In one query, the packed rows (unchecked, those that exist) of entry ``idx``'s tile
        and, with ``receipt``, of the tile where the first checkpoint above ``idx`` ends: the
        tile the root of the entry's receipt needs when the receipt is that checkpoint's (as
        the registrar issues them).  A guess for the second: the caller checks what the
        receipt says."""
        wanted = LEAF_TILES.c.tile == idx // TILE_LEAVES
        if receipt:
            covering = (
                select(func.min(CHECKPOINTS.c.size))
                .where(CHECKPOINTS.c.size > idx)
                .scalar_subquery()
            )
            wanted = or_(wanted, LEAF_TILES.c.tile == (covering - 1) // TILE_LEAVES)
        query = select(LEAF_TILES.c.tile, LEAF_TILES.c.hashes).where(wanted)
        async with self._engine.connect() as connection:
            return {int(t): bytes(h) for t, h in await connection.execute(query)}

    async def packed_tiles_between(self, first: int, end: int) -> dict[int, bytes]:
        """The packed rows of tiles ``first <= tile < end`` that exist (one range read)."""
        query = select(LEAF_TILES.c.tile, LEAF_TILES.c.hashes).where(
            LEAF_TILES.c.tile >= first, LEAF_TILES.c.tile < end
        )
        async with self._engine.connect() as connection:
            return {int(t): bytes(h) for t, h in await connection.execute(query)}

    async def fill_packed_tiles(self, tiles: Mapping[int, bytes]) -> None:
        """Write the rows of ``tiles`` (checked by the caller) that are missing; an existing
        row is left as it is (a writer or another reader was first; one that is wrong is
        found when read)."""
        if not tiles:
            return
        async with self._engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            rows = [{"tile": t, "hashes": h} for t, h in sorted(tiles.items())]
            await connection.execute(dialect.insert(LEAF_TILES).on_conflict_do_nothing(), rows)


def pack_completed_tiles(connection: Connection, size: int, entries: Sequence[EntryRecord]) -> None:
    """In a batch's transaction: write the packed row of each tile ``entries`` (appended at
    ``size``) complete, replacing a row of that tile left by another history (a restore).

    The leaves of the first such tile written before this batch are read back from
    ``entries``; if they are not all there (a damaged log) its row is not written, and
    a reader falls back to ``entries`` and finds the damage.
    """
    first, end = size // TILE_LEAVES, (size + len(entries)) // TILE_LEAVES
    if first >= end:
        return
    batch = b"".join(e.leaf_hash for e in entries)
    rows = [
        {"tile": tile, "hashes": batch[offset : offset + TILE_BYTES]}
        for tile in range(first, end)
        if (offset := (tile * TILE_LEAVES - size) * HASH_SIZE) >= 0
    ]
    base = first * TILE_LEAVES
    if size > base:  # the batch completes a tile begun before it
        query = (
            select(ENTRIES.c.leaf_hash)
            .where(ENTRIES.c.idx >= base, ENTRIES.c.idx < size)
            .order_by(ENTRIES.c.idx)
        )
        earlier = b"".join(connection.execute(query).scalars())
        if len(earlier) == (size - base) * HASH_SIZE:
            rows.insert(0, {"tile": first, "hashes": earlier + batch[: TILE_BYTES - len(earlier)]})
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(LEAF_TILES)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[LEAF_TILES.c.tile], set_={"hashes": statement.excluded.hashes}
        ),
        rows,
    )
