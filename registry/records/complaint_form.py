"""A public complaint as filed (SIAPNET, seed 002): its receipt number, and the report it becomes.

Anyone may file a complaint; it is held (registry/records/complaints.py) until
Bawaslu or the recommending authority signs it as received, and only then is
it logged, as a ``report``.  What is filed is turned at once into that report
with commitments only:

- the ASN complained about is ``subject_commitment``: ``SHA-256(salt || NIP)``
  when the complainant knows the NIP (as every report names its subject), else
  ``SHA-256(salt || name "\\n" instansi)``; the name (and NIP) are kept in the
  identities, readable by signed request only, erasable;
- the complainant is ``reporter_commitment``: ``SHA-256(salt || CBOR map of
  the name, NIK, phone and e-mail they gave)``; only their name is kept in the
  identities, never their NIK, phone or e-mail (those exist only inside the
  commitment), and the report's ``reporter`` is the fixed words
  :data:`REPORTER`, never who they are.

The free text (description, place) is checked for NIPs and phone numbers like
every statement's (registry/records/personal.py).  The complaint names the
election it is about, one the registry registers (a standing ``election``
entry): every new report cites one (registry/records/citations.py), so a
complaint naming none or another could never be received.  A receipt number is 80
random bits in Crockford base32 and a check symbol (Luhn mod 32), shown in
groups of four: ``7KQ2-M9XD-4RTA-H3VB-P``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from registry.records.errors import FieldError
from registry.records.fields import LONG_TEXT_MAX_LENGTH
from registry.records.personal import SALT_BYTES, commit_nip
from registry.records.schemas import RecordError, parse_record, record_payload
from registry.store.models import IdentityRecord
from registry.verify.cbor import encode_deterministic

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, so a number read aloud or copied by hand survives."""
NUMBER_SYMBOLS = 16
"""Random symbols in a receipt number: 80 bits, never guessed (and the form is rate-limited)."""
REPORTER = "Pengaduan masyarakat (SIAPNET)"
"""What a report made from a public complaint says in ``reporter``: never the complainant."""
CASE_PREFIX = "SIAPNET-"
TEXT_MAX = 500
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
"""The day of a complaint is read in Western Indonesia Time, as the registration policy reads it."""
FORM_FIELDS = (
    "instansi",
    "province",
    "category",
    "description",
    "place",
    "date",
    "election",
    "subject_name",
    "subject_nip",
    "complainant_name",
    "complainant_nik",
    "complainant_phone",
    "complainant_email",
)
"""What the form and ``POST /api/complaints`` take; nothing else."""
_NIK = re.compile(r"\d{16}")
_NIP = re.compile(r"\d{18}")
_PHONE = re.compile(r"\+?[0-9][0-9 .-]{6,18}[0-9]")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}")


def _check_symbol(symbols: str) -> str:
    """Luhn mod 32 over ``symbols``: catches any one symbol changed and most swaps."""
    total, factor = 0, 2
    for symbol in reversed(symbols):
        addend = factor * ALPHABET.index(symbol)
        total += addend // 32 + addend % 32
        factor = 1 if factor == 2 else 2
    return ALPHABET[(32 - total % 32) % 32]


def _grouped(symbols: str) -> str:
    return "-".join(symbols[i : i + 4] for i in range(0, len(symbols), 4))


def new_number() -> str:
    """A fresh receipt number from the system's random source, grouped and checked."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(NUMBER_SYMBOLS))
    return _grouped(symbols + _check_symbol(symbols))


def read_number(text: str) -> str | None:
    """The receipt number ``text`` as kept (upper case, grouped), or ``None`` if it is no
    receipt number: wrong length, a symbol outside the alphabet, or a wrong check symbol.
    Lower case, spaces and dashes are forgiven, and O, I, L read as 0, 1, 1."""
    if len(text) > 64:
        return None
    plain = re.sub(r"[\s-]", "", text).upper().translate(str.maketrans("OIL", "011"))
    if len(plain) != NUMBER_SYMBOLS + 1 or any(c not in ALPHABET for c in plain):
        return None
    if _check_symbol(plain[:-1]) != plain[-1]:
        return None
    return _grouped(plain)


def case_number(number: str) -> str:
    """The case number a complaint's report carries: ``SIAPNET-`` and its receipt number."""
    return CASE_PREFIX + number


@dataclass(frozen=True)
class Filed:
    """A complaint made fit to hold: the report-to-be (``fields``, commitments only, binary
    as hex) and the identities to keep behind its two commitments."""

    fields: dict[str, Any]
    people: tuple[IdentityRecord, ...]


def _text(data: Mapping[str, Any], name: str, errors: list[FieldError], limit: int) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, "not-text", {}))
        return None
    if len(value) > limit:
        errors.append(FieldError(name, "too-long", {"length": len(value), "max": limit}))
        return None
    return value.strip()


def _required(value: str | None, name: str, errors: list[FieldError]) -> str:
    if value is None and not any(e.field == name for e in errors):
        errors.append(FieldError(name, "missing", {}))
    return value or ""


def _salted(data: bytes) -> tuple[bytes, bytes]:
    salt = secrets.token_bytes(SALT_BYTES)
    return salt, hashlib.sha256(salt + data).digest()


def _contact(data: Mapping[str, Any], errors: list[FieldError]) -> dict[str, str]:
    """The complainant's NIK, phone and e-mail, each checked for its shape."""
    shapes = {"complainant_nik": _NIK, "complainant_phone": _PHONE, "complainant_email": _EMAIL}
    found: dict[str, str] = {}
    for name, shape in shapes.items():
        value = _text(data, name, errors, TEXT_MAX)
        if value is None:
            continue
        if shape.fullmatch(value) is None:
            errors.append(FieldError(name, "bad-format", {}))
        else:
            found[name.removeprefix("complainant_")] = value
    return found


def file_complaint(data: Any, number: str, elections: Collection[str]) -> Filed:
    """The complaint ``data`` (the :data:`FORM_FIELDS`) as the report it would become.

    ``elections`` are the names of the elections the registry registers now (standing
    ``election`` entries): the complaint's ``election`` must be one of them.

    Raises :class:`RecordError` listing every bad field: one missing, too long or
    of the wrong shape, a field the form does not have, an election the registry
    does not register (``unknown-election``), and personal data (a NIP, a phone
    number) in the description or place (``nip-in-text``, ``phone-in-text``).
    """
    if not isinstance(data, Mapping):
        raise RecordError([FieldError("", "not-a-map", {})], "complaint")
    known = {"type": "complaint", "known": ", ".join(FORM_FIELDS)}
    errors = [FieldError(str(k), "unknown-field", known) for k in data if k not in FORM_FIELDS]
    texts = {
        name: _text(data, name, errors, LONG_TEXT_MAX_LENGTH if name == "description" else TEXT_MAX)
        for name in FORM_FIELDS
        if not name.startswith("complainant_") and name != "subject_nip"
    }
    subject_name = _required(texts["subject_name"], "subject_name", errors)
    complainant_name = _text(data, "complainant_name", errors, TEXT_MAX)
    complainant = _required(complainant_name, "complainant_name", errors)
    nip = _text(data, "subject_nip", errors, TEXT_MAX)
    if nip is not None and _NIP.fullmatch(nip) is None:
        errors.append(FieldError("subject_nip", "not-a-nip", {}))
    contact = _contact(data, errors)
    instansi = _required(texts["instansi"], "instansi", errors)
    if nip is not None and _NIP.fullmatch(nip):
        salt, subject = commit_nip(nip)
    else:
        salt, subject = _salted(f"{' '.join(subject_name.split())}\n{instansi}".encode())
    # The complainant's identity exists only inside this commitment (and their name in
    # the identities): the report's reporter is the fixed words, never who they are.
    who = encode_deterministic({"name": complainant, **contact})
    complainant_salt, complainant_commitment = _salted(who)
    payload: dict[str, Any] = {
        "type": "report",
        "case_number": case_number(number),
        "reporter": REPORTER,
        "instansi": instansi,
        "subject_commitment": subject,
        "category": _required(texts["category"], "category", errors),
        "description": _required(texts["description"], "description", errors),
        "place": _required(texts["place"], "place", errors),
        "date": _required(texts["date"], "date", errors),
        "election": _election(texts["election"], elections, errors),
        "reporter_commitment": complainant_commitment,
    }
    if texts["province"] is not None:
        payload["province"] = texts["province"]
    today = dt.datetime.now(WIB).date().isoformat()
    if payload["date"] > today and not any(e.field == "date" for e in errors):
        errors.append(FieldError("date", "complaint-date-ahead", {"today": today}))
    report = _checked(payload, errors)
    people = (
        IdentityRecord(subject, salt, nip, subject_name),
        IdentityRecord(complainant_commitment, complainant_salt, None, complainant),
    )
    return Filed(report, people)


def _election(name: str | None, elections: Collection[str], errors: list[FieldError]) -> str:
    """The election the complaint names, if the registry registers it (else an error)."""
    if name is not None and name not in elections:
        known = ", ".join(sorted(elections)) or "-"
        errors.append(FieldError("election", "unknown-election", {"name": name, "known": known}))
    return _required(name, "election", errors)


def _checked(payload: dict[str, Any], errors: list[FieldError]) -> dict[str, Any]:
    """``payload`` as the report's fields (binary as hex), once the report schema (and the
    rule against personal data in free text) holds."""
    try:
        parse_record(payload)
    except RecordError as exc:
        errors += [e for e in exc.errors if e.field not in {f.field for f in errors}]
    if errors:
        raise RecordError(errors, "complaint")
    return {k: v.hex() if isinstance(v, bytes) else v for k, v in payload.items()}


def report_payload(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The ``report`` an institution signs to receive a held complaint (its ``fields``)."""
    data = {
        k: bytes.fromhex(v) if k in {"subject_commitment", "reporter_commitment"} else v
        for k, v in fields.items()
    }
    return record_payload(parse_record(data))
