"""Statement types and their schemas (DESIGN.md "Records").

Each record is a msgspec Struct; a payload is a plain map whose ``type`` picks
the Struct.  :func:`parse_record` validates a decoded payload and
:func:`load_record_file` reads one from YAML or JSON for `registry sign`.
Binary fields (keys, hashes, commitments) are bytes in CBOR; in YAML/JSON they
are written as base64url or hex text.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import msgspec
import yaml

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
IsoDate = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
Hash = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
Nip = Annotated[str, msgspec.Meta(pattern=r"^\d{18}$")]
EntryIndex = Annotated[int, msgspec.Meta(ge=0)]

Role = Literal["admin", "ppk", "asn", "recommender", "bkn", "bawaslu"]
HeadType = Literal["definitive", "acting"]
Sanction = Literal["moral", "medium", "heavy"]
EnforcementStep = Literal["early-warning", "warning", "reprimand", "block", "unblock"]


class RecordError(ValueError):
    """A record that does not fit its type's schema; the message names the field."""


class _Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    pass


class Enrolment(_Record, tag="enrolment", tag_field="type", kw_only=True, frozen=True):
    """Binds a public key to a person and the office they hold, with a role and a term."""

    public_key: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
    role: Role
    name: Text
    nip: Nip | None = None
    jabatan: Text
    instansi: Text
    province: Text | None = None
    head_type: HeadType | None = None
    decree_number: Text
    decree_date: IsoDate
    term_start: IsoDate
    term_end: IsoDate


class KeyRevocation(_Record, tag="key-revocation", tag_field="type", kw_only=True, frozen=True):
    """Revokes an enrolled key from a date on (for example, the office ended early)."""

    kid: Hash
    reason: Text
    effective: IsoDate


class Template(_Record, tag="template", tag_field="type", kw_only=True, frozen=True):
    """A published pact or declaration text; records cite it by SHA-256 of ``text``."""

    kind: Literal["pact", "declaration"]
    title: Text
    language: Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2}$")] = "id"
    text: LongText


class Witness(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A person witnessing a pact signing (Bawaslu, KASN...)."""

    name: Text
    jabatan: Text
    instansi: Text


class Pact(_Record, tag="pact", tag_field="type", kw_only=True, frozen=True):
    """A PPK's integrity pact (Pakta Integritas)."""

    template: Hash
    election: Text
    instansi: Text
    place: Text
    date: IsoDate
    witnesses: list[Witness] = []


class Declaration(_Record, tag="declaration", tag_field="type", kw_only=True, frozen=True):
    """An ASN's or PPK's neutrality declaration (Deklarasi Netralitas)."""

    template: Hash
    election: Text
    instansi: Text
    date: IsoDate


class Report(_Record, tag="report", tag_field="type", kw_only=True, frozen=True):
    """A complaint of a suspected violation (as SIAPNET takes them)."""

    case_number: Text
    reporter: Text
    instansi: Text
    province: Text | None = None
    subject_commitment: Hash
    category: Text
    description: LongText
    place: Text
    date: IsoDate
    evidence: list[Hash] = []


class Recommendation(_Record, tag="recommendation", tag_field="type", kw_only=True, frozen=True):
    """A sanction recommendation addressed to a PPK about a named (committed) ASN."""

    case_number: Text
    instansi: Text
    ppk_kid: Hash
    subject_commitment: Hash
    category: Text
    sanction: Sanction
    deadline: IsoDate
    report: EntryIndex | None = None


class FollowUp(_Record, tag="follow-up", tag_field="type", kw_only=True, frozen=True):
    """A PPK's follow-up of a recommendation: sanctioned (with the decree) or refused."""

    recommendation: EntryIndex
    action: Literal["sanctioned", "refused"]
    decree_number: Text | None = None
    decree_date: IsoDate | None = None
    reason: Text | None = None


class Enforcement(_Record, tag="enforcement", tag_field="type", kw_only=True, frozen=True):
    """A BKN enforcement step against an instansi whose PPK does not follow up."""

    instansi: Text
    ppk_kid: Hash
    step: EnforcementStep
    reason: Text
    recommendations: list[EntryIndex] = []


class Revocation(_Record, tag="revocation", tag_field="type", kw_only=True, frozen=True):
    """Says an earlier entry no longer stands, and why; nothing is ever deleted."""

    entry: EntryIndex
    reason: Text


Record = (
    Enrolment
    | KeyRevocation
    | Template
    | Pact
    | Declaration
    | Report
    | Recommendation
    | FollowUp
    | Enforcement
    | Revocation
)
RECORD_TYPES: dict[str, type[Any]] = {
    "enrolment": Enrolment,
    "key-revocation": KeyRevocation,
    "template": Template,
    "pact": Pact,
    "declaration": Declaration,
    "report": Report,
    "recommendation": Recommendation,
    "follow-up": FollowUp,
    "enforcement": Enforcement,
    "revocation": Revocation,
}


def parse_record(payload: dict[str, Any]) -> Record:
    """Validate a decoded statement payload against its type's schema."""
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in RECORD_TYPES:
        raise RecordError(f"unknown statement type {kind!r}; known: {', '.join(RECORD_TYPES)}")
    if kind == "follow-up":
        _check_follow_up(payload)
    try:
        return cast(Record, msgspec.convert(payload, type=Record, strict=True))
    except msgspec.ValidationError as exc:
        raise RecordError(f"{kind}: {exc}") from exc


def _check_follow_up(payload: dict[str, Any]) -> None:
    if payload.get("action") == "sanctioned" and not (
        payload.get("decree_number") and payload.get("decree_date")
    ):
        raise RecordError("follow-up: a sanction needs decree_number and decree_date")
    if payload.get("action") == "refused" and not payload.get("reason"):
        raise RecordError("follow-up: a refusal needs a reason")


def record_payload(record: Record) -> dict[str, Any]:
    """The record as the map that is signed (``type`` first, no None fields)."""
    data: dict[str, Any] = msgspec.to_builtins(record, enc_hook=None)
    raw = {k: v for k, v in data.items() if v is not None}
    for name in msgspec.structs.fields(record):
        value = getattr(record, name.name)
        if isinstance(value, bytes):
            raw[name.name] = value
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            raw[name.name] = list(value)
    return raw


_BINARY_FIELDS = {"public_key", "template", "kid", "ppk_kid", "subject_commitment"}
_BINARY_LIST_FIELDS = {"evidence"}


def _to_bytes(name: str, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise RecordError(f"{name}: expected hex or base64url text")
    text = value.strip()
    try:
        if len(text) in (64,) and all(c in "0123456789abcdefABCDEF" for c in text):
            return binascii.unhexlify(text)
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise RecordError(f"{name}: not hex or base64url ({exc})") from exc


def normalise_record_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A record read from YAML or JSON with its binary fields as bytes and dates as ISO text.

    Keys, hashes and commitments may be hex (64 digits) or base64url text;
    raises :class:`RecordError` naming the field that is neither.  Validate
    the result with :func:`parse_record`.
    """
    out: dict[str, Any] = {}
    for key, raw in data.items():
        value = raw.isoformat() if isinstance(raw, dt.date) else raw
        if key in _BINARY_FIELDS and value is not None:
            value = _to_bytes(key, value)
        elif key in _BINARY_LIST_FIELDS and isinstance(value, list):
            value = [_to_bytes(key, v) for v in value]
        elif key == "witnesses" and isinstance(value, list):
            value = [normalise_record_fields(w) if isinstance(w, dict) else w for w in value]
        out[key] = value
    return out


def load_record_file(path: Path) -> dict[str, Any]:
    """Read a record from YAML or JSON, validate it, and return the payload to sign."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"cannot read the record: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise RecordError(
            f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from exc
    if not isinstance(data, dict):
        raise RecordError("a record is a mapping with a 'type' field")
    return record_payload(parse_record(normalise_record_fields(data)))
