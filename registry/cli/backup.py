"""`registry backup FILE` and `registry restore FILE` (registry.records.backup).

Attached to ``registry`` with ``main.add_command``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from registry.cli.startup import database_name
from registry.cli.words import CliError, fail, key_file_error, say
from registry.config import ConfigError, Settings
from registry.i18n import language_from_env
from registry.log.integrity import LogContradiction
from registry.records.backup import BackupError, BackupRefused, backup, restore
from registry.records.operator import open_keys
from registry.records.startup import RegistryRunning
from registry.signing.keys import KeyFileError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise CliError(exc.message) from exc


@click.command(name="backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write a consistent copy of the registry's database to FILE, while it runs.

    SQLite: the online backup API. PostgreSQL: pg_dump (custom format) of the
    registry's schema. Keep the data directory (keys and pinned checkpoint)
    backed up too, apart from the database.
    """
    settings = _settings()
    try:
        size = asyncio.run(backup(settings, file))
    except BackupError as exc:
        raise fail("backup.failed", detail=exc.detail) from exc
    name = database_name(settings)
    click.echo(say("backup.written", database=name, file=str(file), size=size))


@click.command(name="restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--older",
    is_flag=True,
    help="Restore a backup older than the pinned checkpoint anyway (the registry then "
    "refuses to start until `registry repin`).",
)
def restore_command(file: Path, older: bool) -> None:
    """Replace the registry's database with the backup FILE, with every registry stopped.

    The result is checked as a start checks it: against its own latest
    checkpoint and the checkpoint pinned in the data directory. An SQLite
    backup older than the pin is refused before anything changes.
    """
    settings = _settings()
    lang = language_from_env()
    try:
        keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    except KeyFileError as exc:
        raise key_file_error(exc, settings.data_dir) from exc
    try:
        restored = asyncio.run(restore(settings, keys, file, older=older))
    except BackupError as exc:
        raise fail("backup.failed", detail=exc.detail) from exc
    except (BackupRefused, RegistryRunning, LogContradiction) as exc:
        raise CliError(exc.message.render(lang)) from exc
    name = database_name(settings)
    if restored.behind is not None:
        raise fail("backup.restored-behind", detail=restored.behind.message.render(lang))
    click.echo(say("backup.restored", database=name, file=str(file), size=restored.size))
