"""Sealed segments of derived state (``fact_segments``), read one at a time, written whole.

Mixed into :class:`registry.store.Store`.  The store neither seals nor checks
them: it keeps the bytes; their reader checks the seal and the root.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import from_row, values_of
from registry.store.models import FactSegmentRecord
from registry.store.tables import FACT_SEGMENTS


class SegmentsMixin:
    """Read and write ``fact_segments``."""

    _engine: AsyncEngine

    async def fact_segment(self, format: str, start: int) -> FactSegmentRecord | None:
        """The segment of ``format`` that starts at entry ``start``, if one was saved."""
        query = select(FACT_SEGMENTS).where(
            FACT_SEGMENTS.c.format == format, FACT_SEGMENTS.c.start_idx == start
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(FactSegmentRecord, row)

    async def put_fact_segment(self, record: FactSegmentRecord) -> None:
        """Save ``record``, replacing a segment of its format at its start (committed on return)."""
        async with self._engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            values = values_of(record)
            statement = dialect.insert(FACT_SEGMENTS).values(values)
            changed = ("end_idx", "root", "data", "seal")
            updates = {name: statement.excluded[name] for name in changed}
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[FACT_SEGMENTS.c.format, FACT_SEGMENTS.c.start_idx],
                    set_=updates,
                )
            )

    async def drop_fact_segments_except(self, format: str, keep: tuple[str, ...] = ()) -> int:
        """Delete the segments of every format but ``format`` (left by an older release),
        except those whose format starts with one of ``keep`` (other kinds of state)."""
        query = delete(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format != format)
        for prefix in keep:
            query = query.where(~FACT_SEGMENTS.c.format.startswith(prefix))
        async with self._engine.begin() as connection:
            return int((await connection.execute(query)).rowcount)

    async def fact_segment_ends(self, prefix: str) -> dict[str, int]:
        """The format and end of every segment whose format starts with ``prefix`` (their
        bytes not read: the saved tallies of past days, ``registry.compliance.day_tallies``)."""
        query = select(FACT_SEGMENTS.c.format, FACT_SEGMENTS.c.end_idx).where(
            FACT_SEGMENTS.c.format.startswith(prefix, autoescape=True)
        )
        async with self._engine.connect() as connection:
            found = (await connection.execute(query)).all()
        return {str(format): int(end) for format, end in found}

    async def drop_fact_segments(self, formats: list[str]) -> int:
        """Delete every segment of ``formats`` (a past day's saved tally no longer kept)."""
        if not formats:
            return 0
        query = delete(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format.in_(formats))
        async with self._engine.begin() as connection:
            return int((await connection.execute(query)).rowcount)
