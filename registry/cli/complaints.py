"""`registry complaints list|receive NUMBER|reject NUMBER`: Bawaslu or the recommender decides.

Public complaints wait at the registry (``POST /api/complaints``, the form at
``/complaints``).  Each command speaks to the running registry (``--registry``,
default REGISTRY_BASE_URL) with the institution's own key (``--key``, opened with
``--passphrase-file`` or REGISTRY_PASSPHRASE), so it runs from the institution's
machine, not only the registry's: ``list`` is a signed request for the pending
ones; ``receive`` signs the ``report`` the complaint becomes, byte for byte what
was filed, and sends it (the registry logs it and answers its entry); ``reject``
signs a ``complaint-rejection`` with the reason (never logged).
Attached to ``registry`` with ``main.add_command(complaints)``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click

from registry.cli.passphrase import passphrase_option, read_passphrase
from registry.cli.words import fail, key_file_error, say
from registry.compliance.access import sign_request
from registry.config import ConfigError, Settings
from registry.records.complaint_form import read_number, report_payload
from registry.records.complaints import rejection_payload
from registry.signing.cose import CoseSigner
from registry.signing.keys import KeyFileError, load_key

PAGE = 500
REPLAY_RETRIES = 2


class _Replayed(click.ClickException):
    """The registry saw this signed request before (signed in the same second): sign anew."""

    def __init__(self, refusal: click.ClickException) -> None:
        super().__init__(refusal.message)


def _request(url: str, method: str, body: bytes | None, headers: dict[str, str]) -> Any:
    """``method url`` answered as JSON; a refusal or no answer fails the command, in words."""
    http = urllib.request.Request(  # noqa: S310 (the institution's own registry URL)
        url, data=body, headers={"Accept-Language": "en", **headers}, method=method
    )
    try:
        with urllib.request.urlopen(http, timeout=60) as answer:  # noqa: S310 (as above)
            return json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        text = exc.read().decode("utf-8", "replace")
        try:
            problem = json.loads(text)
            if str(problem.get("type", "")).endswith(":replayed-request"):
                refusal = fail("complaints.cli.refused", status=exc.code, detail=text)
                raise _Replayed(refusal) from exc
            parts = (problem.get(name, "") for name in ("type", "title", "detail"))
            text = ": ".join(str(p) for p in parts)
        except ValueError:
            pass
        raise fail("complaints.cli.refused", status=exc.code, detail=text) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise fail("complaints.cli.unreachable", url=url, detail=str(exc)) from exc


class _Desk:
    """The registry's complaints as one institution's key reaches them."""

    def __init__(self, registry: str | None, key_path: Path, passphrase_file: Path | None):
        try:
            settings = Settings.from_env()
        except ConfigError as exc:
            raise fail("cli.config", detail=str(exc)) from exc
        url = registry or settings.base_url
        if not url:
            raise fail("enrolment.cli.no-registry")
        self.base = url.rstrip("/")
        try:
            self.signer = CoseSigner(load_key(key_path, read_passphrase(passphrase_file)))
        except KeyFileError as exc:
            raise key_file_error(exc, key_path) from exc

    def pending(self) -> list[dict[str, Any]]:
        """Every pending complaint (signed requests, a page at a time)."""
        found: list[dict[str, Any]] = []
        while True:
            page = self._signed_get(f"/api/complaints?limit={PAGE}&offset={len(found)}")
            found += page["complaints"]
            if len(page["complaints"]) < PAGE:
                return found

    def _signed_get(self, asked: str) -> Any:
        """``GET asked`` as a signed request.  A request is used once and signed to the second
        (``iat``): a second command within the same second signs the same bytes, which the
        registry refuses as replayed; then it waits for the next second and signs anew."""
        for attempt in range(REPLAY_RETRIES + 1):
            header = sign_request(self.signer, "GET", asked)
            try:
                return _request(self.base + asked, "GET", None, {"Authorization": header})
            except _Replayed:
                if attempt == REPLAY_RETRIES:
                    raise
                time.sleep(1)
        raise AssertionError("unreachable")  # pragma: no cover

    def decide(self, number: str, action: str, payload: dict[str, Any]) -> Any:
        """Send ``payload`` signed as the decision ``action`` on complaint ``number``."""
        statement = self.signer.sign_statement(payload, self.signer.kid.hex())
        url = f"{self.base}/api/complaints/{quote(number)}/{action}"
        return _request(url, "POST", statement, {"Content-Type": "application/cose"})


def _number(text: str) -> str:
    number = read_number(text)
    if number is None:
        raise fail("complaint.bad-complaint-number.detail", number=text)
    return number


key_option = click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The institution's key file (Bawaslu or recommender), made by `registry keygen`.",
)
registry_option = click.option(
    "--registry", help="The running registry's URL (default REGISTRY_BASE_URL)."
)


@click.group("complaints")
def complaints() -> None:
    """Public complaints (SIAPNET): list the pending, receive them into the log, or reject."""


@complaints.command("list")
@key_option
@registry_option
@passphrase_option
def list_complaints(key_path: Path, registry: str | None, passphrase_file: Path | None) -> None:
    """List the pending complaints: number, filed (ms), category, instansi, place, date."""
    found = _Desk(registry, key_path, passphrase_file).pending()
    if not found:
        click.echo(say("complaints.cli.none"), err=True)
    for c in found:
        r = c["report"]
        shown = [c["number"], str(c["filed_at"]), r["category"], r["instansi"], r["place"]]
        click.echo("\t".join([*shown, r["date"]]))


@complaints.command()
@click.argument("number")
@key_option
@registry_option
@passphrase_option
def receive(
    number: str, key_path: Path, registry: str | None, passphrase_file: Path | None
) -> None:
    """Receive complaint NUMBER: sign the report it becomes and have it logged."""
    wanted = _number(number)
    desk = _Desk(registry, key_path, passphrase_file)
    held = {c["number"]: c for c in desk.pending()}
    if wanted not in held:
        status = _request(f"{desk.base}/api/complaints/{quote(wanted)}", "GET", None, {})
        raise fail("complaint.complaint-decided.detail", now=status["status"])
    answer = desk.decide(wanted, "receive", report_payload(held[wanted]["report"]))
    click.echo(say("complaints.cli.received", number=wanted, index=answer["entry"]))


@complaints.command()
@click.argument("number")
@click.option("--reason", required=True, help="Why it is not received (public to the complainant).")
@key_option
@registry_option
@passphrase_option
def reject(
    number: str, reason: str, key_path: Path, registry: str | None, passphrase_file: Path | None
) -> None:
    """Reject complaint NUMBER with REASON (nothing is logged; the complainant sees the reason)."""
    wanted = _number(number)
    desk = _Desk(registry, key_path, passphrase_file)
    desk.decide(wanted, "reject", rejection_payload(wanted, reason))
    click.echo(say("complaints.cli.rejected", number=wanted))
