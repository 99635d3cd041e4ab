"""What the `registry` command prints, in the language ``LC_ALL``/``LC_MESSAGES``/``LANG`` ask for.

Bahasa Indonesia for ``id_ID.UTF-8`` (or ``id``), English otherwise
(:func:`registry.i18n.language_from_env`).  Commands word their reports with
:func:`say` and raise :class:`CliError` for failures, which Click prints as
``Error: ...`` (``Galat: ...``) before exiting 1.  Click's own usage errors
and ``--help`` stay English.
"""

from __future__ import annotations

from typing import IO, Any

import click

from registry.i18n import Text, language_from_env, message, render
from registry.signing.keys import KeyFileError, WrongPassphrase


def language() -> str:
    """The language of the command's messages, read from the environment each time."""
    return language_from_env()


def say(key: str, /, **params: Any) -> str:
    """The catalog's message ``key`` in the command's language."""
    return message(key, language(), **params)


def words(text: Text) -> str:
    """``text`` in the command's language (a plain string as it is)."""
    return render(text, language())


class CliError(click.ClickException):
    """A failure the command prints in its language, then exits 1."""

    def __init__(self, text: Text) -> None:
        super().__init__(words(text))

    def show(self, file: IO[Any] | None = None) -> None:
        """Print ``Error: <message>`` (``Galat: ...`` in Bahasa Indonesia) to stderr."""
        click.echo(say("cli.error", message=self.format_message()), file=file, err=file is None)


def fail(key: str, /, **params: Any) -> CliError:
    """The failure worded by the catalog's ``key``."""
    return CliError(say(key, **params))


def key_file_error(exc: KeyFileError, path: object | None = None) -> CliError:
    """A key file that cannot be used, said in the command's language.

    A wrong passphrase is said as such; other key-file errors keep their
    (English) specifics after a sentence in the command's language.
    """
    if isinstance(exc, WrongPassphrase):
        why = say("cli.wrong-passphrase")
    else:
        why = say("cli.key-file", detail=str(exc))
    return CliError(f"{path}: {why}" if path is not None else why)
