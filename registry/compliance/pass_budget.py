"""How many entries a process reads, an hour, to make the tallies of scopes with a day.

A dashboard filter with ``since`` or a past ``until`` is answered from a tally of that
scope and day (:mod:`registry.compliance.scoped_tallies`), made the first time it is asked
by a pass over the whole log: about 0.16 ms of CPU an entry, so 16 s at 100,000 entries and
most of an hour at ten million.  The days are many (every day of the log, as ``since``, as
``until``, with every election and head type), so a reader asking a new day each time
could keep a pass running for ever: a core of every worker busy, and the other readers'
new filters told to come back while it runs.  The filters without a day are few (the
elections and head types the log names) and are not rationed.

:class:`PassBudget` is a bucket of entries, full at :data:`ENTRIES_AN_HOUR` and refilled at
that rate: a pass may start while the bucket holds any, and takes every entry it will read
(so one pass over a log longer than the bucket empties it for longer than an hour).  Each
process keeps its own; a registry with ``n`` workers reads at most ``n`` times the figure.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

ENTRIES_AN_HOUR = 2_000_000
"""Entries read for dated scopes' passes an hour, a process (about 5 minutes of CPU:
under a tenth of a core; at 100,000 entries twenty new days an hour, at ten million one
every five hours)."""
FREE = 1_000
"""A dated scope fed at most this many entries is not charged (a saved day's tally caught
up with the entries registered since it was last asked)."""


class PassBudget:
    """The entries left for dated scopes' passes (see the module); ``clock`` in seconds."""

    def __init__(
        self,
        an_hour: int = ENTRIES_AN_HOUR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if an_hour <= 0:
            raise ValueError(f"a pass budget of {an_hour} entries an hour allows no pass")
        self.an_hour = an_hour
        self._clock = clock
        self._left = float(an_hour)
        self._at = clock()

    @property
    def left(self) -> float:
        """The entries left now (negative: a pass took more than was left)."""
        now = self._clock()
        self._left = min(float(self.an_hour), self._left + (now - self._at) * self.an_hour / 3600)
        self._at = now
        return self._left

    def take(self, entries: int) -> int | None:
        """Take ``entries`` for a pass that reads them: None if it may start (the bucket
        holds some, or the pass is :data:`FREE`), else the seconds until one may, taking
        nothing."""
        left = self.left
        if entries <= FREE:
            return None
        if left <= 0:
            return max(1, math.ceil(-left * 3600 / self.an_hour) + 1)
        self._left = left - entries
        return None
