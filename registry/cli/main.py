"""The `registry` command group, and the operator's `init`, `serve` and `demo`.

Every failure prints a message naming the reason and exits non-zero.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys

import click
from granian.constants import Interfaces, Loops
from granian.log import LogLevels
from granian.server.mp import MPServer

from registry.cli.custodial import custodial_key
from registry.cli.imports import import_command
from registry.cli.keys import keygen, sign, verify
from registry.cli.pin import repin
from registry.config import ConfigError, Settings, describe, settings_environment
from registry.demo.load import DemoError, load_demo
from registry.i18n import language_from_env
from registry.log.integrity import LogContradiction
from registry.records.bootstrap import initialise
from registry.signing.keys import KeyFileError

DEMO_STATEMENTS = 8128  # the progress bar's length: the demo's statement count for its seed


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


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
    try:
        keys, size = asyncio.run(initialise(settings))
    except (KeyFileError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    except LogContradiction as exc:  # a rolled-back or edited database: say so, start nothing
        raise click.ClickException(exc.message.render(language_from_env())) from exc
    if settings.admin_passphrase_is_insecure:
        click.echo("warning: REGISTRY_ADMIN_PASSPHRASE is the public demo passphrase", err=True)
    click.echo(f"registry {settings.origin}: {size} entries in {settings.database_url}")
    click.echo(f"log verifier key {keys.note.verifier_key_string}")


@main.command()
@click.option("--host", help="Address to listen on (default REGISTRY_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default REGISTRY_PORT, 8000).")
@click.option("--demo", is_flag=True, help="Fill an empty registry with the demo data first.")
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    help="HTTP worker processes (default REGISTRY_WORKERS; 0: one per CPU). One of them "
    "sequences the log; the others verify signatures and hand statements to it.",
)
def serve(host: str | None, port: int | None, demo: bool, workers: int | None) -> None:
    """Run the registry over HTTP, initialising it first when needed."""
    settings = _settings()
    try:
        asyncio.run(initialise(settings))
        if demo:
            asyncio.run(_load_demo(settings, only_if_empty=True))
    except (KeyFileError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    except LogContradiction as exc:  # a rolled-back or edited database: say so, start nothing
        raise click.ClickException(exc.message.render(language_from_env())) from exc
    count = settings.workers if workers is None else workers
    server_for(settings, host=host, port=port, workers=count or os.cpu_count() or 1).serve()


def server_for(settings: Settings, *, host: str | None, port: int | None, workers: int) -> MPServer:
    """The granian server `registry serve` runs: the fastest of those measured (benchmarks.md).

    Its workers build the app from the environment (``registry.api.asgi``),
    so the settings given here go to them as ``REGISTRY_*`` variables.
    """
    os.environ.update(settings_environment(settings))
    return MPServer(
        "registry.api.asgi:app_from_env",
        factory=True,
        address=host or settings.host,
        port=port or settings.port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop if importlib.util.find_spec("uvloop") else Loops.asyncio,
        websockets=False,
        log_level=LogLevels.info,
        respawn_failed_workers=True,
    )


@main.command()
def demo() -> None:
    """Fill the registry with realistic demo data (provinces, PPKs, pacts, follow-ups)."""
    settings = _settings()
    try:
        asyncio.run(initialise(settings))
        asyncio.run(_load_demo(settings, only_if_empty=False))
    except (KeyFileError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    except LogContradiction as exc:  # a rolled-back or edited database: say so, start nothing
        raise click.ClickException(exc.message.render(language_from_env())) from exc


async def _load_demo(settings: Settings, *, only_if_empty: bool) -> None:
    with click.progressbar(length=DEMO_STATEMENTS, label="demo data", file=sys.stderr) as bar:
        try:
            loaded = await load_demo(settings, only_if_empty=only_if_empty, progress=bar.update)
        except DemoError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(loaded)


for command in (keygen, sign, verify, custodial_key, import_command, repin):
    main.add_command(command)
