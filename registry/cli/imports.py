"""`registry import`: register a spreadsheet of recommendations or follow-ups, all or nothing.

The file is read (:mod:`registry.records.spreadsheet`) and every row validated
(:mod:`registry.records.bulk`); if any row is wrong nothing is signed and the
report lists each bad row, column and reason. Otherwise the rows are signed
with the given key and registered as one batch in one transaction
(:meth:`RegistryService.register_atomic`): if the registry refuses any of them
(an unknown recommendation, a key outside its term...), nothing is written and
the refusals are reported the same way.

Every error and the summary are in Bahasa Indonesia when ``LANG`` (or
``LC_ALL``, ``LC_MESSAGES``) says ``id``, in English otherwise; the
``--report`` file too, unless ``--report-language`` picks its language.

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
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import click

from registry.cli.extras import needs_extra
from registry.cli.passphrase import passphrase_option, read_passphrase
from registry.cli.words import CliError, fail, key_file_error, language, say, words
from registry.compliance.export import safe_cell
from registry.config import ConfigError, Settings
from registry.i18n import DEFAULT_LANGUAGE, LANGUAGES, Message, message
from registry.log.integrity import LogContradiction
from registry.records.attest import ATTESTING_ROLES, attest
from registry.records.bulk import ImportRow, RowError, Validated, day_start, validate_table
from registry.records.errors import BatchRefused, RegistrationRefused, Unavailable
from registry.records.operator import keys_exist, open_keys
from registry.records.policy import SIGNER_ROLES
from registry.records.registration import Registered
from registry.records.service import RegistryService
from registry.records.spreadsheet import (
    CellError,
    ImportFileError,
    ImportType,
    parse_date,
    read_table,
)
from registry.signing.cose import CoseSigner
from registry.signing.keys import KeyFileError, load_key

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
    said = Message(
        "import.refused",
        {"title": refused.title_text, "code": refused.code, "detail": refused.detail_text},
    )
    return RowError.of(row.row, column, said)


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
            _refusal_error(validated, rows[p - first], r)
            if p >= first
            else RowError.of(0, "", Message("import.refused", _said(r)))
            for p, r in refused.refusals
        ]
        raise ImportRefused(sorted(errors, key=lambda e: e.row)) from refused
    return registered[first:]


def _said(refused: RegistrationRefused) -> dict[str, object]:
    return {"title": refused.title_text, "code": refused.code, "detail": refused.detail_text}


def _attestations(
    service: RegistryService, job: Job, statements: Sequence[bytes], admin: CoseSigner
) -> list[bytes]:
    """The attestations the rows dated before the registry's maximum age need: signed by the
    rows' signer if its role may attest, else by the operator's admin key (who runs the import)."""
    key = service.signer(job.signer.kid)
    own = key is not None and key.role in ATTESTING_ROLES
    return attest(
        statements,
        job.signer if own else admin,
        job.issuer if own else "operator",
        source=f"registry import {job.name}",
        reason=f"history loaded in bulk: {len(statements)} rows of {job.kind}",
        now_s=int(time.time()),
        max_age_s=service.settings.max_statement_age_hours * 3600,
    )


def _signer_errors(service: RegistryService, signer: CoseSigner, kind: ImportType) -> list[Message]:
    key = service.signer(signer.kid)
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
        raise fail("import.no-registry", path=str(settings.data_dir))
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    service = await RegistryService.open(settings, keys)
    try:
        label = say("import.validating")
        with click.progressbar(length=len(table.rows), label=label, file=sys.stderr) as bar:
            enrolled = service.signers()
            nips = await service.identities.nips_of(
                [k.nip_commitment for k in enrolled if k.nip_commitment is not None]
            )
            validated = validate_table(
                table, job.kind, enrolled=enrolled, nips=nips, progress=bar.update
            )
        outcome.errors = validated.errors
        outcome.errors += [
            RowError.of(0, "--key", p) for p in _signer_errors(service, job.signer, job.kind)
        ]
        outcome.errors += [RowError.of(0, "", p) for p in _registry_errors(service)]
        if outcome.errors or job.dry_run:
            return outcome
        label = say("import.signing")
        with click.progressbar(length=len(validated.rows), label=label, file=sys.stderr) as bar:
            statements = sign_rows(
                validated.rows, job.signer, job.issuer, issued_at=job.issued_at, progress=bar.update
            )
        click.echo(say("import.registering", count=len(statements)), err=True)
        try:
            attestations = _attestations(service, job, statements, keys.admin)
            results = await register_rows(service, validated, statements, attestations)
        except ImportRefused as refused:
            outcome.errors = refused.errors
            return outcome
        outcome.registered = [(r.row, x) for r, x in zip(validated.rows, results, strict=True)]
        outcome.identities = len(validated.identities)
        return outcome
    finally:
        await service.close()


REPORT_COLUMNS = ("row", "column", "entry", "reason")
"""The report's columns, named in its language by ``import.report.<column>``."""


def write_report(path: Path, outcome: Outcome, lang: str = DEFAULT_LANGUAGE) -> None:
    """The report as CSV (UTF-8 with BOM, for Excel) in ``lang``: rejected rows, else entries.

    Column names, reasons and statuses are in ``lang``; row numbers, column
    names as the file wrote them and entry numbers are the same in every language.
    """
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow([message(f"import.report.{c}", lang) for c in REPORT_COLUMNS])
        for e in outcome.errors:
            # the column's name and the reason quote the imported file: never a formula
            out.writerow([e.row or "", safe_cell(e.column), "", safe_cell(e.reason_in(lang))])
        for row, registered in [] if outcome.errors else outcome.registered:
            status = "import.status.existed" if registered.existed else "import.status.imported"
            out.writerow([row, "", registered.index, message(status, lang)])


def print_outcome(outcome: Outcome, dry_run: bool, lang: str = DEFAULT_LANGUAGE) -> None:
    """The summary line, then the rejected rows as a table (row, column, reason), in ``lang``."""
    if outcome.errors:
        general = [e for e in outcome.errors if e.row == 0]
        rows = [e for e in outcome.errors if e.row > 0]
        bad = len({e.row for e in rows})
        if rows:
            click.echo(message("import.nothing-rejected", lang, bad=bad, rows=outcome.rows))
        else:
            click.echo(message("import.nothing", lang))
        for e in general:
            click.echo(f"  {e.column + ': ' if e.column else ''}{e.reason_in(lang)}")
        shown = rows[:SHOWN_ERRORS]
        if shown:
            head = {c: message(f"import.report.{c}", lang) for c in REPORT_COLUMNS}
            width = max(6, len(head["column"]), *(len(e.column) for e in shown))
            click.echo(f"{head['row']:>6}  {head['column']:<{width}}  {head['reason']}")
        for e in shown:
            click.echo(f"{e.row:>6}  {e.column or '-':<{width}}  {e.reason_in(lang)}")
        if len(rows) > SHOWN_ERRORS:
            click.echo(message("import.more", lang, count=len(rows) - SHOWN_ERRORS))
    elif dry_run:
        click.echo(message("import.dry-run", lang, rows=outcome.rows))
    else:
        new = sorted(r.index for _, r in outcome.registered if not r.existed)
        old = len(outcome.registered) - len(new)
        parts = []
        if new:
            parts.append(
                message("import.imported", lang, count=len(new), first=new[0], last=new[-1])
            )
        if old:
            parts.append(message("import.existed", lang, count=old))
        parts.append(message("import.identities", lang, count=outcome.identities))
        click.echo("; ".join(parts))


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
@click.option(
    "--report-language",
    type=click.Choice(LANGUAGES),
    help="The report file's language (default: the command's, from LANG: id or en).",
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
    report_language: str | None,
) -> None:
    """Register a CSV or XLSX file of recommendations or follow-ups: every row or none.

    Exits 0 when every row was imported (or, with --dry-run, is valid), 1 otherwise.
    """
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise fail("cli.config", detail=str(exc)) from exc
    try:
        signer = CoseSigner(load_key(key_path, read_passphrase(passphrase_file)))
    except KeyFileError as exc:
        raise key_file_error(exc, key_path) from exc
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
        with needs_extra("xlsx", "registry import of an .xlsx workbook"):
            outcome = asyncio.run(run_import(settings, job))
    except KeyFileError as exc:
        raise key_file_error(exc, settings.data_dir) from exc
    except ImportFileError as exc:
        outcome = Outcome(errors=[RowError.of(0, "", exc.message)])
    except Unavailable as exc:
        raise fail("import.unavailable", detail=words(exc.detail_text)) from exc
    except LogContradiction as exc:  # a rolled-back or edited database (docs/guarantees.md)
        raise CliError(exc.message) from exc
    lang = language()
    if report is not None:
        write_report(report, outcome, report_language or lang)
    print_outcome(outcome, dry_run, lang)
    if outcome.errors:
        sys.exit(1)
