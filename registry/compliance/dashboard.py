"""Read-only queries for the dashboard: its tables, pages and CSV, over a filtered snapshot.

The filter itself (what each narrows to, how a fact is placed) is
:mod:`registry.compliance.filtering`; the tables are the compliance API's own
(:mod:`registry.compliance.views`), so whatever figures they gain show up here
too, and with an empty filter every figure is the API's.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

from registry.compliance import heads, profile_lists, views
from registry.compliance.export import _flatten
from registry.compliance.facts import Fact, FollowUp, Key, Rec, Report, Signed, Step
from registry.compliance.filtering import FilterRefused, choices, slug
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Outcome, Snapshot, figures
from registry.compliance.profile_lists import capped, instansi_lists, instansi_name, ppk_rows
from registry.i18n import Message

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


def figure_entries(
    snap: Snapshot, name: str, row_key: str | None, figure: str, on: str | None = None
) -> list[int]:
    """The log entries figure ``figure`` of the row ``row_key`` of table ``name`` counts
    (the head-types table's with the PPK keys in office ``on``: default the snapshot's day).

    Raises :class:`FilterRefused` for a table, row or figure that does not exist.
    """
    when = on or snap.as_of
    rows = heads.head_types(snap, when) if name == "head-types" and on else table(snap, name)
    if name == "head-types" and row_key == ACTING:
        found = heads.acting_led(snap, when)
    else:
        found = row_of(rows, name, row_key)
    return list(figure_of(found, name, figure)["entries"])


def row_of(rows: list[dict[str, Any]], name: str, row_key: str | None) -> dict[str, Any]:
    """The row of table ``name`` that ``row_key`` names (as a figure's link names it: its
    label's value as text; none or "None" for a row whose label is None; the national
    table's one row); :class:`FilterRefused` if none does."""
    label = LABELS.get(name)
    if label is None:
        return rows[0]
    for r in rows:
        if str(r.get(label)) == (row_key or "") or (
            r.get(label) is None and row_key in (None, "", "None")
        ):
            return r
    raise FilterRefused(Message("dashboard.unknown-row", {"table": name, "row": row_key}))


def figure_of(row: dict[str, Any], name: str, figure: str) -> dict[str, Any]:
    """Figure ``figure`` of ``row`` (of table ``name``); :class:`FilterRefused` if the row
    has no such figure listing entries."""
    value = row.get(figure)
    if not (isinstance(value, dict) and "entries" in value):
        raise FilterRefused(Message("dashboard.unknown-figure", {"table": name, "figure": figure}))
    return value


def describe(index: ComplianceIndex, idx: int) -> dict[str, Any]:
    """What the index knows of entry ``idx``: its type, issued-at day, instansi, signer."""
    fact = (
        index.recs.get(idx)
        or index.follow_ups.get(idx)
        or index.reports.get(idx)
        or index.signed.get(idx)
        or index.steps.get(idx)
        or next((key for key in index.keys.values() if key.idx == idx), None)
    )
    answered = index.recs.get(fact.recommendation) if isinstance(fact, FollowUp) else None
    return described(idx, fact, answered)


def described(idx: int, fact: Fact | None, answered: Rec | None = None) -> dict[str, Any]:
    """Entry ``idx`` as a figure's list shows it, from its ``fact`` (``answered``: the
    recommendation a follow-up answers): its type, issued-at day, instansi, detail."""
    if isinstance(fact, Rec):
        return {
            "index": idx,
            "type": "recommendation",
            "day": fact.day,
            "instansi": fact.instansi,
            "detail": fact.case_number,
            "deadline": fact.deadline,
        }
    if isinstance(fact, FollowUp):
        return {
            "index": idx,
            "type": "follow-up",
            "day": fact.day,
            "instansi": answered.instansi if answered else "",
            "detail": fact.action,
            "recommendation": fact.recommendation,
        }
    if isinstance(fact, Report):
        return {
            "index": idx,
            "type": "report",
            "day": fact.day,
            "instansi": fact.instansi,
            "detail": fact.province or "",
        }
    if isinstance(fact, Signed):
        return {
            "index": idx,
            "type": fact.kind,
            "day": fact.day,
            "instansi": fact.instansi,
            "detail": fact.election,
            "date": fact.date,
        }
    if isinstance(fact, Step):
        return {
            "index": idx,
            "type": "enforcement",
            "day": fact.day,
            "instansi": fact.instansi,
            "detail": fact.step,
        }
    if isinstance(fact, Key):
        return {
            "index": idx,
            "type": "enrolment",
            "day": fact.day,
            "instansi": fact.instansi,
            "detail": fact.jabatan,
        }
    return {"index": idx, "type": None, "day": None, "instansi": "", "detail": ""}


def _month_rates(outcomes: Iterable[Outcome], as_of: str) -> list[dict[str, Any]]:
    """Follow-up rate at the end of each month from the first recommendation to ``as_of``:
    recommendations issued by then and those followed up (decree) by then."""
    rates = profile_lists.MonthRates()
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


def instansi_page(
    snap: Snapshot, instansi_id: str, listed: int | None = None
) -> dict[str, Any] | None:
    """An instansi's page: its row of the API's table (a figure of more than the tally's
    group bound by its count only: :func:`~registry.compliance.profile_lists.capped`), its
    PPK keys over time, its newest recommendations, steps, pacts and declarations
    (``listed`` of each, default :data:`~registry.compliance.profile_lists.LISTED`:
    :func:`~registry.compliance.profile_lists.instansi_lists`) and its rate by month;
    ``None`` if no instansi has that id."""
    listed = profile_lists.LISTED if listed is None else listed
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
