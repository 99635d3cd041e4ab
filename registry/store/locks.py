"""Which process sequences: the sequencer's lock, and the file locks the workers of one host
agree by.

On PostgreSQL a session-level advisory lock per schema; on a SQLite file an exclusive
``flock`` beside the database (:func:`sqlite_file_lock`); :func:`held_lock` is the same
``flock`` on any path (the compliance keeper's, ``registry/compliance/keeper.py``).  Mixed
into :class:`~registry.store.repository.Store`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from registry.store._batch import BATCH_FENCE
from registry.store.engine import sqlite_file

SEQUENCER_LOCK_PREFIX = "registry/sequencer:"
"""The sequencer's advisory lock key is a hash of this and the schema's name."""


class SequencerLockMixin:
    """The one sequencer of a database (or of a schema of one)."""

    _engine: AsyncEngine
    _sequencer_lock_key: int | None

    @asynccontextmanager
    async def sequencer_lock(self) -> AsyncIterator[bool]:
        """Try to become the one sequencer; yields whether this process is it.

        On PostgreSQL this takes a session-level advisory lock on a connection
        kept for the whole ``async with`` (in autocommit, so it holds no
        transaction open) and releases it at exit; if the connection is lost,
        PostgreSQL releases the lock; the new holder then waits for any batch
        the old one was still committing.  The key is fixed per schema (derived
        from the schema's name unless given to the constructor), so registries
        in different schemas of one database each have their own sequencer.

        On SQLite it is an exclusive ``flock`` on ``<database>-sequencer.lock``
        beside the database file, held on an open file for the whole ``async
        with``; the kernel releases it when the process ends, however it ends.
        Several ``registry serve`` workers on one SQLite file so elect one
        sequencer.  An in-memory database is private to its process: the lock
        always holds.
        """
        if self._engine.dialect.name != "postgresql":
            with sqlite_file_lock(sqlite_file(self._engine.url)) as held:
                yield held
            return
        connection = await self._engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            key = await self._lock_key(connection)
            held = await _advisory(connection, "pg_try_advisory_lock", key)
            if held:
                # Wait for a batch a dead sequencer was committing (see BATCH_FENCE).
                await connection.execute(text(f"SELECT pg_advisory_lock({BATCH_FENCE})"))
                await connection.execute(text(f"SELECT pg_advisory_unlock({BATCH_FENCE})"))
            try:
                yield held
            finally:
                if held:
                    await _release(connection, key)
        finally:
            await connection.close()

    async def _lock_key(self, connection: AsyncConnection) -> int:
        if self._sequencer_lock_key is not None:
            return self._sequencer_lock_key
        query = text("SELECT hashtextextended(:prefix || current_schema(), 0)")
        result = await connection.execute(query, {"prefix": SEQUENCER_LOCK_PREFIX})
        return int(result.scalar_one())


@contextmanager
def sqlite_file_lock(database: Path | None) -> Iterator[bool]:
    """Hold an exclusive non-blocking ``flock`` beside SQLite file ``database``, if free.

    ``None`` (an in-memory database, private to its process) always holds.
    """
    path = None if database is None else database.with_name(database.name + "-sequencer.lock")
    with held_lock(path) as held:
        yield held


@contextmanager
def held_lock(path: Path | None) -> Iterator[bool]:
    """Whether this process holds an exclusive ``flock`` on ``path`` (taken without waiting,
    the file made if need be) for the block; always for no path (one process)."""
    let_go = taken_lock(path)
    try:
        yield let_go is not None
    finally:
        if let_go is not None:
            let_go()


def taken_lock(path: Path | None) -> Callable[[], None] | None:
    """Take an exclusive ``flock`` on ``path`` without waiting, to hold past one block (a
    task's life): the function that lets it go, or None if another holds it.  No path (one
    process) is always taken."""
    if path is None:
        return lambda: None
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    held = [descriptor]

    def let_go() -> None:  # closing the descriptor lets the lock go; once
        while held:
            os.close(held.pop())

    return let_go


async def _release(connection: AsyncConnection, key: int) -> None:
    try:
        await _advisory(connection, "pg_advisory_unlock", key)
    except DBAPIError:
        # The connection is gone, and the lock with it: make sure it is not reused.
        await connection.invalidate()


async def _advisory(connection: AsyncConnection, function: str, key: int) -> bool:
    result = await connection.execute(text(f"SELECT {function}(:key)"), {"key": key})
    return bool(result.scalar_one())
