"""`registry rotate log-key` and `registry rotate admin-key`: replace the operator's keys.

Run with every registry process on the database stopped; the keys open with
``REGISTRY_ADMIN_PASSPHRASE`` and the new one is sealed under it too.  See
``registry.records.rotation`` and docs/operate.md.  Attached to ``registry``
with ``main.add_command(rotate)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import click

from registry.cli.words import say
from registry.config import ConfigError, Settings
from registry.i18n import language_from_env
from registry.log.integrity import LogContradiction
from registry.records.errors import RegistrationRefused
from registry.records.operator import keys_exist
from registry.records.rotation import NotSequencing, Rotated, rotate_admin_key, rotate_log_key
from registry.signing.keys import KeyFileError, WrongPassphrase

REASON = click.option(
    "--reason",
    default="scheduled key rotation",
    show_default=True,
    help="Why the key is replaced (written in the log).",
)


@click.group()
def rotate() -> None:
    """Replace the operator's log key or admin key (every registry process stopped)."""


@rotate.command("log-key")
@REASON
def log_key(reason: str) -> None:
    """Replace the key that signs checkpoints and receipts; announce it in the log.

    The old key stays valid for the trees it signed (up to the rotation's
    entry); tell the witnesses the new verifier key printed here.
    """
    rotated = _run(rotate_log_key, reason)
    click.echo(
        say(
            "cli.rotate.log-key-done",
            entry=_entries(rotated),
            old=rotated.old_kid.hex(),
            new=rotated.new_kid.hex(),
            retired=rotated.retired_file,
        )
    )


@rotate.command("admin-key")
@REASON
def admin_key(reason: str) -> None:
    """Replace the admin key that enrols keys: the old one enrols the new, the new revokes it."""
    rotated = _run(rotate_admin_key, reason)
    click.echo(
        say(
            "cli.rotate.admin-key-done",
            entry=_entries(rotated),
            old=rotated.old_kid.hex(),
            new=rotated.new_kid.hex(),
            retired=rotated.retired_file,
        )
    )


def _entries(rotated: Rotated) -> str:
    return ", ".join(str(index) for index in rotated.entries) or "-"


def _run(rotation: Callable[[Settings, str], Coroutine[Any, Any, Rotated]], reason: str) -> Rotated:
    lang = language_from_env()
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(exc.message.render(lang)) from exc
    folder = settings.data_dir.resolve()
    if not keys_exist(folder):
        raise click.ClickException(say("cli.passphrase.no_keys", folder=str(folder)))
    try:
        return asyncio.run(rotation(settings, reason))
    except WrongPassphrase:
        raise click.ClickException(say("cli.passphrase.wrong", folder=str(folder))) from None
    except KeyFileError as exc:
        raise click.ClickException(
            say("cli.start.keys_unusable", folder=str(folder), reason=str(exc))
        ) from exc
    except (LogContradiction, NotSequencing) as exc:
        raise click.ClickException(exc.message.render(lang)) from exc
    except RegistrationRefused as exc:
        detail = f"{exc.title_in(lang)}: {exc.detail_in(lang)}"
        raise click.ClickException(say("cli.rotate.refused", detail=detail)) from exc
