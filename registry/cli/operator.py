"""`registry passphrase change`: re-seal the operator's keys under a new passphrase.

The keys in the data folder open with ``REGISTRY_ADMIN_PASSPHRASE`` (the
current passphrase); the new one comes from ``--new-passphrase-file``, else
``REGISTRY_NEW_ADMIN_PASSPHRASE``, else a prompt (asked twice).  The public
demo passphrase is refused as a new one.  Each key file is replaced whole, and
a change cut short is finished by running it again (see
:func:`registry.records.operator.reseal_keys`).
"""

from __future__ import annotations

from pathlib import Path

import click

from registry.cli.passphrase import read_secret
from registry.cli.words import say
from registry.config import INSECURE_DEFAULT_PASSPHRASE, ConfigError, Settings
from registry.i18n import language_from_env
from registry.records.operator import keys_exist, reseal_keys
from registry.signing.keys import KeyFileError, WrongPassphrase

NEW_PASSPHRASE_ENV = "REGISTRY_NEW_ADMIN_PASSPHRASE"  # noqa: S105 (the variable's name)


@click.group()
def passphrase() -> None:
    """The passphrase that seals the operator's keys (REGISTRY_ADMIN_PASSPHRASE)."""


@passphrase.command()
@click.option(
    "--new-passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"File holding the new passphrase (else ${NEW_PASSPHRASE_ENV}, else a prompt).",
)
def change(new_passphrase_file: Path | None) -> None:
    """Seal the operator's keys under a new passphrase (REGISTRY_ADMIN_PASSPHRASE opens them).

    A running server keeps its keys open; set REGISTRY_ADMIN_PASSPHRASE to the
    new passphrase before the next start.
    """
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(exc.message.render(language_from_env())) from exc
    folder = settings.data_dir.resolve()
    if not keys_exist(folder):
        raise click.ClickException(say("cli.passphrase.no_keys", folder=str(folder)))
    new = _new_passphrase(new_passphrase_file)
    if not new:
        raise click.ClickException(say("cli.passphrase.empty"))
    if new == INSECURE_DEFAULT_PASSPHRASE:
        raise click.ClickException(say("cli.passphrase.public"))
    try:
        reseal_keys(folder, settings.admin_passphrase, new, settings.origin)
    except WrongPassphrase:
        raise click.ClickException(say("cli.passphrase.wrong", folder=str(folder))) from None
    except KeyFileError as exc:
        raise click.ClickException(
            say("cli.start.keys_unusable", folder=str(folder), reason=str(exc))
        ) from exc
    except OSError as exc:
        raise click.ClickException(
            say("cli.passphrase.write_failed", folder=str(folder), reason=str(exc))
        ) from exc
    click.echo(say("cli.passphrase.changed", folder=str(folder)))


def _new_passphrase(path: Path | None) -> str:
    """The new passphrase: the file's text less trailing newlines, else the variable, else asked."""
    return read_secret(
        path,
        variable=NEW_PASSPHRASE_ENV,
        option="--new-passphrase-file",
        prompt=say("cli.passphrase.prompt"),
        confirm=True,
        empty_variable_counts=True,
        unreadable="cli.passphrase.unreadable",
        missing="cli.passphrase.none_given",
    )
