"""The scoped tallies one process keeps (one election's and/or one head type's facts), made
by one pass over the log, saved sealed, fed forward and checked before use.

A scoped tally (:mod:`registry.compliance.scoped_tally`) is saved in ``fact_segments``
as a past day's tally is (:mod:`registry.compliance.day_tallies`): one row a scope,
format ``compliance-tally-scope-<hash>-<scope>``, the registry's seal over the format
(which names the scope), the range and the tree's root at its size; the bytes name the
scope again.  A row that does not check out (seal, root, bytes, its scope) is said and
not used: the tally is made again from the log.

The first time a scope is asked with none saved, the tally is made by a pass over the
whole log, feeding a tally of nothing.  A log of at most :data:`INLINE_MOST` entries is
passed while the request waits; a longer one in the background (slices of :data:`SLICE`
entries, the lock let go between them, saved every :data:`SAVE_EVERY`), and the request
is told :class:`ScopeBeingMade` (503 with ``Retry-After``): a pass over ten million
entries takes most of an hour (about 0.3 ms of CPU an entry), and restoring the index in
its place would hold 3.2 GB.  One pass runs at a time in a process: another scope asked
meanwhile is told the same and starts its pass when asked after that one ends.  A restart
goes on from the last row saved.

A scope of today moves forward with the days, never back.  A scope of one other day (its
``until``) is a tally made as of that day, fed every entry like today's (a fact dated
after the day counts in none of its figures and is not kept waiting), and never moved.
The caller keeps at most :data:`HELD` scopes' tallies in memory, of either kind.  The
keeper (:mod:`registry.compliance.keeper`, its ``others``) feeds every saved scope of the
filter's choices (an election and/or a head type) a segment or more behind the log and
saves it (:meth:`ScopedTallies.keep`), so a scope asked again finds its row close to the
log.  A scope with a day (``since`` or ``until``: any day may be asked, its row's name
starts with :data:`~registry.compliance.scoped_tally.DATED`) is fed only when asked, and
at most :data:`DATED_SAVED` such rows are kept (the least recently asked deleted).

The days are many, so the passes of scopes with a day are rationed: a process reads at most
an hour's budget of entries for them (:mod:`registry.compliance.pass_budget`; past it,
:class:`PassesRationed`, 503 with ``Retry-After``), and a scope without a day asked while
such a pass runs stops it (saved as far as it reached, to go on when its day is asked
again): a reader asking a new day each time cannot keep the filters of every other reader
waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from registry.compliance import scoped_tally
from registry.compliance.feed import Log, LogFacts, advance, feed
from registry.compliance.pass_budget import PassBudget
from registry.compliance.saved import TALLY, SavedIndex
from registry.compliance.scoped_tally import Scope, ScopedTally
from registry.compliance.tally import VERSION as TALLY_VERSION
from registry.store.locks import taken_lock

log = logging.getLogger(__name__)

SCOPE_TALLY = TALLY + "scope-"
"""The format prefix of a scope's saved tally (kept, as the tally of today is, when
segments of another format are deleted)."""
INLINE_MOST = 20_000
"""The most entries a first pass reads while the request waits (about 6 s of CPU)."""
SLICE = 1_000
"""Entries a background pass (or the keeper's) reads holding the lock at a time (about
0.16 s of CPU: the worker's other answers wait no longer than that)."""
SAVE_EVERY = 100_000
"""Entries a background pass reads between saves (a restart goes on from the last)."""
HELD = 4
"""Scopes' tallies kept in a process's memory (each as large as the national tally)."""
DATED_SAVED = 16
"""Saved tallies of scopes with a day (``since`` or ``until``) kept: each day asked is one
row, fed only when asked again (the keeper leaves them), so readers asking any number of
days leave at most this many rows; the least recently asked go first."""
RETRY_S = 30
"""Seconds a request told the scope is being made is asked to wait."""


class ScopeBeingMade(Exception):
    """The tally of ``scope`` is being made by a pass over the log (``held`` of ``size``
    read)."""

    def __init__(self, held: int, size: int, scope: Scope | None = None) -> None:
        super().__init__(f"the scoped tally holds {held:,} of {size:,} entries")
        self.held = held
        self.size = size
        self.scope = scope
        self.retry_after = RETRY_S

    @property
    def day_alone(self) -> str | None:
        """The day asked, where the scope is a past day of every record (``as_of``, the
        dashboard's ``until`` alone) rather than a filter."""
        scope = self.scope
        if scope is None or scope.election or scope.head_type or scope.since:
            return None
        return scope.until


class PassesRationed(ScopeBeingMade):
    """A scope with a day would need a pass over the log, and this process has read its
    hour's budget of entries for such passes (:mod:`registry.compliance.pass_budget`):
    asked again in ``retry_after`` seconds, or a day already made is answered at once."""

    def __init__(self, held: int, size: int, scope: Scope, retry_after: int, an_hour: int) -> None:
        super().__init__(held, size, scope)
        self.retry_after = retry_after
        self.an_hour = an_hour


def scope_prefix(format: str) -> str:
    """The format prefix of scoped tallies saved beside segments of ``format``."""
    versions = f"{format} {TALLY_VERSION} {scoped_tally.VERSION}"
    return f"{SCOPE_TALLY}{hashlib.sha256(versions.encode()).hexdigest()[:24]}-"


class ScopedTallies:
    """The scopes' tallies of one process (see the module); ``lock`` is the service's."""

    def __init__(
        self,
        log: Log,
        saved: SavedIndex | None,
        facts: LogFacts,
        lock: asyncio.Lock,
        inline_most: int = INLINE_MOST,
        budget: PassBudget | None = None,
    ) -> None:
        self._log = log
        self.saved = saved
        self.facts = facts
        self._lock = lock
        self.inline_most = inline_most
        self.budget = budget or PassBudget()
        """Entries this process reads an hour for the passes of scopes with a day."""
        self.pass_lock: Path | None = None
        """The lock by which the processes of one registry make one scope with a day at a
        time in the background (None: this process alone)."""
        self.prefix = None if saved is None else scope_prefix(saved.format)
        self.held: OrderedDict[Scope, ScopedTally] = OrderedDict()
        self._saved_at: dict[Scope, int] = {}
        self._making: dict[Scope, asyncio.Task[None]] = {}
        self._let_go: dict[Scope, Callable[[], None]] = {}
        """What lets go of the registry's pass lock, for the scope whose pass holds it."""
        self._dated_asked: dict[str, int] = {}
        self._asks = itertools.count()
        """The format of each dated scope's tally asked in this process -> when (a count)."""

    def format(self, scope: Scope) -> str | None:
        """The format of ``scope``'s saved tally (64 characters at most, as the column)."""
        return None if self.prefix is None else self.prefix + scope.name

    async def tally(self, scope: Scope, today: str, may_stop: bool = True) -> ScopedTally | None:
        """``scope``'s tally holding every entry of the log, if it is exact (None: the index
        answers): of today ``today``, or of its ``until`` (a tally of that day, made and fed
        as today's, never moved).  Raises :class:`ScopeBeingMade` while a pass over a long
        log makes it.  A scope without a day that needs a pass while a day's pass runs stops
        that one (``may_stop``) and starts its own."""
        day = scope.until or today
        format = self.format(scope)
        if scope.dated and format is not None:
            self._dated_asked[format] = next(self._asks)
        making = self._making.get(scope)
        if making is not None and not making.done():
            raise ScopeBeingMade(self._progress(scope), self._log.size, scope)
        async with self._lock:
            tally = self.held.pop(scope, None)
            if tally is None or self._log.size - tally.size > self.inline_most:
                saved = await self._load(scope, day)  # the keeper's, if it fed it further
                if saved is not None and (tally is None or saved.size > tally.size):
                    tally = saved
            if tally is None:
                tally = ScopedTally(day, 0, scope=scope)
            if not await advance(tally, day, self.facts):
                return None  # a day before its own: only the index says
            behind = self._log.size - tally.size
            if behind <= self.inline_most:
                self._charge(tally, behind)
                await feed(tally, self.facts, self._log.size)
                await self._save(tally)
                if scope.dated:
                    await self._forget_dated()
                self.held[scope] = tally
                while len(self.held) > HELD:
                    self.held.popitem(last=False)
                return tally if tally.exact and tally.size >= self._log.size else None
            passing = self._passing()
            if passing is None:  # one pass at a time; another scope waits
                self._start(tally, behind)
            if passing is None or not (may_stop and passing.dated and not scope.dated):
                raise ScopeBeingMade(tally.size, self._log.size, scope)
            self.held[scope] = tally  # a scope without a day goes first; the day's waits
        await self._stop(passing)  # (out of the lock: its pass saves under it)
        return await self.tally(scope, today, may_stop=False)

    def _passing(self) -> Scope | None:
        """The scope whose pass over the log runs in the background, if one does.  One at a
        time: the scopes are few (elections, head types and their pairs), but every one
        asked of a long log would otherwise start its own pass, each a tally in memory and
        most of an hour of CPU at ten million entries, all at once."""
        return next((scope for scope, task in self._making.items() if not task.done()), None)

    def _start(self, tally: ScopedTally, behind: int) -> None:
        """Start the background pass of ``tally``'s scope, charged (:meth:`_charge`); a scope
        with a day only while no other process of the registry makes one (its pass told to
        come back, as if it were this one's)."""
        let_go = taken_lock(self.pass_lock) if tally.scope.dated else None
        if tally.scope.dated and let_go is None:
            self.held[tally.scope] = tally
            raise ScopeBeingMade(tally.size, self._log.size, tally.scope)
        try:
            self._charge(tally, behind)
        except PassesRationed:
            if let_go is not None:
                let_go()
            raise
        if let_go is not None:
            self._let_go[tally.scope] = let_go
        self._making[tally.scope] = asyncio.create_task(self._make(tally))

    def _charge(self, tally: ScopedTally, behind: int) -> None:
        """Take the ``behind`` entries a pass of ``tally``'s scope reads from the budget if
        the scope has a day; :class:`PassesRationed` where the budget is spent (the tally,
        as it is, is kept for the next ask)."""
        if not tally.scope.dated:
            return
        wait = self.budget.take(behind)
        if wait is not None:
            self.held[tally.scope] = tally
            raise PassesRationed(tally.size, self._log.size, tally.scope, wait, self.budget.an_hour)

    async def _stop(self, scope: Scope) -> None:
        """Stop the pass of ``scope`` (its tally saved as far as it reached, and held: a pass
        goes on from there when the scope is asked again)."""
        task = self._making.pop(scope)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        log.info("compliance: the pass of %s stopped for a scope without a day", scope)

    def _progress(self, scope: Scope) -> int:
        tally = self.held.get(scope)
        return 0 if tally is None else tally.size

    async def _make(self, tally: ScopedTally) -> None:
        """Feed ``tally`` to the log's end in slices, holding it in :attr:`held` meanwhile
        (and the registry's pass lock, for a scope with a day)."""
        self.held[tally.scope] = tally
        try:
            await self._fed_to_end(tally)
            if tally.scope.dated:
                async with self._lock:
                    await self._forget_dated()
        except asyncio.CancelledError:  # stopped (a scope without a day asked, or the stop)
            async with self._lock:
                await self._save(tally)
            raise
        except Exception:
            log.exception("compliance: the tally of %s was not made", tally.scope)
            self.held.pop(tally.scope, None)
        finally:
            let_go = self._let_go.pop(tally.scope, None)
            if let_go is not None:
                let_go()

    async def keep(self, day: str) -> int:
        """Feed every scope saved to the log's end, each in slices, and save it (the
        keeper's round, so that a scope asked again seldom waits for a pass); the entries
        fed.  A scope being made here, or within a segment of the log, is left."""
        if self.saved is None or self.prefix is None:
            return 0
        fed = 0
        dated = self.prefix + scoped_tally.DATED
        for format, end in (await self.saved.segments.ends(self.prefix)).items():
            if self._log.size - end < self.saved.size or format.startswith(dated):
                continue  # close to the log; or with a day, fed when it is asked
            record = await self.saved.segments.load(format, 0)
            scope = None if record is None else scoped_tally.scope_in(record.data)
            making = None if scope is None else self._making.get(scope)
            busy = making is not None and not making.done()
            if scope is None or self.format(scope) != format or busy:
                continue  # not a scope's row under its own name (never used), or being made
            async with self._lock:
                tally = self.held.get(scope) or await self._load(scope, day)
                if tally is None or not await advance(tally, day, self.facts):
                    continue
            start = tally.size
            await self._fed_to_end(tally)
            fed += tally.size - start
        return fed

    async def _fed_to_end(self, tally: ScopedTally) -> None:
        """Feed ``tally`` to the log's end :data:`SLICE` entries at a time, the lock let go
        between slices, saved every :data:`SAVE_EVERY` entries and at the end."""
        while tally.size < self._log.size:
            async with self._lock:
                await feed(tally, self.facts, min(self._log.size, tally.size + SLICE))
                if tally.size - self._saved_at.get(tally.scope, 0) >= SAVE_EVERY:
                    await self._save(tally)
            await asyncio.sleep(0)
        async with self._lock:
            await self._save(tally)

    async def _load(self, scope: Scope, day: str) -> ScopedTally | None:
        """The saved tally of ``scope`` if it checks out (seal, root, bytes, scope, a day
        not after ``day``); one that does not is said and not used."""
        format = self.format(scope)
        if format is None or self.saved is None:
            return None
        record = await self.saved.segments.load(format, 0)
        if record is None:
            return None
        problem = self.saved.problem(record)
        tally = None
        if problem is None:
            try:
                tally = scoped_tally.decode(record.data, scope)
            except ValueError as exc:
                problem = str(exc)
        if tally is not None and tally.size != record.end_idx:
            problem = f"it holds {tally.size} entries, not the {record.end_idx} it is sealed for"
        if tally is not None and tally.day > day:
            problem = f"it is of {tally.day}, after {day}"
        if tally is not None and scope.until is not None and tally.day != scope.until:
            problem = f"it is of {tally.day}, not of {scope.until}"  # pragma: no cover - decode
        if problem is not None or tally is None:
            log.warning("compliance: saved tally of %s not used, %s", scope, problem)
            return None
        self._saved_at[scope] = tally.size
        return tally

    async def _save(self, tally: ScopedTally) -> None:
        """Save ``tally`` if it holds more than the row saved (a failure is said, not raised)."""
        format = self.format(tally.scope)
        if format is None or self.saved is None or tally.size == 0:
            return
        if tally.size <= self._saved_at.get(tally.scope, 0):
            return
        if await self.saved.save_record(format, 0, tally.size, scoped_tally.encode(tally)):
            self._saved_at[tally.scope] = tally.size

    async def _forget_dated(self) -> None:
        """Delete the saved tallies of scopes with a day (``since`` or ``until``: their
        formats' names start with :data:`~registry.compliance.scoped_tally.DATED`) but the
        :data:`DATED_SAVED` asked most recently in this process, else fed furthest (each is
        fed only when asked), so that readers asking day after day leave a bounded number
        of rows."""
        if self.saved is None or self.prefix is None:
            return
        ends = await self.saved.segments.ends(self.prefix + scoped_tally.DATED)
        asked = self._dated_asked
        recent = sorted(ends, key=lambda format: (asked.get(format, -1), ends[format]))
        gone = set(recent[:-DATED_SAVED])
        if gone:
            await self.saved.segments.forget(sorted(gone))
            kept = self._saved_at.items()
            self._saved_at = {s: n for s, n in kept if self.format(s) not in gone}
            self._dated_asked = {f: n for f, n in asked.items() if f not in gone}

    async def close(self) -> None:
        """Stop the passes being made (each goes on from its last save at the next start)."""
        for task in self._making.values():
            task.cancel()
        for task in self._making.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._making.clear()
