"""Records as people write them: YAML or JSON, binary fields as text.

In CBOR a record's keys, hashes and commitments are bytes; in a YAML or JSON
record file (`registry sign`) or the fields of a custodial statement or an
enrolment request they are written as hex (64 digits) or base64url text.
:func:`parse_record_fields` turns them into bytes and validates the record
(:func:`registry.records.schemas.parse_record`), naming every field that is
neither hex nor base64url along with every other bad field;
:func:`read_record_file` and :func:`load_record_file` read a file.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from registry.records.errors import FieldError
from registry.records.schemas import Record, RecordError, parse_record, record_payload

_BINARY_FIELDS = {
    "public_key",
    "template",
    "kid",
    "ppk_kid",
    "subject_commitment",
    "previous_key",
    "nip_commitment",
    "reporter_commitment",
    "decree_sha256",
}
_BINARY_LIST_FIELDS = {"evidence", "witness_commitments", "statements"}
_HEX = re.compile(r"[0-9a-fA-F]{64}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _to_bytes(value: Any) -> bytes | None:
    """Hex (64 digits) or base64url text as bytes; None for anything else."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _HEX.fullmatch(text):
        return binascii.unhexlify(text)
    if not _BASE64URL.fullmatch(text):
        return None
    try:
        return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def _normalise(data: Mapping[str, Any], path: str = "") -> tuple[dict[str, Any], list[FieldError]]:
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, raw in data.items():
        where = f"{path}.{key}" if path else str(key)
        value = raw.isoformat() if isinstance(raw, dt.date) else raw
        if key in _BINARY_FIELDS and value is not None:
            value = _to_bytes(value)
            if value is None:
                errors.append(FieldError(where, "not-a-hash", {}))
        elif key in _BINARY_LIST_FIELDS and isinstance(value, list):
            items = [_to_bytes(v) for v in value]
            errors += [
                FieldError(f"{where}[{i}]", "not-a-hash", {})
                for i, item in enumerate(items)
                if item is None
            ]
            value = items
        elif key == "signer" and isinstance(value, dict):
            value, found = _normalise(value, where)
            errors += found
        elif key == "witnesses" and isinstance(value, list):
            witnesses = []
            for i, item in enumerate(value):
                witness = item
                if isinstance(item, dict):
                    witness, found = _normalise(item, f"{where}[{i}]")
                    errors += found
                witnesses.append(witness)
            value = witnesses
        out[key] = value
    return out, errors


def normalise_record_fields(data: dict[str, Any]) -> dict[str, Any]:
    """A record read from YAML or JSON with its binary fields as bytes and dates as ISO text.

    Keys, hashes and commitments may be hex (64 digits) or base64url text;
    raises :class:`RecordError` naming every field that is neither.  Validate
    the result with :func:`~registry.records.schemas.parse_record` (or do both:
    :func:`parse_record_fields`).
    """
    out, errors = _normalise(data)
    if errors:
        raise RecordError(errors, data.get("type") if isinstance(data.get("type"), str) else None)
    return out


def parse_record_fields(data: Any) -> Record:
    """A record as YAML or JSON give it (binary fields as hex or base64url text), validated.

    Raises :class:`RecordError` listing every bad field, undecodable hashes included.
    """
    if not isinstance(data, Mapping):
        raise RecordError([FieldError("", "not-a-record", {})])
    out, errors = _normalise(data)
    return parse_record(out, known=errors)


def load_record_file(path: Path) -> dict[str, Any]:
    """Read a record from YAML or JSON, validate it, and return the payload to sign.

    Raises :class:`RecordError` for a file that cannot be read or parsed
    (``errors`` then names no field) and for a record listing every bad field.
    """
    return record_payload(parse_record_fields(read_record_file(path)))


def read_record_file(path: Path) -> Any:
    """A record file's YAML or JSON as it is, not yet validated (:func:`load_record_file`).

    Raises :class:`RecordError` for a file that cannot be read or parsed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError([FieldError("", "unreadable", {"error": str(exc)})]) from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        fmt = "JSON" if path.suffix == ".json" else "YAML"
        raise RecordError(
            [FieldError("", "not-parsable", {"format": fmt, "error": str(exc)})]
        ) from exc
    return data
