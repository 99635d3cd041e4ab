"""Which elections compliance counts by: the log's own ``election`` entries.

The operator registers each election as a record (kind, name, voting day,
campaign window, the regions that vote: docs/compliance.md "Elections"), and
every new pact, declaration, report and recommendation names one.  The views
group by that name and list the elections in voting-day order.

Entries logged before elections were records may name none (a report) or a
name no entry registers: a report or recommendation without an ``election``
belongs to the first election of the :func:`calendar` whose voting day is at
most :data:`ELECTION_WINDOW_DAYS` before its day.  The calendar is the log's
standing elections; a log that registers none (one begun before these
records) falls back to :data:`ELECTIONS`, the national voting days the
registry used to know by heart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from registry.compliance.facts import add_days

ELECTIONS: tuple[tuple[str, str], ...] = (
    ("pilkada-2017", "2017-02-15"),
    ("pilkada-2018", "2018-06-27"),
    ("pemilu-2019", "2019-04-17"),
    ("pilkada-2020", "2020-12-09"),
    ("pemilu-2024", "2024-02-14"),
    ("pilkada-2024", "2024-11-27"),
)
"""National voting days: the calendar of a log that registers no election."""
ELECTION_WINDOW_DAYS = 90

Calendar = tuple[tuple[str, str], ...]
"""(name, voting day) pairs in voting-day order."""


class Named(Protocol):
    """An election record as a calendar reads it (an ``Election`` fact)."""

    @property
    def name(self) -> str: ...

    @property
    def voting_day(self) -> str: ...


def calendar(elections: Iterable[Named]) -> Calendar:
    """The calendar of the standing ``elections`` (by voting day, then name; one per name),
    or :data:`ELECTIONS` when there are none."""
    days: dict[str, str] = {}
    for e in elections:
        days.setdefault(e.name, e.voting_day)
    if not days:
        return ELECTIONS
    return tuple(sorted(days.items(), key=lambda item: (item[1], item[0])))


def election_of(day: str, known: Calendar = ELECTIONS) -> str | None:
    """The election of ``known`` that a report or recommendation issued on ``day`` belongs
    to when it names none (see the module docstring), if any."""
    for name, voting_day in known:
        if day <= add_days(voting_day, ELECTION_WINDOW_DAYS):
            return name
    return None


def order(known: Calendar) -> dict[str, int]:
    """Each election's place in ``known``: the order views list them in."""
    return {name: n for n, (name, _) in enumerate(known)}
