"""Import spreadsheets as read: the columns each import type takes, and the files that hold them.

:data:`COLUMNS` lists, for recommendations and follow-ups, the columns a sheet
may have (Bahasa Indonesia or English names, matched after
:func:`normalise_header`) and how each cell is read into a field value (text,
dates, 18-digit NIPs, key ids, log entry numbers, sanction and action words),
raising :class:`CellError` (a ``ValueError``) with the reason the user sees.  :func:`read_table`
reads a CSV (UTF-8 with or without BOM, or UTF-16 as Excel's "Unicode Text";
``,``, ``;`` or tab separated) or an XLSX sheet into a :class:`Table` of
numbered non-empty rows, or raises :class:`ImportFileError` for a file that
cannot be imported at all.  Nothing here knows statement schemas, identities
or the store: checking the rows is :mod:`registry.records.bulk`'s part.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from registry.i18n import DEFAULT_LANGUAGE, Message, Text, render
from registry.records.vocabulary import CODES, category_code

ImportType = Literal["recommendation", "follow-up"]
Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | None


EXCEL_EPOCH = dt.datetime(1899, 12, 30)
"""Day 0 of Excel's 1900 date system, for serials after its fictitious 1900-02-29."""


class ImportFileError(Exception):
    """A file that cannot be imported at all: unreadable, empty, no usable sheet or header.

    ``message`` says why (``file.*`` in the message catalogs); ``str()`` is its English.
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.message = Message(key, params)
        super().__init__(self.message.render(DEFAULT_LANGUAGE))


class CellError(ValueError):
    """A cell that cannot be read as its column's value; ``message`` says why (``cell.*``)."""

    def __init__(self, key: str, **params: Any) -> None:
        self.message = Message(key, params)
        super().__init__(self.message.render(DEFAULT_LANGUAGE))


@dataclass(frozen=True)
class Column:
    """A spreadsheet column: the field it fills, its accepted names, how a cell is read."""

    field: str
    names: tuple[str, ...]
    parse: Callable[[Cell], Any]
    required: bool = False


@dataclass(frozen=True)
class Table:
    """A sheet as read: where from, the header's row number and cells, the data rows."""

    source: str
    header_row: int
    header: list[str]
    rows: list[tuple[int, list[Cell]]]


# -- cells -------------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date):
        raise CellError("cell.date-not-text")
    return re.sub(r"\s+", " ", str(cell)).strip()


def _nip(cell: Cell) -> str:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        raise CellError("cell.nip-number")
    text = re.sub(r"[\s.\-]", "", str(cell)).lstrip("'")
    if not re.fullmatch(r"\d{18}", text):
        key = "cell.not-nip-scientific" if "E+" in text else "cell.not-nip"
        raise CellError(key, value=repr(str(cell).strip()))
    return text


def _kid(cell: Cell) -> bytes:
    text = str(cell).strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise CellError("cell.not-kid", value=repr(text))
    return bytes.fromhex(text)


def parse_date(cell: Cell) -> str:
    """A date cell as ISO text: YYYY-MM-DD, DD/MM/YYYY, an Excel date or date serial."""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        try:  # an Excel date serial whose cell lost its date format
            day = EXCEL_EPOCH + dt.timedelta(days=cell)
        except (OverflowError, ValueError):
            raise ValueError(f"{cell} is not a date") from None
        if 1990 <= day.year <= 2100:
            return day.date().isoformat()
        raise CellError("cell.not-a-date-serial", value=str(cell))
    text = str(cell).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text).isoformat()
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
            return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    except ValueError:
        raise CellError("cell.not-in-calendar", value=repr(text)) from None
    raise CellError("cell.not-a-date", value=repr(text))


def _index(cell: Cell) -> int:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if isinstance(cell, bool) or not text.isdigit():
        raise CellError("cell.not-an-entry", value=repr(text))
    return int(text)


def _choice(options: dict[str, str], key: str) -> Callable[[Cell], str]:
    def parse(cell: Cell) -> str:
        text = re.sub(r"[\s_]+", " ", str(cell)).strip().lower()
        if text not in options:
            raise CellError(key, value=repr(str(cell).strip()))
        return options[text]

    return parse


_SANCTIONS = {"moral": "moral", "light": "light", "medium": "medium", "heavy": "heavy"}
# `ringan` is light discipline under PP 94/2021, not the moral sanction of PP 42/2004.
_SANCTIONS |= {"sanksi moral": "moral", "ringan": "light", "sedang": "medium", "berat": "heavy"}
_SANCTIONS |= {"hukuman disiplin ringan": "light", "hukuman disiplin sedang": "medium"}
_SANCTIONS |= {"hukuman disiplin berat": "heavy"}
_ACTIONS = {"sanctioned": "sanctioned", "refused": "refused", "dijatuhi sanksi": "sanctioned"}
_ACTIONS |= {"disanksi": "sanctioned", "ditolak": "refused", "tidak ditindaklanjuti": "refused"}
_sanction = _choice(_SANCTIONS, "cell.not-a-sanction-level")


def _category(cell: Cell) -> str:
    """A violation category by code, label or listed word (registry/records/vocabulary.py)."""
    code = category_code(str(cell))
    if code is None:
        raise CellError(
            "cell.not-a-category", value=repr(str(cell).strip()), codes=", ".join(CODES)
        )
    return code


_action = _choice(_ACTIONS, "cell.not-an-action")

_DATE = Column("date", ("tanggal", "date"), parse_date)
COLUMNS: dict[ImportType, tuple[Column, ...]] = {
    "recommendation": (
        Column("case_number", ("nomor_kasus", "case_number"), _text, True),
        Column("instansi", ("instansi", "agency"), _text, True),
        Column("ppk_kid", ("ppk_kid",), _kid),
        Column("ppk_nip", ("ppk_nip", "nip_ppk"), _nip),
        Column("asn_nip", ("nip_asn", "asn_nip"), _nip, True),
        Column("asn_name", ("nama_asn", "asn_name"), _text),
        Column("category", ("kategori", "category"), _category, True),
        Column("sanction", ("sanksi", "sanction"), _sanction, True),
        Column("deadline", ("batas_waktu", "deadline"), parse_date, True),
        Column("report", ("laporan", "report"), _index),
        Column("election", ("pemilihan", "election"), _text, True),
        _DATE,
    ),
    "follow-up": (
        Column("recommendation", ("rekomendasi", "recommendation"), _index, True),
        Column("action", ("tindakan", "action"), _action, True),
        Column("decree_number", ("nomor_sk", "decree_number"), _text),
        Column("decree_date", ("tanggal_sk", "decree_date"), parse_date),
        Column("reason", ("alasan", "reason"), _text),
        Column("sanction", ("sanksi_dijatuhkan", "sanction_imposed", "sanction"), _sanction),
        Column("idis_reference", ("nomor_idis", "idis", "idis_reference"), _text),
        _DATE,
    ),
}
ROW_NUMBER_COLUMNS = frozenset({"no", "no_urut", "nomor_urut", "#"})
"""Row-number columns spreadsheets usually start with ("No."): read past, not imported."""


def normalise_header(name: str) -> str:
    """A header cell as matched against column names: lower case, words joined by ``_``."""
    return re.sub(r"[\s\-/.]+", "_", name.replace("\ufeff", "").strip().lower()).strip("_")


def match_header(header: Sequence[str], kind: ImportType) -> dict[int, Column]:
    """The ``kind`` columns that ``header``'s cells name, by position (other cells left out)."""
    by_name = {n: c for c in COLUMNS[kind] for n in c.names}
    return {
        i: by_name[normalise_header(h)]
        for i, h in enumerate(header)
        if normalise_header(h) in by_name
    }


def _fits(header: Sequence[str], kind: ImportType) -> bool:
    found = {c.field for c in match_header(header, kind).values()}
    return all(c.field in found for c in COLUMNS[kind] if c.required)


# -- files -------------------------------------------------------------------------------


def read_table(
    name: str,
    data: bytes,
    kind: ImportType,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
) -> Table:
    """Read ``data`` (a file called ``name``) as a table; :class:`ImportFileError` if it can't be.

    An XLSX file's sheet is ``sheet``, else its only sheet, else the first whose
    header has the columns ``kind`` needs.  The header is the first non-empty
    row; empty rows are skipped but keep their numbers.
    """
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in {"xlsx", "xlsm"}:
        return _read_xlsx(name, data, kind, sheet)
    if suffix == "xls":
        raise ImportFileError("file.xls", name=name)
    if suffix not in {"csv", "txt", "tsv"}:
        raise ImportFileError("file.not-csv-or-xlsx", name=name)
    text = _decode(name, data, encoding)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise ImportFileError("file.bad-csv", name=name, error=str(exc)) from exc
    return _table(name, rows)


def _decode(name: str, data: bytes, encoding: str | None) -> str:
    if encoding is not None:
        try:
            return data.decode("utf-8-sig" if encoding.lower() in {"utf-8", "utf8"} else encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportFileError(
                "file.bad-encoding", name=name, encoding=encoding, error=str(exc)
            ) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            "file.not-utf8", name=name, byte=f"{data[exc.start]:02x}", line=line
        ) from exc


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    outside = re.sub(r'"[^"]*"', "", first)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def column_letter(number: int) -> str:
    """The spreadsheet name of column ``number``: 1 is A, 26 is Z, 27 is AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _read_xlsx(name: str, data: bytes, kind: ImportType, sheet: str | None) -> Table:
    """The sheet of an .xlsx workbook; needs openpyxl (the ``xlsx`` extra), imported here
    so that the rest of the command line runs without it (``ModuleNotFoundError`` if missing)."""
    import openpyxl  # noqa: PLC0415 (optional: the `xlsx` extra)
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ImportFileError("file.bad-xlsx", name=name, error=str(exc)) from exc
    try:
        sheet = choose_sheet(book, name, kind, sheet)
        rows = [[_cell(c) for c in r] for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()
    return _table(Message("file.sheet", {"name": name, "sheet": repr(sheet)}), rows)


def choose_sheet(book: Any, name: str, kind: ImportType, sheet: str | None) -> str:
    """The sheet of an open workbook to import: ``sheet``, else its only one, else the first
    whose header has the columns ``kind`` needs (:class:`ImportFileError` if none)."""
    names = book.sheetnames
    if sheet is not None and sheet not in names:
        raise ImportFileError(
            "file.no-sheet", name=name, sheet=repr(sheet), sheets=", ".join(names)
        )
    if sheet is not None:
        return sheet
    fitting = [n for n in names if _fits(_first_row(book[n].iter_rows()), kind)]
    if len(names) > 1 and not fitting:
        raise ImportFileError(
            "file.no-fitting-sheet", name=name, type=kind, sheets=", ".join(names)
        )
    return str((fitting or names)[0])


def _first_row(rows: Iterator[tuple[Any, ...]]) -> list[str]:
    for row in rows:
        cells = [_cell(c.value) for c in row]
        if any(present(c) for c in cells):
            return [_text(c) if present(c) else "" for c in cells]
    return []


def _cell(value: object) -> Cell:
    """An XLSX cell value as one of the types rows are read from (text for anything odd)."""
    if value is None or isinstance(value, str | int | float | dt.date | dt.time):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def present(cell: Cell) -> bool:
    """Whether a cell holds anything: not empty, not only whitespace."""
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _table(source: Text, rows: Sequence[Sequence[Cell]]) -> Table:
    numbered = [(i, list(r)) for i, r in enumerate(rows, start=1) if any(present(c) for c in r)]
    if not numbered:
        raise ImportFileError("file.empty", source=source)
    (header_row, header), *data = numbered
    if not data:
        raise ImportFileError("file.no-rows", source=source, row=header_row)
    names = [_text(c) if present(c) else "" for c in header]
    return Table(render(source, DEFAULT_LANGUAGE), header_row, names, data)
