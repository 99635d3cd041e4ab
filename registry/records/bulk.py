"""Bulk import: recommendations and follow-ups from the spreadsheets agencies keep, checked.

:func:`validate_table` takes a :class:`~registry.records.spreadsheet.Table`
(as :func:`registry.records.spreadsheet.read_table` reads it from a CSV or
XLSX file), maps its header (Bahasa Indonesia or English names, see
:data:`~registry.records.spreadsheet.COLUMNS`) to a statement type's fields and
turns every row into a payload checked by the type's schema
(:func:`registry.records.schemas.parse_record`), collecting every problem as a
:class:`RowError` (the row number the user sees, the column, why) rather than
stopping at the first.  Signing the rows and registering them all or none is
:mod:`registry.cli.imports`'s part.

The ASN's NIP never reaches a statement: each person gets a fresh random
16-byte salt, the statement carries ``SHA-256(salt || NIP)``, and the NIP,
salt and name travel beside it as :class:`IdentityRecord` for the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from registry.i18n import DEFAULT_LANGUAGE, Message, Text, render
from registry.records.errors import FieldError
from registry.records.policy import WIB
from registry.records.salts import StableSalts
from registry.records.schemas import RecordError, parse_record
from registry.records.spreadsheet import (
    COLUMNS,
    ROW_NUMBER_COLUMNS,
    Cell,
    CellError,
    ImportType,
    Table,
    column_letter,
    match_header,
    normalise_header,
    present,
)
from registry.store.models import IdentityRecord, SignerKeyRecord

SALT_BYTES = 16
# Fields read from a row that stay out of its payload: the NIPs and the name (they
# become the PPK's kid, the subject commitment and the identity kept beside it) and
# the signing day.
_PSEUDO_FIELDS = {"ppk_nip", "asn_nip", "asn_name", "date"}


@dataclass(frozen=True, order=True)
class RowError:
    """Why one row (or the header, or the whole file: row 0) cannot be imported.

    ``reason`` is in English; ``message`` (if any) puts it in another language
    (:meth:`reason_in`).  Errors compare by row, column and English reason.
    """

    row: int
    column: str
    reason: str
    message: Text | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, row: int, column: str, message: Text) -> RowError:
        """The error worded by ``message``."""
        return cls(row, column, render(message, DEFAULT_LANGUAGE), message)

    def reason_in(self, lang: str) -> str:
        """The reason in ``lang``."""
        return self.reason if self.message is None else render(self.message, lang)


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
        self,
        table: Table,
        kind: ImportType,
        enrolled: Iterable[SignerKeyRecord],
        today: dt.date,
        nips: Mapping[bytes, str],
        salts: StableSalts | None = None,
    ) -> None:
        self.table, self.kind, self.today, self.salts = table, kind, today, salts
        self.out = Validated(kind)
        self.columns = match_header(table.header, kind)
        self.out.headers = {c.field: table.header[i] for i, c in self.columns.items()}
        if "ppk_nip" in self.out.headers:  # the registry's reasons name the kid it stands for
            self.out.headers.setdefault("ppk_kid", self.out.headers["ppk_nip"])
        self.ppks: dict[str, list[SignerKeyRecord]] = {}
        for key in enrolled:
            nip = key.nip or (nips.get(key.nip_commitment) if key.nip_commitment else None)
            if key.role == "ppk" and nip and key.revoked_at is None:
                self.ppks.setdefault(nip, []).append(key)
        # a field without a column in the file is reported under the column's usual name
        self.columns_by_field = {c.field: c.names[0] for c in COLUMNS[kind]}
        self.people: dict[str, tuple[IdentityRecord, int]] = {}
        self.seen: dict[tuple[Any, ...], int] = {}

    def error(self, row: int, column: str, key: str, /, **params: Any) -> None:
        """Report ``row``'s ``column`` as wrong, worded by the catalog's ``key``."""
        self.out.errors.append(RowError.of(row, column, Message(key, params)))

    def check_header(self) -> bool:
        """Report unknown, duplicate and missing columns; whether rows can be read."""
        row, known = self.table.header_row, ", ".join(c.names[0] for c in COLUMNS[self.kind])
        taken: dict[str, str] = {}
        fatal = False
        for i, name in enumerate(self.table.header):
            column = self.columns.get(i)
            if not name:
                if any(i < len(r) and present(r[i]) for _, r in self.table.rows):
                    self.error(row, column_letter(i + 1), "import.empty-header-values")
            elif column is None and normalise_header(name) not in ROW_NUMBER_COLUMNS:
                self.error(row, name, "import.unknown-column", type=self.kind, known=known)
            elif column is None:
                continue
            elif column.field in taken:
                self.error(row, name, "import.duplicate-column", other=repr(taken[column.field]))
                fatal = True
            else:
                taken[column.field] = name
        for column in COLUMNS[self.kind]:
            if column.required and column.field not in taken:
                self.error(
                    row, column.names[0], "import.missing-column", other=repr(column.names[1])
                )
                fatal = True
        if self.kind == "recommendation" and not {"ppk_kid", "ppk_nip"} & taken.keys():
            self.error(row, "ppk_kid", "import.missing-column", other="ppk_nip")
            fatal = True
        return not fatal

    def check_row(self, number: int, cells: list[Cell]) -> None:
        """Validate one row; adds it to the outcome or records why not."""
        before = len(self.out.errors)
        values: dict[str, Any] = {}
        for i, column in self.columns.items():
            cell = cells[i] if i < len(cells) else None
            name = self.table.header[i]
            if not present(cell):
                if column.required:
                    self.error(number, name, "import.empty-required")
                continue
            try:
                values[column.field] = column.parse(cell)
            except CellError as exc:
                self.out.errors.append(RowError.of(number, name, exc.message))
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
            self.error(number, self.out.headers["date"], "import.in-future")
            return
        try:
            parse_record(payload)  # the payload is signed as validated: no defaults added
        except RecordError as exc:
            self.out.errors += [self._field_error(number, e) for e in exc.errors]
            return
        key = (issued_at, *sorted(payload.items()))
        if key in self.seen:
            self.error(number, "", "import.duplicate-row", row=self.seen[key])
            return
        self.seen[key] = number
        self.out.rows.append(ImportRow(number, payload, issued_at))

    def _field_error(self, number: int, error: FieldError) -> RowError:
        """A schema error in the row: under the field's column, else under the field's name."""
        column = self.out.headers.get(error.field) or self.columns_by_field.get(error.field, "")
        if column:
            return RowError.of(number, column, Message(f"schema.{error.reason}", error.params))
        return RowError.of(number, "", error.message())

    def _recommendation(self, number: int, values: dict[str, Any], payload: dict[str, Any]) -> bool:
        headers = self.out.headers
        if "date" in values and values["deadline"] < values["date"]:
            self.error(
                number, headers["deadline"], "import.deadline-before-date", date=values["date"]
            )
            return False
        if "ppk_kid" not in values:
            nip = values.get("ppk_nip")
            if nip is None:
                self.error(
                    number, headers.get("ppk_kid", headers.get("ppk_nip", "")), "import.no-ppk"
                )
                return False
            found = self.ppks.get(nip, [])
            if len(found) > 1:
                found = [k for k in found if k.instansi.casefold() == values["instansi"].casefold()]
            if len(found) != 1:
                key = "import.ppk-many" if found else "import.ppk-none"
                self.error(number, headers["ppk_nip"], key, nip=nip, count=len(found))
                return False
            payload["ppk_kid"] = found[0].kid
        nip, name = values["asn_nip"], values.get("asn_name")
        known = self.people.get(nip)
        if known is None:
            if self.salts is not None:
                person = self.salts.identity(nip, name)
            else:
                salt, commitment = _identity(nip)
                person = IdentityRecord(commitment, salt, nip, name)
            known = (person, number)
            self.people[nip] = known
            self.out.identities.append(known[0])
        elif name and known[0].name and name.casefold() != known[0].name.casefold():
            self.error(
                number,
                headers["asn_name"],
                "import.two-names",
                row=known[1],
                name=repr(known[0].name),
            )
            return False
        payload["subject_commitment"] = known[0].commitment
        return True


def validate_table(
    table: Table,
    kind: ImportType,
    *,
    enrolled: Iterable[SignerKeyRecord] = (),
    nips: Mapping[bytes, str] | None = None,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
    salts: StableSalts | None = None,
    header: bool = True,
) -> Validated:
    """Every row of ``table`` checked as a ``kind`` statement; all errors, in row order.

    ``enrolled`` are the registry's keys, to find a PPK by ``ppk_nip``: the NIP
    an old enrolment carries, or the one behind its ``nip_commitment`` in
    ``nips`` (commitment to NIP, from the identities table);
    ``today`` (default: today in WIB) bounds per-row dates.  Identities are
    made only for valid rows' people; nothing here touches the store.
    With ``salts`` each person's salt is derived from the NIP
    (:mod:`registry.records.salts`: the same commitment at every import), else
    drawn at random.  ``header=False`` reads rows past a header checked before
    (the later chunks of a file).
    """
    today = today or dt.datetime.now(WIB).date()
    checker = _Checker(table, kind, enrolled, today, nips or {}, salts)
    if not header or checker.check_header():
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
