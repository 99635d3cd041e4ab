"""What the record search's table (``search_records``) holds for each listed entry.

One row per entry of :data:`LISTED_TYPES`, derived from its fact
(:func:`row_of`): its type as listed, the day it claims, its instansi, its own
province, the key of its person and, for a PPK's enrolment only, the name and
its words (an ASN's name is never written).  The table's mark
(:func:`mark_after`) says how far it holds the log, by the last entry's index
and leaf hash.  :mod:`registry.compliance.browsing` writes and reads it through
:class:`SearchTable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from registry.compliance.facts import FollowUp, Key, Rec, Report, Signed, Step, Succession
from registry.compliance.finder import words
from registry.store.models import EntryRecord, SearchCriteria, SearchRecordRow

LISTED_TYPES = (
    "enrolment", "key-succession", "pact", "declaration", "report", "recommendation",
    "follow-up", "enforcement",
)  # fmt: skip
"""The entry types the search lists (a key-succession as the successor's enrolment)."""
MARK = "search-records"
"""The ``registry_meta`` name of how far ``search_records`` holds the log."""


class SearchTable(Protocol):
    """``search_records`` and the reads of entries by type (a ``Store``)."""

    async def get_meta(self, name: str) -> str | None: ...

    async def write_search_records(
        self, rows: Sequence[SearchRecordRow], mark_name: str, mark: str
    ) -> None: ...

    async def clear_search_records(self) -> None: ...

    async def search_records_at(self, idxs: Sequence[int]) -> dict[int, SearchRecordRow]: ...

    async def search_enrolment_of(self, kid: bytes) -> SearchRecordRow | None: ...

    async def search_records(
        self,
        criteria: SearchCriteria,
        below: int,
        offset: int,
        limit: int,
        count_cap: int | None = None,
    ) -> tuple[list[int], int]: ...

    async def search_records_after(
        self, criteria: SearchCriteria, after: int, below: int, limit: int
    ) -> list[int]: ...

    async def count_entries_of_type(self, type: str, after: int, upto: int) -> int: ...

    async def entries_signed_by(
        self, kid: bytes, types: Sequence[str], below: int
    ) -> list[int]: ...

    async def search_values(self, column: str, *, named: bool = False) -> list[str]: ...

    async def search_ppks(self, words: Sequence[str]) -> list[SearchRecordRow]: ...

    async def newest_of_types(
        self, types: Sequence[str], others: Sequence[str], below: int, offset: int, limit: int
    ) -> tuple[list[int], int]: ...


def row_of(fact: object, known: dict[int, SearchRecordRow]) -> SearchRecordRow | None:
    """The row of a listed fact; ``known`` holds the rows it may name (a succession's
    predecessor's enrolment by ``-1``, a follow-up's recommendation by its index)."""
    if isinstance(fact, Key):
        ppk = fact.role == "ppk"
        name, spaced = (fact.name, " ".join(words(fact.name))) if ppk else (None, None)
        return SearchRecordRow(
            fact.idx, "enrolment", fact.term_start, fact.instansi, fact.province, fact.kid,
            name, spaced,
        )  # fmt: skip
    if isinstance(fact, Succession):
        old = known.get(-1)
        return None if old is None else replace(old, idx=fact.idx, kid=fact.new)
    if isinstance(fact, Signed):
        return SearchRecordRow(
            fact.idx, fact.kind, fact.date, fact.instansi, None, fact.signer, None, None
        )
    if isinstance(fact, Report):
        return SearchRecordRow(
            fact.idx, "report", fact.day, fact.instansi, fact.province, None, None, None
        )
    if isinstance(fact, Rec):
        return SearchRecordRow(
            fact.idx, "recommendation", fact.day, fact.instansi, None, fact.ppk_kid, None, None
        )
    if isinstance(fact, FollowUp):
        rec = known.get(fact.recommendation)
        instansi = "" if rec is None or rec.type != "recommendation" else rec.instansi
        claimed = fact.decree_date or fact.day
        return SearchRecordRow(
            fact.idx, "follow-up", claimed, instansi, None, fact.signer, None, None
        )
    if isinstance(fact, Step):
        return SearchRecordRow(
            fact.idx, "enforcement", fact.day, fact.instansi, None, fact.ppk_kid, None, None
        )
    return None


def mark_after(last: EntryRecord) -> str:
    """The table's mark after entry ``last``: how many entries it holds, and that entry's
    leaf hash."""
    return f"{last.idx + 1}:{last.leaf_hash.hex()}"
