"""`registry enrolment list|approve ID|reject ID`: the operator decides on browsers' requests.

A signer whose browser made their key asks to be enrolled (``POST /enrolment-requests``); the
request waits in the store.  ``approve`` signs the ``enrolment`` statement with the admin key
(REGISTRY_ADMIN_PASSPHRASE opens it), registers it at the running registry
(``--registry``, default REGISTRY_BASE_URL) with ``POST /entries``, and records the entry in
the request.  Attached to ``registry`` with ``main.add_command(enrolment)``.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import click

from registry.cli.words import CliError, fail, say
from registry.config import ConfigError, Settings
from registry.records.enrolment_requests import mark_approved, reject_request, stored_requests
from registry.records.errors import NotFound
from registry.records.operator import open_keys
from registry.records.schemas import RecordError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise fail("cli.config", detail=str(exc)) from exc


def post_statement(registry: str, statement: bytes) -> int:
    """Register ``statement`` at ``registry`` (``POST /entries``); the entry's index."""
    http = urllib.request.Request(  # noqa: S310 (the operator's own registry URL)
        registry.rstrip("/") + "/entries",
        data=statement,
        headers={"Content-Type": "application/cose", "Accept-Language": "en"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http, timeout=60) as answer:  # noqa: S310 (operator's URL)
            return int(answer.headers["X-Registry-Entry-Index"])
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        try:
            problem = json.loads(body)
            body = f"{problem.get('title', '')}: {problem.get('detail', '')}"
        except ValueError:
            pass
        raise fail("enrolment.cli.refused", status=exc.code, detail=body) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise fail("enrolment.cli.unreachable", url=registry, detail=str(exc)) from exc


@click.group("enrolment")
def enrolment() -> None:
    """Enrolment requests sent from browsers, and their approval."""


@enrolment.command("list")
@click.option("--all", "show_all", is_flag=True, help="Approved requests too.")
def list_requests(show_all: bool) -> None:
    """List the pending enrolment requests (id, kid, role, name, jabatan, instansi)."""
    for request in asyncio.run(stored_requests(_settings())):
        if request.enrolment is not None and not show_all:
            continue
        f = request.fields
        status = "pending" if request.enrolment is None else f"approved #{request.enrolment}"
        click.echo(
            "\t".join([request.id, status, f["role"], f["name"], f["jabatan"], f["instansi"]])
        )


@enrolment.command()
@click.argument("request_id")
@click.option("--registry", help="The running registry's URL (default REGISTRY_BASE_URL).")
def approve(request_id: str, registry: str | None) -> None:
    """Enrol the key of request REQUEST_ID: sign its enrolment with the admin key, register it."""
    settings = _settings()
    found = {r.id: r for r in asyncio.run(stored_requests(settings))}
    request = found.get(request_id)
    if request is None:
        raise fail("notfound.enrolment-request", id=request_id)
    if request.enrolment is not None:
        raise fail("enrolment.cli.already", id=request_id, index=request.enrolment)
    url = registry or settings.base_url
    if not url:
        raise fail("enrolment.cli.no-registry")
    try:
        payload = request.enrolment_payload()
    except RecordError as exc:
        raise CliError(exc.message) from exc
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    statement = keys.admin.sign_statement(payload, "operator")
    index = post_statement(url, statement)
    asyncio.run(mark_approved(settings, request_id, index))
    click.echo(say("enrolment.cli.approved", id=request_id, kid=request.kid, index=index))


@enrolment.command()
@click.argument("request_id")
def reject(request_id: str) -> None:
    """Turn down the pending request REQUEST_ID: it is forgotten (nothing was ever logged)."""
    settings = _settings()
    try:
        asyncio.run(reject_request(settings, request_id))
    except NotFound as exc:
        raise CliError(exc.what) from exc
    click.echo(say("enrolment.cli.rejected", id=request_id))
