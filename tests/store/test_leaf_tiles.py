"""``leaf_tiles``: the batch that completes a leaf tile writes its 256 leaf hashes packed.

Whatever the batches' sizes (a tile begun by one batch and finished by another,
several tiles in one batch, a batch that completes none), each complete tile has
one row equal to its entries' leaf hashes and the partial tile has none; a row
left by another history (a restore) is replaced when its tile completes; a
reader's fill never overwrites a row.
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, text, update

from registry.store import Store, upgrade
from registry.store.engine import create_engine
from registry.store.tables import CHECKPOINTS, ENTRIES, LEAF_TILES

from .records import checkpoint, entries

TILE = 256


async def _packed(store: Store) -> dict[int, bytes]:
    return await store.packed_tiles_between(0, 1 << 40)


async def _append(store: Store, sizes: list[int]) -> int:
    size = 0
    for count in sizes:
        await store.append_batch(entries(size, size + count), checkpoint(size + count))
        size += count
    return size


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.integers(1, 600), min_size=1, max_size=5))
@example(sizes=[100, 300, 700])
async def test_every_complete_tile_is_packed_whatever_the_batches(
    store: Store, sizes: list[int]
) -> None:
    async with store._engine.begin() as connection:  # the fixture's store is reused
        await connection.execute(LEAF_TILES.delete())
        await connection.execute(ENTRIES.delete())
        await connection.execute(CHECKPOINTS.delete())
    size = await _append(store, sizes)
    hashes = await store.leaf_hashes_between(0, size)
    expected = {t: hashes[t * TILE * 32 : (t + 1) * TILE * 32] for t in range(size // TILE)}
    assert await _packed(store) == expected


async def test_a_row_left_by_another_history_is_replaced_when_its_tile_completes(
    store: Store,
) -> None:
    async with store._engine.begin() as connection:
        await connection.execute(insert(LEAF_TILES).values(tile=0, hashes=b"\x01" * 8192))
        await connection.execute(insert(LEAF_TILES).values(tile=1, hashes=b"\x02" * 100))
    size = await _append(store, [200, 400])
    hashes = await store.leaf_hashes_between(0, size)
    assert await _packed(store) == {0: hashes[: TILE * 32], 1: hashes[TILE * 32 : 2 * TILE * 32]}


async def test_a_tile_whose_earlier_leaves_are_missing_is_not_packed(store: Store) -> None:
    await _append(store, [200])
    async with store._engine.begin() as connection:
        await connection.execute(update(ENTRIES).where(ENTRIES.c.idx == 5).values(idx=-5))
    # The log now has a hole at 5: the batch is still written (the store checks only its
    # start against the last index), but tile 0 is not packed from what is there.
    await store.append_batch(entries(200, 300), checkpoint(300))
    assert await _packed(store) == {}


async def test_a_readers_fill_never_overwrites_a_row(store: Store) -> None:
    await _append(store, [TILE])
    written = await _packed(store)
    await store.fill_packed_tiles({0: b"\x07" * 8192, 3: b"\x08" * 8192})
    assert await _packed(store) == {**written, 3: b"\x08" * 8192}


async def test_a_table_left_by_a_restore_before_the_migration_is_emptied(
    database_url: str,
) -> None:
    # pg_restore --clean of a dump made before leaf_tiles existed drops only the tables
    # in the dump: the schema keeps the replaced log's packed tiles, at revision 0008.
    await upgrade(database_url, "0008")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("CREATE TABLE leaf_tiles (tile BIGINT PRIMARY KEY, hashes BYTEA NOT NULL)")
                if connection.dialect.name == "postgresql"
                else text("CREATE TABLE leaf_tiles (tile INTEGER PRIMARY KEY, hashes BLOB)")
            )
            await connection.execute(insert(LEAF_TILES).values(tile=0, hashes=b"\x01" * 8192))
    finally:
        await engine.dispose()
    await upgrade(database_url)
    async with Store.open(database_url) as store:
        assert await _packed(store) == {}


async def test_an_entry_is_read_with_its_tile_and_the_tile_its_batch_checkpoint_ends_in(
    store: Store,
) -> None:
    async with store._engine.begin() as connection:
        await connection.execute(LEAF_TILES.delete())
        await connection.execute(ENTRIES.delete())
        await connection.execute(CHECKPOINTS.delete())
    # Checkpoints at 100, 700 (tile 2 ends inside it: 700 = 2 * 256 + 188) and 1100.
    size = await _append(store, [100, 600, 400])
    packed = await _packed(store)
    record, rows = await store.entry_and_tiles(300)
    assert record is not None
    assert record.idx == 300
    assert rows == {1: packed[1], 2: packed[2]}  # entry 300's tile, and size 700's last
    # Without its receipt, only its own tile.
    assert await store.packed_tiles_of_entry(300, receipt=False) == {1: packed[1]}
    # Its checkpoint's last tile is its own: one row.
    assert await store.packed_tiles_of_entry(720) == {2: packed[2]}
    # Above the last checkpoint (no covering size) or in the partial tile: what exists.
    assert await store.packed_tiles_of_entry(size + 5) == {}
    absent, rows = await store.entry_and_tiles(size + 5)
    assert absent is None
    assert rows == {}
