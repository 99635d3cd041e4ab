"""`registry witness`: run a witness (C2SP tlog-witness) for this registry or any other log.

A witness is another institution's service (Bawaslu, BKN, a university...), in
a folder of its own, with a key of its own: the registry's operator never holds
it.  It cosigns a log's checkpoints only when they extend what it cosigned
before, and keeps the evidence when they do not.

- ``registry witness init --name NAME``: make the key (sealed under a
  passphrase) and print the witness's C2SP verifier key, which the registry's
  operator puts in ``REGISTRY_WITNESSES`` and verifiers trust;
- ``registry witness add-log --origin O --key VKEY``: follow a log;
- ``registry witness serve``: answer ``POST /add-checkpoint`` (and ``GET /``);
- ``registry witness status``: what it cosigned and the alarms it kept.

The folder is ``--dir``, else ``$REGISTRY_WITNESS_DIR``, else ``witness-data``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
from granian.constants import Interfaces, Loops
from granian.log import LogLevels
from granian.server.mp import MPServer

from registry.cli.passphrase import passphrase_option, read_passphrase
from registry.cli.startup import check_port_free, hold_data_dir
from registry.cli.words import CliError, key_file_error, say
from registry.log.witness import witness_status
from registry.log.witness_folder import (
    DEFAULT_WITNESS_DIR,
    PASSPHRASE_VARIABLE,
    WITNESS_DIR_VARIABLE,
    WitnessFolder,
    WitnessFolderError,
)
from registry.signing.keys import KeyFileError

DEFAULT_PORT = 8100

dir_option = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get(WITNESS_DIR_VARIABLE, DEFAULT_WITNESS_DIR),
    show_default=f"${WITNESS_DIR_VARIABLE}, else {DEFAULT_WITNESS_DIR}",
    help="The witness's folder (its key, state and evidence).",
)


def _folder_error(exc: WitnessFolderError) -> CliError:
    return CliError(exc.message)


@click.group()
def witness() -> None:
    """Run a witness that cosigns a log's checkpoints (C2SP tlog-witness)."""


@witness.command()
@click.option("--name", required=True, help="The witness's key name, e.g. bawaslu.go.id/witness.")
@dir_option
@passphrase_option
def init(name: str, folder: Path, passphrase_file: Path | None) -> None:
    """Make the witness's key in its folder and print its verifier key."""
    place = WitnessFolder(folder)
    passphrase = read_passphrase(passphrase_file, confirm=True)
    try:
        key = place.init(name, passphrase)
    except WitnessFolderError as exc:
        raise _folder_error(exc) from exc
    except KeyFileError as exc:
        raise key_file_error(exc) from exc
    click.echo(say("cli.witness.made", name=name, folder=str(folder.resolve())))
    click.echo(say("cli.witness.verifier-key", key=str(key)))


@witness.command("add-log")
@click.option("--origin", required=True, help="The log's origin (its checkpoints' first line).")
@click.option(
    "--key",
    "keys",
    multiple=True,
    required=True,
    help="The log's C2SP verifier key (a registry prints it at `registry init`).",
)
@dir_option
def add_log(origin: str, keys: tuple[str, ...], folder: Path) -> None:
    """Follow a log: cosign its checkpoints signed by KEY."""
    try:
        parsed = WitnessFolder(folder).add_log(origin, list(keys))
    except WitnessFolderError as exc:
        raise _folder_error(exc) from exc
    click.echo(say("cli.witness.following", origin=origin, keys=", ".join(map(str, parsed))))


@witness.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port.")
@dir_option
@passphrase_option
def serve(host: str, port: int, folder: Path, passphrase_file: Path | None) -> None:
    """Answer POST /add-checkpoint for the logs followed (and GET / with the state)."""
    place = WitnessFolder(folder)
    passphrase = read_passphrase(passphrase_file)
    try:
        opened = place.open(passphrase)  # refuse a wrong passphrase here, not in the worker
    except WitnessFolderError as exc:
        raise _folder_error(exc) from exc
    except KeyFileError as exc:
        raise key_file_error(exc) from exc
    check_port_free(host, port)
    with hold_data_dir(folder) as held:
        status = opened.status()
        click.echo(
            say(
                "cli.witness.serving",
                name=status["name"],
                url=f"http://{host}:{port}",
                folder=str(held),
                logs=len(status["logs"]),
            )
        )
        click.echo(say("cli.witness.verifier-key", key=status["verifier_key"]))
        os.environ[WITNESS_DIR_VARIABLE] = str(held)
        os.environ[PASSPHRASE_VARIABLE] = passphrase
        MPServer(
            "registry.api.witness_app:app_from_env",
            factory=True,
            address=host,
            port=port,
            interface=Interfaces.ASGI,
            workers=1,
            loop=Loops.asyncio,
            websockets=False,
            log_level=LogLevels.info,
            respawn_failed_workers=True,
        ).serve()


@witness.command()
@dir_option
def status(folder: Path) -> None:
    """Print what the witness cosigned per log, and the alarms it kept (JSON)."""
    place = WitnessFolder(folder)
    try:
        identity = place.identity()
    except WitnessFolderError as exc:
        raise _folder_error(exc) from exc
    document = witness_status(identity["name"], identity["verifier_key"], place.store)
    document["alarms"] = place.evidence.alarms()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    if document["alarms"]:
        raise CliError(say("cli.witness.alarms", count=len(document["alarms"]), folder=str(folder)))
