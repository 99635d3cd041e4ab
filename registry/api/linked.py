"""Figures linked instead of listed: the paged listing of a figure's entries, and the rows
of today's tables (from the national tally) with their larger figures linked.

docs/compliance.md, "Figures over large groups": a figure of more than :data:`BOUND`
entries, or whose entries the server keeps only the count of, gives ``entries_total``
and ``entries_url`` (``/api/compliance/entries``) instead of ``entries``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Response

from registry.compliance import dashboard
from registry.compliance.export import to_csv
from registry.compliance.tally_counts import BOUND

__all__ = ["BOUND", "ENTRIES", "bounded", "csv_table", "entries_url", "today_table"]

ENTRIES = "/api/compliance/entries"
"""Where the entries of a figure too large to list inline are listed, paged."""


def entries_url(
    table: str,
    as_of: str,
    figure: str,
    row: Any = None,
    page: int = 1,
    after: int | None = None,
    limit: int | None = None,
    on: str | None = None,
) -> str:
    """The paged listing of figure ``figure`` of row ``row`` of ``table`` as of ``as_of``
    (its page ``page``, or the entries after entry ``after``; ``limit`` a page; the
    head-types table's with the PPK keys in office ``on``)."""
    query: dict[str, Any] = {"table": table, "figure": figure, "as_of": as_of}
    if on is not None:
        query["on"] = on
    if row is not None:
        query["row"] = str(row)
    if page > 1:
        query["page"] = page
    if after is not None:
        query["after"] = after
    if limit is not None:
        query["limit"] = limit
    return f"{ENTRIES}?{urlencode(query)}"


def filtered_entries_url(table: str, filtered: dict[str, str], figure: str, row: Any) -> str:
    """The paged listing of figure ``figure`` of row ``row`` of dashboard table ``table``
    under the dashboard filter ``filtered`` (its query parameters)."""
    query: dict[str, Any] = {**filtered, "figure": figure}
    if row is not None:
        query["row"] = str(row)
    return f"/api/dashboard/{table}/entries?{urlencode(query)}"


def bounded(
    table: str,
    as_of: str,
    row: dict[str, Any],
    key: str | None = None,
    filtered: dict[str, str] | None = None,
    on: str | None = None,
) -> dict[str, Any]:
    """``row`` with each figure of more than :data:`BOUND` entries (or whose entries the
    server keeps only the count of) given as ``entries_total`` and ``entries_url`` instead
    of ``entries`` (docs/compliance.md, "Figures over large groups"); ``key`` names the
    row in the link where its own column does not (the head-types' acting heads); a row of
    a table under a dashboard filter (``filtered``: its query) links the dashboard's
    listing of that filter; a head-types row of the keys in office ``on`` another day
    than ``as_of`` links the listing with that ``on``."""
    label = dashboard.LABELS.get(table)
    out = dict(row)
    for name, value in row.items():
        if not (isinstance(value, dict) and "value" in value and "entries" in value):
            continue
        entries = value["entries"]
        if entries is not None and len(entries) <= BOUND:
            continue
        total = value.get("entries_total", len(entries) if entries is not None else 0)
        if key is None:
            key = row.get(label) if label is not None else None
        out[name] = {
            "value": value["value"],
            "entries_total": total,
            "entries_url": entries_url(table, as_of, name, key, on=on)
            if filtered is None
            else filtered_entries_url(table, filtered, name, key),
        }
    return out


def csv_table(name: str, rows: list[dict[str, Any]]) -> Response[Any]:
    """``rows`` as a CSV download (:func:`registry.compliance.export.to_csv`): a linked
    figure's ``_entries`` column holds its ``entries_url``, not its entries."""
    return Response(
        to_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def today_table(
    table: str, day: str, rows: list[dict[str, Any]], format: str = "json"
) -> Response[Any]:
    """A table as the service answers it (today's from the tally: its larger figures
    linked), as JSON or as the same rows in CSV."""
    items = [bounded(table, day, row) for row in rows]
    if format == "csv":
        return csv_table(table, items)
    return Response({"as_of": day, "count": len(items), "items": items})
