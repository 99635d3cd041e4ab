"""One page of today's recommendations list (``/api/compliance/recommendations``), bounded.

The list (:func:`registry.compliance.views.recommendations`: every standing
recommendation's outcome in log order, optionally of one addressed PPK key, one instansi,
one status) is paged by a keyset cursor: the recommendations after entry ``after``, at
most ``limit`` of them, and ``total``, how many the whole list holds.  A page of the index
(:func:`index_page`) and a page read from the log (:func:`paged`) are the same.

From the log, a page reads only its recommendations and their follow-ups, found one of
three ways, each keeping :mod:`registry.compliance.recommendation_rows`' promise (an edited
or deleted ``search_records`` row neither hides a recommendation nor shows one the log does
not say; an edited entry raises ``TamperedEntry``):

- **held**: the national tally keeps the question's entries (a figure of at most
  :data:`~registry.compliance.tally_counts.BOUND` entries nationally, of
  :data:`~registry.compliance.groups.BOUND` per instansi or key): the page is the next
  ``limit`` of them, read checked; the search table is not asked.  Each read must be the
  standing recommendation of the question the tally says, else the index answers.
- **scanned** (the unfiltered list, too long to be held): the search table's
  recommendation rows after ``after``, in rounds, each recommendation read checked; each
  round's range of the log (``after`` .. its last row, or the tally's end) must hold as
  many entries of type ``recommendation`` (the ``entries`` table's own column, counted by
  the database, no read of the log) as the search table has rows there, and each row must
  read as a recommendation, else the index answers.  With a ``status`` the rounds go on
  until ``limit`` of that status are found: reads grow as the status is rare (a page of
  100 overdue among 1 % overdue reads about 10,000 recommendations).
- **whole** (one key's or one instansi's list too long to be held, or a key's of one
  instansi, which the tally does not count): the question's whole
  list, as :func:`~registry.compliance.recommendation_rows.listed` reads it (every
  recommendation of that key or instansi; bounded by it, not by the log), then the page.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from registry.compliance import recommendation_rows
from registry.compliance.facts import Rec
from registry.compliance.feed import FactLog
from registry.compliance.groups import Row
from registry.compliance.kept import Members
from registry.compliance.metrics import Outcome, Snapshot
from registry.compliance.recommendation_rows import Again, again, criteria, part
from registry.compliance.tally import NationalTally
from registry.compliance.views import outcome_row
from registry.store.models import SearchCriteria

LIMIT = 100
"""Recommendations a page lists unless asked for fewer or more."""
MOST = 1000
"""The most a page lists."""
ROUND = 2000
"""The most search rows a scanned round reads."""
FIGURE = {None: "recommendations", "overdue": "overdue", "pending": "pending"}
"""The tally's figure whose entries are a status's recommendations (followed-up: the
recommendations neither overdue nor pending)."""


@dataclass(frozen=True, slots=True)
class Page:
    """Up to ``limit`` rows of the list after an entry, the list's day and length, and
    whether rows follow the last."""

    day: str
    items: list[Row]
    total: int
    more: bool


class Locate(Protocol):
    """Where the recommendations are (a :class:`~registry.compliance.browsing.RecordSearch`)."""

    async def indexes(self, criteria: SearchCriteria, below: int) -> list[int]: ...

    async def indexes_after(
        self, criteria: SearchCriteria, after: int, below: int, limit: int
    ) -> list[int]: ...

    async def entries_of_type(self, type: str, after: int, upto: int) -> int: ...


def _matches(o: Outcome, ppk: bytes | None, instansi: str | None, status: str | None) -> bool:
    return (
        (ppk is None or o.rec.ppk_kid == ppk)
        and (instansi is None or o.rec.instansi == instansi)
        and (status is None or o.status == status)
    )


def index_page(
    snap: Snapshot,
    ppk: bytes | None,
    instansi: str | None,
    status: str | None,
    after: int | None,
    limit: int,
) -> Page:
    """The page from the index's ``snap`` (the list's rows made for the page only)."""
    matching = [o for o in snap.outcomes.values() if _matches(o, ppk, instansi, status)]
    start = 0 if after is None else bisect.bisect_right([o.rec.idx for o in matching], after)
    shown = matching[start : start + limit]
    more = start + limit < len(matching)
    return Page(snap.as_of, [outcome_row(snap, o) for o in shown], len(matching), more)


def _figure(tally: NationalTally, ppk: bytes | None, instansi: str | None, name: str) -> Members:
    if ppk is not None:
        group = tally.by_key.figures.groups.get(ppk)
    elif instansi is not None:
        group = tally.instansi.groups.get(instansi)
    else:
        return tally.figures[name]
    return Members() if group is None else group.figures[name]


def total(tally: NationalTally, ppk: bytes | None, instansi: str | None, status: str | None) -> int:
    """How many rows the whole list holds, as the tally counts them."""
    name = "followed_up" if status == "followed-up" else FIGURE[status]
    return _figure(tally, ppk, instansi, name).count


def held(
    tally: NationalTally, ppk: bytes | None, instansi: str | None, status: str | None
) -> list[int] | None:
    """The list's recommendations in log order where the tally keeps them, else None."""
    if status != "followed-up":
        entries = _figure(tally, ppk, instansi, FIGURE[status]).entries
        return None if entries is None else sorted(entries)
    recs = held(tally, ppk, instansi, None)
    if recs is None:
        return None
    other = [_figure(tally, ppk, instansi, s).entries for s in ("overdue", "pending")]
    if other[0] is None or other[1] is None:  # pragma: no cover - subsets of recs, held too
        return None
    return [i for i in recs if i not in other[0] and i not in other[1]]


class _Unsaid(Exception):
    """The log does not say what the tally or the search table says: the index answers."""


async def paged(
    tally: NationalTally,
    locate: Locate,
    facts: FactLog,
    lock: asyncio.Lock,
    ppk: bytes | None = None,
    instansi: str | None = None,
    status: str | None = None,
    after: int | None = None,
    limit: int = LIMIT,
) -> Page | None:
    """The page from ``tally`` (fed under ``lock``), ``locate`` and the log's ``facts``;
    read again (at most :data:`~registry.compliance.recommendation_rows.ROUNDS` times) if
    the tally was fed or moved meanwhile.  None where it cannot say (the index answers)."""
    try:
        return await again(
            lambda: _page(tally, locate, facts, lock, ppk, instansi, status, after, limit)
        )
    except _Unsaid:
        return None


async def _page(
    tally: NationalTally,
    locate: Locate,
    facts: FactLog,
    lock: asyncio.Lock,
    ppk: bytes | None,
    instansi: str | None,
    status: str | None,
    after: int | None,
    limit: int,
) -> Page | None:
    mark = (tally.size, tally.day)
    start = -1 if after is None else after
    both = ppk is not None and instansi is not None  # the key's, less other instansi's
    async with lock:
        known = None if both else held(tally, ppk, instansi, status)
    counted = None
    if known is not None:  # every row of the page is one the tally names
        at = bisect.bisect_right(known, start)
        wanted = known[at : at + limit]
        rows, found = await _rows(tally, facts, lock, mark, wanted, ppk, instansi, status)
        if found != len(wanted) or len(rows) != len(wanted):
            return None
        more = len(known) > at + limit
    elif ppk is not None or instansi is not None:  # the question's whole list
        whole = await recommendation_rows.listed(
            tally, locate.indexes, facts, lock, ppk, instansi, status
        )
        if whole is None:
            return None
        indexes = [int(row["index"]) for row in whole[1]]
        at = bisect.bisect_right(indexes, start)
        rows, more, counted = whole[1][at : at + limit], len(indexes) > at + limit, len(indexes)
    else:
        rows, more = await _scanned(tally, locate, facts, lock, mark, status, start, limit)
    async with lock:
        if (tally.size, tally.day) != mark:
            raise Again
        if counted is None:
            counted = total(tally, ppk, instansi, status)
        return Page(tally.day, rows, counted, more)


async def _scanned(
    tally: NationalTally,
    locate: Locate,
    facts: FactLog,
    lock: asyncio.Lock,
    mark: tuple[int, str],
    status: str | None,
    start: int,
    limit: int,
) -> tuple[list[Row], bool]:
    """Up to ``limit`` rows of the unfiltered list after ``start`` from the search table's
    rows, each round's range checked against the log's entries of the type, and whether
    more follow."""
    out: list[Row] = []
    lo, size = start, limit + 1  # one more than the page: whether another follows
    while True:
        ranged = await locate.indexes_after(criteria(None, None), lo, mark[0], size)
        last = len(ranged) < size  # the last round: up to the tally's end (as found)
        hi = mark[0] - 1 if last else ranged[-1]
        if await locate.entries_of_type("recommendation", lo, hi) != len(ranged):
            raise _Unsaid  # a row deleted, added or moved in this range
        rows, _ = await _rows(tally, facts, lock, mark, ranged, None, None, status, every=True)
        out += rows
        if len(out) > limit or last:
            return out[:limit], len(out) > limit
        lo, size = hi, min(ROUND, size * 2)


async def _rows(
    tally: NationalTally,
    facts: FactLog,
    lock: asyncio.Lock,
    mark: tuple[int, str],
    idxs: Sequence[int],
    ppk: bytes | None,
    instansi: str | None,
    status: str | None,
    every: bool = False,
) -> tuple[list[Row], int]:
    """The rows of ``idxs`` (read checked with their follow-ups) and how many of them are
    standing recommendations of the question; with ``every``, each must be a recommendation."""
    read = await facts.facts_at(tally.with_answers(idxs))
    if every and any(not isinstance(read.get(i), Rec) for i in idxs):
        raise _Unsaid  # a search row naming an entry that is no recommendation
    keys = await facts.keys([f.ppk_kid for f in read.values() if isinstance(f, Rec)])
    async with lock:  # the tally is fed under it: unchanged since, if as large
        if (tally.size, tally.day) != mark:
            raise Again
        if not tally.keys_exact:
            raise _Unsaid
        try:
            return part(tally, idxs, read.__getitem__, keys.__getitem__, ppk, instansi, status)
        except KeyError:  # an index fed the tally an entry naming one not read
            raise _Unsaid from None
