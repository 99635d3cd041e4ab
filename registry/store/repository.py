"""The storage API: :class:`Store`, plain records in and out, no session leaves it.

The log code calls :meth:`Store.append_batch` once per group commit: entries,
their checkpoint, key enrolments and revocations land in one transaction or
not at all.  Reads return the frozen dataclasses of ``registry.store.models``.
People's keys and identities (``_keys.py``), the ``signer_keys`` rows a start compares
(``_key_rows.py``), the hand-off queue
(``_queue.py``), the registry's own named facts (``_meta.py``), sealed segments of derived
state (``_segments.py``), the bounded read a process loads the log with (``_snapshot.py``)
and the sequencer's lock (``locks.py``) are mixed in from their own modules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import StaticPool

from registry.store._batch import (
    Batch,
    check_shape,
    explain_refusal,
    log_size,
    write_batches,
)
from registry.store._complaints import ComplaintsMixin
from registry.store._cosignatures import CosignaturesMixin
from registry.store._key_rows import KeyRowsMixin
from registry.store._keys import KeysMixin
from registry.store._leaf_tiles import LeafTilesMixin
from registry.store._meta import MetaMixin
from registry.store._notify import NotifyMixin
from registry.store._queue import QueueMixin
from registry.store._rows import IN_LIST_CHUNK, from_row, in_chunks
from registry.store._search import SearchMixin
from registry.store._segments import SegmentsMixin
from registry.store._snapshot import (
    SnapshotMixin,
    column_between,
    leaf_hashes_between,
)
from registry.store.engine import create_engine, create_sqlite_writer
from registry.store.errors import StoreError
from registry.store.locks import SequencerLockMixin
from registry.store.models import (
    CheckpointRecord,
    EntryRecord,
    KeyChange,
    RevokedEntryRecord,
    SearchPage,
)
from registry.store.tables import CHECKPOINTS, ENTRIES, REVOKED_ENTRIES


class Store(
    KeysMixin,
    KeyRowsMixin,
    QueueMixin,
    NotifyMixin,
    MetaMixin,
    SnapshotMixin,
    CosignaturesMixin,
    SegmentsMixin,
    ComplaintsMixin,
    LeafTilesMixin,
    SearchMixin,
    SequencerLockMixin,
):
    """Async access to the registry's database; owns its engine (see :meth:`close`)."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        sequencer_lock_key: int | None = None,
        batch_writer: Engine | None = None,
    ):
        """Use ``engine``; ``sequencer_lock_key`` overrides the per-schema advisory lock key.

        ``batch_writer`` (SQLite files: :func:`create_sqlite_writer`) writes
        the log's batches from a thread of its own, one hand-off a batch.
        """
        self._engine = engine
        self.leaf_hashes_read = 0
        """Leaf hashes :meth:`read_log` read (at start: tests and benchmarks count them)."""
        self._sequencer_lock_key = sequencer_lock_key
        self._batch_writer = batch_writer
        self._writer_thread = (
            None
            if batch_writer is None
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="registry-batch-writer")
        )

    @classmethod
    def open(cls, url: str) -> Store:
        """A store on a new engine for ``url`` (see :func:`registry.store.engine.create_engine`)."""
        return cls(create_engine(url), batch_writer=create_sqlite_writer(url))

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    async def close(self) -> None:
        """Close every connection of the engine (and of the batch writer)."""
        if self._writer_thread is not None and self._batch_writer is not None:
            await asyncio.get_running_loop().run_in_executor(
                self._writer_thread, self._batch_writer.dispose
            )
            self._writer_thread.shutdown()
        await self._engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # -- the log ---------------------------------------------------------------------

    async def append_batch(
        self,
        entries: Sequence[EntryRecord],
        checkpoint: CheckpointRecord,
        key_changes: Sequence[KeyChange] = (),
        revocations: Sequence[RevokedEntryRecord] = (),
        *,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Append entries and their checkpoint, with key changes and revocations, atomically.

        The entries must continue the log exactly (the first has index
        ``size()``, the rest follow) and ``checkpoint.size`` must be the size
        after the batch (a batch without entries signs the current size).  Key
        changes apply in order, so a key enrolled in a batch may be revoked in
        it.  On any refusal nothing is written and a :class:`StoreError` says
        why: :class:`DuplicateStatement`, :class:`NotContiguous`,
        :class:`CheckpointConflict`, :class:`KeyAlreadyEnrolled`,
        :class:`UnknownKey`, :class:`KeyAlreadyRevoked`,
        :class:`EntryAlreadyRevoked` or :class:`UnknownEntry`.

        ``then``, if given, is called once the transaction has committed, in the
        thread that wrote it on SQLite (the sequencer pins the checkpoint there:
        one hop to a thread a batch, not two); it must not raise.
        """
        batch = Batch(tuple(entries), checkpoint, tuple(key_changes), tuple(revocations))
        await self._append([batch], then)

    async def append_batches(
        self,
        batches: Sequence[
            tuple[
                Sequence[EntryRecord],
                CheckpointRecord,
                Sequence[KeyChange],
                Sequence[RevokedEntryRecord],
            ]
        ],
        *,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Append several batches (entries, checkpoint, key changes, revocations), each as
        :meth:`append_batch` would and in order, in one transaction: all or none.

        One wait on the disk for them all (the sequencer's writer takes every batch
        appended while it wrote the last).  Raises what :meth:`append_batch` raises;
        ``then`` as there.
        """
        await self._append([Batch(tuple(e), c, tuple(k), tuple(r)) for e, c, k, r in batches], then)

    async def _append(self, batches: list[Batch], then: Callable[[], None] | None) -> None:
        for batch in batches:
            check_shape(batch)
        try:
            if self._writer_thread is not None:
                await asyncio.get_running_loop().run_in_executor(
                    self._writer_thread, self._write_in_thread, batches, then
                )
                return
            async with self._engine.begin() as connection:
                await connection.run_sync(write_batches, batches)
        except IntegrityError as exc:
            error = None
            async with self._engine.connect() as connection:
                for batch in batches:
                    error = await explain_refusal(connection, batch)
                    if error is not None:
                        break
            if error is None:
                error = StoreError(f"the database refused the batch: {exc.orig}")
            raise error from exc
        if then is not None:
            await asyncio.get_running_loop().run_in_executor(None, then)

    def _write_in_thread(self, batches: list[Batch], then: Callable[[], None] | None) -> None:
        assert self._batch_writer is not None
        with self._batch_writer.begin() as connection:
            write_batches(connection, batches)
        if then is not None:
            then()

    async def size(self) -> int:
        """Number of entries in the log."""
        async with self._engine.connect() as connection:
            return await log_size(connection)

    async def get_entry(self, idx: int) -> EntryRecord | None:
        """The entry at ``idx``, or ``None``."""
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(ENTRIES).where(ENTRIES.c.idx == idx))).first()
        return None if row is None else from_row(EntryRecord, row)

    async def entry_and_tiles(
        self, idx: int, *, receipt: bool = True
    ) -> tuple[EntryRecord | None, dict[int, bytes]]:
        """The entry at ``idx`` (or ``None``) and, read at the same time on another
        connection, the packed rows of the tiles a check of it (``receipt``: and of its
        receipt) most likely needs (:meth:`packed_tiles_of_entry`): one round trip's wait
        for a cold entry, not three."""
        tiles = self.packed_tiles_of_entry(idx, receipt=receipt)
        if isinstance(self._engine.pool, StaticPool):  # one shared connection: one at a time
            return await self.get_entry(idx), await tiles
        return await asyncio.gather(self.get_entry(idx), tiles)

    async def get_entries(self, start: int, end: int) -> list[EntryRecord]:
        """The entries with ``start <= idx < end``, in order (fewer if the log is shorter)."""
        if start < 0 or end < start:
            raise ValueError(f"bad entry range [{start}, {end})")
        query = (
            select(ENTRIES)
            .where(ENTRIES.c.idx >= start, ENTRIES.c.idx < end)
            .order_by(ENTRIES.c.idx)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [from_row(EntryRecord, row) for row in rows]

    async def entries_of_types(
        self, types: Sequence[str], start: int, end: int
    ) -> list[EntryRecord]:
        """The entries whose ``type`` is one of ``types``, ``start <= idx < end``, in log order.

        Read through the index on ``type``: what the registry derives its keys
        and revocations from at start (``registry.records.derived``).
        """
        if start < 0 or end < start:
            raise ValueError(f"bad entry range [{start}, {end})")
        query = (
            select(ENTRIES)
            .where(ENTRIES.c.type.in_(list(types)), ENTRIES.c.idx >= start, ENTRIES.c.idx < end)
            .order_by(ENTRIES.c.idx)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [from_row(EntryRecord, row) for row in rows]

    async def find_indexes_by_statement_sha256(
        self, statement_sha256s: Sequence[bytes], *, chunk_size: int = IN_LIST_CHUNK
    ) -> dict[bytes, int]:
        """The log index of each given statement hash that is registered.

        Any number of hashes: they are looked up ``chunk_size`` at a time (one
        query each, on one connection), since PostgreSQL binds at most 32,767
        parameters per statement (and SQLite, as built, may bind as few).
        """
        rows = await self._rows_where_in(
            ENTRIES.c.statement_sha256, statement_sha256s, [ENTRIES.c.idx], chunk_size
        )
        return {key: int(row[0]) for key, row in rows.items()}

    async def find_by_content_sha256(
        self, content_sha256s: Sequence[bytes], *, chunk_size: int = IN_LIST_CHUNK
    ) -> dict[bytes, tuple[int, bytes]]:
        """For each given signed-content hash that is registered: (index, statement SHA-256).

        The registration of a statement whose content is in the log answers with
        that entry; the statement hash tells whether it is the same bytes too.
        """
        rows = await self._rows_where_in(
            ENTRIES.c.content_sha256,
            content_sha256s,
            [ENTRIES.c.idx, ENTRIES.c.statement_sha256],
            chunk_size,
        )
        return {key: (int(row[0]), bytes(row[1])) for key, row in rows.items()}

    async def _rows_where_in(
        self,
        key: ColumnElement[bytes],
        values: Sequence[bytes],
        columns: Sequence[ColumnElement[Any]],
        chunk_size: int,
    ) -> dict[bytes, Sequence[Any]]:
        """``columns`` of the entries whose ``key`` is among ``values``, by key."""
        wanted = list(dict.fromkeys(values))
        found: dict[bytes, Sequence[Any]] = {}
        chunks = list(in_chunks(wanted, chunk_size))
        if not chunks:
            return found
        async with self._engine.connect() as connection:
            for chunk in chunks:
                query = select(key, *columns).where(key.in_(chunk))
                rows = (await connection.execute(query)).all()
                found.update((bytes(row[0]), tuple(row[1:])) for row in rows)
        return found

    async def leaf_hashes(self, start: int = 0) -> bytes:
        """Every leaf hash from index ``start`` on, concatenated (32 bytes each).

        It reads only the ``(idx, leaf_hash)`` index.  Raises
        :class:`StoreError` if the log has a gap or a hash of the wrong size.
        (A process loading the log uses :meth:`read_log`, bounded by a checkpoint.)
        """
        if start < 0:
            raise ValueError("start must not be negative")
        async with self._engine.connect() as connection:
            return await leaf_hashes_between(connection, start, await log_size(connection))

    async def leaf_hashes_between(self, start: int, end: int) -> bytes:
        """The leaf hashes of entries ``start <= idx < end``, concatenated (one indexed range
        read of ``(idx, leaf_hash)``); raises :class:`DamagedLog` if one is missing."""
        async with self._engine.connect() as connection:
            return await leaf_hashes_between(connection, start, end)

    async def content_sha256s(self, start: int = 0) -> list[bytes]:
        """The signed-content hash of every entry from ``start`` on that has one, in log
        order (read at start)."""
        async with self._engine.connect() as connection:
            size = await log_size(connection)
            digests = await column_between(connection, ENTRIES.c.content_sha256, start, size)
        return [bytes(d) for d in digests if d is not None]

    # -- checkpoints and cosignatures ------------------------------------------------

    async def checkpoints(self, after_size: int = -1) -> list[CheckpointRecord]:
        """Every checkpoint larger than ``after_size``, smallest first (all by default)."""
        query = (
            select(CHECKPOINTS).where(CHECKPOINTS.c.size > after_size).order_by(CHECKPOINTS.c.size)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [from_row(CheckpointRecord, row) for row in rows]

    async def latest_checkpoint(self) -> CheckpointRecord | None:
        """The checkpoint of the largest size, or ``None`` before the first batch."""
        query = select(CHECKPOINTS).order_by(CHECKPOINTS.c.size.desc()).limit(1)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(CheckpointRecord, row)

    async def checkpoint_at(self, size: int) -> CheckpointRecord | None:
        """The checkpoint for exactly ``size`` entries, or ``None``."""
        query = select(CHECKPOINTS).where(CHECKPOINTS.c.size == size)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(CheckpointRecord, row)

    # -- revocations and search ------------------------------------------------------

    async def revocation_of(self, idx: int) -> RevokedEntryRecord | None:
        """Why entry ``idx`` no longer stands, or ``None`` if it stands."""
        query = select(REVOKED_ENTRIES).where(REVOKED_ENTRIES.c.idx == idx)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(RevokedEntryRecord, row)

    async def revocations_among(
        self, idxs: Sequence[int], *, chunk_size: int = IN_LIST_CHUNK
    ) -> dict[int, RevokedEntryRecord]:
        """Which of the entries ``idxs`` no longer stand, and why (``chunk_size`` a query)."""
        found: dict[int, RevokedEntryRecord] = {}
        chunks = list(in_chunks(sorted(set(idxs)), chunk_size))
        if not chunks:
            return found
        async with self._engine.connect() as connection:
            for chunk in chunks:
                query = select(REVOKED_ENTRIES).where(REVOKED_ENTRIES.c.idx.in_(chunk))
                for row in (await connection.execute(query)).all():
                    found[int(row.idx)] = from_row(RevokedEntryRecord, row)
        return found

    async def revoked_entries_between(self, start: int, end: int) -> list[RevokedEntryRecord]:
        """The ``revoked_entries`` rows written by revocations ``start <= revocation_idx < end``."""
        query = (
            select(REVOKED_ENTRIES)
            .where(REVOKED_ENTRIES.c.revocation_idx.between(start, end - 1))
            .order_by(REVOKED_ENTRIES.c.revocation_idx)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [from_row(RevokedEntryRecord, row) for row in rows]

    async def search_entries(
        self,
        *,
        type: str | None = None,
        signer_kid: bytes | None = None,
        instansi: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 50,
        offset: int = 0,
        after: int | None = None,
        count_cap: int | None = None,
        newest_first: bool = False,
    ) -> SearchPage:
        """One page of entries matching every filter given, and how many match in all.

        ``since_ms`` is inclusive and ``until_ms`` exclusive (registration
        time).  Entries are ordered by index, oldest first unless ``newest_first``.
        ``after`` is a cursor: only entries past that index in this order (keyset
        paging: a page deep into the log costs what the first page costs, where
        ``offset`` walks every entry it skips).  With ``count_cap`` the count stops
        at ``count_cap + 1`` (a total above the cap means "more than the cap"), so a
        filter matching millions of entries is not counted one by one.
        """
        if limit < 1 or offset < 0:
            raise ValueError("limit must be at least 1 and offset not negative")
        if count_cap is not None and count_cap < 0:
            raise ValueError("count_cap must not be negative")
        conditions: list[ColumnElement[bool]] = []
        if type is not None:
            conditions.append(ENTRIES.c.type == type)
        if signer_kid is not None:
            conditions.append(ENTRIES.c.signer_kid == signer_kid)
        if instansi is not None:
            conditions.append(ENTRIES.c.instansi == instansi)
        if since_ms is not None:
            conditions.append(ENTRIES.c.registered_at >= since_ms)
        if until_ms is not None:
            conditions.append(ENTRIES.c.registered_at < until_ms)
        order = ENTRIES.c.idx.desc() if newest_first else ENTRIES.c.idx
        paged = list(conditions)
        if after is not None:
            paged.append(ENTRIES.c.idx < after if newest_first else ENTRIES.c.idx > after)
        page = select(ENTRIES).where(*paged).order_by(order).limit(limit).offset(offset)
        if count_cap is None:
            count = select(func.count()).select_from(ENTRIES).where(*conditions)
        else:
            matching = select(ENTRIES.c.idx).where(*conditions).limit(count_cap + 1).subquery()
            count = select(func.count()).select_from(matching)
        async with self._engine.connect() as connection:
            total = (await connection.execute(count)).scalar_one()
            rows = (await connection.execute(page)).all()
        return SearchPage(tuple(from_row(EntryRecord, row) for row in rows), int(total))
