"""`registry import`, chunk by chunk: read a slice of the file, prepare, sign, register, record.

The file is streamed (:mod:`registry.records.sheet_stream`) in chunks of
``--chunk-size`` rows.  Each chunk is prepared (rows checked into payloads,
commitments under the registry's stable salts), signed here on every core
(:class:`~registry.records.bulk_crypto.CryptoPool`), and registered atomically
(:mod:`registry.records.import_chunks`), by a :class:`Target`: the registry in
``REGISTRY_DATABASE_URL`` opened in this process (:class:`LocalTarget`, no
server may run), or a running registry over HTTP
(:class:`registry.cli.import_http.ServerTarget`, ``--server URL``).  After each
chunk its outcome is on disk in the state file
(:mod:`registry.cli.import_state`), so an interrupted import resumes there.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization

from registry.cli.import_state import (
    ImportState,
    NewestEntry,
    Tally,
    error_data,
    refusal_error,
)
from registry.records.attest import ATTESTING_ROLES, attest
from registry.records.bulk import RowError, Validated, validate_table
from registry.records.bulk_crypto import CryptoPool
from registry.records.errors import RegistrationRefused
from registry.records.import_chunks import (
    SignedRow,
    Turn,
    Verified,
    prepare_chunk,
    prepared_rows,
    register_chunk,
    verify_chunk,
)
from registry.records.salts import StableSalts, load_salts
from registry.records.service import RegistryService
from registry.records.sheet_stream import chunks, open_rows
from registry.records.spreadsheet import ImportType, Table
from registry.signing.cose import CoseSigner
from registry.verify.statement import statement_content

DEFAULT_CHUNK = 1000
IN_FLIGHT = 3
"""Chunks being registered at once: the sequencer admits one while the one before is
written, and the next is on its way (verified, or sent over HTTP)."""
Ahead = asyncio.Future[Verified]
"""A chunk's verification under way (:meth:`Target.verify_ahead`)."""

REFUSAL_FIELDS = {
    "outside-term": "date",
    "future-statement": "date",
    "ppk-not-in-office": "ppk_kid",
}
"""Refusals whose reason names no field, and the field (so the column) they are about."""


@dataclass(frozen=True)
class PreparedRow:
    """A valid row: its number, the payload to sign, its day (or None), the person it names."""

    row: int
    payload: dict[str, Any]
    issued_at: int | None
    nip: str | None
    name: str | None


@dataclass
class Prepared:
    """A chunk prepared: its valid rows, and the errors of the others."""

    rows: list[PreparedRow]
    errors: list[RowError]


@dataclass
class RegisteredChunk:
    """A chunk registered: (row, entry, existed), refusals (row, why), other errors, identities."""

    registered: list[tuple[int, int, bool]]
    refused: list[tuple[int, RegistrationRefused]]
    errors: list[RowError]
    identities: int


class Target(Protocol):
    """Where a chunked import goes: prepares and registers chunks."""

    async def prepare(self, table: Table, kind: ImportType) -> Prepared:
        """The chunk's rows checked into payloads to sign (header checked before)."""
        ...

    async def register(
        self,
        kind: ImportType,
        rows: Sequence[SignedRow],
        ahead: Ahead | None = None,
        turn: Turn | None = None,
    ) -> RegisteredChunk:
        """The chunk's statements registered, atomically (refused rows set aside); handed to
        the sequencer in ``turn`` (after the chunk before it), where the target can."""
        ...

    def verify_ahead(self, rows: Sequence[SignedRow]) -> Ahead | None:
        """Start verifying a chunk while the one before it is registered (None: the
        target verifies when it registers)."""
        ...

    async def statement_at(self, index: int) -> bytes | None:
        """The statement of the log's entry ``index`` as the registry vouches for it (None if
        the log has no such entry)."""
        ...


class LocalTarget:
    """The registry of this machine's settings, opened in this process (it must sequence)."""

    def __init__(
        self, service: RegistryService, salts: StableSalts, pool: CryptoPool, job: ChunkJob
    ) -> None:
        self.service, self.salts, self.pool, self.job = service, salts, pool, job
        self._own = False
        """Whether the rows' signer may attest (read before each chunk)."""

    @classmethod
    async def open(cls, service: RegistryService, pool: CryptoPool, job: ChunkJob) -> LocalTarget:
        """The target for ``service`` (its salts read or made)."""
        salts = await load_salts(service.get_meta, service.put_meta)
        return cls(service, salts, pool, job)

    async def prepare(self, table: Table, kind: ImportType) -> Prepared:
        """See :class:`Target`."""
        validated = await prepare_chunk(
            self.service, table, kind, self.salts, self.pool, header=False
        )
        return Prepared([PreparedRow(*r) for r in prepared_rows(validated)], validated.errors)

    async def register(
        self,
        kind: ImportType,
        rows: Sequence[SignedRow],
        ahead: Ahead | None = None,
        turn: Turn | None = None,
    ) -> RegisteredChunk:
        """See :class:`Target`."""
        verified = await ahead if ahead is not None else None
        key = await self.service.enrolled(self.job.signer.kid)
        self._own = key is not None and key.role in ATTESTING_ROLES
        done = await register_chunk(
            self.service, rows, self.salts, self.pool, self._attest, verified, turn
        )
        registered = [(row, r.index, r.existed) for row, r in done.registered]
        return RegisteredChunk(registered, done.refused, done.errors, done.identities)

    def verify_ahead(self, rows: Sequence[SignedRow]) -> Ahead | None:
        """See :class:`Target`: on this registry's workers, while it registers the chunk
        before (the sequencer then only admits it)."""
        return asyncio.ensure_future(verify_chunk(self.service, self.pool, rows))

    async def statement_at(self, index: int) -> bytes | None:
        """See :class:`Target`: read through the registry's checked reads."""
        if not 0 <= index < self.service.size:
            return None
        return await self.service.statement(index)

    def _attest(self, statements: Sequence[bytes]) -> list[bytes]:
        """Signed by the rows' signer if its role may attest, else by the operator's admin key."""
        job, service, own = self.job, self.service, self._own
        return attest(
            statements,
            job.signer if own else service.keys.admin,
            job.issuer if own else "operator",
            source=f"registry import {job.path.name}",
            reason=f"history loaded in bulk: {len(statements)} rows of {job.kind}",
            now_s=int(time.time()),
            max_age_s=service.settings.max_statement_age_hours * 3600,
        )


@dataclass(frozen=True)
class ChunkJob:
    """One chunked import, as the command line gave it."""

    path: Path
    kind: ImportType
    signer: CoseSigner
    issuer: str
    issued_at: int
    chunk_size: int = DEFAULT_CHUNK
    sheet: str | None = None
    encoding: str | None = None
    dry_run: bool = False


def _private_bytes(signer: CoseSigner) -> bytes:
    key = signer._key
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def _headers(table: Table, kind: ImportType) -> Validated:
    """The file's column names by field (to put a refusal under its column)."""
    return validate_table(Table(table.source, table.header_row, table.header, []), kind)


def refused_error(headers: Validated, row: int, refused: RegistrationRefused) -> RowError:
    """The registry's refusal of ``row``, under the column of the file it is about."""
    column = headers.headers.get(REFUSAL_FIELDS.get(refused.code, ""), "")
    column = column or headers.column_for(refused.detail, refused.title)
    return refusal_error(row, column, refused)


async def run_chunks(
    target: Target,
    job: ChunkJob,
    state: ImportState,
    pool: CryptoPool,
    progress: Callable[[int], None] = lambda _: None,
    started_over: Callable[[int], None] = lambda _: None,
) -> Tally:
    """Import ``job``'s file through ``target``, skipping the chunks ``state`` has done.

    Unless the log no longer holds the newest entry those chunks added (its database was
    restored from an older backup, or replaced): then nothing the state file says can be
    trusted, every chunk is sent again and ``started_over`` is told that entry's index.

    Pipelined: while chunks are being registered (up to :data:`IN_FLIGHT` at
    once, each in its own transaction), the next is read, prepared, signed and
    (locally) verified, so the workers and the sequencer work at the same time
    and the sequencer admits a chunk while the one before it is written.
    Each chunk is handed to the sequencer only once the one before it is
    appended (:class:`~registry.records.import_chunks.Turn`), so a file's
    entries follow its rows whichever chunk's checks end first (through
    a running registry's HTTP, chunks sent at once may be logged in any order).
    Chunks are recorded in the state file in order, each once it is
    registered; if one fails, those in flight are let end and recorded before
    the error is raised, so a resumed import sends again exactly the chunks
    that are not recorded (rows in the log already come back as such).
    """
    await _trusted_or_started_over(target, state, started_over)
    private = _private_bytes(job.signer)
    flying: deque[tuple[int, asyncio.Task[dict[str, Any]]]] = deque()
    verifying: Ahead | None = None
    turn: Turn | None = None  # the last chunk's: the next one is logged after it

    async def register(
        size: int,
        errors: list[RowError],
        signed: list[SignedRow],
        ahead: Ahead | None,
        turn: Turn,
    ) -> dict[str, Any]:
        line: dict[str, Any] = {"rows": size, "registered": [], "identities": 0}
        if signed:
            done = await target.register(job.kind, signed, ahead, turn)
            line["registered"] = [list(r) for r in done.registered]
            line["identities"] = done.identities
            line.update(newest_registered(signed, done.registered))
            errors += done.errors + [refused_error(headers, row, r) for row, r in done.refused]
        line["errors"] = [error_data(e) for e in sorted(errors, key=lambda e: e.row)]
        return line

    async def record_first() -> None:
        number, task = flying.popleft()
        line = await task
        state.add(number, line)
        progress(line["rows"])

    try:
        with open_rows(job.path, job.kind, sheet=job.sheet, encoding=job.encoding) as rows:
            for number, table in enumerate(chunks(rows, job.chunk_size)):
                if number == 0:
                    headers = _headers(table, job.kind)
                    if headers.errors:
                        line = {"rows": 0, "errors": [error_data(e) for e in headers.errors]}
                        state.add(number, line)
                        return state.tally
                if number in state.done:
                    progress(len(table.rows))
                    continue
                prepared = await target.prepare(table, job.kind)
                signed: list[SignedRow] = []
                if prepared.rows and not job.dry_run:
                    signed = await _signed(job, pool, private, prepared)
                    verifying = target.verify_ahead(signed)  # while the chunks before register
                while len(flying) >= IN_FLIGHT or (flying and flying[0][1].done()):
                    await record_first()
                turn = Turn(turn)
                work = _then_next(
                    turn, register(len(table.rows), list(prepared.errors), signed, verifying, turn)
                )
                flying.append((number, asyncio.create_task(work)))
                verifying = None
            while flying:
                await record_first()
    finally:
        await _land(flying, state)
        if verifying is not None:  # a chunk verified but never sent
            verifying.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await verifying
    return state.tally


def newest_registered(
    signed: Sequence[SignedRow], registered: Sequence[tuple[int, int, bool]]
) -> dict[str, list[Any]]:
    """The chunk's newest entry standing for one of its rows, as ``{"newest": [index,
    digest]}`` for its state file line (empty if none stands): a resumed import checks that
    the log still holds it (:attr:`ImportState.newest`).

    For an entry this import added, the digest is its statement's SHA-256; for one it found
    already in the log, ``[index, digest, "content"]`` with the SHA-256 of what the row's
    signature covers, since that entry may hold the same content in another statement.  A
    log restored from a backup older than either is caught, whether it lost rows this
    import added or rows it found there.
    """
    if not registered:
        return {}
    row, index, existed = max(registered, key=lambda r: r[1])
    statement = next(s.statement for s in signed if s.row == row)
    if existed:
        content = statement_content(statement)
        if content is None:  # not a statement this import signed: nothing to check by
            return {}
        return {"newest": [index, content.hex(), NewestEntry.CONTENT]}
    return {"newest": [index, hashlib.sha256(statement).hexdigest()]}


async def _trusted_or_started_over(
    target: Target, state: ImportState, started_over: Callable[[int], None]
) -> None:
    """Keep the chunks ``state`` says are done only if the log still holds the newest entry
    standing for their rows; else forget them (and say which entry is missing)."""
    newest = state.newest
    if newest is not None and not newest.is_held_in(await target.statement_at(newest.index)):
        started_over(newest.index)
        state.start_over()


async def _then_next(turn: Turn, work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """A chunk's ``work``; however it ends, the chunk after it may then go."""
    try:
        return await work
    finally:
        turn.done()


async def _signed(
    job: ChunkJob, pool: CryptoPool, private: bytes, prepared: Prepared
) -> list[SignedRow]:
    """The chunk's prepared rows signed by the import's key (on every core)."""
    jobs = [(r.payload, r.issued_at or job.issued_at) for r in prepared.rows]
    statements = await pool.sign(private, job.issuer, jobs)
    return [
        SignedRow(r.row, s, r.nip, r.name) for r, s in zip(prepared.rows, statements, strict=True)
    ]


async def _land(
    flying: deque[tuple[int, asyncio.Task[dict[str, Any]]]], state: ImportState
) -> None:
    """Interrupted (an error, a cancellation): let the chunks in flight end, and record
    those registered, so that none registered goes unrecorded.  Cancelled again while
    waiting, they are cancelled (a resumed import then finds their rows as existing)."""
    if not flying:
        return
    tasks = [task for _, task in flying]
    try:
        await asyncio.wait(tasks)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        raise
    finally:
        for number, task in flying:
            if task.done() and not task.cancelled() and task.exception() is None:
                state.add(number, task.result())
        flying.clear()
