"""The dashboard's figures under a filter, answered without the compliance index: a province
or an instansi from an index of just that scope's facts (:mod:`registry.compliance.scoped_filter`),
an election, a head type or ``since`` from that scope's tally
(:mod:`registry.compliance.scoped_tallies`), and head-types of one election from the national
tally and the election's tally of the same day.

Split from :class:`~registry.compliance.service.ComplianceService` (stop 32), which delegates
to :class:`ScopedAnswers`; each answer is None where it cannot say, and the service restores
the index instead.  Every answer takes the service's "today" (``now``) from its caller.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from registry.compliance import filtering, recommendation_rows, scoped_filter, scoped_index
from registry.compliance.feed import Log, LogFacts
from registry.compliance.filtering import Choices, Filter
from registry.compliance.metrics import Snapshot
from registry.compliance.scoped_tallies import ScopedTallies
from registry.compliance.scoped_tally import Scope, ScopedTally, answers, scope_of
from registry.compliance.tally import NationalTally
from registry.compliance.today_tables import TodayTables, tables_of

Row = dict[str, Any]
TRIES = 3
"""Times two tallies are asked for the same entries before the index answers instead."""


class National(Protocol):
    """What the scoped answers ask of the service: its national tallies and whether it
    holds the index (:class:`~registry.compliance.service.ComplianceService`)."""

    @property
    def index_held(self) -> bool: ...

    async def tally_of(self, day: str) -> NationalTally | None: ...

    async def filter_choices(self) -> Choices: ...


class ScopedAnswers:
    """The figures of one process under a filter, from scoped indexes and tallies."""

    def __init__(
        self,
        national: National,
        scoped: ScopedTallies,
        log: Log,
        facts: LogFacts,
        lock: asyncio.Lock,
        follow_up_days: int,
    ) -> None:
        self._national = national
        self._scoped = scoped
        self._log = log
        self._facts = facts
        self._lock = lock
        self._follow_up_days = follow_up_days

    async def filtered(
        self, flt: Filter, find: recommendation_rows.Find, now: str
    ) -> Snapshot | None:
        """The snapshot of a dashboard filter by a province or an instansi (as of ``until``,
        today ``now`` or earlier) from an index of just that scope's facts, read from the log
        and checked against today's national tally (:mod:`registry.compliance.scoped_filter`);
        None for a filter of neither, a later day, a worker that holds the index already, or
        where it cannot say (the index answers)."""
        scope = scoped_index.scope_of(flt)
        if scope is None or (flt.until or now) > now or self._national.index_held:
            return None
        tally = await self._national.tally_of(now)
        if tally is None or self._national.index_held:  # no saved tally: the index restored
            return None
        earlier = flt.until if flt.until is not None and flt.until < now else None
        found = await scoped_filter.index(
            tally, scope, find, self._facts, self._log, self._lock, self._follow_up_days,
            earlier,
        )  # fmt: skip
        return None if found is None else filtering.snapshot(found, flt, now)

    async def tables(self, flt: Filter, names: list[str], now: str) -> TodayTables | None:
        """The dashboard tables ``names`` under a filter by an election and/or a head type,
        with or without ``since`` (no province or instansi), as of today ``now`` or of another
        ``until``, from the tally of just those facts (:meth:`tally`); None where it does not
        answer (the index answers)."""
        tally = await self.tally(flt, names, now)
        return None if tally is None else tables_of(tally, names)

    async def tally(self, flt: Filter, tables: list[str], now: str) -> ScopedTally | None:
        """The tally of ``flt``'s scope (:func:`~registry.compliance.scoped_tally.scope_of`:
        of that one day where ``until`` is not today ``now``) if it answers every one of
        ``tables``; None for another filter, a table it does not answer, a worker that holds
        the index already (no more memory), or a tally that cannot say (the index answers).
        Raises :class:`~registry.compliance.scoped_tallies.ScopeBeingMade` while a pass over a
        long log makes it."""
        scope = scope_of(flt, now)
        if scope is None or self._national.index_held:
            return None
        if not all(answers(scope, table) for table in tables):
            return None
        return await self._scoped.tally(scope, now)

    async def day(self, day: str, now: str) -> ScopedTally | None:
        """The tally of every fact as of past day ``day`` (before today ``now``), for a day
        no national tally was saved for as it ended, or one saved too far behind the log (a
        registry restored from a backup, a day before its first save): the scope of no
        election, head type or ``since`` with ``until`` that day, made by one pass over the
        log as of that day and never moved (:mod:`registry.compliance.scoped_tallies`: saved
        sealed among the dated rows, at most ``DATED_SAVED`` of them, fed only when asked).
        None where this worker holds the index or the tally is not exact (the index
        answers).  Raises :class:`~registry.compliance.scoped_tallies.ScopeBeingMade` while
        a pass over a long log makes it."""
        if self._national.index_held or day >= now:
            return None
        return await self._scoped.tally(Scope(until=day), now)

    async def election_heads(
        self, day: str, when: str, election: str, now: str
    ) -> tuple[list[Row], Row] | None:
        """The head-types table of ``election`` as of ``day`` (keys in office ``when``): the
        national tally's of that day (every election's recommendations grouped, as the
        index's) and the election's scope tally of the same day and entries (the instansi its
        recommendations name); None where either cannot say or this worker holds the index.
        An election the log does not name has no tally made (nor saved: any name may be
        asked) and names no instansi."""
        national = self._national
        scope = Scope(election, None, None, None if day == now else day)
        if national.index_held:
            return None
        named = election in (await national.filter_choices()).elections
        for _ in range(TRIES):  # an entry committed between the two: both asked again
            if national.index_held:
                return None
            kept = await national.tally_of(day)
            if kept is not None and not named:
                return kept.head_types_rows(when, ScopedTally(kept.day), election)
            scoped = None if kept is None else await self._scoped.tally(scope, now)
            if kept is None or scoped is None or national.index_held:
                return None
            if (kept.size, kept.day) == (scoped.size, scoped.day):
                return kept.head_types_rows(when, scoped, election)
        return None
