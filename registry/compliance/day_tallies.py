"""The national tally of past days, saved as each day ends, so that another day's figures
(``?as_of=``) are answered without the compliance index.

When a process's national tally moves to a later day
(:meth:`~registry.compliance.tally.NationalTally.advance`), the tally as it stood on
its old day is saved first, sealed as the tally of today is
(:mod:`registry.compliance.saved`: the registry's seal over its format, which names
the day, and the tree's root at its size), one a day.

Another day ``D`` is answered from the saved tally of the latest day not after ``D``,
moved to ``D`` and fed every entry registered since it was saved
(:mod:`registry.compliance.feed`).  The entries dated after ``D`` wait in it
uncounted, as facts dated after today wait in today's tally; those registered later
but dated on or before ``D`` (a statement may claim a day up to 48 hours back, and an
import of history any day) are counted.  So the answer is what the log now says
about ``D``, as the index's snapshot of ``D`` says it.

Kept: the last :data:`RECENT` days saved and the last day saved in each month; older
ones are deleted when a newer day is saved.  A day whose saved tally is more than
:data:`FORWARD_MOST` entries behind the log is left to the index: feeding it that far
would keep a waiting unit for each entry dated after it, as much memory as the index.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

from registry.compliance import tally_bytes
from registry.compliance.saved import TALLY, SavedIndex
from registry.compliance.tally import VERSION as TALLY_VERSION
from registry.compliance.tally import NationalTally

log = logging.getLogger(__name__)

DAY_TALLY = TALLY + "day-"
"""The format prefix of a past day's saved tally (kept, as the tally of today is, when
segments of another format are deleted)."""

RECENT = 62
"""The number of most recent days whose saved tally is kept (besides each month's last)."""

FORWARD_MOST = 1_000_000
"""The most entries a past day's saved tally is fed to answer (else the index answers)."""


def day_prefix(format: str) -> str:
    """The format prefix of past days' tallies saved beside segments of ``format``."""
    digest = hashlib.sha256(f"{format} {TALLY_VERSION}".encode()).hexdigest()[:24]
    return f"{DAY_TALLY}{digest}-"


def day_format(prefix: str, day: str) -> str:
    """The format of day ``day``'s saved tally (at most 64 characters, as the column)."""
    return prefix + day.replace("-", "")


def day_of(prefix: str, format: str) -> str | None:
    """The day a format of ``prefix`` names (ISO), or None if it names none."""
    digits = format.removeprefix(prefix)
    if format == digits or len(digits) != 8 or not digits.isdigit():
        return None
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def kept(days: Iterable[str], recent: int = RECENT) -> set[str]:
    """Which of the saved ``days`` are kept: the last ``recent`` and each month's last."""
    ordered = sorted(set(days))
    last_of_month = {day[:7]: day for day in ordered}
    return set(ordered[-recent:]) | set(last_of_month.values())


class DayTallies:
    """The saved tallies of past days, beside the saved index ``saved``."""

    def __init__(self, saved: SavedIndex, recent: int = RECENT) -> None:
        self.saved = saved
        self.prefix = day_prefix(saved.format)
        self.recent = recent

    async def days(self) -> dict[str, tuple[str, int]]:
        """Each saved day, with its format and the entries its tally holds."""
        ends = await self.saved.segments.ends(self.prefix)
        found = {day_of(self.prefix, format): (format, end) for format, end in ends.items()}
        return {day: saved for day, saved in found.items() if day is not None}

    async def save(self, tally: NationalTally) -> bool:
        """Save ``tally`` as its day's (before it moves to a later day), unless one of that
        day holding as many entries is saved; delete the days no longer kept.  Whether it
        was saved; a failure is logged, never raised: the figures never wait for it."""
        try:
            days = await self.days()
            if tally.size == 0 or days.get(tally.day, ("", -1))[1] >= tally.size:
                return False
            format = day_format(self.prefix, tally.day)
            done = await self.saved.save_record(format, 0, tally.size, tally_bytes.encode(tally))
            days[tally.day] = (format, tally.size)
            keep = kept(days, self.recent)
            await self.saved.segments.forget([f for d, (f, _) in days.items() if d not in keep])
        except Exception:
            log.exception("compliance: could not save the tally of %s", tally.day)
            return False
        return done

    async def latest(self, day: str) -> NationalTally | None:
        """The saved tally of the latest day not after ``day`` that checks out (seal, root,
        bytes, its day); one that does not is said and the day before it tried."""
        for saved_day, (format, _) in sorted((await self.days()).items(), reverse=True):
            if saved_day > day:
                continue
            record = await self.saved.segments.load(format, 0)
            tally = None if record is None else self.saved.checked_tally(record)
            if tally is not None and tally.day == saved_day:
                return tally
            if tally is not None:
                log.warning(
                    "compliance: the tally saved as that of %s is of %s; not used",
                    saved_day,
                    tally.day,
                )
        return None
