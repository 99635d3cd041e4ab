"""CSV export of the compliance tables: one row per JSON row, figures flattened.

A figure ``name: {"value": v, "entries": [...]}`` becomes two columns,
``name`` (the value) and ``name_entries`` (its log indexes, space-separated),
so a spreadsheet keeps the link to the log; a figure too large to list inline
(``{"value": v, "entries_total": n, "entries_url": url}``, docs/compliance.md
"Figures over large groups") keeps the same two columns, ``name_entries``
holding the link to its paged entries (a spreadsheet cell holds at most 32,767
characters: a figure of millions of entries could not be listed in one anyway);
nested maps are flattened with ``parent.child`` names, other lists are written
as JSON.

Every CSV the registry writes (these tables, the search export, the import
report) passes its cells through :func:`safe_cell`: a text cell that a
spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return; OWASP "CSV injection") is written with a
leading ``'``, so an instansi named ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

LINKED = {"value", "entries_total", "entries_url"}
"""A figure whose entries are linked, not listed (``registry.api.linked.bounded``)."""


def _flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        column = prefix + name
        if isinstance(value, Mapping) and set(value) == {"value", "entries"}:
            out[column] = value["value"]
            out[column + "_entries"] = " ".join(str(i) for i in value["entries"])
        elif isinstance(value, Mapping) and set(value) == LINKED:
            out[column] = value["value"]
            out[column + "_entries"] = value["entries_url"]
        elif isinstance(value, Mapping):
            out.update(_flatten(value, column + "."))
        elif isinstance(value, list) and all(isinstance(v, str | int) for v in value):
            out[column] = " ".join(str(v) for v in value)
        elif isinstance(value, list):
            out[column] = json.dumps(value, ensure_ascii=False)
        else:
            out[column] = value
    return out


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads a cell as a formula by (or, for tab and CR, hides one behind)."""


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell no spreadsheet runs: text that would start a formula gets a
    leading ``'``; numbers (negative ones too) stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_cell(value)


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as CSV text with a header (columns in first-seen order)."""
    flat = [_flatten(r) for r in rows]
    columns = list(dict.fromkeys(c for r in flat for c in r))
    out = io.StringIO()
    # CRLF ends a row (RFC 4180): a cell holding a lone CR is then quoted, never a new row
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for r in flat:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return out.getvalue()
