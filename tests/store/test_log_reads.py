"""Reads a sequencer or a follower makes in bulk: content hashes, receipts; the batch writer."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from registry.store import Store
from registry.store.errors import NotContiguous

from .records import checkpoint, entries


async def test_content_sha256s_are_every_entrys_in_log_order(store: Store) -> None:
    written = entries(0, 7)
    await store.append_batch(written, checkpoint(7))
    assert await store.content_sha256s() == [e.content_sha256 for e in written]


async def test_content_sha256s_leave_out_entries_without_one(store: Store) -> None:
    # Replays logged before contents were unique keep no content hash (migration 0004).
    written = [replace(e, content_sha256=None) if e.idx % 2 else e for e in entries(0, 6)]
    await store.append_batch(written, checkpoint(6))
    assert await store.content_sha256s() == [e.content_sha256 for e in written[::2]]


async def test_content_sha256s_of_an_empty_log(store: Store) -> None:
    assert await store.content_sha256s() == []


async def test_sqlite_batches_are_written_from_one_writer_thread(
    store: Store, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL batches go through the async driver")
    threads: set[str] = set()
    write = store._write_in_thread

    def spy(batches: object, then: object) -> None:
        threads.add(threading.current_thread().name)
        write(batches, then)  # type: ignore[arg-type]

    store._write_in_thread = spy  # type: ignore[method-assign]
    await store.append_batch(entries(0, 3), checkpoint(3))
    await store.append_batch(entries(3, 5), checkpoint(5))
    assert len(threads) == 1
    assert threads.pop().startswith("registry-batch-writer")
    assert await store.size() == 5
    # a refusal still comes back as the domain error, with nothing written
    with pytest.raises(NotContiguous):
        await store.append_batch(entries(6, 8), checkpoint(8))
    assert await store.size() == 5
