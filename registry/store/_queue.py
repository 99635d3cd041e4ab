"""The hand-off queue between API processes and the one sequencer (PostgreSQL).

A process that does not hold the sequencer lock calls ``submit_pending``
(which wakes the sequencer through NOTIFY, see ``_notify.py``) and reads
``pending_result`` when woken; the sequencer claims waiting statements with
``claimed`` (``SELECT ... FOR UPDATE SKIP LOCKED`` in a transaction held while
it registers them), records each outcome on the claim, and the outcomes are
written, and the followers notified, when the claim's transaction commits.  A
sequencer that dies holding a claim loses its transaction and so its row locks:
the rows are waiting again, for whoever sequences next (registration is
idempotent, so a statement registered but not marked done is found again).

``claim_pending``/``finish_pending``/``requeue_claimed`` are the older
protocol (a ``claimed`` status, given back by the next sequencer at start);
they are kept for rows an older release left claimed.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._notify import DONE_CHANNEL, PENDING_CHANNEL, id_payloads, notify
from registry.store._rows import from_row, now_ms
from registry.store.errors import UnknownPending
from registry.store.models import PendingRecord
from registry.store.tables import PENDING

_FINISHED = ("done", "refused")


@dataclass
class Claim:
    """Statements claimed by the sequencer, and the outcomes recorded for them so far."""

    items: list[PendingRecord]
    outcomes: dict[int, tuple[int | None, str | None]] = field(default_factory=dict)

    def done(self, pending_id: int, idx: int) -> None:
        """Record that submission ``pending_id`` is entry ``idx``."""
        self.outcomes[pending_id] = (idx, None)

    def refused(self, pending_id: int, error: str) -> None:
        """Record that submission ``pending_id`` was refused with ``error`` (JSON)."""
        self.outcomes[pending_id] = (None, error)


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
            if connection.dialect.name == "postgresql":
                await notify(connection, PENDING_CHANNEL)
            return int(result.scalar_one())

    @contextlib.asynccontextmanager
    async def claimed(self, limit: int) -> AsyncIterator[Claim]:
        """Claim up to ``limit`` waiting statements, oldest first, for the ``async with``.

        The rows are locked (``FOR UPDATE SKIP LOCKED``: a concurrent claim
        skips them) in a transaction held open until the block ends; the
        outcomes recorded on the :class:`Claim` are written then, in that
        transaction, with one notification to the followers.  Rows without an
        outcome stay waiting.  If the block raises, or the process dies, the
        transaction is rolled back and every claimed row is waiting again.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        waiting = (
            select(PENDING)
            .where(PENDING.c.status == "pending")
            .order_by(PENDING.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # ignored by SQLite (one writer anyway)
        )
        async with self._engine.begin() as connection:
            rows = (await connection.execute(waiting)).all()
            claim = Claim([from_row(PendingRecord, row) for row in rows])
            yield claim
            if not claim.outcomes:
                return
            finish = (
                update(PENDING)
                .where(PENDING.c.id == bindparam("pending_id"))
                .values(
                    status=bindparam("new_status"),
                    result_idx=bindparam("new_idx"),
                    error=bindparam("new_error"),
                )
            )
            await connection.execute(
                finish,
                [
                    {
                        "pending_id": pending_id,
                        "new_status": "done" if idx is not None else "refused",
                        "new_idx": idx,
                        "new_error": error,
                    }
                    for pending_id, (idx, error) in claim.outcomes.items()
                ],
            )
            if connection.dialect.name == "postgresql":
                for payload in id_payloads(sorted(claim.outcomes)):
                    await notify(connection, DONE_CHANNEL, payload)

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
