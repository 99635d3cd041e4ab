"""The national tallies one process keeps: today's, and the last few past days' it answered.

Today's tally (:mod:`registry.compliance.tally`) is restored from the saved one and
fed from the log (:mod:`registry.compliance.feed`) without the compliance index, or,
where this process restored the index, fed by it; where neither can say, it is made
again from the restored index and saved.  When it moves to a later day, its state on
the old day is saved first (:mod:`registry.compliance.day_tallies`), and a past day
is answered from the tally saved as that day or the latest before it ended.

:class:`~registry.compliance.service.ComplianceService` holds one :class:`Tallies` and
asks it; both share one lock (the index, the tallies and the saved rows change under
it).  "Today" is the caller's to say: nothing here reads the clock.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from registry.compliance import tally_bytes
from registry.compliance.day_tallies import FORWARD_MOST, DayTallies
from registry.compliance.feed import Log, LogFacts, advance, feed
from registry.compliance.index import ComplianceIndex
from registry.compliance.saved import SavedIndex
from registry.compliance.tally import NationalTally, index_reader

PAST_KEPT = 3
"""Past days' tallies one process keeps, the most recently asked: a reader going back and
forth between a few days (this month's end and last month's, say) reloads and feeds none of
them again.  Each is about as large as today's tally (it grows with keys and instansi, not
entries: docs/scaling.md), so this bounds what past days add to a worker at three of them."""

Restore = Callable[[str], Awaitable[object]]
"""Restores (or builds) the compliance index and catches it up with the log (the
service's ``snapshot``), for a day."""


class Tallies:
    """Today's and a past day's national tally of one process (see the module)."""

    def __init__(
        self,
        log: Log,
        index: ComplianceIndex,
        saved: SavedIndex | None,
        facts: LogFacts,
        lock: asyncio.Lock,
        restore: Restore,
    ) -> None:
        self._log = log
        self.index = index
        self.saved = saved
        self.facts = facts
        self._lock = lock
        self._restore = restore
        self.days = None if saved is None else DayTallies(saved)
        """The tallies of past days saved as each day ended."""
        self._past: OrderedDict[str, NationalTally] = OrderedDict()
        """The last :data:`PAST_KEPT` past days' tallies this process answered from, by
        day, the most recently asked last (each fed on as the log grows)."""

    @property
    def past(self) -> NationalTally | None:
        """The last past day's tally this process answered from, if it keeps one."""
        return next(reversed(self._past.values()), None)

    def drop_past(self) -> None:
        """Let go of the past days' tallies (the process restored the index, which answers
        any day at no more memory)."""
        self._past.clear()

    @property
    def past_days(self) -> list[str]:
        """The past days whose tallies this process keeps, the most recently asked last."""
        return list(self._past)

    @property
    def size(self) -> int | None:
        """Entries today's tally holds (None before one is restored or made)."""
        tally = self.index.tally
        return None if tally is None else tally.size

    async def today(self, day: str) -> NationalTally:
        """The tally of today ``day``, holding every entry of the log: fed from the log
        where a saved one was restored, else by the index (restored), else made again."""
        async with self._lock:
            tally = await self.fed()
            if tally is not None and await self.advanced(tally, day):
                await feed(tally, self.facts, self._log.size)
                if self.saved is not None:
                    await self.saved.save_tally(every=self.saved.size)
                if tally.size >= self._log.size:
                    return tally
        await self._restore(day)
        async with self._lock:
            tally = self.index.tally
            read, keys = index_reader(self.index), self.index.keys.get
            if tally is not None:
                await self._save_old_day(tally, day)
            if tally is None or not tally.advance(day, read, keys):
                tally = await self.made_again(day)
            return tally

    async def advanced(self, tally: NationalTally, day: str) -> bool:
        """Move the tally fed from the log to ``day`` (:func:`advance`), saving it as its
        old day's first (:mod:`.day_tallies`); False for an earlier day.  Under the lock."""
        await self._save_old_day(tally, day)
        return await advance(tally, day, self.facts)

    async def _save_old_day(self, tally: NationalTally, day: str) -> None:
        """Before ``tally`` moves to later day ``day``: save it as its old day's."""
        if self.days is not None and day > tally.day:
            await self.days.save(tally)

    async def later_day(self, day: str, today: NationalTally) -> NationalTally | None:
        """The tally of ``day``, later than ``today``'s: a copy of today's tally moved to that
        day (every recommendation whose deadline falls before it overdue, the facts dated up
        to it counted), kept and fed on as a past day's is; None if it cannot move there."""
        async with self._lock:
            tally = self._past.pop(day, None)
            if tally is None:
                while len(self._past) >= PAST_KEPT:  # the least recently asked goes first
                    self._past.popitem(last=False)
                tally = tally_bytes.decode(tally_bytes.encode(today))
            if not await advance(tally, day, self.facts):  # pragma: no cover - never earlier
                return None
            await feed(tally, self.facts, self._log.size)
            self._past[day] = tally
            return tally

    async def past_day(self, day: str) -> NationalTally | None:
        """The tally of past day ``day``: the one saved as that day or the latest before it
        ended, moved to ``day`` and fed every entry since; None where none is saved, or it
        is more than :data:`FORWARD_MOST` entries behind the log."""
        if self.days is None:
            return None
        async with self._lock:
            tally = self._past.pop(day, None)
            if tally is None:
                while len(self._past) >= PAST_KEPT:  # the least recently asked goes first
                    self._past.popitem(last=False)
                tally = await self.days.latest(day)
            if tally is None or self._log.size - tally.size > FORWARD_MOST:
                return None
            if not await advance(tally, day, self.facts):  # pragma: no cover - never later
                return None
            await feed(tally, self.facts, self._log.size)
            self._past[day] = tally
            return tally

    async def fed(self, adopt: bool = True) -> NationalTally | None:
        """The tally this process feeds from the log (the index does not feed it: it is not
        restored here), restored from the saved one, or replaced by it when another process
        fed it further and this one is a segment or more behind; None if there is none.
        Under the lock; without ``adopt`` (the keeper's slices: the process that saves it)
        the saved tally is not looked at again."""
        if self.saved is not None:
            await self.saved.restore_tally()
            kept = self.index.tally
            if adopt and kept is not None and self._log.size - kept.size >= self.saved.size:
                await self.saved.newer_tally(self._log.refresh)
        tally = self.index.tally
        return tally if tally is not None and self.index.size < tally.size else None

    async def keep(self, most: int, day: str) -> int | None:
        """Feed the tally fed from the log by at most ``most`` entries, moved to ``day``
        first; the entries fed, or None if there is no such tally (none saved yet, or the
        index restored here keeps it).  Never builds the index; a day that moves back
        leaves the tally to the next answer."""
        async with self._lock:
            tally = await self.fed(adopt=False)
            if tally is None or not await self.advanced(tally, day):
                return None
            start = tally.size
            await feed(tally, self.facts, min(self._log.size, start + most))
            return tally.size - start

    async def save_kept(self) -> None:
        """Save the tally :meth:`keep` fed (whatever it holds more than the last)."""
        async with self._lock:
            if self.saved is not None:
                await self.saved.save_tally()

    async def made_again(self, day: str) -> NationalTally:
        """The tally of ``day`` made from the (restored) index, kept and saved; under the lock."""
        tally = self.index.tally = NationalTally.build(self.index, day)
        if self.saved is not None:
            await self.saved.save_tally(every=0)
        return tally
