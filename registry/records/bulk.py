"""Bulk import: recommendations and follow-ups from the spreadsheets agencies keep.

:func:`read_table` reads a CSV (UTF-8 with or without BOM, or UTF-16 as Excel's
"Unicode Text"; ``,``, ``;`` or tab separated) or an XLSX sheet;
:func:`validate_table` maps its header (Bahasa Indonesia or English names, see
:data:`COLUMNS`) to a statement type's fields and turns every row into a
payload checked by the type's schema (:func:`registry.records.schemas.parse_record`),
collecting every problem as a :class:`RowError` (the row number the user sees,
the column, why) rather than stopping at the first.  Signing the rows and
registering them all or none is :mod:`registry.cli_import`'s part.

The ASN's NIP never reaches a statement: each person gets a fresh random
16-byte salt, the statement carries ``SHA-256(salt || NIP)``, and the NIP,
salt and name travel beside it as :class:`IdentityRecord` for the store.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import io
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from registry.records.policy import WIB
from registry.records.schemas import (
    RecordError,
    parse_record,
)
from registry.store.models import IdentityRecord, SignerKeyRecord

ImportType = Literal["recommendation", "follow-up"]
Cell = str | int | float | bool | dt.datetime | dt.date | dt.time | None
SALT_BYTES = 16


class ImportFileError(Exception):
    """A file that cannot be imported at all: unreadable, empty, no usable sheet or header."""


@dataclass(frozen=True, order=True)
class RowError:
    """Why one row (or the header, or the whole file: row 0) cannot be imported."""

    row: int
    column: str
    reason: str


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


@dataclass(frozen=True)
class ImportRow:
    """A valid row: its spreadsheet row number, the payload to sign, the day to sign it on."""

    row: int
    payload: dict[str, Any]
    issued_at: int | None = None


@dataclass
class Validated:
    """The outcome of :func:`validate_table`: valid rows, every error, the identities kept."""

    kind: ImportType
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    identities: list[IdentityRecord] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    """Field name → the column's name as written in the file."""

    def column_for(self, *messages: str) -> str:
        """The file's column whose field the first message naming one names first ("" if none)."""
        for message in messages:
            found = [(m.start(), h) for f, h in self.headers.items() if (m := _word(f, message))]
            if found:
                return min(found)[1]
        return ""


def _word(word: str, text: str) -> re.Match[str] | None:
    return re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)


# -- cells -------------------------------------------------------------------------------


def _text(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date):
        raise ValueError("a date where text is expected")
    return re.sub(r"\s+", " ", str(cell)).strip()


def _nip(cell: Cell) -> str:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        raise ValueError(
            "a NIP stored as a number (Excel keeps 15 digits and may have changed the last"
            " three): format the column as Text and type the NIP again"
        )
    text = re.sub(r"[\s.\-]", "", str(cell)).lstrip("'")
    if not re.fullmatch(r"\d{18}", text):
        hint = " (a number in scientific notation: Excel lost digits)" if "E+" in text else ""
        raise ValueError(f"{str(cell).strip()!r} is not an 18-digit NIP{hint}")
    return text


def _kid(cell: Cell) -> bytes:
    text = str(cell).strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ValueError(f"{text!r} is not a key id (64 hex digits, as `registry keygen` prints)")
    return bytes.fromhex(text)


def parse_date(cell: Cell) -> str:
    """A date cell as ISO text: YYYY-MM-DD, DD/MM/YYYY, an Excel date or date serial."""
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        day = from_excel(cell)  # an Excel date serial whose cell lost its date format
        if isinstance(day, dt.datetime) and 1990 <= day.year <= 2100:
            return day.date().isoformat()
        raise ValueError(f"{cell} is not a date")
    text = str(cell).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text).isoformat()
        if m := re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text):
            return dt.date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the calendar") from None
    raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD or DD/MM/YYYY")


def _index(cell: Cell) -> int:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    if isinstance(cell, bool) or not text.isdigit():
        raise ValueError(f"{text!r} is not a log entry number (0, 1, 2...)")
    return int(text)


def _choice(options: dict[str, str], what: str) -> Callable[[Cell], str]:
    def parse(cell: Cell) -> str:
        text = re.sub(r"[\s_]+", " ", str(cell)).strip().lower()
        if text not in options:
            raise ValueError(f"{str(cell).strip()!r} is not {what}")
        return options[text]

    return parse


_SANCTIONS = {"moral": "moral", "medium": "medium", "heavy": "heavy", "ringan": "moral"}
_SANCTIONS |= {"sanksi moral": "moral", "sedang": "medium", "berat": "heavy"}
_SANCTIONS |= {"hukuman disiplin sedang": "medium", "hukuman disiplin berat": "heavy"}
_ACTIONS = {"sanctioned": "sanctioned", "refused": "refused", "dijatuhi sanksi": "sanctioned"}
_ACTIONS |= {"disanksi": "sanctioned", "ditolak": "refused", "tidak ditindaklanjuti": "refused"}
_sanction = _choice(_SANCTIONS, "a sanction: moral (ringan), medium (sedang) or heavy (berat)")
_action = _choice(_ACTIONS, "an action: sanctioned (dijatuhi sanksi) or refused (ditolak)")

_DATE = Column("date", ("tanggal", "date"), parse_date)
COLUMNS: dict[ImportType, tuple[Column, ...]] = {
    "recommendation": (
        Column("case_number", ("nomor_kasus", "case_number"), _text, True),
        Column("instansi", ("instansi", "agency"), _text, True),
        Column("ppk_kid", ("ppk_kid",), _kid),
        Column("ppk_nip", ("ppk_nip", "nip_ppk"), _nip),
        Column("asn_nip", ("nip_asn", "asn_nip"), _nip, True),
        Column("asn_name", ("nama_asn", "asn_name"), _text),
        Column("category", ("kategori", "category"), _text, True),
        Column("sanction", ("sanksi", "sanction"), _sanction, True),
        Column("deadline", ("batas_waktu", "deadline"), parse_date, True),
        Column("report", ("laporan", "report"), _index),
        _DATE,
    ),
    "follow-up": (
        Column("recommendation", ("rekomendasi", "recommendation"), _index, True),
        Column("action", ("tindakan", "action"), _action, True),
        Column("decree_number", ("nomor_sk", "decree_number"), _text),
        Column("decree_date", ("tanggal_sk", "decree_date"), parse_date),
        Column("reason", ("alasan", "reason"), _text),
        _DATE,
    ),
}
_PSEUDO_FIELDS = {"ppk_nip", "asn_nip", "asn_name", "date"}
ROW_NUMBER_COLUMNS = frozenset({"no", "no_urut", "nomor_urut", "#"})
"""Row-number columns spreadsheets usually start with ("No."): read past, not imported."""


def normalise_header(name: str) -> str:
    """A header cell as matched against column names: lower case, words joined by ``_``."""
    return re.sub(r"[\s\-/.]+", "_", name.replace("\ufeff", "").strip().lower()).strip("_")


def _match_header(header: Sequence[str], kind: ImportType) -> dict[int, Column]:
    by_name = {n: c for c in COLUMNS[kind] for n in c.names}
    return {
        i: by_name[normalise_header(h)]
        for i, h in enumerate(header)
        if normalise_header(h) in by_name
    }


def _fits(header: Sequence[str], kind: ImportType) -> bool:
    found = {c.field for c in _match_header(header, kind).values()}
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
        raise ImportFileError(f"{name}: the old .xls format; save it as .xlsx or CSV UTF-8")
    if suffix not in {"csv", "txt", "tsv"}:
        raise ImportFileError(f"{name}: not a .csv or .xlsx file")
    text = _decode(name, data, encoding)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise ImportFileError(f"{name}: not a readable CSV file ({exc})") from exc
    return _table(name, rows)


def _decode(name: str, data: bytes, encoding: str | None) -> str:
    if encoding is not None:
        try:
            return data.decode("utf-8-sig" if encoding.lower() in {"utf-8", "utf8"} else encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ImportFileError(f"{name}: cannot be read as {encoding}: {exc}") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{name}: not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); save it from"
            " Excel as 'CSV UTF-8', or pass --encoding cp1252 for a plain Windows 'CSV'"
        ) from exc


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    outside = re.sub(r'"[^"]*"', "", first)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_xlsx(name: str, data: bytes, kind: ImportType, sheet: str | None) -> Table:
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ImportFileError(f"{name}: not a readable .xlsx workbook ({exc})") from exc
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise ImportFileError(f"{name} has no sheet {sheet!r}; its sheets: {', '.join(names)}")
        if sheet is None:
            fitting = [n for n in names if _fits(_first_row(book[n].iter_rows()), kind)]
            if len(names) > 1 and not fitting:
                raise ImportFileError(
                    f"{name}: no sheet has the {kind} columns ({', '.join(names)}); pass --sheet"
                )
            sheet = (fitting or names)[0]
        rows = [[_cell(c) for c in r] for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()
    return _table(f"{name}, sheet {sheet!r}", rows)


def _first_row(rows: Iterator[tuple[Any, ...]]) -> list[str]:
    for row in rows:
        cells = [_cell(c.value) for c in row]
        if any(_present(c) for c in cells):
            return [_text(c) if _present(c) else "" for c in cells]
    return []


def _cell(value: object) -> Cell:
    """An XLSX cell value as one of the types rows are read from (text for anything odd)."""
    if value is None or isinstance(value, str | int | float | dt.date | dt.time):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def _present(cell: Cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _table(source: str, rows: Sequence[Sequence[Cell]]) -> Table:
    numbered = [(i, list(r)) for i, r in enumerate(rows, start=1) if any(_present(c) for c in r)]
    if not numbered:
        raise ImportFileError(f"{source}: the file is empty")
    (header_row, header), *data = numbered
    if not data:
        raise ImportFileError(f"{source}: a header (row {header_row}) but no rows under it")
    names = [_text(c) if _present(c) else "" for c in header]
    return Table(source, header_row, names, data)


# -- rows --------------------------------------------------------------------------------


def _identity(nip: str) -> tuple[bytes, bytes]:
    salt = secrets.token_bytes(SALT_BYTES)
    return salt, hashlib.sha256(salt + nip.encode()).digest()


def day_start(day: str) -> int:
    """The first second of ``day`` (ISO) in Western Indonesia Time, as the policy reads days."""
    d = dt.date.fromisoformat(day)
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=WIB).timestamp())


class _Checker:
    """Validates one table's rows; holds what rows share (identities, duplicates, PPKs)."""

    def __init__(
        self, table: Table, kind: ImportType, enrolled: Iterable[SignerKeyRecord], today: dt.date
    ) -> None:
        self.table, self.kind, self.today = table, kind, today
        self.out = Validated(kind)
        self.columns = _match_header(table.header, kind)
        self.out.headers = {c.field: table.header[i] for i, c in self.columns.items()}
        if "ppk_nip" in self.out.headers:  # the registry's reasons name the kid it stands for
            self.out.headers.setdefault("ppk_kid", self.out.headers["ppk_nip"])
        self.ppks: dict[str, list[SignerKeyRecord]] = {}
        for key in enrolled:
            if key.role == "ppk" and key.nip and key.revoked_at is None:
                self.ppks.setdefault(key.nip, []).append(key)
        self.people: dict[str, tuple[IdentityRecord, int]] = {}
        self.seen: dict[tuple[Any, ...], int] = {}

    def error(self, row: int, column: str, reason: str) -> None:
        self.out.errors.append(RowError(row, column, reason))

    def check_header(self) -> bool:
        """Report unknown, duplicate and missing columns; whether rows can be read."""
        row, known = self.table.header_row, ", ".join(c.names[0] for c in COLUMNS[self.kind])
        taken: dict[str, str] = {}
        fatal = False
        for i, name in enumerate(self.table.header):
            column = self.columns.get(i)
            if not name:
                if any(i < len(r) and _present(r[i]) for _, r in self.table.rows):
                    self.error(row, get_column_letter(i + 1), "values under an empty header")
            elif column is None and normalise_header(name) not in ROW_NUMBER_COLUMNS:
                self.error(row, name, f"unknown {self.kind} column; the columns are: {known}")
            elif column is None:
                continue
            elif column.field in taken:
                self.error(row, name, f"the same column as {taken[column.field]!r}")
                fatal = True
            else:
                taken[column.field] = name
        for column in COLUMNS[self.kind]:
            if column.required and column.field not in taken:
                self.error(
                    row, column.names[0], f"required column missing (or {column.names[1]!r})"
                )
                fatal = True
        if self.kind == "recommendation" and not {"ppk_kid", "ppk_nip"} & taken.keys():
            self.error(row, "ppk_kid", "required column missing (or ppk_nip)")
            fatal = True
        return not fatal

    def check_row(self, number: int, cells: list[Cell]) -> None:
        """Validate one row; adds it to the outcome or records why not."""
        before = len(self.out.errors)
        values: dict[str, Any] = {}
        for i, column in self.columns.items():
            cell = cells[i] if i < len(cells) else None
            name = self.table.header[i]
            if not _present(cell):
                if column.required:
                    self.error(number, name, "empty; this column is required")
                continue
            try:
                values[column.field] = column.parse(cell)
            except ValueError as exc:
                self.error(number, name, str(exc))
        if len(self.out.errors) > before:
            return
        payload = {
            "type": self.kind,
            **{k: v for k, v in values.items() if k not in _PSEUDO_FIELDS},
        }
        if self.kind == "recommendation" and not self._recommendation(number, values, payload):
            return
        issued_at = day_start(values["date"]) if "date" in values else None
        if "date" in values and dt.date.fromisoformat(values["date"]) > self.today:
            self.error(number, self.out.headers["date"], "in the future")
            return
        try:
            parse_record(payload)  # the payload is signed as validated: no defaults added
        except RecordError as exc:
            at = re.search(r" - at `\$\.(\w+)`", str(exc))
            reason = re.sub(r"^[\w-]+: ", "", str(exc).replace(at[0], "") if at else str(exc))
            self.error(number, self.out.column_for(at[1] if at else "", reason), reason)
            return
        key = (issued_at, *sorted(payload.items()))
        if key in self.seen:
            self.error(number, "", f"the same as row {self.seen[key]}")
            return
        self.seen[key] = number
        self.out.rows.append(ImportRow(number, payload, issued_at))

    def _recommendation(self, number: int, values: dict[str, Any], payload: dict[str, Any]) -> bool:
        headers = self.out.headers
        if "date" in values and values["deadline"] < values["date"]:
            self.error(
                number, headers["deadline"], f"before the recommendation's date {values['date']}"
            )
            return False
        if "ppk_kid" not in values:
            nip = values.get("ppk_nip")
            if nip is None:
                self.error(
                    number,
                    headers.get("ppk_kid", headers.get("ppk_nip", "")),
                    "empty; give ppk_kid or ppk_nip",
                )
                return False
            found = self.ppks.get(nip, [])
            if len(found) > 1:
                found = [k for k in found if k.instansi.casefold() == values["instansi"].casefold()]
            if len(found) != 1:
                why = "no enrolled PPK key" if not found else f"{len(found)} enrolled PPK keys"
                self.error(number, headers["ppk_nip"], f"{why} for NIP {nip}; give ppk_kid")
                return False
            payload["ppk_kid"] = found[0].kid
        nip, name = values["asn_nip"], values.get("asn_name")
        known = self.people.get(nip)
        if known is None:
            salt, commitment = _identity(nip)
            known = (IdentityRecord(commitment, salt, nip, name), number)
            self.people[nip] = known
            self.out.identities.append(known[0])
        elif name and known[0].name and name.casefold() != known[0].name.casefold():
            self.error(
                number, headers["asn_name"], f"row {known[1]} names this NIP {known[0].name!r}"
            )
            return False
        payload["subject_commitment"] = known[0].commitment
        return True


def validate_table(
    table: Table,
    kind: ImportType,
    *,
    enrolled: Iterable[SignerKeyRecord] = (),
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Validated:
    """Every row of ``table`` checked as a ``kind`` statement; all errors, in row order.

    ``enrolled`` are the registry's keys, to find a PPK by ``ppk_nip``;
    ``today`` (default: today in WIB) bounds per-row dates.  Identities are
    made only for valid rows' people; nothing here touches the store.
    """
    checker = _Checker(table, kind, enrolled, today or dt.datetime.now(WIB).date())
    if checker.check_header():
        for number, cells in table.rows:
            checker.check_row(number, cells)
            if progress:
                progress(1)
    out = checker.out
    used = {
        bytes(r.payload["subject_commitment"])
        for r in out.rows
        if "subject_commitment" in r.payload
    }
    out.identities = [i for i in out.identities if i.commitment in used]
    out.errors.sort(key=lambda e: e.row)
    return out
