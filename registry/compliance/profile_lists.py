"""The lists of a profile page (:mod:`registry.compliance.dashboard`): an instansi's page
shows the newest of each of its lists with its total and where the record search lists the
rest, and a page's follow-up rate by month is counted one outcome at a time.

Shared by the page computed from the index (``dashboard.instansi_page``) and the one made from
the national tally and the log (:mod:`registry.compliance.instansi_record`), so that both give
the same answer.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import Any
from urllib.parse import urlencode

from registry.compliance.facts import Signed, Step
from registry.compliance.filtering import slug
from registry.compliance.groups import BOUND as GROUP_BOUND
from registry.verify.trust import b64url


class MonthRates:
    """The follow-up rate at the end of each month (``dashboard._month_rates``), counted one
    outcome at a time: how many recommendations were issued each day, and how many were
    issued and followed up (decree) by each day.  Memory grows with the days, not the
    recommendations."""

    def __init__(self) -> None:
        self.issued: Counter[str] = Counter()
        self.done: Counter[str] = Counter()

    def add(self, day: str, decree_date: str | None) -> None:
        """One standing recommendation issued on ``day``, followed up on ``decree_date``."""
        self.issued[day] += 1
        if decree_date is not None:
            self.done[max(day, decree_date)] += 1

    def rows(self, as_of: str) -> list[dict[str, Any]]:
        """Follow-up rate at the end of each month from the first recommendation to
        ``as_of``: recommendations issued by then and those followed up by then."""
        if not self.issued:
            return []
        first = min(self.issued)[:7]
        issued, done = _cumulative(self.issued), _cumulative(self.done)
        rows = []
        year, month = int(first[:4]), int(first[5:7])
        while (m := f"{year:04d}-{month:02d}") <= as_of[:7]:
            last = calendar.monthrange(year, month)[1]
            end = min(f"{m}-{last:02d}", as_of)
            n, d = issued(end), done(end)
            rows.append(
                {
                    "month": m,
                    "recommendations": n,
                    "followed_up": d,
                    "follow_up_rate": round(d / n, 4) if n else None,
                }
            )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return rows


def _cumulative(counts: Counter[str]) -> Callable[[str], int]:
    """How many of ``counts`` are on or before a day."""
    days = sorted(counts)
    sums = list(accumulate(counts[d] for d in days))

    def upto(end: str) -> int:
        at = bisect_right(days, end)
        return sums[at - 1] if at else 0

    return upto


LISTED = 100
"""The newest entries an instansi's page lists of each of its lists (recommendations,
signed pacts and declarations, enforcement steps); the rest are found by the record search
(:func:`search_url`)."""
SEARCHED = {
    "recommendation_outcomes": ("recommendation",),
    "signed": ("pact", "declaration"),
    "steps": ("enforcement",),
}
"""The record search's types of each list of an instansi's page."""


def instansi_name(names: Iterable[str], instansi_id: str) -> str | None:
    """The instansi of ``names`` (the dashboard's choices) whose id is ``instansi_id``."""
    return next((n for n in names if slug(n) == instansi_id), None)


def capped(row: dict[str, Any], bound: int = GROUP_BOUND) -> dict[str, Any]:
    """``row`` with each figure of more than ``bound`` entries given by its count only
    (``entries`` None, ``entries_total``), as the national tally keeps an instansi's."""
    out = dict(row)
    for name, value in row.items():
        listed = value.get("entries") if isinstance(value, dict) else None
        if isinstance(listed, list) and len(listed) > bound:
            out[name] = {**value, "entries": None, "entries_total": len(listed)}
    return out


def search_url(name: str, kind: str) -> str:
    """The home page's record search for the records of type ``kind`` of instansi ``name``."""
    return "/?" + urlencode({"instansi": name, "type": kind})


def ppk_rows(
    ppks: Iterable[Any], info: Callable[[Any], dict[str, Any]], in_office: Callable[[Any], bool]
) -> list[dict[str, Any]]:
    """An instansi's PPK keys (in enrolment order) by term start, each with its office."""
    return [
        {**info(k), "in_office": in_office(k)} for k in sorted(ppks, key=lambda k: k.term_start)
    ]


def instansi_lists(
    row: dict[str, Any],
    instansi_id: str,
    outcomes: tuple[list[dict[str, Any]], int],
    steps: tuple[list[Step], int],
    signed: tuple[list[Signed], int],
    rates: list[dict[str, Any]],
    listed: int = LISTED,
) -> dict[str, Any]:
    """``dashboard.instansi_page`` of an instansi's ``row`` (with its ``ppks``): each of its lists
    given as its newest (at most ``listed``, in log order) and how many there are, and
    where the record search lists them all."""
    name = str(row["instansi"])
    totals = {"recommendation_outcomes": outcomes[1], "steps": steps[1], "signed": signed[1]}
    for key, total in totals.items():
        row[f"{key}_total"] = total
    row["recommendation_outcomes"] = outcomes[0][-listed:]
    row["steps"] = [
        {"index": s.idx, "day": s.day, "step": s.step, "ppk": b64url(s.ppk_kid)}
        for s in steps[0][-listed:]
    ]
    row["signed"] = [
        {
            "index": s.idx,
            "type": s.kind,
            "day": s.day,
            "date": s.date,
            "election": s.election,
            "signer": b64url(s.signer),
        }
        for s in signed[0][-listed:]
    ]
    row["search"] = {
        key: {kind: search_url(name, kind) for kind in kinds} for key, kinds in SEARCHED.items()
    }
    row["rate_by_month"] = rates
    row["id"] = instansi_id
    return row
