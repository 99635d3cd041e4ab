"""Public complaints held until an institution decides on them (``complaints``).

Mixed into :class:`registry.store.Store`.  Every change of status is one
conditional ``UPDATE`` (``WHERE status = ...``), so that two processes, or two
clicks, never both receive (or reject) the same complaint.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import from_row, values_of
from registry.store.models import ComplaintRecord
from registry.store.tables import COMPLAINTS


class ComplaintsMixin:
    """Keep, read and decide public complaints."""

    _engine: AsyncEngine

    async def put_complaint(self, record: ComplaintRecord) -> None:
        """Keep a new complaint (its number must be new: an ``IntegrityError`` otherwise)."""
        async with self._engine.begin() as connection:
            await connection.execute(insert(COMPLAINTS).values(values_of(record)))

    async def get_complaint(self, number: str) -> ComplaintRecord | None:
        """The complaint with receipt ``number``, or ``None``."""
        async with self._engine.connect() as connection:
            query = select(COMPLAINTS).where(COMPLAINTS.c.number == number)
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(ComplaintRecord, row)

    async def list_complaints(
        self, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[ComplaintRecord]:
        """Complaints (of ``status``, if given), oldest first."""
        query = select(COMPLAINTS).order_by(COMPLAINTS.c.filed_at, COMPLAINTS.c.number)
        if status is not None:
            query = query.where(COMPLAINTS.c.status == status)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query.limit(limit).offset(offset))).all()
        return [from_row(ComplaintRecord, row) for row in rows]

    async def count_complaints(self, status: str) -> int:
        """How many complaints have ``status``."""
        query = select(func.count()).select_from(COMPLAINTS).where(COMPLAINTS.c.status == status)
        async with self._engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def move_complaint(
        self, number: str, from_status: str, to_status: str, **decision: object
    ) -> bool:
        """Set complaint ``number`` from ``from_status`` to ``to_status`` (with the
        ``decision``'s columns: ``entry``, ``reason``, ``decided_at``, ``decided_by``);
        False, and nothing changed, if it was not in ``from_status``."""
        query = (
            update(COMPLAINTS)
            .where(COMPLAINTS.c.number == number, COMPLAINTS.c.status == from_status)
            .values(status=to_status, **decision)
        )
        async with self._engine.begin() as connection:
            changed = (await connection.execute(query)).rowcount
        return bool(changed == 1)
