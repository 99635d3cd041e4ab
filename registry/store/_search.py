"""The record search's table (``search_records``) and the entry reads it leads to.

Mixed into :class:`registry.store.Store`.  The rows are derived from the log
and the store does not check them: the search reads every record it finds
again from its entry, checked against the tree (``registry/compliance/browsing.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import IN_LIST_CHUNK, from_row, in_chunks, upsert, values_of
from registry.store.models import SearchCriteria, SearchRecordRow
from registry.store.tables import ENTRIES, REGISTRY_META, SEARCH_RECORDS

OWN_PROVINCE = ("enrolment", "report")
"""Types whose province is their own; any other's is its person's (a PPK's enrolment)."""

S = SEARCH_RECORDS
_NAMED = or_(
    S.c.type.in_(["recommendation", "pact", "declaration"]),
    and_(S.c.type == "enrolment", S.c.name_words.is_not(None)),
)
"""The rows whose instansi the dashboard knows (``registry.compliance.filtering.choices``)."""


def _branches(criteria: SearchCriteria, below: int) -> list[list[ColumnElement[bool]]]:
    """The conditions of ``criteria`` on entries below ``below``, as disjoint branches whose
    matches together are the search's: one, or with a province two, since a record's
    province is its own (:data:`OWN_PROVINCE`) or its person's.  A search by a key, a PPK's
    name or a province is read through the keys it names (or the province's own rows),
    newest first, so one with few matches does not walk every row of its type."""
    keyed = criteria.kid is not None or criteria.kids is not None
    if criteria.province is None and criteria.name_words is None and not keyed:
        return [_criteria(criteria, below)]
    # The type is compared as an expression (``type || ''``), not through its index: read
    # by the type's index newest first, a province's or a name's few records of a common
    # type (an ASN's declarations are many, a PPK's few) were found by walking every row of it.
    where = _criteria(replace(criteria, type=None), below)
    if criteria.type is not None:
        where.append(S.c.type.concat("") == criteria.type)
    if criteria.province is None:
        return [where]
    own = criteria.type is None or criteria.type in OWN_PROVINCE
    persons = criteria.type is None or criteria.type not in OWN_PROVINCE
    of_province = select(PPK.c.kid).where(*_PPK_ENROLMENT, PPK.c.province == criteria.province)
    branches = []
    if own:
        branches.append([*where, S.c.type.in_(OWN_PROVINCE), S.c.province == criteria.province])
    if persons:
        branches.append([*where, S.c.type.not_in(OWN_PROVINCE), S.c.kid.in_(of_province)])
    return branches


PPK = S.alias("ppk")
_PPK_ENROLMENT = (PPK.c.type.concat("") == "enrolment", PPK.c.name_words >= "")
"""A PPK's enrolment row (only theirs hold a name): found through the index on
``name_words`` as a range (every text is at least ``''``; a null is not), the few rows
that hold one, not by walking every enrolment of an ASN."""


def _criteria(criteria: SearchCriteria, below: int) -> list[ColumnElement[bool]]:
    """The conditions of ``criteria`` on entries below ``below``, but its province."""
    where: list[ColumnElement[bool]] = [S.c.idx < below]
    if criteria.type is not None:
        where.append(S.c.type == criteria.type)
    if criteria.instansi is not None:
        where.append(S.c.instansi.in_(list(criteria.instansi)))
    if criteria.claimed_since is not None:
        where.append(S.c.claimed >= criteria.claimed_since)
    if criteria.claimed_until is not None:
        where.append(S.c.claimed <= criteria.claimed_until)
    if criteria.kid is not None:
        where.append(S.c.kid == criteria.kid)
    if criteria.kids is not None:
        where.append(S.c.kid.in_(list(criteria.kids)))
    if criteria.name_words is not None:
        named = select(PPK.c.kid).where(
            *_PPK_ENROLMENT,
            *(PPK.c.name_words.contains(w, autoescape=True) for w in criteria.name_words),
        )
        where.append(S.c.kid.in_(named))
    return where


class SearchMixin:
    """Read and write ``search_records``; read entries by index and of types, newest first."""

    _engine: AsyncEngine

    async def write_search_records(
        self, rows: Sequence[SearchRecordRow], mark_name: str, mark: str
    ) -> None:
        """Add ``rows`` (a row already there is kept) and set ``mark_name`` to ``mark`` in
        ``registry_meta``, in one transaction."""
        async with self._engine.begin() as connection:
            if rows:
                dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
                insert = dialect.insert(S).on_conflict_do_nothing(index_elements=[S.c.idx])
                await connection.execute(insert, [values_of(row) for row in rows])
            await upsert(connection, REGISTRY_META, {"name": mark_name, "value": mark}, key="name")

    async def clear_search_records(self) -> None:
        """Remove every row (the log they were derived from is not this one)."""
        async with self._engine.begin() as connection:
            await connection.execute(delete(S))

    async def search_records_at(self, idxs: Sequence[int]) -> dict[int, SearchRecordRow]:
        """The rows of entries ``idxs`` that exist."""
        found: dict[int, SearchRecordRow] = {}
        async with self._engine.connect() as connection:
            for chunk in in_chunks(sorted(set(idxs)), IN_LIST_CHUNK):
                rows = await connection.execute(select(S).where(S.c.idx.in_(chunk)))
                found.update((int(r.idx), from_row(SearchRecordRow, r)) for r in rows)
        return found

    async def search_enrolment_of(self, kid: bytes) -> SearchRecordRow | None:
        """The latest enrolment row of ``kid`` (its enrolment, or the succession to it)."""
        query = (
            select(S)
            .where(S.c.kid == kid, S.c.type == "enrolment")
            .order_by(S.c.idx.desc())
            .limit(1)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(SearchRecordRow, row)

    async def search_records(
        self,
        criteria: SearchCriteria,
        below: int,
        offset: int,
        limit: int,
        count_cap: int | None = None,
    ) -> tuple[list[int], int]:
        """The entries (below ``below``) whose rows match ``criteria``, newest first: one
        page (``offset``, ``limit``) of their indexes, and how many match.  With
        ``count_cap`` the count stops at ``count_cap + 1`` (a count above the cap means
        "more than the cap"), so a search matching millions of rows does not count them."""
        if count_cap is not None and count_cap < 0:
            raise ValueError("count_cap must not be negative")
        branches = [select(S.c.idx).where(*where) for where in _branches(criteria, below)]
        if not branches:
            return [], 0
        matching = branches[0] if len(branches) == 1 else union_all(*branches)
        page = matching.order_by(matching.selected_columns.idx.desc()).offset(offset).limit(limit)
        counted = matching if count_cap is None else matching.limit(count_cap + 1)
        count = select(func.count()).select_from(counted.subquery())
        async with self._engine.connect() as connection:
            total = int((await connection.execute(count)).scalar_one())
            idxs = [int(i) for i in (await connection.execute(page)).scalars()]
        return idxs, total

    async def search_records_after(
        self, criteria: SearchCriteria, after: int, below: int, limit: int
    ) -> list[int]:
        """The first ``limit`` entries after ``after`` (below ``below``) whose rows match
        ``criteria``, in log order: a keyset page, read through the indexes from ``after``
        on, whatever its depth."""
        branches = [
            select(S.c.idx).where(*where, S.c.idx > after) for where in _branches(criteria, below)
        ]
        if not branches:
            return []
        matching = branches[0] if len(branches) == 1 else union_all(*branches)
        page = matching.order_by(matching.selected_columns.idx).limit(limit)
        async with self._engine.connect() as connection:
            return [int(i) for i in (await connection.execute(page)).scalars()]

    async def count_entries_of_type(self, type: str, after: int, upto: int) -> int:
        """How many log entries ``after`` < idx <= ``upto`` are of ``type`` (the
        ``entries`` table's own column): read through its primary key's range."""
        count = (
            select(func.count())
            .select_from(ENTRIES)
            .where(ENTRIES.c.idx > after, ENTRIES.c.idx <= upto, ENTRIES.c.type.concat("") == type)
        )
        async with self._engine.connect() as connection:
            return int((await connection.execute(count)).scalar_one())

    async def entries_signed_by(self, kid: bytes, types: Sequence[str], below: int) -> list[int]:
        """The log entries below ``below`` of one of ``types`` whose ``entries`` row names
        ``kid`` as their signer, in log order (the table's own columns, through its index on
        the signer): what a key's rows of the search table are checked against."""
        query = (
            select(ENTRIES.c.idx)
            .where(ENTRIES.c.signer_kid == kid, ENTRIES.c.idx < below)
            .where(ENTRIES.c.type.concat("").in_(list(types)))
            .order_by(ENTRIES.c.idx)
        )
        async with self._engine.connect() as connection:
            return [int(i) for i in (await connection.execute(query)).scalars()]

    async def search_values(self, column: str, *, named: bool = False) -> list[str]:
        """The distinct values of ``column`` (``province`` or ``instansi``), sorted: one
        seek of its index per value (a loose index scan), not a read of every row.  With
        ``named``, only those a PPK's enrolment, a recommendation, a pact or a declaration
        names (the instansi the dashboard's filter and suggestions know)."""
        if column not in ("province", "instansi"):
            raise ValueError(f"not a searched column: {column}")
        col = S.c[column]
        kept = [_NAMED] if named else []
        first = select(func.min(col)).where(*kept).scalar_subquery()
        walk = select(first.label("x")).cte("walk", recursive=True)
        after = select(func.min(col)).where(col > walk.c.x, *kept).scalar_subquery()
        walk = walk.union_all(select(after).where(walk.c.x.is_not(None)))
        query = select(walk.c.x).where(walk.c.x.is_not(None))
        async with self._engine.connect() as connection:
            return [str(v) for v in (await connection.execute(query)).scalars()]

    async def search_ppks(self, words: Sequence[str]) -> list[SearchRecordRow]:
        """The PPK enrolment rows whose ``name_words`` hold each of ``words``, by name."""
        query = (
            select(S)
            .where(
                S.c.type.concat("") == "enrolment",
                S.c.name_words >= "",  # through its index: see _PPK_ENROLMENT
                *(S.c.name_words.contains(w, autoescape=True) for w in words),
            )
            .order_by(S.c.name, S.c.idx)
        )
        async with self._engine.connect() as connection:
            return [from_row(SearchRecordRow, r) for r in await connection.execute(query)]

    async def newest_of_types(
        self, types: Sequence[str], others: Sequence[str], below: int, offset: int, limit: int
    ) -> tuple[list[int], int]:
        """One page (``offset``, ``limit``) of the indexes of entries of ``types`` below
        ``below``, newest first, and how many there are: ``below`` less the entries of
        ``others`` (every other type: few), so the count reads only their index rows."""
        page = (
            select(ENTRIES.c.idx)
            .where(ENTRIES.c.type.in_(list(types)), ENTRIES.c.idx < below)
            .order_by(ENTRIES.c.idx.desc())
            .offset(offset)
            .limit(limit)
        )
        count = (
            select(func.count())
            .select_from(ENTRIES)
            .where(ENTRIES.c.type.in_(list(others)), ENTRIES.c.idx < below)
        )
        async with self._engine.connect() as connection:
            other = int((await connection.execute(count)).scalar_one())
            idxs = [int(i) for i in (await connection.execute(page)).scalars()]
        return idxs, max(below - other, 0)
