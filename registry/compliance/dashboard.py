"""Read-only queries for the dashboard: its tables, pages and CSV, over a filtered snapshot.

The filter itself (what each narrows to, how a fact is placed) is
:mod:`registry.compliance.filtering`; the tables are the compliance API's own
(:mod:`registry.compliance.views`), so whatever figures they gain show up here
too, and with an empty filter every figure is the API's.
"""

from __future__ import annotations

import calendar
import csv
import io
from bisect import bisect_right
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from itertools import accumulate
from typing import Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from registry.compliance import heads, views
from registry.compliance.export import _flatten
from registry.compliance.facts import Signed, Step
from registry.compliance.filtering import FilterRefused, choices, slug
from registry.compliance.groups import BOUND as GROUP_BOUND
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Outcome, Snapshot, figures
from registry.i18n import Message
from registry.verify.trust import b64url

TABLES = (
    "national",
    "provinces",
    "head-types",
    "instansi",
    "elections",
    "months",
    "pact-signers-with-overdue",
    "signers",
)
"""The dashboard's tables, each also served as JSON and CSV."""


TABLES_KEPT = 64
"""Tables kept per index between requests (for the same log, day and filter)."""
_tables: WeakKeyDictionary[ComplianceIndex, OrderedDict[tuple[Any, ...], list[dict[str, Any]]]]
_tables = WeakKeyDictionary()


def table(snap: Snapshot, name: str) -> list[dict[str, Any]]:
    """The dashboard table ``name`` (one of :data:`TABLES`) as rows (do not change them:
    they are kept for the next request until the log grows)."""
    kept = _tables.setdefault(snap.index, OrderedDict())
    key = (snap.index.version, snap.as_of, getattr(snap, "filter", None), name)
    rows = kept.get(key)
    if rows is None:
        rows = _table(snap, name)
        kept[key] = rows
        while len(kept) > TABLES_KEPT:
            kept.popitem(last=False)
    return rows


def _table(snap: Snapshot, name: str) -> list[dict[str, Any]]:
    if name == "national":
        return [views.national(snap)]
    if name == "provinces":
        return views.provinces(snap)
    if name == "head-types":
        return heads.head_types(snap, snap.as_of)
    if name == "instansi":
        rows = views.instansi(snap)
        for row in rows:
            row["id"] = slug(str(row["instansi"]))
        return rows
    if name == "elections":
        return views.elections(snap)
    if name == "months":
        return views.months(snap)
    if name == "pact-signers-with-overdue":
        return views.pact_signers_with_overdue(snap)
    if name == "signers":
        return views.signers(snap)
    raise FilterRefused(
        Message("dashboard.unknown-table", {"table": name, "known": ", ".join(TABLES)})
    )


LABELS = {
    "provinces": "province",
    "head-types": "head_type",
    "instansi": "instansi",
    "elections": "election",
    "months": "month",
    "pact-signers-with-overdue": "kid",
    "signers": "kid",
}
"""The column that names each row of a table (the national table has one row)."""
ACTING = "acting"
"""The row of the head-types table that names the acting heads' figures (``acting``)."""


def figure_entries(snap: Snapshot, name: str, row_key: str | None, figure: str) -> list[int]:
    """The log entries figure ``figure`` of the row ``row_key`` of table ``name`` counts.

    Raises :class:`FilterRefused` for a table, row or figure that does not exist.
    """
    rows = table(snap, name)
    label = LABELS.get(name)
    if label is None:
        found = rows[0]
    elif name == "head-types" and row_key == ACTING:
        found = heads.acting_led(snap, snap.as_of)
    else:
        match = [
            r
            for r in rows
            if str(r.get(label)) == (row_key or "")
            or (r.get(label) is None and row_key in (None, "", "None"))
        ]
        if not match:
            raise FilterRefused(Message("dashboard.unknown-row", {"table": name, "row": row_key}))
        found = match[0]
    value = found.get(figure)
    if not (isinstance(value, dict) and "entries" in value):
        raise FilterRefused(Message("dashboard.unknown-figure", {"table": name, "figure": figure}))
    return list(value["entries"])


def describe(index: ComplianceIndex, idx: int) -> dict[str, Any]:
    """What the index knows of entry ``idx``: its type, issued-at day, instansi, signer."""
    if idx in index.recs:
        r = index.recs[idx]
        return {
            "index": idx,
            "type": "recommendation",
            "day": r.day,
            "instansi": r.instansi,
            "detail": r.case_number,
            "deadline": r.deadline,
        }
    if idx in index.follow_ups:
        f = index.follow_ups[idx]
        rec = index.recs.get(f.recommendation)
        return {
            "index": idx,
            "type": "follow-up",
            "day": f.day,
            "instansi": rec.instansi if rec else "",
            "detail": f.action,
            "recommendation": f.recommendation,
        }
    if idx in index.reports:
        p = index.reports[idx]
        return {
            "index": idx,
            "type": "report",
            "day": p.day,
            "instansi": p.instansi,
            "detail": p.province or "",
        }
    if idx in index.signed:
        s = index.signed[idx]
        return {
            "index": idx,
            "type": s.kind,
            "day": s.day,
            "instansi": s.instansi,
            "detail": s.election,
            "date": s.date,
        }
    if idx in index.steps:
        t = index.steps[idx]
        return {
            "index": idx,
            "type": "enforcement",
            "day": t.day,
            "instansi": t.instansi,
            "detail": t.step,
        }
    for key in index.keys.values():
        if key.idx == idx:
            return {
                "index": idx,
                "type": "enrolment",
                "day": key.day,
                "instansi": key.instansi,
                "detail": key.jabatan,
            }
    return {"index": idx, "type": None, "day": None, "instansi": "", "detail": ""}


class MonthRates:
    """The follow-up rate at the end of each month (:func:`_month_rates`), counted one
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


def _month_rates(outcomes: Iterable[Outcome], as_of: str) -> list[dict[str, Any]]:
    """Follow-up rate at the end of each month from the first recommendation to ``as_of``:
    recommendations issued by then and those followed up (decree) by then."""
    rates = MonthRates()
    for o in outcomes:
        rates.add(o.rec.day, o.decree_date)
    return rates.rows(as_of)


def signer_page(snap: Snapshot, kid: bytes) -> dict[str, Any] | None:
    """A PPK key's page: the API's record of the key, its steps, and its rate by month;
    ``None`` for a key that is not a PPK's (no page gathers what one ASN signed)."""
    key = snap.keys.get(kid)
    row = views.signer(snap, kid) if key is not None and key.role == "ppk" else None
    if row is None:
        return None
    outcomes = [o for o in snap.outcomes.values() if o.rec.ppk_kid == kid]
    signed = sorted(
        (s for s in snap.pacts + snap.declarations if s.signer == kid), key=lambda s: s.idx
    )
    steps = [s for s in snap.steps if s.ppk_kid == kid]
    return profile(row, outcomes, signed, steps, snap.as_of)


def profile(
    row: dict[str, Any],
    outcomes: Iterable[Outcome],
    signed: Iterable[Signed],
    steps: Iterable[Step],
    as_of: str,
) -> dict[str, Any]:
    """:func:`signer_page` of a key's record ``row`` (:func:`views.signer`), its standing
    recommendations' ``outcomes``, its standing pacts and declarations ``signed`` and
    enforcement ``steps`` (each in log order) as of ``as_of``."""
    row["signed"] = [
        {
            "index": s.idx,
            "type": s.kind,
            "day": s.day,
            "date": s.date,
            "election": s.election,
            "instansi": s.instansi,
        }
        for s in signed
    ]
    row["steps"] = [
        {"index": s.idx, "day": s.day, "step": s.step, "cites": list(s.cites)} for s in steps
    ]
    row["rate_by_month"] = _month_rates(outcomes, as_of)
    row["instansi_id"] = slug(str(row["instansi"]))
    return row


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
    """:func:`instansi_page` of an instansi's ``row`` (with its ``ppks``): each of its lists
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


def instansi_page(
    snap: Snapshot, instansi_id: str, listed: int | None = None
) -> dict[str, Any] | None:
    """An instansi's page: its row of the API's table (a figure of more than the tally's
    group bound by its count only: :func:`capped`), its PPK keys over time, its newest
    recommendations, steps, pacts and declarations (``listed`` of each, default
    :data:`LISTED`: :func:`instansi_lists`) and its rate by month; ``None`` if no instansi
    has that id."""
    listed = LISTED if listed is None else listed
    name = instansi_name(choices(snap.index).instansi, instansi_id)
    if name is None:
        return None
    rows = views.instansi(snap, name=name)
    row: dict[str, Any] = capped(rows[0]) if rows else {"instansi": name, **figures([])}
    row["ppks"] = ppk_rows(
        (k for k in snap.ppks if k.instansi == name),
        lambda k: views.key_info(snap, k),
        lambda k: snap.in_office(k, snap.as_of),
    )
    outcomes = [o for o in snap.outcomes.values() if o.rec.instansi == name]
    steps = [s for s in snap.steps if s.instansi == name]
    signed = sorted(
        (s for s in snap.pacts + snap.declarations if s.instansi == name), key=lambda s: s.idx
    )
    newest = [views.outcome_row(snap, o) for o in outcomes[-listed:]]
    return instansi_lists(
        row,
        instansi_id,
        (newest, len(outcomes)),
        (steps, len(steps)),
        (signed, len(signed)),
        _month_rates(outcomes, snap.as_of),
        listed,
    )


BOM = "\ufeff"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes Excel read a cell as a formula: such text is written after a ``'``."""


def _excel_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return value


def excel_csv(rows: Iterable[dict[str, Any]]) -> str:
    """The rows as CSV for Excel in the Indonesian locale: UTF-8 with a BOM, ``;`` between
    cells, a decimal comma; figures flattened as the API's CSV does (``name`` and
    ``name_entries``).  Text that Excel would run as a formula (a name from the log
    starting with ``=``, ``+``, ``-`` or ``@``) is written as text."""
    flat = [_flatten(r) for r in rows]
    columns = list(dict.fromkeys(c for r in flat for c in r))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for r in flat:
        writer.writerow([_excel_cell(r.get(c)) for c in columns])
    return BOM + out.getvalue()
