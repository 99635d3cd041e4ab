"""The national tally kept close behind the log while nobody asks for a figure (issue 15).

A worker answers today's tables from the saved national tally and feeds it
from the log the entries registered since (:mod:`registry.compliance.feed`),
when it is asked.  Nobody asks during a national import: after a million
rows the first answer would feed a million entries (about 6,000 a second on
one core, docs/scaling.md), and a start after it would too, since the tally
was saved before them.  The keeper feeds it in the background instead:

- every :data:`EVERY_S` seconds (``REGISTRY_TALLY_KEEPER_SECONDS``; 0: no
  keeper), if the log has grown by ``behind`` entries (a saved segment's) past
  the tally;
- in slices of :data:`SLICE` entries, each under the compliance lock and
  followed by a pause, so answers and registrations of the same process are
  not held up for long (a slice is about 40 ms of CPU);
- then saves it, sealed as every save is (:mod:`registry.compliance.saved`);
- in one process of a registry at a time: the one holding ``lock`` (an
  ``flock``); the others find the tally it saved when they are a segment
  behind (``SavedIndex.newer_tally``) instead of feeding the same entries;
- not in the process that sequences while another can keep (``elsewhere``: a follower
  worker is connected to its hand-off socket): the sequencing worker is the serial
  stage of every registration, and a round's checked reads and writes, a tenth of a
  millisecond an entry, took its loop from registrations while the follower idled
  (docs/benchmarks.md, "The keeper off the sequencing worker");
- in the same rounds and process, the record search's table (``search_records``,
  :mod:`registry.compliance.browsing`) is brought up to the log too, so a search
  after an import finds it written instead of waiting for it.

It never builds the compliance index: with no tally saved yet (a registry
nobody asked a figure of), it waits for the first answer to make one.  An
entry that fails its check (``TamperedEntry``) stops the round with the
tally as it was before it; it is said in the log and tried again next round,
as an answer would raise it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

from registry.store.locks import held_lock

log = logging.getLogger(__name__)

EVERY_S = 10.0
"""Seconds between the keeper's looks at the log (``REGISTRY_TALLY_KEEPER_SECONDS``)."""
SLICE = 250
"""Entries fed under the lock at a time."""
PAUSE_S = 0.01
"""Seconds between slices: the process answers and registers in between."""


class Kept(Protocol):
    """What the keeper keeps (a :class:`~registry.compliance.service.ComplianceService`)."""

    @property
    def log_size(self) -> int:
        """Entries in the log."""
        ...

    @property
    def tally_size(self) -> int | None:
        """Entries the tally holds (None before one is restored or made)."""
        ...

    async def keep_tally(self, most: int) -> int | None:
        """Feed the tally from the log by at most ``most`` entries; how many (None: no tally
        to feed)."""
        ...

    async def save_kept_tally(self) -> None:
        """Save the tally fed."""
        ...


class TallyKeeper:
    """Feeds ``kept``'s tally while the log grows (see the module)."""

    def __init__(
        self,
        kept: Kept,
        lock: Path | None,
        *,
        behind: int,
        every_s: float = EVERY_S,
        slice_entries: int = SLICE,
        pause_s: float = PAUSE_S,
        others: Sequence[Callable[[], Awaitable[object]]] = (),
        elsewhere: Callable[[], bool] = lambda: False,
    ) -> None:
        self.kept = kept
        self.others = others
        """Other state derived from the log, each brought up to it by one call (the record
        search's table: ``RecordSearch.catch_up``), by the same process, each round."""
        self.elsewhere = elsewhere
        """Whether another process of the registry keeps instead of this one this round
        (this one sequences, and a follower is there to take the lock)."""
        self.lock = lock
        self.behind = behind
        self.every_s = every_s
        self.slice = slice_entries
        self.pause_s = pause_s
        self._none_at = -behind
        """The log's size when the keeper last found no tally to feed."""

    async def run(self) -> None:
        """Keep the tally up until cancelled."""
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.keep_up()
            except Exception:  # a tampered entry, the database gone: said, tried again
                log.exception("compliance: the national tally was not kept up this round")
            try:
                await self.keep_others()
            except Exception:
                log.exception("the state derived from the log was not kept up this round")

    async def keep_others(self) -> bool:
        """Bring :attr:`others` up to the log, if this process holds the lock; whether it
        does."""
        if self.elsewhere():
            return False
        with held_lock(self.lock) as mine:
            if mine:
                for keep in self.others:
                    await keep()
            return mine

    async def keep_up(self) -> int:
        """One round: feed the tally up to the log if it is ``behind`` or more, and save it;
        the entries fed (0 if it was close enough, another process keeps it, or none)."""
        size = self.kept.log_size
        held = self.kept.tally_size
        if size - (self._none_at if held is None else held) < self.behind or self.elsewhere():
            return 0
        with held_lock(self.lock) as mine:
            if not mine:
                return 0
            total = unsaved = 0
            while (fed := await self.kept.keep_tally(self.slice)) is not None and fed > 0:
                total += fed
                unsaved += fed
                if unsaved >= self.behind:  # a long import: saved as it goes
                    await self.kept.save_kept_tally()
                    unsaved = 0
                await asyncio.sleep(self.pause_s)
            if fed is None:
                self._none_at = size
            if unsaved:
                await self.kept.save_kept_tally()
            return total
