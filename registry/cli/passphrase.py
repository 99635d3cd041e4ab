"""A signing key's passphrase on the command line, as every `registry` command reads it.

From ``--passphrase-file`` (:data:`passphrase_option`), else ``$REGISTRY_PASSPHRASE``,
else a prompt in a terminal.  Its own module so that both ``registry.cli`` and
``registry.cli.imports`` (which ``registry.cli`` imports) can use it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from registry.cli.words import say

PASSPHRASE_ENV = "REGISTRY_PASSPHRASE"  # noqa: S105 (the variable's name, not a secret)

passphrase_option = click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"File holding the key's passphrase (else ${PASSPHRASE_ENV}, else a prompt).",
)


def read_passphrase(passphrase_file: Path | None, *, confirm: bool = False) -> str:
    """The passphrase: the file's text less trailing newlines, else the variable, else asked.

    ``confirm`` asks twice at the prompt (for a new key).  Raises
    :class:`click.UsageError` when there is no file, no variable and no terminal
    to ask in, and :class:`click.BadParameter` for a file that cannot be read as UTF-8.
    """
    if passphrase_file is not None:
        try:
            return passphrase_file.read_text(encoding="utf-8").rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(
                say("cli.passphrase-file", path=str(passphrase_file), error=str(exc)),
                param_hint="--passphrase-file",
            ) from exc
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise click.UsageError(say("cli.no-passphrase", variable=PASSPHRASE_ENV))
    value: str = click.prompt(
        say("cli.prompt.passphrase"),
        hide_input=True,
        confirmation_prompt=say("cli.prompt.repeat") if confirm else False,
    )
    return value
