"""The record search's table (``search_records``) as the service hands it to the search.

The search (``registry/compliance/browsing.py``) reads the log through the service's
checked reads and keeps its derived rows in this table; it reaches the table through
this object, made with the service, as the compliance figures reach their sealed
segments through ``SealedSegments``.  Nothing here is checked: the search reads every
record it finds again from its checked entry.
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.store.models import SearchCriteria, SearchRecordRow
from registry.store.repository import Store


class SearchTable:
    """``search_records``, its mark in ``registry_meta``, and the entries listed by type."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def get_meta(self, name: str) -> str | None:
        """The registry's metadata ``name`` (the table's mark), if set."""
        return await self._store.get_meta(name)

    async def write_search_records(
        self, rows: Sequence[SearchRecordRow], mark_name: str, mark: str
    ) -> None:
        """Add ``rows`` and set the mark, in one transaction."""
        await self._store.write_search_records(rows, mark_name, mark)

    async def clear_search_records(self) -> None:
        """Remove every row."""
        await self._store.clear_search_records()

    async def search_records_at(self, idxs: Sequence[int]) -> dict[int, SearchRecordRow]:
        """The rows of entries ``idxs`` that exist."""
        return await self._store.search_records_at(idxs)

    async def search_enrolment_of(self, kid: bytes) -> SearchRecordRow | None:
        """The latest enrolment row of ``kid``."""
        return await self._store.search_enrolment_of(kid)

    async def search_records(
        self,
        criteria: SearchCriteria,
        below: int,
        offset: int,
        limit: int,
        count_cap: int | None = None,
    ) -> tuple[list[int], int]:
        """One page of the entries whose rows match ``criteria``, newest first, and the count
        (up to ``count_cap + 1``)."""
        return await self._store.search_records(criteria, below, offset, limit, count_cap)

    async def search_values(self, column: str, *, named: bool = False) -> list[str]:
        """The distinct values of ``column``, sorted."""
        return await self._store.search_values(column, named=named)

    async def search_ppks(self, words: Sequence[str]) -> list[SearchRecordRow]:
        """The PPK enrolment rows whose name holds each of ``words``."""
        return await self._store.search_ppks(words)

    async def newest_of_types(
        self, types: Sequence[str], others: Sequence[str], below: int, offset: int, limit: int
    ) -> tuple[list[int], int]:
        """One page of the entries of ``types``, newest first, and how many there are."""
        return await self._store.newest_of_types(types, others, below, offset, limit)

    async def search_records_after(
        self, criteria: SearchCriteria, after: int, below: int, limit: int
    ) -> list[int]:
        """The first ``limit`` entries after ``after`` whose rows match ``criteria``, in log
        order."""
        return await self._store.search_records_after(criteria, after, below, limit)

    async def count_entries_of_type(self, type: str, after: int, upto: int) -> int:
        """How many entries after ``after`` up to ``upto`` the ``entries`` table types ``type``."""
        return await self._store.count_entries_of_type(type, after, upto)

    async def entries_signed_by(self, kid: bytes, types: Sequence[str], below: int) -> list[int]:
        """The entries below ``below`` of ``types`` the ``entries`` table says ``kid`` signed."""
        return await self._store.entries_signed_by(kid, types, below)
