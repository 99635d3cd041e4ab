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
    return read_secret(
        passphrase_file,
        variable=PASSPHRASE_ENV,
        option="--passphrase-file",
        prompt=say("cli.prompt.passphrase"),
        confirm=confirm,
    )


def read_secret(
    path: Path | None,
    *,
    variable: str,
    option: str,
    prompt: str,
    confirm: bool = False,
    empty_variable_counts: bool = False,
    unreadable: str = "cli.passphrase-file",
    missing: str = "cli.no-passphrase",
) -> str:
    """A secret from the file ``path`` (less trailing newlines), else ``$variable``, else asked.

    An empty ``$variable`` is ignored unless ``empty_variable_counts`` (the caller
    then refuses it with its own words).  Raises :class:`click.BadParameter` naming
    ``option`` for an unreadable file (worded by the message ``unreadable``), and
    :class:`click.UsageError` when there is nothing to read and no terminal to ask in
    (worded by ``missing``).
    """
    if path is not None:
        try:
            return path.read_text(encoding="utf-8").rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise click.BadParameter(
                say(unreadable, path=str(path), error=str(exc), reason=str(exc)),
                param_hint=option,
            ) from exc
    from_env = os.environ.get(variable)
    if from_env or (empty_variable_counts and from_env is not None):
        return from_env
    if not sys.stdin.isatty():
        raise click.UsageError(say(missing, variable=variable))
    value: str = click.prompt(
        prompt,
        hide_input=True,
        confirmation_prompt=say("cli.prompt.repeat") if confirm else False,
    )
    return value
