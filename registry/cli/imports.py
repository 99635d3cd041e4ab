"""`registry import`: register a spreadsheet of recommendations or follow-ups, chunk by chunk.

The file is streamed in chunks of ``--chunk-size`` rows
(:mod:`registry.cli.import_run`): each chunk's rows are checked, signed here on
every core, and registered in one transaction, into the registry of this
machine's settings (no server may be running) or, with ``--server URL``,
through a running registry's ``/api/imports`` (:mod:`registry.api.imports`).
Rows the file or the registry refuses are reported with the reason; the others
stand.  Each chunk's outcome is kept in a state file beside the input, so an
interrupted import resumes where it stopped; salts derived from the NIP
(:mod:`registry.records.salts`) make a row the same statement at every
import, so importing a file again registers nothing new.

Every error and the summary are in Bahasa Indonesia when ``LANG`` (or
``LC_ALL``, ``LC_MESSAGES``) says ``id``, in English otherwise; the
``--report`` file too, unless ``--report-language`` picks its language.

:func:`sign_rows` and :func:`register_rows` register a table already read as
one all-or-nothing batch (what the benchmark of the old path and the tests of
the registry's batch refusals use).
Attached to ``registry`` with ``main.add_command(import_command)``.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, get_args

import click

from registry.cli.extras import needs_extra
from registry.cli.import_http import ServerRefused, ServerTarget
from registry.cli.import_run import (
    DEFAULT_CHUNK,
    ChunkJob,
    LocalTarget,
    refused_error,
    run_chunks,
)
from registry.cli.import_state import (
    ImportState,
    StateDamaged,
    Tally,
    refusal_error,
    state_path,
    summary,
)
from registry.cli.passphrase import passphrase_option, read_passphrase
from registry.cli.words import CliError, fail, key_file_error, language, say, words
from registry.config import ConfigError, Settings
from registry.i18n import LANGUAGES, Message, message
from registry.log.integrity import LogContradiction
from registry.records.bulk import ImportRow, RowError, Validated, day_start
from registry.records.bulk_crypto import CryptoPool
from registry.records.errors import BatchRefused, TamperedEntry, Unavailable
from registry.records.operator import keys_exist, open_keys
from registry.records.policy import SIGNER_ROLES
from registry.records.queued import Registered
from registry.records.service import RegistryService
from registry.records.sheet_stream import file_sha256
from registry.records.spreadsheet import (
    CellError,
    ImportFileError,
    ImportType,
    parse_date,
)
from registry.signing.cose import CoseSigner
from registry.signing.keys import KeyFileError, load_key

LOCAL_RECENT_ENTRIES = 1_000
"""The newest entries a local import keeps in memory (it serves no reads)."""


class ImportRefused(Exception):
    """The registry refused some rows, so none was written; ``errors`` says which and why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} rows refused by the registry; nothing imported")
        self.errors = errors


def sign_rows(
    rows: Sequence[ImportRow],
    signer: CoseSigner,
    issuer: str,
    *,
    issued_at: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[bytes]:
    """Each row signed as a statement: on its own date, else ``issued_at``, else now."""
    now = int(time.time()) if issued_at is None else issued_at
    statements = []
    for row in rows:
        statements.append(signer.sign_statement(row.payload, issuer, row.issued_at or now))
        if progress:
            progress(1)
    return statements


async def register_rows(
    service: RegistryService,
    validated: Validated,
    statements: Sequence[bytes],
    attestations: Sequence[bytes] = (),
) -> list[Registered]:
    """Keep the rows' identities, then register ``attestations`` and ``statements`` (one per
    valid row) as one batch; the rows' entries are returned.

    Raises :class:`ImportRefused` (every refused row, none written, the
    identities erased again) if the registry refuses any statement.
    """
    first = len(attestations)
    try:
        registered = await service.register_atomic(
            [*attestations, *statements], identities=validated.identities
        )
    except BatchRefused as refused:
        rows = validated.rows
        errors = [
            refused_error(validated, rows[p - first].row, r)
            if p >= first
            else refusal_error(0, "", r)
            for p, r in refused.refusals
        ]
        raise ImportRefused(sorted(errors, key=lambda e: e.row)) from refused
    return registered[first:]


async def _signer_errors(
    service: RegistryService, signer: CoseSigner, kind: ImportType
) -> list[Message]:
    key = await service.enrolled(signer.kid)
    if key is None:
        return [Message("import.key-not-enrolled", {"kid": signer.kid.hex()})]
    problems = []
    if key.role not in SIGNER_ROLES[kind]:
        roles = {"role": key.role, "type": kind, "signers": kind_role(kind)}
        problems.append(Message("import.key-wrong-role", roles))
    if key.revoked_at is not None:
        problems.append(Message("import.key-revoked", {"entry": key.revocation_idx}))
    return problems


def _registry_errors(service: RegistryService) -> list[Message]:
    if not service.is_sequencer:
        return [Message("import.not-sequencer")]
    return []


def kind_role(kind: ImportType) -> Message:
    """Who signs ``kind`` (as the registration policy says), in words."""
    roles = sorted(SIGNER_ROLES[kind])
    if len(roles) == 1:
        return Message("import.role", {"role": roles[0]})
    return Message("import.roles", {"roles": ", ".join(roles[:-1]), "last": roles[-1]})


def _issued_at(value: str | None) -> int | None:
    if value is None:
        return None
    if value.isdigit() and len(value) > 8:
        return int(value)
    try:
        return day_start(parse_date(value))
    except CellError as exc:
        said = say("import.issued-at", reason=words(exc.message))
        raise click.BadParameter(said, param_hint="--issued-at") from exc


async def _local(settings: Settings, job: ChunkJob, state: ImportState, bar: Progress) -> Tally:
    """The import into the registry of ``settings``, opened here (it must sequence)."""
    if not keys_exist(settings.data_dir):
        raise fail("import.no-registry", path=str(settings.data_dir))
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    service = await RegistryService.open(settings, keys)
    # This process serves no reads: keep no window of the newest entries in memory (the
    # 100,000 a server keeps would be most of an import's resident set).
    service.recent.limit = LOCAL_RECENT_ENTRIES
    try:
        problems = [
            RowError.of(0, "--key", p) for p in await _signer_errors(service, job.signer, job.kind)
        ]
        problems += [RowError.of(0, "", p) for p in _registry_errors(service)]
        if problems:
            state.tally.general += problems
            return state.tally
        pool = CryptoPool()
        try:
            target = await LocalTarget.open(service, pool, job)
            return await run_chunks(target, job, state, pool, bar, _started_over)
        finally:
            pool.close()
    finally:
        await service.close()


async def _remote(url: str, job: ChunkJob, state: ImportState, bar: Progress) -> Tally:
    """The import into the registry running at ``url``."""
    target = ServerTarget(url, job.signer)
    pool = CryptoPool()
    try:
        return await run_chunks(target, job, state, pool, bar, _started_over)
    finally:
        pool.close()
        await target.close()


def _started_over(index: int) -> None:
    """Say that an earlier run's chunks are sent again: the log lost what they registered."""
    click.echo(say("import.started-over", index=index), err=True)


Progress = Callable[[int], None]


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--type",
    "kind",
    type=click.Choice(get_args(ImportType)),
    required=True,
    help="What the rows are.",
)
@click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The signer's key file (`registry keygen`).",
)
@passphrase_option
@click.option("--issuer", help="CWT issuer (default: the key's kid in hex).")
@click.option("--issued-at", help="Signing date for rows without a `tanggal` (default: now).")
@click.option("--sheet", help="The XLSX sheet (default: the one with the type's columns).")
@click.option("--encoding", help="The CSV's encoding (default: UTF-8, with or without BOM).")
@click.option("--dry-run", is_flag=True, help="Validate only; sign and register nothing.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report (rows, columns, entries, reasons) as CSV.",
)
@click.option(
    "--report-language",
    type=click.Choice(LANGUAGES),
    help="The report file's language (default: the command's, from LANG: id or en).",
)
@click.option(
    "--server",
    metavar="URL",
    help="Import through the registry running at URL (default: the local registry, stopped).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(1, 5000),
    default=DEFAULT_CHUNK,
    show_default=True,
    help="Rows registered per transaction.",
)
@click.option("--restart", is_flag=True, help="Forget an interrupted run's state; start over.")
def import_command(
    file: Path,
    kind: ImportType,
    key_path: Path,
    passphrase_file: Path | None,
    issuer: str | None,
    issued_at: str | None,
    sheet: str | None,
    encoding: str | None,
    dry_run: bool,
    report: Path | None,
    report_language: str | None,
    server: str | None,
    chunk_size: int,
    restart: bool,
) -> None:
    """Register a CSV or XLSX file of recommendations or follow-ups, chunk by chunk.

    Rows that are refused are reported; the others stand. An interrupted import
    resumes where it stopped; importing a file again registers nothing new.
    Exits 0 when every row was imported (or, with --dry-run, is valid), 1 otherwise.
    """
    settings = None
    if server is None:
        try:
            settings = Settings.from_env()
        except ConfigError as exc:
            raise fail("cli.config", detail=str(exc)) from exc
    try:
        signer = CoseSigner(load_key(key_path, read_passphrase(passphrase_file)))
    except KeyFileError as exc:
        raise key_file_error(exc, key_path) from exc
    given = _issued_at(issued_at)
    describe: dict[str, Any] = {
        "version": 1,
        "file_sha256": file_sha256(file),
        "type": kind,
        "chunk_size": chunk_size,
        "issued_at": given,
        "target": server or _local_target(settings),
        "now": int(time.time()),
    }
    path = state_path(file)
    if dry_run:
        path = path.with_name(path.name + ".dry-run")
    if restart or dry_run:
        path.unlink(missing_ok=True)
    state = ImportState(path, describe)
    try:
        state.open()
    except StateDamaged as exc:
        raise CliError(exc.message) from exc
    if state.resumed_from:
        click.echo(say("import.resuming", chunks=state.resumed_from), err=True)
    job = ChunkJob(
        file,
        kind,
        signer,
        issuer or signer.kid.hex(),
        given if given is not None else int(state.describe["now"]),
        chunk_size,
        sheet,
        encoding,
        dry_run,
    )
    try:
        tally = _run(job, state, settings, server)
    finally:
        state.close()
    lang = language()
    if report is not None:
        state.write_report(report, report_language or lang)
    _print(tally, dry_run, lang)
    state.finish()
    if tally.refused or tally.general:
        sys.exit(1)


def _run(job: ChunkJob, state: ImportState, settings: Settings | None, server: str | None) -> Tally:
    """Run the import; what it did (problems that stop it raise, the state file kept)."""
    try:
        with (
            needs_extra("xlsx", "registry import of an .xlsx workbook"),
            click.progressbar(
                length=max(1, _lines(job.path)),
                label=say("import.importing"),
                file=sys.stderr,
                hidden=not sys.stderr.isatty(),
            ) as bar,
        ):
            if server is not None:
                return asyncio.run(_remote(server, job, state, bar.update))
            assert settings is not None
            return asyncio.run(_local(settings, job, state, bar.update))
    except KeyFileError as exc:
        raise key_file_error(exc, Path(settings.data_dir if settings else job.path)) from exc
    except ImportFileError as exc:
        state.tally.general.append(RowError.of(0, "", exc.message))
        return state.tally
    except Unavailable as exc:
        state.close()
        raise fail("import.unavailable", detail=words(exc.detail_text)) from exc
    except ServerRefused as exc:
        state.close()
        raise CliError(exc.message) from exc
    except (LogContradiction, TamperedEntry) as exc:  # a rolled-back or edited database
        state.close()  # (docs/guarantees.md): kept, for a run on the database restored
        raise CliError(exc.message) from exc


def _print(tally: Tally, dry_run: bool, lang: str) -> None:
    lines = summary(tally, lang)
    if dry_run and not tally.refused and not tally.general:
        lines = [message("import.dry-run", lang, rows=tally.rows), *lines[1:]]
    for line in lines:
        click.echo(line)


def _local_target(settings: Settings | None) -> str:
    """The local registry as the state file names it: its database, without the URL's secrets."""
    url = settings.database_url if settings is not None else ""
    return "local:" + hashlib.sha256(url.encode()).hexdigest()[:16]


def _lines(path: Path) -> int:
    """About how many rows a file has (its lines, for the progress bar; 0 for a workbook)."""
    if path.suffix.lower() not in {".csv", ".txt", ".tsv"}:
        return 0
    count = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count
