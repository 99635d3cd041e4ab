"""The demo's calendar: the story's key dates and day arithmetic in Western Indonesian Time.

The registry's go-live day, KASN's mid-2020 count and election day 2020 are
shared by the offices, the enforcement history and the expected figures;
:func:`timestamp` turns a WIB wall-clock time into the Unix seconds a
statement is issued at, and :func:`add_days` and :func:`workday` move days.
"""

from __future__ import annotations

import datetime as dt

from registry.records.policy import WIB

GO_LIVE = dt.date(2020, 1, 2)
"""The registry's (fictional) first day; the admin's term starts here."""
CUTOFF = dt.date(2020, 7, 31)
"""KASN's mid-2020 count (seed 002)."""
FOLLOW_UP_DAYS = 14
"""Days a PPK has to follow a recommendation up; BKN counts it overdue as long again after."""
LAST_FOLLOW_UP = dt.date(2021, 11, 30)
"""The last day a recommendation of 2020 is followed up."""

ELECTION_DAY_2020 = dt.date(2020, 12, 9)
"""Voting day of Pilkada 2020; ``acting_regions`` are those led by an acting head that day."""


def timestamp(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> int:
    """Unix seconds of ``hour:minute:second`` WIB on ``day``: a statement's issue time."""
    return int(
        dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=WIB).timestamp()
    )


def add_days(day: dt.date, n: int) -> dt.date:
    """``day`` moved by ``n`` days (back if ``n`` is negative)."""
    return day + dt.timedelta(days=n)


def workday(day: dt.date) -> dt.date:
    """``day`` if it is a weekday, else the Monday after."""
    return add_days(day, max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


CAMPAIGN_2020 = (dt.date(2020, 9, 26), dt.date(2020, 12, 5))
"""The Pilkada 2020 campaign: incumbents who run take leave, and a Pjs stands in."""
ACTING_DAY_2020 = CAMPAIGN_2020[1]
"""The day the demo counts the regions led by acting heads (Pj, Plt, Pjs) in Pilkada 2020."""
ACTING_REGIONS_2020 = 137
ACTING_REGIONS_WITH_VIOLATIONS_2020 = 109
"""Seed 000: violations in 109 of the 137 regions led by acting heads after Pilkada 2020 (79 %)."""
