"""`registry keygen`, `registry sign`, `registry verify`: keys, signing and offline verification.

Every failure prints a message naming the reason and exits non-zero:
1 when a verification fails, 2 for bad usage or unreadable input, 3 when
everything holds but the witness quorum the trust configuration requires
("not yet witnessed": not invalid; docs/witness.md).  Messages
and verdicts are in Bahasa Indonesia when ``LANG`` (or ``LC_ALL``,
``LC_MESSAGES``) says ``id``, in English otherwise; the ``kid``/``public key``
lines that scripts read stay the same in every language.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from registry.cli.extras import needs_extra
from registry.cli.naming import named, names_no_signer
from registry.cli.passphrase import passphrase_option
from registry.cli.passphrase import read_passphrase as _passphrase
from registry.cli.startup import database_name
from registry.cli.words import CliError, fail, key_file_error, language, say, words
from registry.config import ConfigError, Settings
from registry.documents.qr import pick_qr_text, read_qr_image
from registry.i18n import message
from registry.records.identities import Person, keep_identity
from registry.records.personal import commit_enrolment_nip
from registry.records.schemas import RecordError, record_payload
from registry.records.text_form import parse_record_fields, read_record_file
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
from registry.verify.link import parse_link
from registry.verify.qr import PREFIX as QR_PREFIX
from registry.verify.qr import verify_offline
from registry.verify.result import Reason, Verdict
from registry.verify.signed_by import SignedBy
from registry.verify.split import compare_checkpoints
from registry.verify.trust import KeySourceError, TrustedKeys, b64url, unb64url

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
"""A command-line file argument that must name an existing file."""


@click.command()
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
        raise fail("cli.key-exists", path=str(out))
    passphrase = _passphrase(passphrase_file, confirm=True)
    key = generate_key()
    try:
        save_key(out, key, passphrase)
    except KeyFileError as exc:
        raise key_file_error(exc) from exc
    public = raw_public_key(key)
    click.echo(f"kid {key_id(public).hex()}")
    click.echo(f"public key {b64url(public)}")


def _load_record(path: Path, kid: bytes | None = None) -> tuple[dict[str, Any], Person | None]:
    """The payload to sign, and the identity to keep when an enrolment named a plain NIP.

    With the signing key's ``kid``, a pledge or follow-up that names no signer names the
    key's enrolment in the registry's database (:func:`registry.cli.naming.named`).
    """
    try:
        data, person = commit_enrolment_nip(read_record_file(path))
        if kid is not None:
            data = named(data, kid)
        return record_payload(parse_record_fields(data)), person
    except RecordError as exc:
        raise CliError(record_problems(path, exc)) from exc


def _keep(person: Person) -> None:
    """Keep an enrolment's NIP and salt in the registry's identities (REGISTRY_DATABASE_URL)."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise CliError(words(exc.message)) from exc
    asyncio.run(keep_identity(settings.database_url, person))
    click.echo(
        say(
            "cli.sign.nip-committed",
            commitment=person.commitment.hex(),
            database=database_name(settings),
        ),
        err=True,
    )


def record_problems(path: Path, exc: RecordError) -> str:
    """Every bad field of a record file, one per line, in the command's language."""
    named = [e for e in exc.errors if e.field]
    if not named:
        return f"{path}: {words(exc.message)}"
    lines = [say("cli.record-problems", path=str(path), type=exc.kind or "?", count=len(named))]
    lines += [say("cli.record-problem", problem=words(e.message())) for e in exc.errors]
    return "\n".join(lines)


@click.command()
@click.argument("record", type=EXISTING_FILE)
@click.option(
    "--key",
    "key_path",
    type=EXISTING_FILE,
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
    """Sign a record (YAML or JSON) into a COSE_Sign1 signed statement.

    An enrolment may name its holder's ``nip``: it is signed as ``nip_commitment``
    (SHA-256 of a random salt and the NIP), the NIP and salt kept in the
    registry's identities (REGISTRY_DATABASE_URL), never in the log.  A pact,
    declaration or follow-up names its ``signer`` (name, jabatan, instansi as the
    key's enrolment has them); when the file names none, they are read from the
    registry's database (REGISTRY_DATABASE_URL) if it enrols the key.
    """
    unnamed = names_no_signer(record)  # named once the key (its kid) is open
    payload, person = ({}, None) if unnamed else _load_record(record)
    try:
        key = load_key(key_path, _passphrase(passphrase_file, confirm=False))
    except KeyFileError as exc:
        raise key_file_error(exc, key_path) from exc
    signer = CoseSigner(key)
    if unnamed:
        payload, person = _load_record(record, signer.kid)
    statement = signer.sign_statement(payload, issuer or signer.kid.hex())
    if person is not None:
        _keep(person)
    target = out or record.with_suffix(".cose")
    target.write_bytes(statement)
    click.echo(say("cli.signed", type=payload["type"], path=str(target), size=len(statement)))


@click.command()
@click.argument("item")
@click.option(
    "--key",
    "keys",
    multiple=True,
    help="A trusted public key: key file, base64url/hex raw key, or C2SP verifier key.",
)
@click.option(
    "--trust",
    type=EXISTING_FILE,
    help="The registry's /.well-known/transparency-configuration JSON.",
)
@click.option(
    "--statement",
    type=EXISTING_FILE,
    help="With a receipt: the signed statement it must be for.",
)
@click.option("--witness-key", "witness_keys", multiple=True, help="A witness's C2SP verifier key.")
@click.option(
    "--witnesses",
    type=int,
    default=0,
    show_default=True,
    help="Cosignatures required (with --witness-key; else the --trust configuration's quorum).",
)
@click.option(
    "--checkpoint",
    "witnessed",
    type=EXISTING_FILE,
    help="With a receipt: a checkpoint cosigned by the quorum that contains its tree.",
)
@click.option(
    "--proof",
    type=EXISTING_FILE,
    help="A consistency proof (the JSON of GET /proofs/consistency) between the two trees.",
)
@click.option(
    "--compare",
    type=EXISTING_FILE,
    help="Another signed checkpoint of the log: prove a split view, or that they agree.",
)
def verify(
    item: str,
    keys: tuple[str, ...],
    trust: Path | None,
    statement: Path | None,
    witness_keys: tuple[str, ...],
    witnesses: int,
    witnessed: Path | None,
    proof: Path | None,
    compare: Path | None,
) -> None:
    """Verify a signed statement, a receipt, a checkpoint or an offline QR code, offline.

    ITEM is a file (a .cose statement or receipt, a checkpoint, a QR code image
    such as PNG or JPEG, or a text file holding an offline QR's PI1: text) or the
    offline QR's PI1: text itself.  A QR needs only the registry's key (--trust
    or --key).  With --compare, ITEM and the other file are two checkpoints of
    the log: two roots for one size prove a split view.  Exits 0 when it
    verifies, 1 with the reason when it does not, 3 when only the witness quorum
    is missing (not yet witnessed).
    """
    try:
        trusted = TrustedKeys.build(
            [_key_text(k) for k in (*keys, *witness_keys)],
            [trust.read_bytes()] if trust else [],
        )
    except KeySourceError as exc:
        raise fail("cli.key-source", detail=str(exc)) from exc
    required = witnesses if witness_keys else trusted.witnesses_required
    path = _consistency_path(proof) if proof else None
    qr_text = None if compare else _qr_text(item)
    if compare is not None:
        verdict: Verdict[Any] = compare_checkpoints(
            _text_of(Path(item)),
            _text_of(compare),
            trusted.log_keys,
            trusted.witness_keys,
            path,
        )
    elif qr_text is not None:
        verdict = _verify_qr(qr_text, trusted, required)
    else:
        other = statement.read_bytes() if statement else None
        data = Path(item).read_bytes()
        checkpoint = witnessed.read_bytes() if witnessed else None
        verdict = verify_item(data, trusted, other, required, checkpoint, path)
    click.echo(explain(verdict, language()))
    named = getattr(verdict.value, "signed_by", None)
    if isinstance(named, SignedBy):
        click.echo(signed_by_sentence(named, language()))
    for line in _describe(verdict):
        click.echo(line)
    if verdict.reason == Reason.NOT_WITNESSED:
        sys.exit(3)
    if not verdict.ok:
        sys.exit(1)


def _text_of(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(str(exc), param_hint=str(path)) from exc


def _consistency_path(path: Path) -> list[bytes]:
    """The hashes of a consistency proof file: ``GET /proofs/consistency``'s JSON."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return [unb64url(h) for h in document["path"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise click.BadParameter(
            say("cli.bad-proof-file", path=str(path), error=str(exc)), param_hint="--proof"
        ) from exc


QR_CHECK = "QR code"
"""The check of the verdicts :func:`_verify_qr` makes itself (not `registry.verify`)."""
IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*", b"RIFF")


def _qr_text(item: str) -> str | None:
    """ITEM's QR text when it is a QR (an image, a text file, the text), else None for a file."""
    path = Path(item)
    if path.is_file():
        data = path.read_bytes()
        if data.startswith(IMAGE_MAGIC):
            try:
                with needs_extra("qr-read", "registry verify IMAGE"):
                    found = read_qr_image(path)
            except (OSError, ValueError) as exc:
                raise fail("cli.unreadable-image", item=item, error=str(exc)) from exc
            return pick_qr_text(found) or ""
        text = data.decode("utf-8", errors="replace").rstrip("\r\n")
        if text.startswith(QR_PREFIX) or parse_link(text).ok:
            return text
        return None
    if item.startswith(QR_PREFIX) or parse_link(item).ok:
        return item
    raise click.BadParameter(
        say("cli.no-item", item=repr(item), prefix=QR_PREFIX), param_hint="ITEM"
    )


def _verify_qr(text: str, trusted: TrustedKeys, required: int) -> Verdict[Any]:
    """The verdict on a QR code's text: offline payloads verify, links point online.

    The verdicts made here (no QR, a link QR, neither) are worded in the
    command's language already.
    """
    if not text:
        return Verdict.failed(QR_CHECK, Reason.EMPTY, say("cli.qr.none"))
    if text.startswith(QR_PREFIX):
        return verify_offline(
            text,
            trusted.by_kid,
            trusted.origin,
            trusted.witness_keys,
            required,
            trusted.log_validity,
        )
    link = parse_link(text)
    if link.ok and link.value is not None:
        index, base = link.value.index, link.value.base_url
        return Verdict.failed(
            QR_CHECK,
            Reason.WRONG_TYPE,
            say("cli.qr.link", index=index, url=link.value.url, base=base),
        )
    return Verdict.failed(QR_CHECK, Reason.MALFORMED, say("cli.qr.neither"))


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


def signed_by_sentence(named: SignedBy, lang: str) -> str:
    """ "Pakta integritas ditandatangani oleh <name>, <jabatan>, <instansi>" in ``lang``."""
    return message(
        f"verify.signed-by.{named.statement_type}",
        lang,
        name=named.name,
        jabatan=named.jabatan,
        instansi=named.instansi,
    )


def explain(verdict: Verdict[Any], lang: str) -> str:
    """:meth:`Verdict.explain` in ``lang``: the same lines in English; in Bahasa Indonesia
    the check, OK/FAILED and the reason's meaning are translated (by :class:`Reason`,
    here at the edge: `registry.verify` imports nothing), the verifier's specifics kept.
    """
    check = message(f"verify.check.{verdict.check.replace(' ', '-')}", lang, default=verdict.check)
    if verdict.ok:
        return message("verify.ok", lang, check=check)
    if verdict.reason == Reason.NOT_WITNESSED:
        lines = [message("verify.not-witnessed", lang, check=check, detail=verdict.detail)]
        return "\n".join(lines + [f"  {k}: {v}" for k, v in verdict.evidence.items() if v])
    reason = verdict.reason or Reason.MALFORMED
    detail = message(f"verify.reason.{reason.value}", lang, detail=verdict.detail)
    if verdict.check == QR_CHECK:  # made here, worded in the command's language already
        detail = verdict.detail
    lines = [message("verify.failed", lang, check=check, reason=reason.value, detail=detail)]
    lines += [f"  {k}: {v}" for k, v in verdict.evidence.items()]
    return "\n".join(lines)


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
