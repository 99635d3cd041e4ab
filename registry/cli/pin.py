"""`registry repin`: the operator accepts the database as it is, against the pinned checkpoint.

The registry keeps the last checkpoint it signed in the data directory and
refuses to start on a database that does not extend it (a rollback, an old
backup: docs/guarantees.md).  When the entries past the database's end are
lost for good, the operator says so here; the registry then pins the
database's latest checkpoint and will sign new roots for sizes it signed
before, which everyone holding the old checkpoint can see as a fork.
Attached to ``registry`` with ``main.add_command(repin)``.
"""

from __future__ import annotations

import asyncio

import click

from registry.config import ConfigError, Settings
from registry.i18n import language_from_env, message
from registry.log.integrity import LogContradiction, b64
from registry.records.operator import OperatorKeys, open_keys
from registry.records.startup import PinReview, RegistryRunning, pin_review
from registry.signing.keys import KeyFileError


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def repin(yes: bool) -> None:
    """Pin the database's latest checkpoint in place of the one pinned in the data directory.

    Only for a database that was rolled back or restored from an older backup
    on purpose, whose missing entries are lost for good: restoring a newer
    backup is always better. Run it with every registry process stopped.
    """
    lang = language_from_env()
    try:
        settings = Settings.from_env()
        keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        asyncio.run(_repin(settings, keys, yes, lang))
    except (ConfigError, KeyFileError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    except (LogContradiction, RegistryRunning) as exc:
        raise click.ClickException(exc.message.render(lang)) from exc


async def _repin(settings: Settings, keys: OperatorKeys, yes: bool, lang: str) -> None:
    async with pin_review(settings, keys) as review:
        click.echo(_describe(review, lang))
        if review.pin_problem is None and review.contradiction is None:
            click.echo(message("log.repin-nothing", lang))
            return
        if not yes and not click.confirm(message("log.repin-confirm", lang)):
            raise click.Abort
        review.accept_database()
        size = 0 if review.database is None else review.database.size
        click.echo(message("log.repin-done", lang, size=size, pin_file=str(review.pin.path)))


def _describe(review: PinReview, lang: str) -> str:
    pinned = (
        message("log.repin-none", lang)
        if review.pinned is None
        else f"{review.pinned.size} {b64(review.pinned.root)}"
    )
    if review.pin_problem is not None:
        pinned = message("log.repin-unreadable", lang, detail=review.pin_problem)
    database = (
        "0" if review.database is None else f"{review.database.size} {b64(review.database.root)}"
    )
    return message(
        "log.repin-status", lang, pin_file=str(review.pin.path), pinned=pinned, database=database
    )
