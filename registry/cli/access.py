"""`registry access-log`: who read a person's identity, when, what they asked.

Every read of personal data through the API (a track record, the identity
behind a commitment) is recorded with the reader's key, the time, the request
and its signature (docs/compliance.md).  An operator lists them all, those by
one key (``--kid``), or those about one person (``--nip``: reads by that NIP and
of every commitment kept for it), to show the person concerned.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import click

from registry.cli.words import CliError, fail, say, words
from registry.config import ConfigError, Settings
from registry.records.identities import read_access_log
from registry.verify.trust import b64url


@click.command("access-log")
@click.option("--nip", help="Only the reads about this person (18-digit NIP).")
@click.option("--kid", help="Only the reads by this key (kid in hex).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line, with the request.")
def access_log(nip: str | None, kid: str | None, as_json: bool) -> None:
    """List the recorded reads of personal data (REGISTRY_DATABASE_URL)."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise CliError(words(exc.message)) from exc
    try:
        kid_bytes = bytes.fromhex(kid) if kid is not None else None
    except ValueError:
        kid_bytes = b""
    if kid_bytes is not None and len(kid_bytes) != 32:
        raise fail("parameter.kid")
    reads = asyncio.run(read_access_log(settings.database_url, nip=nip, kid=kid_bytes))
    if as_json:
        for r in reads:
            row = {
                "at": _when(r.at_ms),
                "kid": r.kid.hex(),
                "role": r.role,
                "what": r.what,
                "asked": r.asked,
                "subject": r.subject,
                "request": b64url(r.request),
            }
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not reads:
        click.echo(say("cli.access-log.empty"))
        return
    click.echo(say("cli.access-log.header"))
    for r in reads:
        click.echo(f"{_when(r.at_ms)}\t{r.kid.hex()}\t{r.role}\t{r.what}\t{r.asked}")


def _when(at_ms: int) -> str:
    return dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC).isoformat(timespec="seconds")
