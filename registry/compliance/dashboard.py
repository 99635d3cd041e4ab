"""Read-only queries for the dashboard: the compliance tables narrowed by a filter.

A :class:`Filter` (election, province, instansi, head type, date range) is
checked against what the log holds (:func:`check_filter`: an unknown value is
refused with a message, never answered with an empty table), then applied by
:class:`FilteredSnapshot`, a :class:`~registry.compliance.metrics.Snapshot`
whose facts are only those the filter keeps.  The tables themselves are the
compliance API's own (:mod:`registry.compliance.views`), so whatever figures
they gain show up here too, and with an empty filter every figure is the
API's.

How a fact is placed (the same rules as the API's tables):

* a recommendation by its ``election`` field (else, logged before elections
  were records, the election of its day: :mod:`registry.compliance.elections`),
  the province and head type of the PPK key it is addressed to, the instansi
  it names, its issued-at day;
* a report by its ``election`` (else the election of its day) and its own
  province and instansi;
* a pact or declaration by its ``election``, its instansi and its signer's
  enrolment (province, head type);
* an enforcement step by the recommendations it cites (else the election of
  its day), its instansi and the enrolment of the PPK key it targets.

The date range keeps facts issued from ``since`` to ``until`` (WIB days); the
outcomes are counted as of ``until`` (default: today), as ``?as_of=`` does.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

from registry.compliance import heads, views
from registry.compliance.elections import order as election_order
from registry.compliance.export import _flatten
from registry.compliance.facts import Key, Rec, Report, Signed, Step
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


class FilterRefused(ValueError):
    """A filter value the dashboard cannot use; :attr:`message` says which and why."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Filter:
    """What the dashboard narrows to; ``None`` keeps everything."""

    election: str | None = None
    province: str | None = None
    instansi: str | None = None
    head_type: str | None = None
    since: str | None = None
    until: str | None = None

    def query(self) -> dict[str, str]:
        """The filter as query parameters (those that are set)."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    @property
    def empty(self) -> bool:
        """Whether it keeps everything but the date it counts as of."""
        return not any((self.election, self.province, self.instansi, self.head_type, self.since))


def slug(name: str) -> str:
    """An instansi's id in page addresses: its name in lower case, runs of other chars ``-``."""
    return re.sub(r"[^0-9a-z]+", "-", name.casefold()).strip("-")


@dataclass(frozen=True)
class Choices:
    """The values a filter may take, read from the log."""

    elections: list[str]
    provinces: list[str]
    instansi: list[str]
    head_types: list[str]


def choices(index: ComplianceIndex) -> Choices:
    """Every election, province, instansi and head type the log names (sorted)."""
    known = index.calendar()
    elections = {name for name, _ in known}
    elections |= {r.election for r in index.recs.values() if r.election}
    elections |= {r.election for r in index.reports.values() if r.election}
    elections |= {s.election for s in index.signed.values() if s.election}
    provinces = {k.province for k in index.keys.values() if k.province}
    provinces |= {r.province for r in index.reports.values() if r.province}
    instansi = {k.instansi for k in index.keys.values() if k.role == "ppk"}
    instansi |= {r.instansi for r in index.recs.values()}
    instansi |= {s.instansi for s in index.signed.values()}
    heads = {k.head_type for k in index.keys.values() if k.head_type}
    order = election_order(known)
    return Choices(
        sorted(elections, key=lambda e: (order.get(e, len(order)), e)),
        sorted(provinces),
        sorted(instansi),
        sorted(heads),
    )


def field(name: str) -> Message:
    """The name of a filter or search field, in the reader's words."""
    return Message(f"dashboard.field.{name}")


def iso_day(name: str, value: str | None) -> str | None:
    """``value`` checked as an ISO day (``None`` stays ``None``); :class:`FilterRefused` else."""
    if value is None:
        return None
    refused = FilterRefused(
        Message("dashboard.filter.not-a-day", {"name": field(name), "value": value})
    )
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise refused
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise refused from None


def check_filter(index: ComplianceIndex, raw: dict[str, str | None]) -> Filter:
    """The filter ``raw`` asks for, each value checked; :class:`FilterRefused` otherwise.

    Empty values mean "all".  An election, province, instansi or head type the
    log does not name is refused (with the known values where they are few),
    as are days that are not ISO dates and a range that ends before it starts.
    """
    given = {k: (v.strip() if v else None) or None for k, v in raw.items()}
    known = choices(index)
    lists = {
        "election": known.elections,
        "province": known.provinces,
        "instansi": known.instansi,
        "head_type": known.head_types,
    }
    for name, allowed in lists.items():
        value = given.get(name)
        if value is not None and value not in allowed:
            if len(allowed) <= 40:
                raise FilterRefused(
                    Message(
                        "dashboard.filter.unknown",
                        {"name": field(name), "value": value, "known": ", ".join(allowed)},
                    )
                )
            raise FilterRefused(
                Message("dashboard.filter.unknown-instansi", {"name": field(name), "value": value})
            )
    since = iso_day("since", given.get("since"))
    until = iso_day("until", given.get("until"))
    if since and until and since > until:
        raise FilterRefused(Message("dashboard.filter.range", {"since": since, "until": until}))
    return Filter(
        given.get("election"),
        given.get("province"),
        given.get("instansi"),
        given.get("head_type"),
        since,
        until,
    )


class FilteredSnapshot(Snapshot):
    """A snapshot whose facts are only those ``flt`` keeps (see the module docstring)."""

    def __init__(self, index: ComplianceIndex, as_of: str, flt: Filter) -> None:
        super().__init__(index, as_of)
        self.filter = flt

    def _key_keeps(self, kid: bytes) -> bool:
        f = self.filter
        if f.province is None and f.head_type is None:
            return True
        key = self.index.keys.get(kid)
        if key is None:
            return False
        return (f.province is None or key.province == f.province) and (
            f.head_type is None or key.head_type == f.head_type
        )

    def _day_keeps(self, day: str) -> bool:
        return self.filter.since is None or day >= self.filter.since

    def keeps_rec(self, rec: Rec) -> bool:
        """Whether the filter keeps recommendation ``rec``."""
        f = self.filter
        return (
            (f.election is None or (rec.election or self.election_of(rec.day)) == f.election)
            and (f.instansi is None or rec.instansi == f.instansi)
            and self._day_keeps(rec.day)
            and self._key_keeps(rec.ppk_kid)
        )

    def _keeps_report(self, r: Report) -> bool:
        f = self.filter
        return (
            (f.election is None or (r.election or self.election_of(r.day)) == f.election)
            and (f.instansi is None or r.instansi == f.instansi)
            and (f.province is None or r.province == f.province)
            and f.head_type is None
            and self._day_keeps(r.day)
        )

    def _keeps_signed(self, s: Signed) -> bool:
        f = self.filter
        return (
            (f.election is None or s.election == f.election)
            and (f.instansi is None or s.instansi == f.instansi)
            and self._day_keeps(s.day)
            and self._key_keeps(s.signer)
        )

    def _keeps_step(self, s: Step) -> bool:
        f = self.filter
        if f.election is not None:
            cited = [self.index.recs[i] for i in s.cites if i in self.index.recs]
            elections = {r.election or self.election_of(r.day) for r in cited}
            if cited and f.election not in elections:
                return False
            if not cited and self.election_of(s.day) != f.election:
                return False
        return (
            (f.instansi is None or s.instansi == f.instansi)
            and self._day_keeps(s.day)
            and self._key_keeps(s.ppk_kid)
        )

    @cached_property
    def outcomes(self) -> dict[int, Outcome]:
        """The standing recommendations the filter keeps, with their outcomes."""
        return {i: o for i, o in super().outcomes.items() if self.keeps_rec(o.rec)}

    @cached_property
    def reports(self) -> list[Report]:
        """The standing reports the filter keeps."""
        return [r for r in super().reports if self._keeps_report(r)]

    @cached_property
    def pacts(self) -> list[Signed]:
        """The standing pacts the filter keeps."""
        return [s for s in super().pacts if self._keeps_signed(s)]

    @cached_property
    def declarations(self) -> list[Signed]:
        """The standing declarations the filter keeps."""
        return [s for s in super().declarations if self._keeps_signed(s)]

    @cached_property
    def steps(self) -> list[Step]:
        """The standing enforcement steps the filter keeps."""
        return [s for s in super().steps if self._keeps_step(s)]

    @cached_property
    def ppks(self) -> list[Key]:
        """The PPK keys of the filter's instansi, province and head type."""
        f = self.filter
        return [
            k
            for k in super().ppks
            if (f.instansi is None or k.instansi == f.instansi) and self._key_keeps(k.kid)
        ]


def snapshot(index: ComplianceIndex, flt: Filter, today: str) -> Snapshot:
    """The snapshot the filter asks for (as of ``until``, else ``today``)."""
    as_of = flt.until or today
    if flt.empty:
        return index.snapshot(as_of)
    return FilteredSnapshot(index, as_of, flt)


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


def figure_entries(snap: Snapshot, name: str, row_key: str | None, figure: str) -> list[int]:
    """The log entries figure ``figure`` of the row ``row_key`` of table ``name`` counts.

    Raises :class:`FilterRefused` for a table, row or figure that does not exist.
    """
    rows = table(snap, name)
    label = LABELS.get(name)
    if label is None:
        found = rows[0]
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


def _month_rates(outcomes: Iterable[Outcome], as_of: str) -> list[dict[str, Any]]:
    """Follow-up rate at the end of each month from the first recommendation to ``as_of``:
    recommendations issued by then and those followed up (decree) by then."""
    items = list(outcomes)
    if not items:
        return []
    first = min(o.rec.day for o in items)[:7]
    months = []
    year, month = int(first[:4]), int(first[5:7])
    while f"{year:04d}-{month:02d}" <= as_of[:7]:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    rows = []
    for m in months:
        last = calendar.monthrange(int(m[:4]), int(m[5:7]))[1]
        end = min(f"{m}-{last:02d}", as_of)
        issued = [o for o in items if o.rec.day <= end]
        done = [o for o in issued if o.decree_date is not None and o.decree_date <= end]
        rows.append(
            {
                "month": m,
                "recommendations": len(issued),
                "followed_up": len(done),
                "follow_up_rate": round(len(done) / len(issued), 4) if issued else None,
            }
        )
    return rows


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
        {"index": s.idx, "day": s.day, "step": s.step, "cites": list(s.cites)}
        for s in snap.steps
        if s.ppk_kid == kid
    ]
    row["rate_by_month"] = _month_rates(outcomes, snap.as_of)
    row["instansi_id"] = slug(str(row["instansi"]))
    return row


def instansi_page(snap: Snapshot, instansi_id: str) -> dict[str, Any] | None:
    """An instansi's page: its row of the API's table, its PPK keys over time, its
    recommendations, steps and rate by month; ``None`` if no instansi has that id."""
    name = next((n for n in choices(snap.index).instansi if slug(n) == instansi_id), None)
    if name is None:
        return None
    rows = views.instansi(snap, name=name)
    row: dict[str, Any] = rows[0] if rows else {"instansi": name, **figures([])}
    ppks = sorted((k for k in snap.ppks if k.instansi == name), key=lambda k: k.term_start)
    row["ppks"] = [
        {**views.key_info(snap, k), "in_office": snap.in_office(k, snap.as_of)} for k in ppks
    ]
    outcomes = [o for o in snap.outcomes.values() if o.rec.instansi == name]
    row["recommendation_outcomes"] = [views.outcome_row(snap, o) for o in outcomes]
    row["steps"] = [
        {"index": s.idx, "day": s.day, "step": s.step, "ppk": b64url(s.ppk_kid)}
        for s in snap.steps
        if s.instansi == name
    ]
    signed = [s for s in snap.pacts + snap.declarations if s.instansi == name]
    row["signed"] = [
        {
            "index": s.idx,
            "type": s.kind,
            "day": s.day,
            "date": s.date,
            "election": s.election,
            "signer": b64url(s.signer),
        }
        for s in sorted(signed, key=lambda s: s.idx)
    ]
    row["rate_by_month"] = _month_rates(outcomes, snap.as_of)
    row["id"] = instansi_id
    return row


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
