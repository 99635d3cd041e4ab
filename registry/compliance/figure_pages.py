"""One page of the entries behind a figure of today's tables, without the compliance index.

``/api/compliance/entries`` (and the dashboard's entries of a figure) lists the log entries
one figure of a table counts, in log order, paged by a keyset cursor: at most ``limit``
entries after entry ``after``, and ``total``, how many the figure counts.  A page of the
index's list (:func:`index_page` of :func:`registry.compliance.dashboard.figure_entries`)
and a page found here (:func:`paged`) are the same.

Found here from the saved national tally, one of two ways
(:mod:`registry.compliance.figure_members` says which figure is made of which members):

- **listed**: the tally lists the figure's entries (at most
  :data:`~registry.compliance.tally_counts.BOUND` nationally, 100 per group): the page is
  the next ``limit`` of them, as the table shows them inline; nothing is read.
- **scanned**: the tally keeps only the count.  The figure's entries are of one type (two
  for a follow-up rate: the recommendations and the follow-ups), so the search table's
  rows of that type after ``after`` are read in rounds (:data:`ROUND` at most), and each
  round's range of the log (``after`` .. its last row, or the tally's end) must hold as
  many entries of that type (the ``entries`` table's own column, counted by the database)
  as the search table has rows there, else the index answers: a row deleted, added or
  retyped in the database neither hides an entry nor adds one.  Each row's entry is read
  checked (an edited entry raises ``TamperedEntry``: the 500 ``tampered-entry``) and must
  be of the type; a follow-up's recommendation and the follow-ups answering it are read
  in a second round, and the addressed keys' enrolments in a third.  Whether an entry
  counts in the figure is the tally's own decision: its unit's contribution
  (:meth:`NationalTally.counted_in
  <registry.compliance.tally.NationalTally.counted_in>`, as the tally computed it when
  the entry was taken or the day moved) must hold the figure's member ``(name, entry)``.
  The rounds stop once ``limit`` + 1 entries are found (the page, and whether another
  follows): a page reads entries in proportion to its length over the figure's share of
  its type (a national figure of recommendations: about the page; one instansi's
  declarations among every declaration: the page over that instansi's share).

Everything is computed under the compliance lock against the tally's size and day read
before the rounds; if the tally was fed or moved meanwhile the page is found again (at
most :data:`~registry.compliance.recommendation_rows.ROUNDS` times), then the index
answers.  Computing a contribution again changes nothing the tally keeps: the units it
marks waiting or unresolved are marked already (it marked them when it took them).
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry.compliance.dashboard import described
from registry.compliance.facts import Fact, FollowUp, Rec, Report, Signed, Step
from registry.compliance.feed import FactLog
from registry.compliance.figure_members import located
from registry.compliance.provinces import Enrolled, kid_of
from registry.compliance.recommendation_pages import Locate
from registry.compliance.recommendation_rows import Again, again
from registry.compliance.tally import NationalTally, Unit
from registry.compliance.tally_counts import BOUND, Member
from registry.store.models import SearchCriteria

LIMIT = BOUND
"""Entries a page lists unless asked for fewer (the pages of 10,000 the API always had)."""
ROUND = 2000
"""The most search rows a round reads."""
Mark = tuple[int, str]


@dataclass(frozen=True, slots=True)
class EntriesPage:
    """Up to ``limit`` entries of a figure after an entry, in log order, the figure's day and
    count, whether entries follow the last, and the entries counted (``0 .. size - 1``)."""

    day: str
    total: int
    entries: list[int]
    more: bool
    size: int


class _Unsaid(Exception):
    """The log does not say what the search table says: the index answers."""


def index_page(indexes: Sequence[int], after: int | None, limit: int) -> tuple[list[int], bool]:
    """The page of the ascending ``indexes`` after ``after`` (at most ``limit``), and whether
    more follow."""
    start = 0 if after is None else bisect.bisect_right(indexes, after)
    return list(indexes[start : start + limit]), start + limit < len(indexes)


async def paged(
    tally: NationalTally,
    locate: Locate,
    facts: FactLog,
    lock: asyncio.Lock,
    table: str,
    row: str | None,
    figure: str,
    after: int | None = None,
    limit: int = LIMIT,
    on: str | None = None,
) -> EntriesPage | None:
    """The page from ``tally`` (fed under ``lock``), ``locate`` and the log's ``facts`` (the
    head-types table's with the PPK keys in office ``on``); None where they cannot say (the
    index answers).  Raises ``FilterRefused`` for a row or figure the table does not have."""

    async def page() -> EntriesPage | None:
        async with lock:
            mark = (tally.size, tally.day)
            found = located(tally, table, row, figure, on)
        if found is None:
            return None
        listed = found.figure["entries"]
        if listed is not None:
            entries, more = index_page(sorted(listed), after, limit)
        else:
            start = -1 if after is None else after
            union = {i for i in found.fixed if i > start}  # the head types' enrolments
            by_type: dict[str, list[object]] = {}
            for name, type in found.names:
                by_type.setdefault(type, []).append(name)
            for type, names in by_type.items():
                union.update(
                    await _scanned(tally, locate, facts, lock, mark, names, type, start, limit)
                )
            ordered = sorted(union)  # each part's first limit + 1: the union's first limit + 1
            entries, more = ordered[:limit], len(ordered) > limit
        async with lock:
            if (tally.size, tally.day) != mark:
                raise Again
        return EntriesPage(mark[1], found.total, entries, more, mark[0])

    try:
        return await again(page)
    except _Unsaid:
        return None


async def _scanned(
    tally: NationalTally,
    locate: Locate,
    facts: FactLog,
    lock: asyncio.Lock,
    mark: Mark,
    names: Sequence[object],
    type: str,
    start: int,
    limit: int,
) -> list[int]:
    """Up to ``limit`` + 1 entries after ``start`` counted under a member of ``names`` among the
    search table's rows of ``type``, each round's range checked against the log's entries
    of the type."""
    out: list[int] = []
    lo, size = start, min(ROUND, limit + 1)
    while True:
        ranged = await locate.indexes_after(SearchCriteria(type=type), lo, mark[0], size)
        last = len(ranged) < size  # the last round: up to the tally's end (as found)
        hi = mark[0] - 1 if last else ranged[-1]
        if await locate.entries_of_type(type, lo, hi) != len(ranged):
            raise _Unsaid  # a row deleted, added or retyped in this range
        out += await _counted(tally, facts, lock, mark, names, type, ranged)
        if len(out) > limit or last:
            return out[: limit + 1]
        lo = hi


def _of_type(fact: Fact | None, type: str) -> bool:
    if isinstance(fact, Signed):
        return fact.kind == type
    kinds = {"recommendation": Rec, "follow-up": FollowUp, "report": Report, "enforcement": Step}
    cls = kinds.get(type)
    return cls is not None and isinstance(fact, cls)


async def _counted(
    tally: NationalTally,
    facts: FactLog,
    lock: asyncio.Lock,
    mark: Mark,
    names: Sequence[object],
    type: str,
    ranged: Sequence[int],
) -> list[int]:
    """The entries of ``ranged`` (rows of ``type``) whose units' contributions count them
    under one of ``names``, read checked."""
    read = await facts.facts_at(ranged)
    if any(not _of_type(read.get(i), type) for i in ranged):
        raise _Unsaid  # a search row naming an entry of another type (or none)
    answered = [f.recommendation for i in ranged if isinstance(f := read[i], FollowUp)]
    recs = [i for i in ranged if isinstance(read[i], Rec)]
    first = [i for i in dict.fromkeys(answered) if i not in read]
    read.update(await facts.facts_at(first))
    answered = [i for i in answered if isinstance(read.get(i), Rec)]
    wanted = [i for i in tally.with_answers([*recs, *answered]) if i not in read]
    cited = [c for i in ranged if isinstance(f := read[i], Step) for c in f.cites if c < i]
    read.update(await facts.facts_at([*wanted, *(c for c in cited if c not in read)]))
    kids = [kid for i in dict.fromkeys([*ranged, *answered]) if (kid := kid_of(read[i]))]
    keys = await facts.keys(list(dict.fromkeys(kids)))

    def key(kid: bytes) -> Enrolled | None:  # as the tally has taken the log (its size)
        enrolled = keys.get(kid)
        return enrolled if enrolled is not None and enrolled.idx < tally.size else None

    async with lock:  # the tally is fed under it: unchanged since, if as large and as old
        if (tally.size, tally.day) != mark:
            raise Again
        if not tally.keys_exact:
            raise _Unsaid
        out: list[int] = []
        done: dict[Unit, list[Member]] = {}
        try:
            for i in ranged:
                fact = read[i]
                assert fact is not None  # of the type: checked above
                counted = tally.counted_in(fact, read.__getitem__, key, done)
                if any((name, i) in members for name in names for members in counted):
                    out.append(i)
        except KeyError:  # the tally names an entry the reads did not return
            raise _Unsaid from None
        return out


async def rows(facts: FactLog, entries: Sequence[int]) -> list[dict[str, Any]]:
    """``entries`` as a figure's list shows them (:func:`~registry.compliance.dashboard.described`),
    read checked from the log with the recommendations their follow-ups answer."""
    read = await facts.facts_at(entries)
    answered = [f.recommendation for f in read.values() if isinstance(f, FollowUp)]
    read.update(await facts.facts_at([i for i in dict.fromkeys(answered) if i not in read]))
    out = []
    for i in entries:
        fact = read.get(i)
        rec = read.get(fact.recommendation) if isinstance(fact, FollowUp) else None
        out.append(described(i, fact, rec if isinstance(rec, Rec) else None))
    return out
