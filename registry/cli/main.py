"""The `registry` command group, and the operator's `init`, `serve` and `demo`.

Every failure prints a message naming the reason and exits non-zero.  Every
start says which registry it is: the origin it signs as, its database, its key
folder and (for `serve`) the URL to open; a new registry made by this start is
said so, and keys sealed under the public demo passphrase are warned about.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click
from granian.constants import Interfaces, Loops
from granian.log import LogLevels
from granian.server.mp import MPServer

from registry.cli.access import access_log
from registry.cli.audit import audit_command, mirror_command
from registry.cli.backup import backup_command, restore_command
from registry.cli.complaints import complaints
from registry.cli.custodial import custodial_key
from registry.cli.enrolment import enrolment
from registry.cli.imports import import_command
from registry.cli.keys import keygen, sign, verify
from registry.cli.monitor import monitor_command
from registry.cli.operator import passphrase
from registry.cli.pin import repin
from registry.cli.rotate import rotate
from registry.cli.sequencing import start_apart, stop_apart
from registry.cli.startup import (
    check_port_free,
    database_name,
    hold_data_dir,
    insecure_warning,
    start_report,
)
from registry.cli.tiles import tiles
from registry.cli.witness import witness
from registry.cli.words import say
from registry.config import ConfigError, Settings, describe, settings_environment
from registry.demo.load import DemoError, demo_status, load_demo
from registry.i18n import language_from_env
from registry.log.integrity import LogContradiction
from registry.records.bootstrap import initialise, stored_log_size
from registry.records.handoff import handoff_socket
from registry.records.operator import OperatorKeys, keys_exist
from registry.signing.keys import KeyFileError

DEMO_STATEMENTS = 8128  # the progress bar's length: the demo's statement count for its seed


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(exc.message.render(language_from_env())) from exc


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Configuration (environment variables, also settable in REGISTRY_CONFIG_FILE):\n\n"
    + describe().replace("\n", "\n\n"),
)
def main() -> None:
    """Integrity pact registry: sign, log and verify neutrality commitments."""


@main.command()
def init() -> None:
    """Create the operator's keys and the log's first entry (the admin's enrolment)."""
    settings = _settings()
    data_dir = settings.data_dir.resolve()
    keys, size, created = _initialise(settings)
    _warn_if_insecure(settings, data_dir)
    for line in start_report(settings, data_dir, created=created, serving=False):
        click.echo(line)
    click.echo(say("cli.init.done", origin=settings.origin, size=size))
    click.echo(say("cli.init.verifier_key", key=keys.note.verifier_key_string))


@main.command()
@click.option("--host", help="Address to listen on (default REGISTRY_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default REGISTRY_PORT, 8000).")
@click.option(
    "--demo", is_flag=True, help="Fill an empty registry with the demo data first (or finish it)."
)
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    help="HTTP worker processes (default REGISTRY_WORKERS; 0: one per CPU). They verify "
    "signatures and hand statements to the process sequencing the log: one of their own "
    "(REGISTRY_SEQUENCER=worker, the default) or one apart that serves no HTTP (apart).",
)
def serve(host: str | None, port: int | None, demo: bool, workers: int | None) -> None:
    """Run the registry over HTTP, initialising it first when needed."""
    # --host and --port are the settings from here on: the public URL (QR codes,
    # certificates) follows them unless REGISTRY_BASE_URL says otherwise.
    configured = _settings()
    settings = dataclasses.replace(
        configured, host=host or configured.host, port=port or configured.port
    )
    count = settings.workers if workers is None else workers
    check_port_free(settings.host, settings.port)
    with hold_data_dir(settings.data_dir) as data_dir:
        created = _initialise_apart(settings)
        _warn_if_insecure(settings, data_dir)
        if demo:
            _load_demo(settings, only_if_empty=True)
        else:
            _refuse_unfinished_demo(settings)
        # Again: the demo load takes a while, and another program may have taken the port.
        check_port_free(settings.host, settings.port)
        for line in start_report(settings, data_dir, created=created):
            click.echo(line)
        workers = count or os.cpu_count() or 1
        if settings.sequencer != "apart" or handoff_socket(settings) is None:  # (in memory)
            server_for(settings, workers=workers).serve()
            return
        sequencer = start_apart(settings)  # holds the sequencer lock before any worker starts
        click.echo(say("cli.serve.sequencer_apart", pid=sequencer.pid, workers=workers))
        try:
            server_for(settings, workers=workers).serve()
        finally:
            stop_apart(sequencer)


def server_for(settings: Settings, *, workers: int) -> MPServer:
    """The granian server `registry serve` runs: the fastest of those measured (benchmarks.md).

    Its workers build the app from the environment (``registry.api.asgi``),
    so the settings given here go to them as ``REGISTRY_*`` variables.
    """
    os.environ.update(settings_environment(settings))
    return MPServer(
        "registry.api.asgi:app_from_env",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop if importlib.util.find_spec("uvloop") else Loops.asyncio,
        websockets=False,
        log_level=LogLevels.info,
        respawn_failed_workers=True,
    )


@main.command()
def demo() -> None:
    """Fill a new registry with realistic demo data (provinces, PPKs, pacts, follow-ups).

    Finishes a demo load that was cut short.
    """
    settings = _settings()
    _initialise(settings)
    _warn_if_insecure(settings, settings.data_dir.resolve())
    _load_demo(settings, only_if_empty=False)


def _initialise_apart(settings: Settings) -> bool:
    """:func:`_initialise` (its checks included) in a process of its own; whether the keys
    were made now.

    It loads and checks the whole log, and a process keeps most of the memory it once
    used: run here, the server's parent process (which only watches its workers) kept
    466 MB at a million entries, and would keep gigabytes at ten million.
    """
    # forked (no thread runs yet): a spawned one would leave multiprocessing's resource
    # tracker running beside the workers for as long as the server runs
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(1, mp_context=context) as apart:
        return apart.submit(_created, settings).result()


def _created(settings: Settings) -> bool:
    return _initialise(settings)[2]


def _initialise(settings: Settings) -> tuple[OperatorKeys, int, bool]:
    """Make the operator's keys and the log's first entry if needed.

    Returns the keys, the log's size and whether the keys were made now (a new registry).

    Refuses to make new keys for a log that exists: its checkpoints are signed
    by keys kept elsewhere (a registry started from another folder, or a
    ``REGISTRY_DATA_DIR`` pointing at the wrong one).
    """
    created = not keys_exist(settings.data_dir)
    try:
        if created:
            size = asyncio.run(stored_log_size(settings))
            if size:
                raise click.ClickException(
                    say(
                        "cli.start.keys_missing",
                        database=database_name(settings),
                        size=size,
                        folder=str(settings.data_dir.resolve()),
                    )
                )
        keys, size = asyncio.run(initialise(settings))
    except (KeyFileError, FileExistsError) as exc:
        raise click.ClickException(
            say("cli.start.keys_unusable", folder=str(settings.data_dir.resolve()), reason=str(exc))
        ) from exc
    except LogContradiction as exc:  # a rolled-back or edited database: say so, start nothing
        raise click.ClickException(exc.message.render(language_from_env())) from exc
    return keys, size, created


def _warn_if_insecure(settings: Settings, data_dir: Path) -> None:
    warning = insecure_warning(settings, data_dir)
    if warning is not None:
        click.secho(warning, err=True, fg="red", bold=True)


def _refuse_unfinished_demo(settings: Settings) -> None:
    """Refuse to serve a demo whose load did not finish, saying how to finish it."""
    mark, size = asyncio.run(demo_status(settings))
    if mark is not None and mark.state == "loading":
        raise click.ClickException(
            say(
                "cli.serve.demo_unfinished",
                database=database_name(settings),
                size=size,
                total=mark.statements,
            )
        )


def _load_demo(settings: Settings, *, only_if_empty: bool) -> None:
    lang = language_from_env()
    label = say("cli.demo.progress", database=database_name(settings))
    with click.progressbar(length=DEMO_STATEMENTS, label=label, file=sys.stderr) as bar:
        try:
            loaded = asyncio.run(
                load_demo(settings, only_if_empty=only_if_empty, progress=bar.update)
            )
        except DemoError as exc:
            raise click.ClickException(exc.message.render(lang)) from exc
        except LogContradiction as exc:  # a rolled-back or edited database: load nothing
            raise click.ClickException(exc.message.render(lang)) from exc
    click.echo(loaded.render(lang))


for command in (
    keygen,
    sign,
    verify,
    custodial_key,
    import_command,
    passphrase,
    repin,
    witness,
    access_log,
    enrolment,
    complaints,
):
    main.add_command(command)
main.add_command(rotate)
for command in (audit_command, mirror_command, monitor_command, backup_command, restore_command):
    main.add_command(command)
main.add_command(tiles)
