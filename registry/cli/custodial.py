"""`registry custodial-key`: put a signer's key in the registry's custody (an operator action).

Signers who do not hold a key file sign through ``POST /sign`` with a key the
registry keeps sealed under their passphrase.  Creating such a key is done
here, at the operator's terminal, and never over HTTP: the signer types the
passphrase (twice, hidden), the operator enrols the printed public key.
Attached to ``registry`` with ``main.add_command(custodial_key)``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from registry.cli.words import CliError, fail, say
from registry.config import ConfigError, Settings
from registry.records.custodial import ShortPassphrase, check_passphrase, create_custodial_key
from registry.verify.trust import b64url


@click.group("custodial-key")
def custodial_key() -> None:
    """Keys the registry holds for signers, sealed under each signer's passphrase."""


@custodial_key.command()
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File holding the signer's passphrase (else the signer types it twice, hidden).",
)
def create(passphrase_file: Path | None) -> None:
    """Create a key held for a signer in REGISTRY_DATABASE_URL; print its kid and public key.

    The key is sealed under the signer's passphrase, which is not stored:
    nobody, the operator included, can sign with it without the passphrase.
    Enrol the printed public key (an `enrolment` signed by the operator)
    before the signer can sign with POST /sign.
    """
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise fail("cli.config", detail=str(exc)) from exc
    passphrase = _read_passphrase(passphrase_file)
    try:
        check_passphrase(passphrase)
        kid, public = asyncio.run(create_custodial_key(settings, passphrase))
    except ShortPassphrase as exc:
        raise CliError(exc.message) from exc
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    click.echo(f"kid {kid.hex()}")  # read by scripts: the same in every language
    click.echo(f"public key {b64url(public)}")
    click.echo(say("cli.custodial.not-stored"), err=True)


def _read_passphrase(passphrase_file: Path | None) -> str:
    if passphrase_file is not None:
        return passphrase_file.read_text(encoding="utf-8").rstrip("\n")
    value: str = click.prompt(
        say("cli.prompt.signer-passphrase"),
        hide_input=True,
        confirmation_prompt=say("cli.prompt.repeat"),
        err=True,
    )
    return value
