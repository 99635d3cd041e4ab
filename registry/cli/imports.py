"""`registry import`: register a spreadsheet of recommendations or follow-ups, all or nothing.

The file is read (:mod:`registry.records.spreadsheet`) and every row validated
(:mod:`registry.records.bulk`); if any row is wrong nothing is signed and the
report lists each bad row, column and reason. Otherwise the rows are signed
with the given key and registered as one batch in one transaction
(:meth:`RegistryService.register_atomic`): if the registry refuses any of them
(an unknown recommendation, a key outside its term...), nothing is written and
the refusals are reported the same way.

The ASN's personal data (NIP, name, salt) are kept in the identities table,
never in the log.  They are written first, in their own transactions, and
erased again, all in one transaction (leaving only the commitment, as after
any erasure), if the batch is then refused; so a logged commitment always has
its identity behind it.
Attached to ``registry`` with ``main.add_command(import_command)``.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import click

from registry.cli.passphrase import passphrase_option, read_passphrase
from registry.config import ConfigError, Settings
from registry.i18n import language_from_env
from registry.log.integrity import LogContradiction
from registry.records.bulk import ImportRow, RowError, Validated, day_start, validate_table
from registry.records.errors import BatchRefused, RegistrationRefused, Unavailable
from registry.records.operator import keys_exist, open_keys
from registry.records.policy import SIGNER_ROLES
from registry.records.registration import Registered
from registry.records.service import RegistryService
from registry.records.spreadsheet import ImportFileError, ImportType, parse_date, read_table
from registry.signing.cose import CoseSigner
from registry.signing.keys import KeyFileError, load_key
from registry.store.repository import Store

IDENTITY_CHUNK = 5_000
"""Identities per insert: PostgreSQL takes at most 32,767 parameters in one statement."""
SHOWN_ERRORS = 50
"""Rejected rows printed; the ``--report`` file has them all."""

_REFUSAL_FIELDS = {
    "outside-term": "date",
    "future-statement": "date",
    "ppk-not-in-office": "ppk_kid",
}
"""Refusals whose reason names no field, and the field (so the column) they are about."""


class ImportRefused(Exception):
    """The registry refused some rows, so none was written; ``errors`` says which and why."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} rows refused by the registry; nothing imported")
        self.errors = errors


@dataclass
class Outcome:
    """What an import did: rows read, entries made (row, registered), or why not."""

    rows: int = 0
    registered: list[tuple[int, Registered]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    identities: int = 0


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


def _refusal_error(validated: Validated, row: ImportRow, refused: RegistrationRefused) -> RowError:
    column = validated.headers.get(_REFUSAL_FIELDS.get(refused.code, ""), "")
    column = column or validated.column_for(refused.detail, refused.title)
    return RowError(row.row, column, f"{refused.title} ({refused.code}): {refused.detail}")


async def _forget(store: Store, commitments: Sequence[bytes]) -> None:
    """Erase the identities an import added before its batch was refused, in one transaction."""
    if commitments:
        await store.erase_identities(commitments, now_ms=time.time_ns() // 1_000_000)


async def register_rows(
    service: RegistryService, validated: Validated, statements: Sequence[bytes]
) -> list[Registered]:
    """Keep the rows' identities, then register ``statements`` (one per valid row) as one batch.

    Raises :class:`ImportRefused` (every refused row, none written, the
    identities erased again) if the registry refuses any statement.
    """
    store, identities = service.store, validated.identities
    added: list[bytes] = []
    try:
        for start in range(0, len(identities), IDENTITY_CHUNK):
            chunk = identities[start : start + IDENTITY_CHUNK]
            await store.put_identities(chunk)
            added.extend(i.commitment for i in chunk)
        return await service.register_atomic(statements)
    except BatchRefused as refused:
        await _forget(store, added)
        rows = validated.rows
        errors = [_refusal_error(validated, rows[p], r) for p, r in refused.refusals]
        raise ImportRefused(sorted(errors, key=lambda e: e.row)) from refused
    except Exception:
        first = [hashlib.sha256(statements[0]).digest()] if statements else []
        if not await store.find_indexes_by_statement_sha256(first):
            await _forget(store, added)
        raise


def _signer_errors(service: RegistryService, signer: CoseSigner, kind: ImportType) -> list[str]:
    key = service.directory.get(signer.kid)
    if key is None:
        return [f"the key {signer.kid.hex()} is not enrolled in this registry"]
    problems = []
    if key.role not in SIGNER_ROLES[kind]:
        problems.append(
            f"the key is enrolled as {key.role}; a {kind} is signed by a {kind_role(kind)}"
        )
    if key.revoked_at is not None:
        problems.append(f"the key was revoked by entry {key.revocation_idx}")
    return problems


def _registry_errors(service: RegistryService) -> list[str]:
    if not service.is_sequencer:
        return [
            "another process (a running `registry serve`) sequences this log, and an import"
            " must run where the log is sequenced: stop it for the import"
        ]
    return []


def kind_role(kind: ImportType) -> str:
    """Who signs ``kind`` (as the registration policy says)."""
    return " or ".join(sorted(SIGNER_ROLES[kind]))


@dataclass(frozen=True)
class Job:
    """One `registry import` run, as the command line gave it."""

    name: str
    data: bytes
    kind: ImportType
    signer: CoseSigner
    issuer: str
    issued_at: int | None
    sheet: str | None
    encoding: str | None
    dry_run: bool


async def run_import(settings: Settings, job: Job) -> Outcome:
    """Read, validate, sign and register ``job``'s file against the registry of ``settings``."""
    table = read_table(job.name, job.data, job.kind, sheet=job.sheet, encoding=job.encoding)
    outcome = Outcome(rows=len(table.rows))
    if not keys_exist(settings.data_dir):
        raise click.ClickException(f"no registry in {settings.data_dir}: run `registry init`")
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    service = await RegistryService.open(settings, keys)
    try:
        with click.progressbar(length=len(table.rows), label="validating", file=sys.stderr) as bar:
            validated = validate_table(
                table, job.kind, enrolled=service.directory.all(), progress=bar.update
            )
        outcome.errors = validated.errors
        outcome.errors += [
            RowError(0, "--key", p) for p in _signer_errors(service, job.signer, job.kind)
        ]
        outcome.errors += [RowError(0, "", p) for p in _registry_errors(service)]
        if outcome.errors or job.dry_run:
            return outcome
        with click.progressbar(length=len(validated.rows), label="signing", file=sys.stderr) as bar:
            statements = sign_rows(
                validated.rows, job.signer, job.issuer, issued_at=job.issued_at, progress=bar.update
            )
        click.echo(f"registering {len(statements)} statements as one batch", err=True)
        try:
            results = await register_rows(service, validated, statements)
        except ImportRefused as refused:
            outcome.errors = refused.errors
            return outcome
        outcome.registered = [(r.row, x) for r, x in zip(validated.rows, results, strict=True)]
        outcome.identities = len(validated.identities)
        return outcome
    finally:
        await service.close()


def write_report(path: Path, outcome: Outcome) -> None:
    """The report as CSV (UTF-8 with BOM, for Excel): rejected rows, else each row's entry."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["row", "column", "entry", "reason"])
        for e in outcome.errors:
            out.writerow([e.row or "", e.column, "", e.reason])
        for row, registered in [] if outcome.errors else outcome.registered:
            status = "already in the log" if registered.existed else "imported"
            out.writerow([row, "", registered.index, status])


def print_outcome(outcome: Outcome, dry_run: bool) -> None:
    """The summary line, then the rejected rows as a table (row, column, reason)."""
    if outcome.errors:
        general = [e for e in outcome.errors if e.row == 0]
        rows = [e for e in outcome.errors if e.row > 0]
        bad = len({e.row for e in rows})
        counted = f"{bad} of {outcome.rows} rows rejected" if rows else ""
        click.echo("nothing imported" + (f": {counted}" if counted else ""))
        for e in general:
            click.echo(f"  {e.column + ': ' if e.column else ''}{e.reason}")
        shown = rows[:SHOWN_ERRORS]
        if shown:
            width = max(6, *(len(e.column) for e in shown))
            click.echo(f"{'row':>6}  {'column':<{width}}  reason")
        for e in shown:
            click.echo(f"{e.row:>6}  {e.column or '-':<{width}}  {e.reason}")
        if len(rows) > SHOWN_ERRORS:
            click.echo(f"... and {len(rows) - SHOWN_ERRORS} more (see --report)")
    elif dry_run:
        click.echo(f"{outcome.rows} rows valid; nothing imported (dry run)")
    else:
        new = sorted(r.index for _, r in outcome.registered if not r.existed)
        old = len(outcome.registered) - len(new)
        parts = [f"{len(new)} rows imported as entries {new[0]}..{new[-1]}"] if new else []
        parts += [f"{old} rows were already in the log"] if old else []
        parts += [f"{outcome.identities} identities kept off the log"]
        click.echo("; ".join(parts))


def _issued_at(value: str | None) -> int | None:
    if value is None:
        return None
    if value.isdigit() and len(value) > 8:
        return int(value)
    try:
        return day_start(parse_date(value))
    except ValueError as exc:
        raise click.BadParameter(f"{exc}, or Unix seconds", param_hint="--issued-at") from exc


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
    help="Write the report (rows, columns, reasons) as CSV.",
)
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
) -> None:
    """Register a CSV or XLSX file of recommendations or follow-ups: every row or none.

    Exits 0 when every row was imported (or, with --dry-run, is valid), 1 otherwise.
    """
    try:
        settings = Settings.from_env()
        signer = CoseSigner(load_key(key_path, read_passphrase(passphrase_file)))
    except (ConfigError, KeyFileError) as exc:
        raise click.ClickException(str(exc)) from exc
    job = Job(
        file.name,
        file.read_bytes(),
        kind,
        signer,
        issuer or signer.kid.hex(),
        _issued_at(issued_at),
        sheet,
        encoding,
        dry_run,
    )
    try:
        outcome = asyncio.run(run_import(settings, job))
    except KeyFileError as exc:
        raise click.ClickException(f"the operator's keys in {settings.data_dir}: {exc}") from exc
    except ImportFileError as exc:
        outcome = Outcome(errors=[RowError(0, "", str(exc))])
    except Unavailable as exc:
        raise click.ClickException(f"nothing imported: {exc.detail}") from exc
    except LogContradiction as exc:  # a rolled-back or edited database (docs/guarantees.md)
        raise click.ClickException(exc.message.render(language_from_env())) from exc
    if report is not None:
        write_report(report, outcome)
    print_outcome(outcome, dry_run)
    if outcome.errors:
        sys.exit(1)
