"""The ``signer_keys`` rows a start compares with the keys it derived, and the entries
that enrol the keys read on demand.

Mixed into :class:`registry.store.Store`.  The rows are copies of what the log
says (``registry.records.derived``): a start reads those of the entries it
derives only to report an edit made behind the registry's back (no decision or
answer reads them).  The read is bounded by a log size, as :meth:`Store.read_log`
is: a revocation committed past it is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import from_row, in_chunks
from registry.store._snapshot import _key_changes
from registry.store.models import EntryRecord, SignerKeyRecord
from registry.store.tables import ENTRIES


class KeyRowsMixin:
    """Read the ``signer_keys`` rows as they stood at a log size."""

    _engine: AsyncEngine

    async def key_changes_between(self, start: int, size: int) -> list[SignerKeyRecord]:
        """The keys enrolled, or revoked, by entries ``start <= idx < size``, as they stood at
        ``size`` (a revocation by a later entry left out)."""
        async with self._engine.connect() as connection:
            return await _key_changes(connection, start, size)

    async def entries_at(self, indexes: Sequence[int]) -> list[EntryRecord]:
        """The entries at ``indexes`` the store has (the enrolments of keys read on demand),
        in one query an ``IN`` list, in no particular order."""
        found: list[EntryRecord] = []
        async with self._engine.connect() as connection:
            for chunk in in_chunks(sorted(set(indexes))):
                rows = await connection.execute(select(ENTRIES).where(ENTRIES.c.idx.in_(chunk)))
                found.extend(from_row(EntryRecord, row) for row in rows)
        return found
