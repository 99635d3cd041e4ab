"""The national tally fed from the log, without the compliance index.

A worker that restored the saved national tally (:mod:`registry.compliance.saved`)
answers today's national row from it; the entries registered since the tally's
end are read from the log in pages and each fact is taken by the tally
(:meth:`~registry.compliance.tally.NationalTally.take`), which asks for the few
earlier facts it needs (:meth:`~registry.compliance.tally.NationalTally.wanted`:
the recommendation a follow-up answers and its other follow-ups, the entry a
revocation names).  Those are read from the log one entry at a time, through
the same checked reads as every entry (``RegistryService.entries``: an entry
whose row differs from what the tree vouches for raises ``TamperedEntry``, and
the tally is left as it was before that fact).  Nothing of the index is built.
"""

from __future__ import annotations

from typing import Protocol

from registry.compliance.facts import Fact, read_entry
from registry.compliance.index import EntrySource
from registry.compliance.tally import NationalTally

PAGE = 1000
"""Entries read per query while feeding."""


class FactLog(Protocol):
    """The facts of the log's entries, read as checked entries."""

    async def facts(self, start: int, end: int) -> list[Fact | None]:
        """The fact of each entry ``start <= idx < end`` (None for one without), in order."""
        ...


class LogFacts:
    """The facts of a log's entries (``registry.compliance.service.Log``), read with
    :func:`~registry.compliance.facts.read_entry` from entries checked against the tree."""

    def __init__(self, log: EntrySource, follow_up_days: int) -> None:
        self._log = log
        self._days = follow_up_days
        self.read = 0
        """Entries read so far (pages and single entries)."""

    async def facts(self, start: int, end: int) -> list[Fact | None]:
        records = await self._log.entries(start, end)
        self.read += len(records)
        found: list[Fact | None] = []
        for offset, record in enumerate(records):
            if record.idx != start + offset:  # pragma: no cover - the store returned another range
                break
            found.append(read_entry(record, self._days))
        return found


async def take(
    tally: NationalTally, fact: Fact, log: FactLog, known: dict[int, Fact | None]
) -> None:
    """Have ``tally`` take ``fact``, reading what it needs that ``known`` lacks into it."""
    while missing := tally.wanted(fact, known):
        for idx in missing:
            known[idx] = await _one(log, idx, f"entry {fact.idx} names")
    tally.take(fact, known.__getitem__)


async def advance(tally: NationalTally, day: str, log: FactLog) -> bool:
    """Move ``tally`` to ``day`` (:meth:`~NationalTally.advance`), reading what it needs."""
    known: dict[int, Fact | None] = {}
    for idx in tally.wanted_to_advance(known):
        known[idx] = await _one(log, idx, "a fact dated after the tally's day names")
    return tally.advance(day, known.__getitem__)


async def _one(log: FactLog, idx: int, why: str) -> Fact | None:
    found = await log.facts(idx, idx + 1)
    if not found:
        raise LookupError(f"entry {idx}, which {why}, is not in the log")
    return found[0]


async def feed(tally: NationalTally, log: FactLog, size: int) -> None:
    """Take the facts of entries ``tally.size .. size - 1`` into ``tally``, in log order."""
    while tally.size < size:
        start = tally.size
        page = await log.facts(start, min(size, start + PAGE))
        if not page:
            return
        known: dict[int, Fact | None] = {}
        for idx, fact in enumerate(page, start):
            if fact is not None:
                await take(tally, fact, log, known)
                known[idx] = fact
            tally.size = idx + 1
