"""Import spreadsheets read as a stream: the header first, then the rows a few at a time.

:func:`registry.records.spreadsheet.read_table` holds a whole file (and every
row of it) in memory; a national import of a million rows must not.
:func:`open_rows` reads the same files the same way (CSV in UTF-8 with or
without BOM, UTF-16 with BOM or a given encoding, ``,``/``;``/tab detected
from the header line; an XLSX sheet chosen the same way) but yields the
numbered non-empty rows one by one, and :func:`chunks` groups them into
:class:`~registry.records.spreadsheet.Table` s of at most ``size`` rows that
share the file's header, so memory holds one chunk, whatever the file's size.
Problems are the same :class:`ImportFileError` s, raised when met.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import zipfile
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from registry.i18n import DEFAULT_LANGUAGE, Message, render
from registry.records.spreadsheet import (
    Cell,
    ImportFileError,
    ImportType,
    Table,
    _cell,
    _delimiter,
    _text,
    choose_sheet,
    present,
)

HEAD_CHARS = 1 << 16
"""Text read ahead to find the header line and its separator."""
READ_BLOCK = 1 << 20


@dataclass
class Rows:
    """A file's header and its rows, read as they are asked for."""

    source: str
    header_row: int
    header: list[str]
    rows: Iterator[tuple[int, list[Cell]]]


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file at ``path`` (hex), read a block at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def chunks(rows: Rows, size: int) -> Iterator[Table]:
    """``rows`` as tables of at most ``size`` rows, each with the file's header."""
    while batch := list(itertools.islice(rows.rows, size)):
        yield Table(rows.source, rows.header_row, rows.header, batch)


@contextmanager
def open_rows(
    path: Path, kind: ImportType, *, sheet: str | None = None, encoding: str | None = None
) -> Iterator[Rows]:
    """The rows of the CSV or XLSX file at ``path``, read while the context is open."""
    name = path.name
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix == "xls":
        raise ImportFileError("file.xls", name=name)
    if suffix in {"xlsx", "xlsm"}:
        with _xlsx_rows(path, kind, sheet) as found:
            yield found
        return
    if suffix not in {"csv", "txt", "tsv"}:
        raise ImportFileError("file.not-csv-or-xlsx", name=name)
    with path.open("rb") as handle, _text_stream(name, handle, encoding) as text:
        read = _csv_rows(name, text, encoding)
        try:
            yield _numbered(name, read)
        finally:
            read.close()


def _csv_rows(
    name: str, text: io.TextIOWrapper, encoding: str | None
) -> Generator[list[Cell], None, None]:
    lines = _LineCounter(text)
    try:
        head = text.read(HEAD_CHARS) + text.readline()
    except UnicodeDecodeError as exc:
        raise _not_decoded(name, exc, encoding, 1) from exc
    delimiter = _delimiter(head)
    reader = csv.reader(itertools.chain(io.StringIO(head, newline=""), lines), delimiter=delimiter)
    try:
        yield from reader
    except UnicodeDecodeError as exc:
        raise _not_decoded(name, exc, encoding, reader.line_num + 1) from exc
    except csv.Error as exc:
        raise ImportFileError("file.bad-csv", name=name, error=str(exc)) from exc


class _LineCounter:
    """The lines of a text stream (an iterator csv.reader reads)."""

    def __init__(self, text: io.TextIOBase) -> None:
        self.text = text

    def __iter__(self) -> Iterator[str]:
        return iter(self.text.readline, "")


def _text_stream(name: str, handle: BinaryIO, encoding: str | None) -> io.TextIOWrapper:
    if encoding is not None:
        chosen = "utf-8-sig" if encoding.lower() in {"utf-8", "utf8"} else encoding
        try:
            codecs.lookup(chosen)
        except LookupError as exc:
            raise ImportFileError(
                "file.bad-encoding", name=name, encoding=encoding, error=str(exc)
            ) from exc
    else:
        first = handle.read(2)
        handle.seek(0)
        chosen = "utf-16" if first in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    return io.TextIOWrapper(handle, encoding=chosen, newline="")


def _not_decoded(
    name: str, exc: UnicodeDecodeError, encoding: str | None, line: int
) -> ImportFileError:
    if encoding is not None:
        return ImportFileError("file.bad-encoding", name=name, encoding=encoding, error=str(exc))
    return ImportFileError(
        "file.not-utf8", name=name, byte=f"{exc.object[exc.start]:02x}", line=line
    )


def _numbered(source: Any, rows: Iterable[list[Cell]]) -> Rows:
    """The header (first non-empty row) and an iterator of the numbered non-empty rows after it."""
    numbered = ((i, r) for i, r in enumerate(rows, start=1) if any(present(c) for c in r))
    first = next(numbered, None)
    if first is None:
        raise ImportFileError("file.empty", source=source)
    header_row, header = first
    peeked = next(numbered, None)
    if peeked is None:
        raise ImportFileError("file.no-rows", source=source, row=header_row)
    names = [_text(c) if present(c) else "" for c in header]
    text = render(source, DEFAULT_LANGUAGE) if isinstance(source, Message) else str(source)
    return Rows(text, header_row, names, itertools.chain([peeked], numbered))


@contextmanager
def _xlsx_rows(path: Path, kind: ImportType, sheet: str | None) -> Iterator[Rows]:
    import openpyxl  # noqa: PLC0415 (optional: the `xlsx` extra)
    from openpyxl.utils.exceptions import InvalidFileException  # noqa: PLC0415

    name = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise ImportFileError("file.bad-xlsx", name=name, error=str(exc)) from exc
    try:
        sheet = choose_sheet(book, name, kind, sheet)
        cells = ([_cell(c) for c in r] for r in book[sheet].iter_rows(values_only=True))
        yield _numbered(Message("file.sheet", {"name": name, "sheet": repr(sheet)}), cells)
    finally:
        book.close()
