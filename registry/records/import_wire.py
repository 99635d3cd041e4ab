"""The bodies of ``POST /api/imports/prepare/{sha256}`` and ``/register/{sha256}``, in CBOR.

Both ways ``application/cbor`` (RFC 8949): payloads carry byte strings (kids,
commitments) and statements are bytes, which JSON would have to re-encode.

- prepare, asked: ``{"type", "source", "header_row", "header": [text],
  "rows": [[row number, [cell]]]}``, a cell being text, a number, a boolean
  or null (dates as ``YYYY-MM-DD`` text);
  answered: ``{"rows": [[row, payload, issued_at | null, nip | null, name | null]],
  "errors": [[row, column, reason]]}``.
- register, asked: ``{"type", "rows": [[row, statement, nip | null, name | null]]}``;
  answered: ``{"registered": [[row, entry, existed]], "refused": [[row, refusal]],
  "errors": [[row, column, reason]], "identities": count}``.

A reason is a message (``{"key", "params"}``) or text, and a refusal the
registry's own JSON (``RegistrationRefused.to_json``), so the client words
both in its reader's language (id or en).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import cbor2

from registry.i18n import render, text_data, text_from_data
from registry.records.bulk import RowError
from registry.records.spreadsheet import Cell, ImportType, Table

MEDIA_TYPE = "application/cbor"


class WireError(ValueError):
    """A body that is not what the import endpoints exchange."""


def dumps(value: Any) -> bytes:
    """``value`` as CBOR."""
    return cbor2.dumps(value)


def loads(data: bytes) -> dict[str, Any]:
    """A CBOR map, or :class:`WireError`."""
    try:
        value = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError) as exc:
        raise WireError(f"not CBOR: {exc}") from exc
    if not isinstance(value, dict):
        raise WireError("the body is not a CBOR map")
    return value


def _cell(cell: Cell) -> Any:
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat()
    return cell


def table_data(table: Table, kind: ImportType) -> dict[str, Any]:
    """A chunk to prepare, as sent."""
    return {
        "type": kind,
        "source": table.source,
        "header_row": table.header_row,
        "header": table.header,
        "rows": [[n, [_cell(c) for c in cells]] for n, cells in table.rows],
    }


_CELL_TYPES = (str, int, float, bool, type(None))


def table_of(body: dict[str, Any]) -> tuple[ImportType, Table]:
    """The chunk a prepare request carries, or :class:`WireError`."""
    kind = body.get("type")
    if kind not in ("recommendation", "follow-up"):
        raise WireError("type is 'recommendation' or 'follow-up'")
    header, rows = body.get("header"), body.get("rows")
    if not isinstance(header, list) or not all(isinstance(h, str) for h in header):
        raise WireError("header is a list of text")
    if not isinstance(rows, list):
        raise WireError("rows is a list")
    table_rows: list[tuple[int, list[Cell]]] = []
    for item in rows:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], int)):
            raise WireError("a row is [number, [cells]]")
        cells = item[1]
        if not isinstance(cells, list) or not all(isinstance(c, _CELL_TYPES) for c in cells):
            raise WireError("cells are text, numbers, booleans or null")
        table_rows.append((item[0], cells))
    header_row = body.get("header_row")
    source = body.get("source")
    return kind, Table(
        str(source) if isinstance(source, str) else "import",
        header_row if isinstance(header_row, int) else 1,
        header,
        table_rows,
    )


def errors_data(errors: list[RowError]) -> list[list[Any]]:
    """Row errors as sent: [row, column, reason]."""
    return [[e.row, e.column, text_data(e.message or e.reason)] for e in errors]


def errors_of(data: Any) -> list[RowError]:
    """The row errors :func:`errors_data` wrote, or :class:`WireError`."""
    try:
        out = []
        for row, column, reason in data or []:
            said = text_from_data(reason)
            out.append(RowError(int(row), str(column), render(said, "en"), said))
    except (ValueError, TypeError) as exc:
        raise WireError(f"bad errors: {exc}") from exc
    return out
