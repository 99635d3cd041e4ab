"""What the compliance API serves: the figures kept current, and signed access to identities.

One :class:`ComplianceService` per process, made at start-up.  Its
:class:`~registry.compliance.index.ComplianceIndex` takes every batch this
process commits (an ``on_commit`` hook) and, before each answer, reads from
the log whatever it has not seen yet: on first use whatever the sealed saved
segments do not hold (:mod:`registry.compliance.saved`; the whole log without
them), and on a follower process what the sequencer wrote.  Today's tables are
answered from the saved national tally instead, fed from the log.  Identities
are read and erased through :attr:`ComplianceService.personal`
(:mod:`registry.compliance.personal_data`).

It reaches the log and the identities through small interfaces (:class:`Log`
below, ``IdentitySource`` in :mod:`registry.compliance.identities`), which
:class:`registry.records.service.RegistryService` and its ``identities``
provide, so the compliance code never sees the store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from registry.compliance import (
    figure_pages,
    filtering,
    heads,
    instansi_record,
    key_answers,
    other_key_record,
    recommendation_pages,
    recommendation_rows,
    views,
)
from registry.compliance.facts import WIB
from registry.compliance.feed import Log, LogFacts
from registry.compliance.filtering import Choices, Filter
from registry.compliance.identities import IdentitySource
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.personal_data import PersonalData
from registry.compliance.saved import SEGMENT, SavedIndex, Segments
from registry.compliance.scoped_answers import ScopedAnswers
from registry.compliance.scoped_tallies import ScopedTallies
from registry.compliance.tallies import Tallies
from registry.compliance.tally import NationalTally
from registry.compliance.today_tables import KEPT, TodayTables, tables_of
from registry.compliance.views import national

log = logging.getLogger(__name__)
T = TypeVar("T")
Row = dict[str, Any]


def today() -> str:
    """Today's date in Indonesia's western time (WIB), ISO."""
    return dt.datetime.now(WIB).date().isoformat()


class ComplianceService:
    """The compliance figures of one process (the index, today's tally), and signed reads
    and erasures of identities (:attr:`personal`)."""

    def __init__(
        self,
        log: Log,
        identities: IdentitySource,
        follow_up_days: int = 14,
        segments: Segments | None = None,
        segment_size: int = SEGMENT,
    ) -> None:
        self._log = log
        self.index = ComplianceIndex(follow_up_days)
        self.saved = None if segments is None else SavedIndex(self.index, segments, segment_size)
        """The index saved in sealed segments (none: rebuilt from the log at each start)."""
        self.facts = LogFacts(log, follow_up_days, log.enrolment_of)
        """The log's facts, as the national tally reads them without the index."""
        self.personal = PersonalData(self, log, identities)
        """Signed reads and erasures of personal data (``personal_data``)."""
        self._lock = asyncio.Lock()
        self.tallies = Tallies(log, self.index, self.saved, self.facts, self._lock, self.snapshot)
        """Today's national tally and a past day's (:mod:`registry.compliance.tallies`)."""
        self.scoped = ScopedTallies(log, self.saved, self.facts, self._lock)
        """The tallies of one election's or head type's facts (``scoped_tallies``)."""
        self.scopes = ScopedAnswers(
            self, self.scoped, log, self.facts, self._lock, self.index.follow_up_days
        )
        """The figures under a dashboard filter without the index (``scoped_answers``)."""
        log.on_commit(self.index.apply)

    async def snapshot(self, as_of: str | None = None) -> Snapshot:
        """The figures as of the end of day ``as_of`` (ISO, WIB; default today), log caught up."""
        async with self._lock:
            if self.saved is not None:
                await self.saved.restore()
            await self.index.catch_up(self._log, self._log.size)
            if self.saved is not None:
                await self.saved.save_due()
            self.tallies.drop_past()  # the index answers every day from now on
        return self.index.snapshot(as_of or today())

    async def national(self, as_of: str | None = None) -> tuple[str, dict[str, Any]]:
        """The national row as of ``as_of`` (default today) and that day.

        Today's comes from the national tally (:mod:`registry.compliance.tally`): the
        saved one answers without restoring the index, taking the entries registered
        after its end from the log (:mod:`registry.compliance.feed`, the index never
        built); without one (or for a day it cannot move to) the index is restored and
        caught up, and the tally is made from it.  A figure whose entries the tally does
        not keep has ``entries`` None (:meth:`NationalTally.row`).  A past day comes from
        the tally saved as that day or one before it ended (:meth:`_past_tally`), else it
        is computed from the facts.
        """
        day = as_of or today()
        if day != today():
            past = await self._past_tally(day)
            return day, past.row() if past is not None else national(await self.snapshot(day))
        return day, (await self._today(day)).row()

    async def instansi(
        self, as_of: str | None = None, province: str | None = None, name: str | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        """The instansi table as of ``as_of`` (default today; optionally of one province or
        instansi) and that day.  Today's comes from the national tally as :meth:`national`
        answers (its per-instansi figures): without restoring the index when a saved tally
        holds the log; a figure of more entries than a group's bound then has ``entries``
        None (:mod:`registry.compliance.groups`).  A past day as :meth:`national` answers it."""
        day = as_of or today()
        if day != today():
            past = await self._past_tally(day)
            if past is not None:
                return day, past.instansi_rows(province, name)
            return day, views.instansi(await self.snapshot(day), province, name)
        return day, (await self._today(day)).instansi_rows(province, name)

    async def provinces(self, as_of: str | None = None) -> tuple[str, list[dict[str, Any]]]:
        """The provinces table as of ``as_of`` (default today) and that day.  Today's comes
        from the national tally as :meth:`instansi` answers (its per-province figures); a
        tally whose provinces a second enrolment of a key made inexact
        (:mod:`registry.compliance.provinces`) is made again from the restored index, which
        answers.  Any other day is computed from the facts."""
        return await self._grouped(as_of, views.provinces, NationalTally.provinces_rows)

    async def elections(self, as_of: str | None = None) -> tuple[str, list[dict[str, Any]]]:
        """The elections table as of ``as_of`` (default today) and that day.  Today's comes
        from the national tally as :meth:`provinces` answers (its per-election figures and
        pact signers'); a tally whose calendar changed after it counted a record naming no
        election (:mod:`registry.compliance.election_rows`) is made again from the restored
        index, which answers.  Any other day is computed from the facts."""
        return await self._grouped(as_of, views.elections, NationalTally.elections_rows)

    async def months(self, as_of: str | None = None) -> tuple[str, list[dict[str, Any]]]:
        """The months table as of ``as_of`` (default today) and that day.  Today's comes from
        the national tally as :meth:`instansi` answers (its per-month figures, always exact:
        :mod:`registry.compliance.month_rows`).  Any other day is computed from the facts."""
        return await self._grouped(as_of, views.months, NationalTally.months_rows)

    async def pact_signers_with_overdue(
        self, as_of: str | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        """The pact signers with overdue recommendations as of ``as_of`` (default today) and
        that day.  Today's come from the national tally as :meth:`provinces` answers (its
        members per PPK key and instansi: :mod:`registry.compliance.signer_rows`); a tally
        with a pact signer enrolled other than as a PPK is made again from the restored
        index, which answers.  Any other day is computed from the facts."""
        return await self._grouped(
            as_of, views.pact_signers_with_overdue, NationalTally.pact_signers_rows
        )

    async def signers(
        self,
        as_of: str | None = None,
        instansi: str | None = None,
        province: str | None = None,
        head_type: str | None = None,
    ) -> tuple[str, list[dict[str, Any]]]:
        """Every PPK key's record as of ``as_of`` (default today; optionally of one instansi,
        province or head type) and that day.  Today's comes from the national tally as
        :meth:`provinces` answers (its members per key: :mod:`registry.compliance.key_rows`);
        a tally with a key enrolled twice is made again from the restored index, which
        answers.  Any other day is computed from the facts."""
        return await self._grouped(
            as_of,
            lambda snap: views.signers(snap, instansi, province, head_type),
            lambda tally: tally.signers_rows(instansi, province, head_type),
        )

    async def signer(
        self,
        kid: bytes,
        as_of: str | None = None,
        statements: other_key_record.Statements | None = None,
        find: recommendation_rows.Find | None = None,
    ) -> tuple[str, Row | None]:
        """One key's record with its recommendations (:func:`views.signer`: None if it is not
        enrolled as of the day) as of ``as_of`` (default today), and that day.  Today's of a
        PPK key comes from the national tally as :meth:`signers` answers, its standing
        recommendations (while the tally lists them: at most the group bound) and their
        follow-ups read from the log; a key the worker's key directory does not know is not
        enrolled; another key's comes from its own entries, found through ``statements``
        (:mod:`registry.compliance.other_key_record`); a PPK key's recommendations past the
        bound are found through ``find`` (the search table), checked against the tally's
        count.  A past day's comes the same way from the tally saved for it, or that day's
        own (:meth:`_past_tally`).  A key these cannot say is computed from the facts."""
        day = as_of or today()
        tally = await self.tally_of(day)
        if tally is not None:
            async with self._lock:
                known, found = await key_answers.record(
                    tally, kid, self.facts, self._log, self.index.follow_up_days, statements, find
                )
            if known:
                return day, found
        return day, views.signer(await self.snapshot(day), kid)

    async def signer_page(
        self,
        kid: bytes,
        find: recommendation_rows.Find | None = None,
        statements: other_key_record.Statements | None = None,
    ) -> tuple[str, int, Row | None] | None:
        """Today's page of PPK key ``kid`` from the national tally
        (:func:`registry.compliance.key_answers.page`: None for a key that is no PPK's) with
        its day and the entries it counts, its recommendations and declarations past the
        tally's bound found through ``find`` and ``statements``; None where they cannot say
        (the index answers: :func:`registry.compliance.dashboard.signer_page`)."""
        tally = await self._today(today())
        async with self._lock:
            known, row = await key_answers.page(tally, kid, self.facts, find, statements)
        return (tally.day, tally.size, row) if known else None

    async def instansi_page(
        self, ident: str, find: recommendation_rows.Find
    ) -> tuple[str, int, Row | None] | None:
        """Today's page of the instansi of id ``ident`` from the national tally and the record
        search (``find``), its records read from the log
        (:func:`registry.compliance.instansi_record.page`: None for an id no instansi has)
        with its day and the entries it counts; None where they cannot say (the index
        answers: :func:`registry.compliance.dashboard.instansi_page`)."""
        tally = await self._today(today())
        return await instansi_record.page(tally, ident, find, self.facts, self._lock)

    async def recommendations(
        self,
        locate: recommendation_pages.Locate,
        as_of: str | None = None,
        ppk: bytes | None = None,
        instansi: str | None = None,
        status: str | None = None,
        after: int | None = None,
        limit: int = recommendation_pages.LIMIT,
    ) -> recommendation_pages.Page | None:
        """Today's :func:`views.recommendations`, one page (the recommendations after entry
        ``after``, at most ``limit``), from the national tally and the record search
        (``locate``: a :class:`~registry.compliance.browsing.RecordSearch`), each listed
        recommendation and its follow-ups read from the log
        (:mod:`registry.compliance.recommendation_pages`), or another day's from its tally
        (:meth:`_past_tally`: saved for it, or that day's own); None where they cannot say
        (the index answers)."""
        tally = await self.tally_of(as_of or today())
        if tally is None:
            return None
        return await recommendation_pages.paged(
            tally, locate, self.facts, self._lock, ppk, instansi, status, after, limit
        )

    async def figure_entries(
        self,
        locate: recommendation_pages.Locate,
        as_of: str | None,
        table: str,
        row: str | None,
        figure: str,
        after: int | None = None,
        limit: int = figure_pages.LIMIT,
        on: str | None = None,
    ) -> figure_pages.EntriesPage | None:
        """Today's page of the entries behind a figure, from the national tally and the record
        search (:mod:`registry.compliance.figure_pages`), or a past day's from the tally
        saved for it or that day's own (:meth:`_past_tally`); the head-types table's with
        the PPK keys in office ``on``; None where they cannot say (the index answers)."""
        tally = await self.tally_of(as_of or today())
        return await self._paged(tally, locate, table, row, figure, after, limit, on)

    async def scoped_figure_entries(
        self,
        flt: Filter,
        locate: recommendation_pages.Locate,
        table: str,
        row: str | None,
        figure: str,
        after: int | None = None,
        limit: int = figure_pages.LIMIT,
        on: str | None = None,
    ) -> figure_pages.EntriesPage | None:
        """The page of the entries behind a figure under a filter by an election and/or a
        head type (``since``, ``until`` any day), from that scope's tally as
        :meth:`figure_entries` pages the national one (each entry counted by the scope's own
        contribution; the head-types table's of the keys in office ``on``); None where the
        scope's tally does not answer the table (``ScopedAnswers.tally``'s rules,
        :mod:`registry.compliance.scoped_answers`: the index answers).  Raises
        :class:`~registry.compliance.scoped_tallies.ScopeBeingMade` while a pass makes it."""
        tally = await self.scopes.tally(flt, [table], today())
        return await self._paged(tally, locate, table, row, figure, after, limit, on)

    async def _paged(
        self,
        tally: NationalTally | None,
        locate: recommendation_pages.Locate,
        table: str,
        row: str | None,
        figure: str,
        after: int | None,
        limit: int,
        on: str | None = None,
    ) -> figure_pages.EntriesPage | None:
        """The page of a figure's entries from ``tally`` (None: none to page from)."""
        if tally is None:
            return None
        return await figure_pages.paged(
            tally, locate, self.facts, self._lock, table, row, figure, after, limit, on
        )

    async def filtered(self, flt: Filter, find: recommendation_rows.Find) -> Snapshot | None:
        """The snapshot of a dashboard filter by a province or an instansi from an index of
        just that scope's facts (:meth:`ScopedAnswers.filtered
        <registry.compliance.scoped_answers.ScopedAnswers.filtered>`); None where the index
        answers."""
        return await self.scopes.filtered(flt, find, today())

    async def scoped_tables(self, flt: Filter, names: Iterable[str]) -> TodayTables | None:
        """The dashboard tables ``names`` under a filter by an election, a head type or
        ``since`` from that scope's tally (:meth:`ScopedAnswers.tables
        <registry.compliance.scoped_answers.ScopedAnswers.tables>`); None where the index
        answers.  Raises :class:`~registry.compliance.scoped_tallies.ScopeBeingMade` while a
        pass over a long log makes it."""
        return await self.scopes.tables(flt, list(names), today())

    async def filter_choices(self) -> Choices:
        """The values a dashboard filter may take: the index's where this worker holds it
        (caught up), else today's tally's (the same: :mod:`registry.compliance.vocabulary`)."""
        if not self.index_held:
            tally = await self._today(today())
            if not self.index_held:
                return tally.choices()
        await self.snapshot()
        return filtering.choices(self.index)

    async def head_types(
        self, as_of: str | None = None, on: str | None = None, election: str | None = None
    ) -> tuple[str, tuple[list[dict[str, Any]], dict[str, Any]]]:
        """The head-types table and the acting heads' row (:func:`heads.table`) as of
        ``as_of`` (default today), of the PPK keys in office ``on`` (default that day) and
        the recommendations of ``election`` (default every one), and that day.  Today's of
        every election comes from the national tally as :meth:`provinces` answers (its
        per-head-type figures, the same keys: :mod:`registry.compliance.head_rows`), with
        the keys in office ``on`` any day (a figure past the bound linked to its listing
        with that ``on``: stop 33); a past day's from the tally saved as that day or
        one before it ended (:meth:`_past_tally`) as today's; one election's as every
        election's, the instansi named by its recommendations counted by its scope's tally
        (``ScopedAnswers.election_heads``, :mod:`registry.compliance.scoped_answers`); where
        these cannot say, computed from the facts.  Raises
        :class:`~registry.compliance.scoped_tallies.ScopeBeingMade` while a pass over a long
        log makes the election's tally."""
        day = as_of or today()
        when = on or day
        if election is not None:
            found = await self.scopes.election_heads(day, when, election, today())
            if found is not None:  # past the bound: linked with ``on`` (stop 33)
                return day, found
            return day, heads.table(await self.snapshot(day), when, election)
        if when == day:
            return await self._grouped(day, heads.table, NationalTally.head_types_rows)
        tally = await self.tally_of(day)
        found = None if tally is None else tally.head_types_rows(when)
        if found is not None:  # its figures past the bound linked with ``on``
            return day, found
        return day, heads.table(await self.snapshot(day), when)

    async def today_tables(self, names: Iterable[str]) -> TodayTables | None:
        """Today's unfiltered dashboard tables ``names`` from the national tally
        (:mod:`registry.compliance.today_tables`); None where it does not keep one; one kept
        inexact is made again from the restored index."""
        day = today()
        found = tables_of(await self._today(day), names)
        if found is None and all(name in KEPT for name in names):
            await self.snapshot(day)
            async with self._lock:
                found = tables_of(await self._tally_made_again(day), names)
        return found

    async def day_tables(self, day: str, names: Iterable[str]) -> TodayTables | None:
        """The unfiltered dashboard tables ``names`` as of past day ``day``, from the tally
        saved for it or that day's own (:meth:`_past_tally`); None where it cannot say."""
        past = await self._past_tally(day)
        return None if past is None else tables_of(past, names)

    async def _grouped(
        self,
        as_of: str | None,
        view: Callable[[Snapshot], T],
        kept: Callable[[NationalTally], T | None],
    ) -> tuple[str, T]:
        """A table as of ``as_of`` and that day: ``view`` of the facts, or the tally's rows
        (``kept``: None where the tally is not exact): today's (where it is not exact, the
        tally is made again from the restored index, saved, and ``view`` of it answers) or
        a past day's (:meth:`_past_tally`; where it is not exact, ``view`` answers)."""
        day = as_of or today()
        if day != today():
            past = await self._past_tally(day)
            rows = None if past is None else kept(past)
            return day, rows if rows is not None else view(await self.snapshot(day))
        rows = kept(await self._today(day))
        if rows is not None:
            return day, rows
        snap = await self.snapshot(day)
        async with self._lock:
            await self._tally_made_again(day)
        return day, view(snap)

    async def _today(self, day: str) -> NationalTally:
        """The tally of today ``day``, holding every entry of the log (see :meth:`national`)."""
        return await self.tallies.today(day)

    async def tally_of(self, day: str) -> NationalTally | None:
        """Today's tally, or another day ``day``'s (:meth:`_past_tally`; None where it
        cannot say)."""
        return await self._today(day) if day == today() else await self._past_tally(day)

    async def _past_tally(self, day: str) -> NationalTally | None:
        """The tally of another day than today: a past day's (:meth:`Tallies.past_day`:
        saved as that day or the latest before it ended, fed since; where none is saved or
        it is too far behind, the tally of every fact made as of that day,
        :meth:`ScopedAnswers.day <registry.compliance.scoped_answers.ScopedAnswers.day>`),
        or a later day's (:meth:`Tallies.later_day`: today's moved to it); None where this
        process holds the index (which answers any day at no more memory) or the tallies
        cannot say.  Raises :class:`~registry.compliance.scoped_tallies.ScopeBeingMade`
        while a pass over a long log makes a past day's."""
        now = today()
        if self.index_held or day == now:
            return None
        if day < now:
            saved = await self.tallies.past_day(day)
            return saved if saved is not None else await self.scopes.day(day, now)
        kept = await self._today(now)
        if self.index_held:  # no saved tally: the index was restored to make one
            return None
        return await self.tallies.later_day(day, kept)

    @property
    def index_held(self) -> bool:
        """Whether this process holds the compliance index (restored, or being fed): an
        answer it would compute from the log as well costs it nothing more in memory."""
        return self.index.size > 0 or (self.saved is not None and self.saved.loaded)

    @property
    def log_size(self) -> int:
        """Entries in the log (under its latest checkpoint)."""
        return self._log.size

    @property
    def tally_size(self) -> int | None:
        """Entries the national tally of this process holds (None before one is restored
        or made)."""
        return self.tallies.size

    async def keep_tally(self, most: int) -> int | None:
        """Feed the tally this process feeds from the log by at most ``most`` entries, for
        :class:`~registry.compliance.keeper.TallyKeeper` (:meth:`Tallies.keep`, as of
        today); the entries fed, or None if there is no such tally."""
        return await self.tallies.keep(most, today())

    async def keep_scopes(self) -> None:
        """Feed every saved scope's tally to the log and save it, for the keeper
        (:meth:`ScopedTallies.keep <registry.compliance.scoped_tallies.ScopedTallies.keep>`)."""
        await self.scoped.keep(today())

    async def save_kept_tally(self) -> None:
        """Save the tally :meth:`keep_tally` fed (whatever it holds more than the last)."""
        await self.tallies.save_kept()

    async def _tally_made_again(self, day: str) -> NationalTally:
        """The tally of ``day`` made from the (restored) index, kept and saved; under the lock."""
        return await self.tallies.made_again(day)

    async def close(self) -> None:
        """At a stop: save what the index holds past its last saved segment (never raises)."""
        await self.scoped.close()
        if self.saved is None:
            return
        async with self._lock:
            try:
                await self.saved.save_due()
                await self.saved.save_rest()
                await self.saved.save_tally()
            except Exception:
                log.exception("compliance: could not save the index at the stop")
