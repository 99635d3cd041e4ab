"""`registry audit` and `registry mirror`: check a whole log, from a server, a folder or a database.

``registry audit [SOURCE]`` recomputes every leaf from its stored statement, the
hash chain, the tree and its root against every signed checkpoint seen (the
source's own, the pinned one of a local database, those of ``--checkpoint``
files and of an earlier audit's ``--state``), and checks every statement's and
every checkpoint's signature (:mod:`registry.verify.audit`).  SOURCE is a
server URL (``http(s)://``), a folder ``registry mirror`` wrote, a database
URL or an SQLite file; by default the registry's own database
(``REGISTRY_DATABASE_URL``).  Exit 0 when clean, 1 naming the first bad index
and what is wrong.  Attached to ``registry`` with ``main.add_command``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import httpx

from registry.cli.words import CliError, fail, key_file_error, say
from registry.config import ConfigError, Settings
from registry.log.audit_sources import (
    ServerSource,
    SourceError,
    audit_location,
    mirror,
)
from registry.log.integrity import LogContradiction
from registry.log.pin import CheckpointPin, pin_path
from registry.records.operator import open_keys
from registry.signing.keys import KeyFileError
from registry.verify.audit import AuditFailure, Auditor, AuditReport
from registry.verify.note import VerifierKey
from registry.verify.trust import KeySourceError, TrustedKeys

TIMEOUT_S = 30.0


def source_kind(source: str) -> str:
    """``server``, ``folder`` or ``database``: how ``source`` is read."""
    if source.startswith(("http://", "https://")):
        return "server"
    if "://" not in source and Path(source).is_dir():
        return "folder"
    return "database"


def location(kind: str, source: str) -> str:
    """``source`` as :func:`audit_location` takes it: a database file as an SQLite URL."""
    if kind != "database" or "://" in source:
        return source
    return f"sqlite+aiosqlite:///{Path(source).resolve()}"


def missing_database(kind: str, source: str) -> str | None:
    """The SQLite file ``source`` names if it does not exist (auditing must not create it)."""
    if kind != "database":
        return None
    if "://" not in source:
        path = source
    elif source.startswith("sqlite") and ":///" in source:
        path = source.split(":///", 1)[1].split("?", 1)[0]
    else:
        return None
    if path in ("", ":memory:") or Path(path).exists():
        return None
    return path


def read_state(path: Path | None) -> list[str]:
    """The checkpoint notes an earlier audit kept in ``path`` (none if there is no file)."""
    if path is None or not path.exists():
        return []
    try:
        data = json.loads(path.read_text("utf-8"))
        notes = data["checkpoints"]
        if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
            raise TypeError("checkpoints is not a list of notes")
    except (ValueError, KeyError, TypeError) as exc:
        raise fail("audit.state-unreadable", path=str(path), detail=str(exc)) from exc
    return notes


def write_state(path: Path, kept: Sequence[str], report: AuditReport) -> None:
    """Keep every checkpoint verified (earlier ones too), one per size, for the next audit."""
    by_size: dict[int, str] = {}
    for seen in report.checked:
        by_size.setdefault(seen.checkpoint.size, seen.note)
    notes = [by_size[size] for size in sorted(by_size)]
    for note in kept:
        if note not in notes:
            notes.append(note)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps({"checkpoints": notes}, indent=0), "utf-8")
    temporary.replace(path)


def _trusted(keys: Sequence[str], trust: Path | None, config: bytes | None) -> TrustedKeys:
    try:
        documents = [trust.read_bytes()] if trust else ([config] if config else [])
        return TrustedKeys.build(keys, documents)
    except KeySourceError as exc:
        raise fail("cli.key-source", detail=str(exc)) from exc


async def _server_config(url: str) -> bytes:
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        source = ServerSource(client, url)
        try:
            return await source.get("/.well-known/transparency-configuration")
        except SourceError as exc:
            raise fail("audit.unreadable-source", source=url, detail=exc.detail) from exc


@dataclass
class Trust:
    """What an audit checks signatures with, and the checkpoints kept outside the source."""

    log_keys: list[VerifierKey]
    origin: str
    seen: list[tuple[str, str]]
    witness_keys: list[VerifierKey]


def log_keys_of(
    kind: str, source: str, keys: Sequence[str], trust: Path | None
) -> tuple[list[VerifierKey], str, list[tuple[str, str]]]:
    """The log's keys, its origin, and the pinned checkpoint (for the registry's own database)."""
    found = trust_of(kind, source, keys, trust)
    return found.log_keys, found.origin, found.seen


def trust_of(kind: str, source: str, keys: Sequence[str], trust: Path | None) -> Trust:
    """The log's and witnesses' keys for ``source``, and the pin of the registry's own database."""
    pinned: list[tuple[str, str]] = []
    witnesses: list[VerifierKey] = []
    if keys or trust:
        trusted = _trusted(keys, trust, None)
    elif kind == "server":
        trusted = _trusted((), None, asyncio.run(_server_config(source)))
    elif kind == "database":
        try:
            settings = Settings.from_env()
            operator = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        except ConfigError as exc:
            raise CliError(exc.message) from exc
        except KeyFileError as exc:
            raise key_file_error(exc, settings.data_dir) from exc
        trusted = TrustedKeys(log_keys=[operator.note.verifier_key], origin=settings.origin)
        witnesses = [VerifierKey.from_string(w.verifier_key) for w in settings.witnesses]
        pin = CheckpointPin(
            pin_path(settings.data_dir, settings.origin),
            operator.note.verifier_key,
            settings.origin,
        )
        try:
            note = pin.note()
        except LogContradiction as unreadable:  # no checkpoint: the audit names the pin file
            note = unreadable.evidence["detail"]
        if note is not None:
            pinned.append((note, str(pin.path)))
    else:
        raise fail("audit.no-key", source=source)
    if not trusted.log_keys:
        raise fail("audit.no-key", source=source)
    origin = trusted.origin or trusted.log_keys[0].name
    return Trust(trusted.log_keys, origin, pinned, witnesses or trusted.witness_keys)


@click.command(name="audit")
@click.argument("source", required=False)
@click.option(
    "--key",
    "keys",
    multiple=True,
    help="The log's C2SP verifier key (default: the server's configuration, or the "
    "registry's own keys for its database).",
)
@click.option(
    "--trust",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The registry's /.well-known/transparency-configuration JSON.",
)
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed checkpoint seen elsewhere (a witness's, a receipt's): the log must extend it.",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of checkpoints kept from audit to audit: read, and after a clean audit written.",
)
@click.option(
    "--no-receipts",
    is_flag=True,
    help="Do not verify the receipts a database keeps (about twice as fast).",
)
def audit_command(
    source: str | None,
    keys: tuple[str, ...],
    trust: Path | None,
    checkpoints: tuple[Path, ...],
    state: Path | None,
    no_receipts: bool,
) -> None:
    """Check every entry, signature and checkpoint of a log; name the first bad index.

    SOURCE is a server URL, a folder written by `registry mirror`, a database
    URL or an SQLite file (default: REGISTRY_DATABASE_URL, checked against the
    checkpoint pinned in the data directory too).  Exits 1 at the first problem.
    """
    if source is None:
        try:
            source = Settings.from_env().database_url
        except ConfigError as exc:
            raise CliError(exc.message) from exc
    kind = source_kind(source)
    missing = missing_database(kind, source)
    if missing is not None:
        raise fail("audit.unreadable-source", source=source, detail=f"{missing} does not exist")
    trusted = trust_of(kind, source, keys, trust)
    seen = trusted.seen
    kept = read_state(state)
    seen += [(note, str(state)) for note in kept]
    seen += [(path.read_text("utf-8", "replace"), str(path)) for path in checkpoints]
    auditor = Auditor(trusted.log_keys, trusted.origin, trusted.witness_keys)
    witnesses = [f"{k.name}+{k.key_id_hex}" for k in trusted.witness_keys]
    started = time.perf_counter()
    try:
        report = asyncio.run(
            audit_location(
                kind,
                location(kind, source),
                auditor,
                seen,
                receipts=not no_receipts,
                witnesses=witnesses,
            )
        )
    except AuditFailure as failure:
        finding = failure.finding
        raise fail(
            "audit.failed",
            source=source,
            index="-" if finding.index is None else finding.index,
            problem=say(f"audit.problem.{finding.problem}"),
            detail=finding.detail,
            evidence=", ".join(f"{k}={v}" for k, v in finding.evidence.items()) or "-",
        ) from failure
    except (OSError, SourceError) as exc:
        raise fail("audit.unreadable-source", source=source, detail=str(exc)) from exc
    elapsed = max(time.perf_counter() - started, 1e-9)
    if state is not None:
        write_state(state, kept, report)
    click.echo(
        say(
            "audit.clean",
            source=source,
            size=report.size,
            signatures=report.signatures,
            receipts=report.receipts,
            checkpoints=report.checkpoints,
            root=report.root.hex(),
        )
    )
    click.echo(say("audit.rate", rate=f"{report.size / elapsed:,.0f}", seconds=f"{elapsed:.2f}"))


@click.command(name="mirror")
@click.argument("url")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def mirror_command(url: str, folder: Path) -> None:
    """Copy a registry's checkpoint, tiles, leaves and statements into FOLDER (incrementally).

    `registry audit FOLDER` then checks the copy offline.
    """

    async def run() -> tuple[int, int]:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            return await mirror(ServerSource(client, url), folder)

    try:
        size, written = asyncio.run(run())
    except (OSError, SourceError) as exc:
        raise fail("audit.unreadable-source", source=url, detail=str(exc)) from exc
    click.echo(say("audit.mirrored", url=url, folder=str(folder), size=size, files=written))
