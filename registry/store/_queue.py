"""The hand-off queue between API processes and the one sequencer (PostgreSQL).

A process that does not hold the sequencer lock calls ``submit_pending`` and
polls ``pending_result``; the sequencer calls ``claim_pending``, registers the
statements, and calls ``finish_pending`` for each.  A statement claimed by a
sequencer that died before finishing it is given back by ``requeue_claimed``,
which a process calls when it becomes the sequencer (registration is
idempotent, so a statement registered but not marked done is found again).
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import from_row, now_ms
from registry.store.errors import UnknownPending
from registry.store.models import PendingRecord
from registry.store.tables import PENDING

_FINISHED = ("done", "refused")


class QueueMixin:
    """The ``pending`` table as a queue."""

    _engine: AsyncEngine

    async def submit_pending(self, statement: bytes, *, submitted_at: int | None = None) -> int:
        """Queue a statement for the sequencer; returns the id to poll."""
        when = now_ms() if submitted_at is None else submitted_at
        async with self._engine.begin() as connection:
            result = await connection.execute(
                insert(PENDING)
                .values(statement=statement, submitted_at=when, status="pending")
                .returning(PENDING.c.id)
            )
            return int(result.scalar_one())

    async def claim_pending(self, limit: int) -> list[PendingRecord]:
        """Take up to ``limit`` waiting statements, oldest first, marking them claimed.

        On PostgreSQL rows locked by a concurrent claim are skipped, so no
        statement is handed out twice.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        waiting = (
            select(PENDING.c.id)
            .where(PENDING.c.status == "pending")
            .order_by(PENDING.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # ignored by SQLite (one writer anyway)
        )
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(PENDING)
                .where(PENDING.c.id.in_(waiting.scalar_subquery()))
                .values(status="claimed")
                .returning(*PENDING.c)
            )
            rows = result.all()
        return sorted((from_row(PendingRecord, row) for row in rows), key=lambda r: r.id)

    async def requeue_claimed(self) -> int:
        """Give claimed but unfinished statements back to the queue; returns how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(PENDING).where(PENDING.c.status == "claimed").values(status="pending")
            )
        return int(result.rowcount)

    async def finish_pending(
        self, pending_id: int, *, idx: int | None = None, error: str | None = None
    ) -> None:
        """Record the outcome: registered as entry ``idx``, or refused with ``error``.

        Exactly one of ``idx`` and ``error`` is given.  Raises
        :class:`UnknownPending` if the id is unknown or already finished.
        """
        if (idx is None) == (error is None):
            raise ValueError("give exactly one of idx and error")
        values = (
            {"status": "done", "result_idx": idx}
            if idx is not None
            else {"status": "refused", "error": error}
        )
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(PENDING)
                .where(PENDING.c.id == pending_id, PENDING.c.status.not_in(_FINISHED))
                .values(values)
            )
        if result.rowcount != 1:
            raise UnknownPending(f"no unfinished submission {pending_id}")

    async def pending_result(self, pending_id: int) -> PendingRecord | None:
        """The submission with this id and its status, or ``None`` if unknown."""
        async with self._engine.connect() as connection:
            query = select(PENDING).where(PENDING.c.id == pending_id)
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(PendingRecord, row)

    async def purge_pending(self, *, submitted_before: int) -> int:
        """Delete finished submissions older than ``submitted_before``; returns how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(PENDING).where(
                    PENDING.c.status.in_(_FINISHED), PENDING.c.submitted_at < submitted_before
                )
            )
        return int(result.rowcount)
