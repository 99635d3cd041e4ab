"""The `registry` command: keys, signing and offline verification.

Every failure prints a message naming the reason and exits non-zero:
1 when a verification fails, 2 for bad usage or unreadable input.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

import click
from granian.constants import Interfaces, Loops
from granian.log import LogLevels
from granian.server.mp import MPServer

from registry.cli_custodial import custodial_key
from registry.cli_import import import_command
from registry.cli_passphrase import passphrase_option
from registry.cli_passphrase import read_passphrase as _passphrase
from registry.config import ConfigError, Settings, describe, settings_environment
from registry.operations import DemoError, initialise, load_demo
from registry.qr import pick_qr_text, read_qr_image
from registry.records.schemas import RecordError, load_record_file
from registry.signing.cose import CoseSigner
from registry.signing.keys import (
    KeyFileError,
    generate_key,
    load_key,
    public_key_of_sealed,
    raw_public_key,
    save_key,
)
from registry.verify.cose import key_id
from registry.verify.item import verify_item
from registry.verify.qr import PREFIX as QR_PREFIX
from registry.verify.qr import parse_link, verify_offline
from registry.verify.result import Reason, Verdict
from registry.verify.trust import KeySourceError, TrustedKeys, b64url

DEMO_STATEMENTS = 8128  # the progress bar's length: the demo's statement count for its seed


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Configuration (environment variables, also settable in REGISTRY_CONFIG_FILE):\n\n"
    + describe().replace("\n", "\n\n"),
)
def main() -> None:
    """Integrity pact registry: sign, log and verify neutrality commitments."""


@main.command()
def init() -> None:
    """Create the operator's keys and the log's first entry (the admin's enrolment)."""
    settings = _settings()
    try:
        keys, size = asyncio.run(initialise(settings))
    except (KeyFileError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    if settings.admin_passphrase_is_insecure:
        click.echo("warning: REGISTRY_ADMIN_PASSPHRASE is the public demo passphrase", err=True)
    click.echo(f"registry {settings.origin}: {size} entries in {settings.database_url}")
    click.echo(f"log verifier key {keys.note.verifier_key_string}")


@main.command()
@click.option("--host", help="Address to listen on (default REGISTRY_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default REGISTRY_PORT, 8000).")
@click.option("--demo", is_flag=True, help="Fill an empty registry with the demo data first.")
@click.option(
    "--workers",
    type=click.IntRange(0, 64),
    help="HTTP worker processes (default REGISTRY_WORKERS; 0: one per CPU). One of them "
    "sequences the log; the others verify signatures and hand statements to it.",
)
def serve(host: str | None, port: int | None, demo: bool, workers: int | None) -> None:
    """Run the registry over HTTP, initialising it first when needed."""
    settings = _settings()
    try:
        asyncio.run(initialise(settings))
        if demo:
            asyncio.run(_load_demo(settings, only_if_empty=True))
    except (KeyFileError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc
    count = settings.workers if workers is None else workers
    server_for(settings, host=host, port=port, workers=count or os.cpu_count() or 1).serve()


def server_for(settings: Settings, *, host: str | None, port: int | None, workers: int) -> MPServer:
    """The granian server `registry serve` runs: the fastest of those measured (benchmarks.md).

    Its workers build the app from the environment (``registry.api.asgi``),
    so the settings given here go to them as ``REGISTRY_*`` variables.
    """
    os.environ.update(settings_environment(settings))
    return MPServer(
        "registry.api.asgi:app_from_env",
        factory=True,
        address=host or settings.host,
        port=port or settings.port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop if importlib.util.find_spec("uvloop") else Loops.asyncio,
        websockets=False,
        log_level=LogLevels.info,
        respawn_failed_workers=True,
    )


@main.command()
def demo() -> None:
    """Fill the registry with realistic demo data (provinces, PPKs, pacts, follow-ups)."""
    settings = _settings()
    try:
        asyncio.run(initialise(settings))
        asyncio.run(_load_demo(settings, only_if_empty=False))
    except (KeyFileError, FileExistsError) as exc:
        raise click.ClickException(str(exc)) from exc


async def _load_demo(settings: Settings, *, only_if_empty: bool) -> None:
    with click.progressbar(length=DEMO_STATEMENTS, label="demo data", file=sys.stderr) as bar:
        try:
            loaded = await load_demo(settings, only_if_empty=only_if_empty, progress=bar.update)
        except DemoError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(loaded)


@main.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the encrypted key file.",
)
@passphrase_option
@click.option("--force", is_flag=True, help="Overwrite an existing key file.")
def keygen(out: Path, passphrase_file: Path | None, force: bool) -> None:
    """Create an Ed25519 key, saved encrypted under a passphrase."""
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists; pass --force to overwrite it")
    passphrase = _passphrase(passphrase_file, confirm=True)
    key = generate_key()
    try:
        save_key(out, key, passphrase)
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    public = raw_public_key(key)
    click.echo(f"kid {key_id(public).hex()}")
    click.echo(f"public key {b64url(public)}")


def _load_record(path: Path) -> dict[str, Any]:
    try:
        return load_record_file(path)
    except RecordError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


@main.command()
@click.argument("record", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Encrypted key file made by `registry keygen`.",
)
@click.option("--issuer", help="CWT issuer (default: the key's kid in hex).")
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Output .cose file (default: RECORD with the suffix .cose).",
)
@passphrase_option
def sign(
    record: Path, key_path: Path, issuer: str | None, out: Path | None, passphrase_file: Path | None
) -> None:
    """Sign a record (YAML or JSON) into a COSE_Sign1 signed statement."""
    payload = _load_record(record)
    try:
        key = load_key(key_path, _passphrase(passphrase_file, confirm=False))
    except KeyFileError as exc:
        raise click.ClickException(f"{key_path}: {exc}") from exc
    signer = CoseSigner(key)
    statement = signer.sign_statement(payload, issuer or signer.kid.hex())
    target = out or record.with_suffix(".cose")
    target.write_bytes(statement)
    click.echo(f"signed {payload['type']} statement written to {target} ({len(statement)} bytes)")


@main.command()
@click.argument("item")
@click.option(
    "--key",
    "keys",
    multiple=True,
    help="A trusted public key: key file, base64url/hex raw key, or C2SP verifier key.",
)
@click.option(
    "--trust",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The registry's /.well-known/transparency-configuration JSON.",
)
@click.option(
    "--statement",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With a receipt: the signed statement it must be for.",
)
@click.option("--witness-key", "witness_keys", multiple=True, help="A witness's C2SP verifier key.")
@click.option(
    "--witnesses",
    type=int,
    default=0,
    show_default=True,
    help="Cosignatures required on a checkpoint.",
)
def verify(
    item: str,
    keys: tuple[str, ...],
    trust: Path | None,
    statement: Path | None,
    witness_keys: tuple[str, ...],
    witnesses: int,
) -> None:
    """Verify a signed statement, a receipt, a checkpoint or an offline QR code, offline.

    ITEM is a file (a .cose statement or receipt, a checkpoint, a QR code image
    such as PNG or JPEG, or a text file holding an offline QR's PI1: text) or the
    offline QR's PI1: text itself.  A QR needs only the registry's key (--trust
    or --key).  Exits 0 when it verifies, 1 with the reason when it does not.
    """
    try:
        trusted = TrustedKeys.build(
            [_key_text(k) for k in (*keys, *witness_keys)],
            [trust.read_bytes()] if trust else [],
        )
    except KeySourceError as exc:
        raise click.ClickException(str(exc)) from exc
    qr_text = _qr_text(item)
    if qr_text is not None:
        verdict = _verify_qr(qr_text, trusted)
    else:
        other = statement.read_bytes() if statement else None
        data = Path(item).read_bytes()
        verdict = verify_item(data, trusted, other, witnesses if witness_keys else None)
    click.echo(verdict.explain())
    for line in _describe(verdict):
        click.echo(line)
    if not verdict.ok:
        sys.exit(1)


IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


def _qr_text(item: str) -> str | None:
    """ITEM's QR text when it is a QR (an image, a text file, the text), else None for a file."""
    path = Path(item)
    if path.is_file():
        data = path.read_bytes()
        if data.startswith(IMAGE_MAGIC):
            try:
                found = read_qr_image(path)
            except (OSError, ValueError) as exc:
                raise click.ClickException(f"{item}: not a readable image: {exc}") from exc
            return pick_qr_text(found) or ""
        text = data.decode("utf-8", errors="replace").rstrip("\r\n")
        if text.startswith(QR_PREFIX) or parse_link(text).ok:
            return text
        return None
    if item.startswith(QR_PREFIX) or parse_link(item).ok:
        return item
    raise click.BadParameter(
        f"{item!r} is no file, nor an offline QR's text ({QR_PREFIX}...)", param_hint="ITEM"
    )


def _verify_qr(text: str, trusted: TrustedKeys) -> Verdict[Any]:
    """The verdict on a QR code's text: offline payloads verify, links point online."""
    if not text:
        return Verdict.failed("QR code", Reason.EMPTY, "no QR code found in the image")
    if text.startswith(QR_PREFIX):
        return verify_offline(text, trusted.by_kid, trusted.origin)
    link = parse_link(text)
    if link.ok and link.value is not None:
        index, base = link.value.index, link.value.base_url
        return Verdict.failed(
            "QR code",
            Reason.WRONG_TYPE,
            f"this is the link QR of entry {index}: open {link.value.url} to verify it online; "
            f"offline, verify its offline QR ({base}/entries/{index}/qr-offline.png)",
        )
    return Verdict.failed(
        "QR code", Reason.MALFORMED, "the QR code holds neither an offline payload nor a link"
    )


def _key_text(source: str) -> str:
    """A --key value as key text: key files are read, strings pass through."""
    path = Path(source)
    if not path.is_file():
        return source
    data = path.read_bytes()
    try:
        return b64url(public_key_of_sealed(data))
    except KeyFileError:
        return data.decode("utf-8", errors="replace").strip()


def _describe(verdict: Verdict[Any]) -> list[str]:
    """Lines that say what a verified item holds."""
    value = verdict.value
    if value is None:
        return []
    fields = getattr(value, "__dataclass_fields__", {})
    lines = []
    for name in fields:
        if name in {"raw", "leaf_bytes", "proof", "payload"}:
            continue
        item = getattr(value, name)
        lines.append(f"  {name}: {item.hex() if isinstance(item, bytes) else item}")
    if isinstance(getattr(value, "payload", None), dict):
        lines.append(
            "  payload: " + json.dumps(value.payload, default=_json_default, ensure_ascii=False)
        )
    return lines


def _json_default(value: object) -> str:
    if isinstance(value, bytes):
        return b64url(value)
    return str(value)


main.add_command(custodial_key)
main.add_command(import_command)
