"""`registry tiles export DIR`: the log as static files for a web server or a CDN to serve."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from registry.cli.words import CliError, key_file_error, say
from registry.config import ConfigError, Settings
from registry.i18n import language_from_env
from registry.log.integrity import LogContradiction
from registry.records.operator import open_keys
from registry.records.tile_export import export_registry
from registry.records.witnessing import CosignedView, witness_peers
from registry.signing.keys import KeyFileError


@click.group(name="tiles")
def tiles() -> None:
    """The log's C2SP tiles as plain files."""


@tiles.command(name="export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_command(folder: Path) -> None:
    """Write the log's tiles, entry bundles, statements and checkpoint into FOLDER.

    Incremental: full tiles already there are kept, the partial ones and the
    checkpoint (written last, atomically) are replaced. Serve FOLDER with any
    web server at the registry's URL prefix; `registry audit FOLDER` checks it.
    Run it again (from a timer) to follow the log.
    """
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise CliError(exc.message.render(language_from_env())) from exc
    try:
        keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    except KeyFileError as exc:
        raise key_file_error(exc, settings.data_dir) from exc
    cosigned = CosignedView(
        witness_peers(settings),
        settings.witnesses_required,
        keys.note.verifier_key,
        settings.origin,
    )
    try:
        done = asyncio.run(export_registry(settings, folder, cosigned))
    except LogContradiction as exc:
        raise CliError(exc.message.render(language_from_env())) from exc
    except OSError as exc:
        raise CliError(say("hosts.export.unwritable", folder=str(folder), detail=str(exc))) from exc
    click.echo(say("hosts.export.done", folder=str(folder), size=done.size, files=done.written))
