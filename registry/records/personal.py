"""Personal data kept out of the log: NIPs behind salted commitments, none in free text.

Whatever a statement carries is public and permanent once logged.  So a NIP
is written only as ``SHA-256(salt || NIP)`` (:func:`commit_nip`; the salt and
the NIP are kept in the identities table, erasable), an enrolment carrying a
plain ``nip`` is refused, and free text (a reason, a description...) that
looks like a NIP or an Indonesian phone number is refused before it reaches
the log (:func:`personal_data_errors`).  Entries logged before these rules
are read as they are.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from typing import Any

from registry.records.errors import FieldError
from registry.store.models import IdentityRecord

SALT_BYTES = 16
"""Salt per commitment: 128 random bits, so no one can find a NIP by trying them all."""

FREE_TEXT_FIELDS = ("reason", "description", "place", "note", "title", "text")
"""The record fields a signer writes in their own words (schemas.py), checked for personal data."""

NIP_IN_TEXT = re.compile(r"(?<!\d)\d(?:[ .-]?\d){17}(?!\d)")
"""18 digits, with or without single spaces, dots or dashes between them (a NIP)."""
PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+62|62|0)[ .-]?8(?:[ .-]?\d){7,11}(?!\d)")
"""An Indonesian mobile number: +62 8... or 08..., 9 to 13 digits in all."""


def commit_nip(nip: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    """``(salt, SHA-256(salt || NIP))``, the salt fresh from the system's random source."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    return salt, hashlib.sha256(salt + nip.encode()).digest()


def _masked(found: str) -> str:
    digits = [c for c in found if c.isdigit()]
    return "".join(digits[:4]) + "…" + "".join(digits[-2:])


def found_in_text(text: str) -> tuple[str, str] | None:
    """``(what, masked)`` if ``text`` holds a NIP (``nip``) or a phone number (``phone``)."""
    for what, pattern in (("nip", NIP_IN_TEXT), ("phone", PHONE_IN_TEXT)):
        match = pattern.search(text)
        if match is not None:
            return what, _masked(match.group())
    return None


def personal_data_errors(enrolment: bool, payload: Mapping[str, Any]) -> list[FieldError]:
    """A new statement's personal data in clear: a plain ``nip`` in an enrolment, and every
    free-text field that looks like it holds a NIP or a phone number (named, masked)."""
    errors: list[FieldError] = []
    if enrolment and payload.get("nip") is not None:
        errors.append(FieldError("nip", "plain-nip", {}))
    for name in FREE_TEXT_FIELDS:
        value = payload.get(name)
        if isinstance(value, str):
            found = found_in_text(value)
            if found is not None:
                errors.append(FieldError(name, f"{found[0]}-in-text", {"found": found[1]}))
    return errors


def commit_enrolment_nip(data: Any) -> tuple[Any, IdentityRecord | None]:
    """An enrolment written with a plain ``nip`` (as an operator writes it) made fit for
    the log: the ``nip`` replaced by ``nip_commitment`` under a fresh random salt, and the
    identity to keep for it.  Anything else, or a ``nip`` that is no 18-digit NIP (then
    the schema says so), comes back as it is, with no identity."""
    if not isinstance(data, Mapping) or data.get("type") != "enrolment":
        return data, None
    nip = data.get("nip")
    if not isinstance(nip, str) or re.fullmatch(r"\d{18}", nip) is None:
        return data, None
    salt, commitment = commit_nip(nip)
    name = data.get("name")
    out = {k: v for k, v in data.items() if k != "nip"}
    out["nip_commitment"] = commitment
    return out, IdentityRecord(commitment, salt, nip, name if isinstance(name, str) else None)
