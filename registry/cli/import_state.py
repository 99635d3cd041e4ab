"""What a chunked import has done so far: a state file beside the input, and the report from it.

``<file>.import-state`` holds one JSON line describing the import (the input's
SHA-256, the type, the chunk size, the signing time of undated rows, where
to), then one line per chunk finished: its rows' entries and its refused
rows.  A run that finds a state file of the same import skips the chunks it
lists (an interrupted import resumes where it stopped); one of another
import (the file changed, another chunk size...) is started over.  A chunk's
line is written once its registration committed, so a chunk interrupted
before that is simply sent again: registration is idempotent, and the rows
it did write come back as ``existed``.

The counts are kept as the lines come; the report is written from the file
at the end, so neither needs the whole import in memory.  Resuming reads the
file a line at a time too and keeps only which chunks are done (a bitmap)
and the counts, so its memory does not grow with the rows recorded.  A torn
last line (the run was killed while writing it) is dropped, and its chunk
sent again; any other line that cannot be read stops the import with
:class:`StateDamaged` rather than send again, silently, what it recorded.
The state file is removed once every chunk is done and the report written.
"""

from __future__ import annotations

import csv
import json
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import IO, Any

from registry.compliance.export import safe_cell
from registry.i18n import Message, message
from registry.records.bulk import RowError
from registry.records.import_wire import WireError, errors_data
from registry.records.import_wire import errors_of as wire_errors_of
from registry.verify.statement import statement_content

SUFFIX = ".import-state"
SHOWN_ERRORS = 50
REPORT_COLUMNS = ("row", "column", "entry", "reason")


def state_path(input_path: Path) -> Path:
    """Where the state of importing ``input_path`` is kept: beside it."""
    return input_path.with_name(input_path.name + SUFFIX)


@dataclass
class Tally:
    """Counts of an import so far, and the first errors (the report has them all)."""

    rows: int = 0
    new: int = 0
    existed: int = 0
    identities: int = 0
    first: int | None = None
    last: int | None = None
    refused: int = 0
    """How many rows were refused (a row's errors all come in its chunk's line)."""
    shown: list[RowError] = field(default_factory=list)
    general: list[RowError] = field(default_factory=list)

    def add(self, chunk: dict[str, Any]) -> None:
        """Count one chunk's line."""
        self.rows += int(chunk.get("rows", 0))
        self.identities += int(chunk.get("identities", 0))
        for _row, index, existed in chunk.get("registered", []):
            if existed:
                self.existed += 1
                continue
            self.new += 1
            self.first = index if self.first is None else min(self.first, index)
            self.last = index if self.last is None else max(self.last, index)
        refused: set[int] = set()  # this chunk's rows only
        for error in errors_of(chunk):
            if error.row == 0:
                self.general.append(error)
                continue
            refused.add(error.row)
            if len(self.shown) < SHOWN_ERRORS:
                self.shown.append(error)
        self.refused += len(refused)


def error_data(error: RowError) -> list[Any]:
    """A row error as a JSON-ready list (its reason as a message, for every language)."""
    return errors_data([error])[0]


def errors_of(chunk: dict[str, Any]) -> list[RowError]:
    """The row errors of a chunk's line."""
    return wire_errors_of(chunk.get("errors", []))


def _record(line: bytes) -> dict[str, Any] | None:
    """A state file's line as JSON (None if it is not a JSON object)."""
    try:
        found = json.loads(line)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
    return found if isinstance(found, dict) else None


def _same_import(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether a state file's first line describes the import ``wanted`` (whenever it began)."""
    return all(found.get(k) == v for k, v in wanted.items() if k != "now")


@dataclass(frozen=True)
class NewestEntry:
    """An entry a state file says stands for one of its rows, and how to know it again.

    ``digest`` is the SHA-256 of the entry's statement for an entry the import added, or
    (``of_content``) of what the row's signature covers for one it found in the log: that
    entry may hold the same content in another statement.
    """

    CONTENT = "content"

    index: int
    digest: bytes
    of_content: bool = False

    @classmethod
    def of(cls, value: Any) -> NewestEntry:
        """From a state file line's ``[index, hex digest]`` or ``[index, hex, "content"]``
        (ValueError or TypeError if malformed)."""
        index, digest, *what = value
        if what not in ([], [cls.CONTENT]):
            raise ValueError(f"newest entry {value!r}")
        found = cls(int(index), bytes.fromhex(digest), bool(what))
        if found.index < 0 or len(found.digest) != 32:
            raise ValueError(f"newest entry {value!r}")
        return found

    def is_held_in(self, statement: bytes | None) -> bool:
        """Whether ``statement`` (the log's entry at :attr:`index`, None if it has none) is
        this entry: compute its digest, then compare."""
        if statement is None:
            return False
        found = statement_content(statement) if self.of_content else sha256(statement).digest()
        return found == self.digest


class StateDamaged(Exception):
    """A line of a state file that cannot be read (not one torn by a kill): resuming
    from it would send again, unreported, chunks it recorded."""

    def __init__(self, path: Path, line: int) -> None:
        self.message = Message("import.state-damaged", {"path": str(path), "line": line})
        super().__init__(f"{path}: line {line} is not a chunk's record")


class Chunks:
    """A set of chunk numbers as a bitmap: a bit per chunk, whatever the rows recorded."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self._count = 0

    def add(self, number: int) -> None:
        """Mark chunk ``number`` (ValueError if negative)."""
        if number < 0:
            raise ValueError(f"chunk {number}")
        byte, bit = divmod(number, 8)
        if byte >= len(self.bits):
            self.bits.extend(bytes(byte + 1 - len(self.bits)))
        if not self.bits[byte] >> bit & 1:
            self.bits[byte] |= 1 << bit
            self._count += 1

    def __contains__(self, number: object) -> bool:
        if not isinstance(number, int) or number < 0:
            return False
        byte, bit = divmod(number, 8)
        return byte < len(self.bits) and bool(self.bits[byte] >> bit & 1)

    def __len__(self) -> int:
        return self._count


class ImportState:
    """The state file of one import: what is done, counted, and appended to as chunks finish."""

    def __init__(self, path: Path, describe: dict[str, Any]) -> None:
        self.path = path
        self.describe = describe
        self.done = Chunks()
        self.tally = Tally()
        self.resumed_from = 0
        self.newest: NewestEntry | None = None
        """The newest entry standing for a row of the chunks done: a resumed import first
        checks that the log still holds it (:meth:`start_over` if not)."""
        self._handle: IO[str] | None = None

    def open(self) -> None:
        """Read what an earlier run of this import did (a line at a time, keeping the
        chunks done and the counts), then open the file to add chunks.

        Raises :class:`StateDamaged` for a line that cannot be read, other than a
        torn last one (which is cut off: its chunk is sent again)."""
        if not (self.path.exists() and self._resume()):
            self.path.write_text(json.dumps(self.describe) + "\n", encoding="utf-8")
        self._handle = self.path.open("a", encoding="utf-8")

    def _resume(self) -> bool:
        """Count the chunks of the state file if it describes this import (False if not)."""
        with self.path.open("rb") as handle:
            first = handle.readline()
            if not first.endswith(b"\n"):
                return False  # killed while writing the description: nothing was sent
            found = _record(first)
            if found is None:
                raise StateDamaged(self.path, 1)
            if not _same_import(found, self.describe):
                return False
            good = handle.tell()
            number = 1
            while line := handle.readline():
                number += 1
                if not line.endswith(b"\n"):
                    break  # torn by a kill while written: that chunk is sent again
                chunk = _record(line)
                try:
                    if chunk is None or int(chunk["chunk"]) in self.done:
                        raise ValueError("not a chunk's line, or a chunk twice")
                    self.tally.add(chunk)
                    self._saw(chunk)
                    self.done.add(int(chunk["chunk"]))
                except (ValueError, KeyError, TypeError, WireError) as exc:
                    raise StateDamaged(self.path, number) from exc
                good = handle.tell()
        os.truncate(self.path, good)
        self.describe = found
        self.resumed_from = len(self.done)
        return True

    def _saw(self, chunk: dict[str, Any]) -> None:
        """Keep the chunk's newest entry if it is the newest yet (ValueError if malformed)."""
        if "newest" not in chunk:
            return
        found = NewestEntry.of(chunk["newest"])
        if self.newest is None or found.index > self.newest.index:
            self.newest = found

    def start_over(self) -> None:
        """Forget every chunk recorded (the log no longer holds what they registered): the
        whole file is sent again, its description (and so the signing time of undated rows)
        kept, so rows still in the log come back as already there."""
        self.close()
        self.path.write_text(json.dumps(self.describe) + "\n", encoding="utf-8")
        self.done = Chunks()
        self.tally = Tally()
        self.resumed_from = 0
        self.newest = None
        self._handle = self.path.open("a", encoding="utf-8")

    def _chunks_in_order(self) -> Iterator[dict[str, Any]]:
        """The chunks' lines by chunk number (several register at once, and a resumed
        import sends the missing ones last), reading one line at a time."""
        where = array("q")  # a chunk's line's offset, by chunk number (-1: none)
        with self.path.open("rb") as handle:
            handle.readline()  # the import's description
            while line := handle.readline():
                try:
                    number = int(json.loads(line)["chunk"])
                except (ValueError, KeyError, TypeError):
                    break  # a torn last line
                if number >= len(where):
                    where.extend([-1] * (number + 1 - len(where)))
                where[number] = handle.tell() - len(line)
            for offset in where:
                if offset >= 0:
                    handle.seek(offset)
                    yield json.loads(handle.readline())

    def add(self, chunk: int, line: dict[str, Any]) -> None:
        """Record chunk ``chunk`` as done (on disk before the next chunk starts)."""
        assert self._handle is not None
        line = {"chunk": chunk, **line}
        self._handle.write(json.dumps(line) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.done.add(chunk)
        self.tally.add(line)
        self._saw(line)

    def close(self) -> None:
        """Close the file (kept: the import can be resumed or reported)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def finish(self) -> None:
        """The import is done and reported: remove the state file."""
        self.close()
        self.path.unlink(missing_ok=True)

    def write_report(self, report: Path, lang: str) -> None:
        """Every row's outcome as CSV (UTF-8 with BOM, for Excel) in ``lang``, chunk by chunk."""
        self.close()
        with report.open("w", encoding="utf-8-sig", newline="") as handle:
            out = csv.writer(handle)
            out.writerow([message(f"import.report.{c}", lang) for c in REPORT_COLUMNS])
            for chunk in self._chunks_in_order():
                rows: list[tuple[int, list[Any]]] = []
                for e in errors_of(chunk):  # the column and reason quote the file: no formula
                    line = [e.row or "", safe_cell(e.column), "", safe_cell(e.reason_in(lang))]
                    rows.append((e.row, line))
                for row, index, existed in chunk.get("registered", []):
                    status = "import.status.existed" if existed else "import.status.imported"
                    rows.append((row, [row, "", index, message(status, lang)]))
                out.writerows(line for _, line in sorted(rows, key=lambda r: r[0]))


def summary(tally: Tally, lang: str) -> list[str]:
    """The summary line and the first refused rows as a table, in ``lang``."""
    parts = []
    if tally.new and tally.first is not None and tally.last is not None:
        said = message("import.imported", lang, count=tally.new, first=tally.first, last=tally.last)
        parts.append(said)
    if tally.existed:
        parts.append(message("import.existed", lang, count=tally.existed))
    bad = tally.refused
    if bad and (tally.new or tally.existed):
        parts.append(message("import.refused-rows", lang, bad=bad, rows=tally.rows))
    elif bad:
        parts.append(message("import.nothing-rejected", lang, bad=bad, rows=tally.rows))
    elif not parts:
        parts.append(message("import.nothing", lang))
    if tally.new or tally.existed:
        parts.append(message("import.identities", lang, count=tally.identities))
    lines = ["; ".join(parts)]
    lines += [f"  {e.column + ': ' if e.column else ''}{e.reason_in(lang)}" for e in tally.general]
    if tally.shown:
        head = {c: message(f"import.report.{c}", lang) for c in REPORT_COLUMNS}
        width = max(6, len(head["column"]), *(len(e.column) for e in tally.shown))
        lines.append(f"{head['row']:>6}  {head['column']:<{width}}  {head['reason']}")
        lines += [
            f"{e.row:>6}  {e.column or '-':<{width}}  {e.reason_in(lang)}" for e in tally.shown
        ]
    if bad > len(tally.shown):
        lines.append(message("import.more", lang, count=bad - len(tally.shown)))
    return lines


def refusal_error(row: int, column: str, refused: Any) -> RowError:
    """A registry refusal of ``row`` as a row error under ``column``."""
    said = Message(
        "import.refused",
        {"title": refused.title_text, "code": refused.code, "detail": refused.detail_text},
    )
    return RowError.of(row, column, said)
