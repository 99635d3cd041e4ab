"""Today's recommendations list (``/api/compliance/recommendations``) without the index.

:func:`registry.compliance.views.recommendations` lists every standing recommendation's
outcome (:func:`~registry.compliance.views.outcome_row`) in log order, optionally of one
addressed PPK key, one instansi, one status.  Today's is computed here from:

- where to look: the record search's table (``search_records``, one row per
  recommendation with its instansi and addressed key: :func:`criteria`), written behind
  the log; its rows are only where to look;
- what each one is: its entry and the follow-ups the national tally says answer it
  (:meth:`NationalTally.answering <registry.compliance.tally.NationalTally.answering>`),
  read checked in one round (:meth:`NationalTally.with_answers`; an edited entry raises
  ``TamperedEntry``),
  the criteria applied again to the read facts;
- its outcome as the tally computes it (:meth:`NationalTally.outcome
  <registry.compliance.tally.NationalTally.outcome>`: the snapshot's ``outcome_of`` as of
  the tally's day, with the revocations the tally keeps), under the province and head type
  of the addressed key's enrolment as of that day (read from the log, as the provinces
  table's are) and the election the tally's calendar gives.

The standing recommendations found must be as many as the tally counts for the search's
criterion (:func:`expected`: the key's, else the instansi's, else the national count):
a search row deleted or edited away makes them fewer, and :func:`listed` answers None (the
index answers). So an edit of the table can never hide a record, nor show one the log
does not say.  Nothing is kept: memory grows with the rows answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from registry.compliance.facts import Rec
from registry.compliance.feed import FactLog
from registry.compliance.groups import Row
from registry.compliance.provinces import Enrolled
from registry.compliance.tally import NationalTally
from registry.compliance.tally_counts import Read
from registry.compliance.views import outcome_entry
from registry.store.models import SearchCriteria

T = TypeVar("T")
Find = Callable[[SearchCriteria, int], Awaitable[list[int]]]
"""The search's entries matching criteria below a size, in log order
(:meth:`RecordSearch.indexes <registry.compliance.browsing.RecordSearch.indexes>`)."""
CHUNK = 2000
"""Recommendations read a round (their entries and follow-ups in one query)."""
ROUNDS = 3
"""Times the list is found and read again when the tally was fed meanwhile, before the
index answers."""


def criteria(ppk: bytes | None, instansi: str | None) -> SearchCriteria:
    """What to ask the search table: the recommendations to ``ppk`` (its instansi checked
    after the read), else of ``instansi``, else every one."""
    if ppk is not None:
        return SearchCriteria(type="recommendation", kid=ppk)
    return SearchCriteria(type="recommendation", instansi=None if instansi is None else (instansi,))


def expected(tally: NationalTally, ppk: bytes | None, instansi: str | None) -> int:
    """How many standing recommendations the tally counts for :func:`criteria`'s question."""
    if ppk is not None:
        group = tally.by_key.figures.groups.get(ppk)
    elif instansi is not None:
        group = tally.instansi.groups.get(instansi)
    else:
        return tally.figures["recommendations"].count
    return 0 if group is None else group.figures["recommendations"].count


def part(
    tally: NationalTally,
    idxs: Sequence[int],
    read: Read,
    key: Callable[[bytes], Enrolled | None],
    ppk: bytes | None = None,
    instansi: str | None = None,
    status: str | None = None,
) -> tuple[list[Row], int]:
    """The list as of the tally's day from some of the search's ``idxs`` (ascending), whose
    entries :meth:`NationalTally.with_answers` named ``read`` gives (``key``: the enrolment
    the log's key directory locates for a kid), and how many standing recommendations of the
    search's question they held (all of them: as many as :func:`expected`; see the module)."""
    found = 0
    out = []
    for idx in idxs:
        rec = read(idx)
        if not isinstance(rec, Rec) or (ppk is not None and rec.ppk_kid != ppk):
            continue  # a row edited to name another entry or key
        if ppk is None and instansi is not None and rec.instansi != instansi:
            continue
        outcome = tally.outcome(rec, read)
        if outcome is None:  # revoked, or dated after the day
            continue
        found += 1
        if (instansi is not None and rec.instansi != instansi) or (
            status is not None and outcome.status != status
        ):
            continue
        enrolled = key(rec.ppk_kid)
        if enrolled is not None and (enrolled.idx >= tally.size or enrolled.day > tally.day):
            enrolled = None
        out.append(outcome_entry(outcome, enrolled, tally.elections.election(rec)))
    return out, found


class Again(Exception):
    """The tally was fed or moved to another day while the list was read."""


async def again(read: Callable[[], Awaitable[T | None]]) -> T | None:
    """``read()``, made again (at most :data:`ROUNDS` times) while it raises :class:`Again`;
    None after that (the index answers)."""
    for _ in range(ROUNDS):
        try:
            return await read()
        except Again:
            continue
    return None


async def listed(
    tally: NationalTally,
    find: Find,
    facts: FactLog,
    lock: asyncio.Lock,
    ppk: bytes | None = None,
    instansi: str | None = None,
    status: str | None = None,
) -> tuple[str, list[Row]] | None:
    """The list and its day from ``tally`` (fed under ``lock``), the search's ``find`` and the
    log's ``facts``: found and read outside the lock, :data:`CHUNK` recommendations a round
    of reads (memory: the rows and one chunk's entries), computed under it; found and read
    again (at most :data:`ROUNDS` times) if the tally was fed or moved meanwhile.  None where
    it cannot say (the index answers)."""
    return await again(lambda: _listed(tally, find, facts, lock, ppk, instansi, status))


async def _listed(
    tally: NationalTally,
    find: Find,
    facts: FactLog,
    lock: asyncio.Lock,
    ppk: bytes | None,
    instansi: str | None,
    status: str | None,
) -> tuple[str, list[Row]] | None:
    mark = (tally.size, tally.day)
    idxs = await find(criteria(ppk, instansi), tally.size)
    out: list[Row] = []
    found = 0
    for start in range(0, len(idxs), CHUNK):
        some = idxs[start : start + CHUNK]
        read = await facts.facts_at(tally.with_answers(some))
        keys = await facts.keys([f.ppk_kid for f in read.values() if isinstance(f, Rec)])
        async with lock:  # the tally is fed under it: unchanged since, if as large
            if (tally.size, tally.day) != mark:
                raise Again
            if not tally.keys_exact:
                return None
            try:
                more, n = part(tally, some, read.__getitem__, keys.__getitem__, ppk, instansi,
                               status)  # fmt: skip
            except KeyError:  # an index fed the tally an entry naming one not read
                return None
        out += more
        found += n
    async with lock:
        if (tally.size, tally.day) != mark:
            raise Again
        return (tally.day, out) if found == expected(tally, ppk, instansi) else None
