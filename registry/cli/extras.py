"""Commands that need an optional extra: a clear one-line message when it is not installed.

``pip install integrity-pact-registry`` installs what the service, its pages
and the core commands need.  Reading a QR code from an image (``registry
verify IMAGE``) needs the ``qr-read`` extra, and importing an ``.xlsx``
workbook (``registry import``) the ``xlsx`` extra; without them, the command
says which extra to install instead of failing with a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from registry.i18n import language_from_env, message

DISTRIBUTION = "integrity-pact-registry"

EXTRAS: dict[str, frozenset[str]] = {
    "qr-read": frozenset({"zxingcpp", "PIL"}),
    "xlsx": frozenset({"openpyxl"}),
}
"""Each optional extra and the top-level modules it installs (see pyproject.toml)."""


def missing_extra(what: str, extra: str) -> str:
    """The message saying ``what`` needs ``extra`` and how to install it (LANG's language)."""
    return message(
        "cli.missing_extra",
        language_from_env(),
        what=what,
        extra=extra,
        install=f"{DISTRIBUTION}[{extra}]",
    )


@contextmanager
def needs_extra(extra: str, what: str) -> Iterator[None]:
    """Turn the import failure of a module of ``extra`` into a one-line command-line error.

    Any other missing module is a bug, not a missing extra, and goes on as it was.
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in EXTRAS[extra]:
            raise
        raise click.ClickException(missing_extra(what, extra)) from None
