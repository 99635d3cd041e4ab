"""Reading the log up to one committed checkpoint, whatever is written meanwhile.

A process starting (or a follower catching up) while the sequencer writes must
see leaves, checkpoints and keys that agree.  Read in separate queries, a batch
committed between them would make them disagree (issue 11: 33 of 37 restarts
failed on PostgreSQL while another node wrote).  So the latest checkpoint is
read first, and every other read is bounded by its size: a batch writes its
entries, key changes and checkpoint in one transaction, and committed rows of
the log never change, so whatever is committed later lies beyond the bound.
This holds on any isolation level and needs no long read transaction (which on
SQLite would keep the WAL from being checkpointed).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from registry.store._rows import from_row
from registry.store.errors import DamagedLog
from registry.store.models import CheckpointRecord, LogSnapshot, SignerKeyRecord
from registry.store.tables import CHECKPOINTS, ENTRIES, SIGNER_KEYS

HASH_SIZE = 32
LEAF_HASH_CHUNK = 100_000
"""Rows per query when reading leaf hashes (all of them at start)."""


class SnapshotMixin:
    """:meth:`read_log`: the log up to its latest checkpoint, in agreeing parts."""

    _engine: AsyncEngine
    leaf_hashes_read: int

    async def read_log(
        self,
        start: int = 0,
        *,
        after_checkpoint: int = -1,
        leaves_from: int | None = None,
        keys: bool = True,
    ) -> LogSnapshot:
        """The log from entry ``start`` up to the latest checkpoint, as one :class:`LogSnapshot`.

        Checkpoints larger than ``after_checkpoint``; key changes made by
        entries from ``start`` on (``keys=False``: none; a start reads those a saved
        snapshot does not vouch for itself).  Raises :class:`StoreError` if the
        stored leaves do not reach the checkpoint (a damaged log).  With ``leaves_from``
        (a tree restored up to there) the leaf hashes start there instead; one past
        the latest checkpoint gives none.
        """
        if start < 0:
            raise ValueError("start must not be negative")
        async with self._engine.connect() as connection:
            latest_row = (
                await connection.execute(
                    select(CHECKPOINTS).order_by(CHECKPOINTS.c.size.desc()).limit(1)
                )
            ).first()
            if latest_row is None:
                return LogSnapshot(start, None, (), b"", ())
            latest = from_row(CheckpointRecord, latest_row)
            size = latest.size
            checkpoints = await _checkpoints(connection, after_checkpoint, size)
            first = start if leaves_from is None else min(leaves_from, size)
            hashes = await leaf_hashes_between(connection, first, size)
            self.leaf_hashes_read += len(hashes) // HASH_SIZE
            changes = await _key_changes(connection, start, size) if keys else []
        return LogSnapshot(start, latest, checkpoints, hashes, tuple(changes), leaves_from)


async def _checkpoints(
    connection: AsyncConnection, after: int, size: int
) -> tuple[CheckpointRecord, ...]:
    query = (
        select(CHECKPOINTS)
        .where(CHECKPOINTS.c.size > after, CHECKPOINTS.c.size <= size)
        .order_by(CHECKPOINTS.c.size)
    )
    rows = (await connection.execute(query)).all()
    return tuple(from_row(CheckpointRecord, row) for row in rows)


async def column_between(
    connection: AsyncConnection, column: ColumnElement[bytes], start: int, end: int
) -> list[bytes]:
    """``column`` of the entries ``start <= idx < end``, in index order.

    ``LEAF_HASH_CHUNK`` entries a query, so a large log is not one huge result.
    """
    values: list[bytes] = []
    for chunk_start in range(start, end, LEAF_HASH_CHUNK):
        query = (
            select(column)
            .where(
                ENTRIES.c.idx >= chunk_start,
                ENTRIES.c.idx < min(end, chunk_start + LEAF_HASH_CHUNK),
            )
            .order_by(ENTRIES.c.idx)
        )
        values.extend((await connection.execute(query)).scalars())
    return values


async def leaf_hashes_between(connection: AsyncConnection, start: int, end: int) -> bytes:
    """The leaf hashes of entries ``start <= idx < end``, concatenated (32 bytes each).

    Raises :class:`DamagedLog` if one is missing or not 32 bytes (a damaged log).
    """
    parts = await column_between(connection, ENTRIES.c.leaf_hash, start, end)
    blob = b"".join(parts)
    expected = max(0, end - start)
    if len(parts) != expected or len(blob) != HASH_SIZE * expected:
        raise DamagedLog(
            f"the log is damaged: {len(parts)} leaf hashes ({len(blob)} bytes) for entries"
            f" {start} to {end - 1}, where {expected} of {HASH_SIZE} bytes were expected"
        )
    return blob


async def _key_changes(connection: AsyncConnection, start: int, size: int) -> list[SignerKeyRecord]:
    """Keys enrolled or revoked by entries in ``[start, size)``, as they stood at ``size``."""
    enrolled = SIGNER_KEYS.c.enrolment_idx < size
    if start > 0:
        enrolled &= (SIGNER_KEYS.c.enrolment_idx >= start) | (
            SIGNER_KEYS.c.revocation_idx.between(start, size - 1)
        )
    query = (
        select(SIGNER_KEYS).where(enrolled).order_by(SIGNER_KEYS.c.enrolment_idx, SIGNER_KEYS.c.kid)
    )
    keys: list[SignerKeyRecord] = []
    for row in (await connection.execute(query)).all():
        key = from_row(SignerKeyRecord, row)
        if key.revocation_idx is not None and key.revocation_idx >= size:
            # Revoked by an entry past the snapshot: not yet, as the snapshot stands.
            key = replace(key, revoked_at=None, revocation_idx=None)
        keys.append(key)
    return keys
