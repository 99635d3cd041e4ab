"""The ``signer_keys`` rows a start compares with the key directory it restored or derived.

Mixed into :class:`registry.store.Store`.  The rows are copies of what the log
says (``registry.records.derived``): a start reads them only to report an edit
made behind the registry's back.  Both reads are bounded by a log size, as
:meth:`Store.read_log` is: a revocation committed past it is left out, so the
rows agree with a key directory as it stood at that size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._snapshot import _key_changes
from registry.store.models import SignerKeyRecord
from registry.store.tables import SIGNER_KEYS

KEY_ROWS_CHUNK = 10_000
"""Rows a chunk when streaming every ``signer_keys`` row (a national registry has millions)."""


class KeyRowsMixin:
    """Read the ``signer_keys`` rows as they stood at a log size."""

    _engine: AsyncEngine

    async def key_changes_between(self, start: int, size: int) -> list[SignerKeyRecord]:
        """The keys enrolled, or revoked, by entries ``start <= idx < size``, as they stood at
        ``size`` (a revocation by a later entry left out)."""
        async with self._engine.connect() as connection:
            return await _key_changes(connection, start, size)

    async def key_rows_below(
        self, end: int, columns: Sequence[str], chunk: int = KEY_ROWS_CHUNK
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The ``columns`` of every row enrolled by an entry below ``end``, as it stood at
        ``end`` (``revoked_at`` and ``revocation_idx`` None if revoked by a later entry), as
        plain tuples, ``chunk`` rows at a time, in no particular order (one scan, no sort).
        """
        later = SIGNER_KEYS.c.revocation_idx >= end

        def as_of_end(name: str) -> ColumnElement[Any]:
            column = SIGNER_KEYS.c[name]
            if name in ("revoked_at", "revocation_idx"):
                return case((later, None), else_=column).label(name)
            return column

        query = select(*(as_of_end(name) for name in columns)).where(
            SIGNER_KEYS.c.enrolment_idx < end
        )
        async with self._engine.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=chunk))
            async for rows in result.partitions(chunk):
                yield [tuple(row) for row in rows]
