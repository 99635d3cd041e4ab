"""Today's per-month table kept as counts beside the national ones: no pass over every fact.

:func:`registry.compliance.views.months` counts every standing report,
recommendation, pact, declaration and enforcement step under the month of its
day, a recommendation's answering follow-up (and refusal) under the month of
the follow-up's day, and per month ``overdue_at_month_end``: the
recommendations whose deadline had passed at the month's end (today, for this
month) and which were not followed up by then.  The national tally counts the
same members under each month (:class:`MonthTable`); for the last figure a
recommendation is overdue from the first month whose end is after its deadline
(:func:`first_overdue`):

- followed up: at the end of each month from that one while the month ends
  before the follow-up's day (past months only: their ends are fixed), one
  member a month (:data:`CLOSED`);
- not followed up and its deadline passed: from that month on, every month to
  this one, kept as one member under the month it starts (:data:`OPEN`), so a
  new month needs no recommendation computed again; a pending recommendation
  turns into one when the tally moves past its deadline (:meth:`MonthTable.due`).

A month's figure is its closed members and the open ones that start at or
before it.  Nothing depends on a calendar or a key: the table is always exact.
"""

from __future__ import annotations

import calendar
from typing import Any

from registry.compliance.groups import BOUND, GroupFigures, Row
from registry.compliance.kept import Members
from registry.compliance.metrics import Figure, Outcome

NAMES = (
    "reports",
    "recommendations",
    "followed_up",
    "refused",
    "enforcement_steps",
    "pacts",
    "declarations",
)
"""The figures a month counts entries of, in the order a row lists them."""
OPEN = "_open"
"""Recommendations overdue from this month on and not followed up."""
CLOSED = "_closed"
"""Recommendations overdue at this month's end and followed up after it."""


def month_end(month: str) -> str:
    """The last day of ``month`` (``YYYY-MM``)."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def first_overdue(deadline: str) -> str:
    """The first month whose end is after ``deadline``."""
    month = deadline[:7]
    return month if deadline < month_end(month) else next_month(month)


def rec_members(o: Outcome) -> list[tuple[Any, Any]]:
    """Where outcome ``o``'s recommendation counts in this table."""
    found: list[tuple[Any, Any]] = [(("month", o.rec.day[:7], "recommendations"), o.rec.idx)]
    if o.sanction is not None:
        found.append((("month", o.sanction.day[:7], "followed_up"), o.sanction.idx))
    if o.refusal is not None:
        found.append((("month", o.refusal.day[:7], "refused"), o.refusal.idx))
    if o.sanction is None and o.status == "overdue":
        found.append((("month", first_overdue(o.rec.deadline), OPEN), o.rec.idx))
    elif o.sanction is not None:
        month = first_overdue(o.rec.deadline)
        while month_end(month) < o.sanction.day:
            found.append((("month", month, CLOSED), o.rec.idx))
            month = next_month(month)
    return found


class MonthTable:
    """Today's figures per month of issue."""

    def __init__(self, bound: int = BOUND) -> None:
        self.figures = GroupFigures(bound, (*NAMES, OPEN, CLOSED))

    def due(self, idx: int, deadline: str) -> None:
        """Pending recommendation ``idx`` (of ``deadline``) is overdue from now on."""
        self.figures.add(first_overdue(deadline), OPEN, idx)

    def rows(self) -> list[Row]:
        """The months table as :func:`registry.compliance.views.months` gives it, except that
        a figure of more than the group bound's entries has ``entries`` None."""
        groups = self.figures.groups
        months = sorted(m for m, g in groups.items() if any(g.figures[n].count for n in NAMES))
        opens: list[Members] = []
        starts = sorted(m for m, g in groups.items() if g.figures[OPEN].count)
        rows = []
        for month in months:
            while starts and starts[0] <= month:
                opens.append(groups[starts.pop(0)].figures[OPEN])
            group = groups[month]
            row: Row = {"month": month}
            for name in NAMES:
                row[name] = group.figures[name].figure()
            row["overdue_at_month_end"] = _sum([group.figures[CLOSED], *opens])
            rows.append(row)
        return rows

    def encode(self) -> tuple[list[Any], list[tuple[int, Any]]]:
        return self.figures.encode()

    @classmethod
    def decode(cls, saved: Any, bound: int) -> MonthTable:
        found = cls(bound)
        found.figures = GroupFigures.decode(saved, bound, (*NAMES, OPEN, CLOSED))
        return found


def _sum(parts: list[Members]) -> Figure:
    """One figure of the members of ``parts`` (no entry is in two)."""
    count = sum(p.count for p in parts)
    if any(p.entries is None for p in parts):
        return {"value": count, "entries": None, "entries_total": count}
    return {"value": count, "entries": sorted(i for p in parts for i in p.entries or ())}
