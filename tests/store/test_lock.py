"""Electing the sequencer, and several processes (here: several Stores) sharing a database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from registry.store import Store, create_engine, upgrade
from registry.store._batch import BATCH_FENCE, Batch, write_batch
from registry.store.locks import held_lock, sqlite_file_lock, taken_lock

from .records import T0, checkpoint, entries


@pytest.fixture
async def two_stores(database_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two Stores (as two processes would have) on one migrated database."""
    await upgrade(database_url)
    first, second = Store.open(database_url), Store.open(database_url)
    yield first, second
    await first.close()
    await second.close()


async def test_only_one_store_holds_the_sqlite_file_lock(
    make_database_url: Callable[[str], str],
) -> None:
    url = make_database_url("sqlite")
    async with Store.open(url) as first, Store.open(url) as second:
        async with first.sequencer_lock() as held:
            assert held
            async with second.sequencer_lock() as also:
                assert not also
        # released at exit: the other process takes over
        async with second.sequencer_lock() as now:
            assert now


def test_the_sqlite_lock_is_held_across_processes(tmp_path: Path) -> None:
    database = tmp_path / "log.sqlite3"
    with sqlite_file_lock(database) as held:
        assert held
        other = subprocess.run(
            [sys.executable, "-c", _TRY_LOCK, str(database)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert other.stdout.strip() == "False"
    other = subprocess.run(
        [sys.executable, "-c", _TRY_LOCK, str(database)], capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == "True"


_TRY_LOCK = """
import sys
from pathlib import Path
from registry.store.locks import held_lock, sqlite_file_lock, taken_lock
with sqlite_file_lock(Path(sys.argv[1])) as held:
    print(held)
"""


async def test_an_in_memory_sqlite_store_is_always_the_sequencer() -> None:
    async with (
        Store.open("sqlite+aiosqlite:///:memory:") as store,
        store.sequencer_lock() as held,
        store.sequencer_lock() as again,
    ):
        assert held
        assert again


@pytest.mark.postgres
async def test_only_one_store_holds_the_postgres_lock(
    make_database_url: Callable[[str], str],
) -> None:
    url = make_database_url("postgres")
    async with Store.open(url) as first, Store.open(url) as second:
        async with first.sequencer_lock() as first_held, second.sequencer_lock() as second_held:
            assert first_held
            assert not second_held
        # Released at exit: the other process may now take over.
        async with second.sequencer_lock() as second_held_later:
            assert second_held_later


@pytest.mark.postgres
async def test_each_schema_has_its_own_sequencer(
    make_database_url: Callable[[str], str],
) -> None:
    async with (
        Store.open(make_database_url("postgres")) as one,
        Store.open(make_database_url("postgres")) as other,
        one.sequencer_lock() as one_held,
        other.sequencer_lock() as other_held,
    ):
        assert one_held
        assert other_held


@pytest.mark.postgres
async def test_an_explicit_lock_key_is_shared_across_schemas(
    make_database_url: Callable[[str], str],
) -> None:
    key = 0x5EC0_0000_0000_0001
    one = Store(create_engine(make_database_url("postgres")), sequencer_lock_key=key)
    other = Store(create_engine(make_database_url("postgres")), sequencer_lock_key=key)
    async with (
        one,
        other,
        one.sequencer_lock() as one_held,
        other.sequencer_lock() as other_held,
    ):
        assert one_held
        assert not other_held


async def test_concurrent_claims_never_share_a_statement(
    two_stores: tuple[Store, Store],
) -> None:
    first, second = two_stores
    ids = {await first.submit_pending(b"s%d" % i, submitted_at=T0) for i in range(40)}
    claims = await asyncio.gather(
        *(store.claim_pending(3) for _ in range(10) for store in (first, second))
    )
    claimed = [record.id for batch in claims for record in batch]
    assert len(claimed) == len(set(claimed)) == len(ids)
    assert set(claimed) == ids


@pytest.mark.postgres
async def test_a_new_sequencer_waits_for_the_batch_the_old_one_was_committing(
    make_database_url: Callable[[str], str],
) -> None:
    # A sequencer killed with its COMMIT on the wire loses its lock session at once, while
    # the server still finishes the commit: the new one must not load the log before it.
    url = make_database_url("postgres")
    await upgrade(url)
    old, new = Store.open(url), Store.open(url)
    writer = create_engine(url)
    try:
        async with old.sequencer_lock() as held:
            assert held
            await old.append_batch(entries(0, 2), checkpoint(2))
            committing = await writer.connect()
            transaction = await committing.begin()
            await committing.run_sync(write_batch, Batch(entries(2, 5), checkpoint(5), (), ()))
        # the old sequencer's lock session is gone; its last batch is not committed yet

        async def take_over() -> int:
            async with new.sequencer_lock() as taken:
                assert taken
                return (await new.read_log()).size

        taking_over = asyncio.create_task(take_over())
        waiting = await _wait_for_a_waiting_advisory_lock(new, taking_over)
        await transaction.commit()
        await committing.close()
        assert waiting, "the new sequencer took over before the old one's batch was committed"
        assert await taking_over == 5
    finally:
        await writer.dispose()
        await old.close()
        await new.close()


async def _wait_for_a_waiting_advisory_lock(store: Store, task: asyncio.Task[int]) -> bool:
    """Whether a session waits for the batch fence (True) before ``task`` is done (False)."""
    query = text(
        f"WITH fence AS (SELECT {BATCH_FENCE} AS k) SELECT count(*) FROM pg_locks, fence"
        " WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1"
        " AND classid::bigint = ((k >> 32) & 4294967295) AND objid::bigint = (k & 4294967295)"
    )
    deadline = asyncio.get_running_loop().time() + 30
    while not task.done():
        async with store._engine.connect() as connection:
            if (await connection.execute(query)).scalar_one():
                return True
        assert asyncio.get_running_loop().time() < deadline, "neither waited nor took over"
        await asyncio.sleep(0.01)
    return False


def test_a_taken_lock_is_held_until_let_go_once(tmp_path: Path) -> None:
    path = tmp_path / "pass.lock"
    let_go = taken_lock(path)
    assert let_go is not None
    assert taken_lock(path) is None, "taken twice"
    with held_lock(path) as held:
        assert not held
    let_go()
    let_go()  # a second call closes nothing (another's descriptor could have that number)
    again = taken_lock(path)
    assert again is not None
    again()
    no_path = taken_lock(None)
    assert no_path is not None, "one process: always taken"
    no_path()
