"""The text a pact or declaration commits to, for its record page (``/v/{index}``).

A pact or declaration cites its template by the SHA-256 of the template's text;
the record page shows that text in full, found in the log (the template entry
whose text hashes to the cited value), with the fill-ins of the record below it
as a letter's signature block: the signer's name, jabatan and instansi (as the
signed payload names them; the enrolment's for entries logged before payloads
named their signer), the election, place and date.  A cited text that is not in
the log is said to be missing, with the hash, never replaced by another text.

What the page shows here comes from the server; the browser verifies the signed
hash (the checks above it on the page), and anyone can hash the template text
shown and compare.
"""

from __future__ import annotations

import binascii
import hashlib
from typing import Any

from registry.documents.certificate import find_template
from registry.records.service import RegistryService
from registry.verify.trust import unb64url

PLEDGE_TYPES = ("pact", "declaration")
"""The records whose page shows the text they commit to."""


def cited_hash(payload: dict[str, Any]) -> bytes | None:
    """The template hash a record's JSON payload cites (base64url there), or None."""
    try:
        cited = unb64url(str(payload.get("template", "")))
    except (ValueError, binascii.Error):
        return None
    return cited if len(cited) == hashlib.sha256().digest_size else None


def _fill_ins(view: dict[str, Any]) -> dict[str, str]:
    """Name, jabatan, instansi, election, place, date: the record's own words first."""
    payload = view.get("payload") or {}
    named = payload.get("signer") if isinstance(payload.get("signer"), dict) else None
    enrolled = view.get("signer") or {}
    person = named or enrolled
    fields = {
        "name": person.get("name"),
        "jabatan": person.get("jabatan"),
        "instansi": payload.get("instansi") or person.get("instansi"),
        "election": payload.get("election"),
        "place": payload.get("place"),
        "date": payload.get("date"),
    }
    return {k: str(v) for k, v in fields.items() if v}


async def pledge_text(service: RegistryService, view: dict[str, Any]) -> dict[str, Any] | None:
    """What the record page shows of a pact's or declaration's text; None for other types.

    ``template`` (index, title, text) is None when no template entry in the log
    has the cited text; ``sha256`` is the cited hash in hex; ``fill_ins`` the
    record's details; ``signed_names`` whether the name comes from the signed payload.
    """
    if view.get("type") not in PLEDGE_TYPES:
        return None
    payload = view.get("payload") or {}
    cited = cited_hash(payload)
    template = await find_template(service, cited) if cited is not None else None
    return {
        "sha256": cited.hex() if cited is not None else str(payload.get("template", "")),
        "template": None
        if template is None
        else {"index": template.index, "title": template.title, "text": template.text},
        "fill_ins": _fill_ins(view),
        "signed_names": isinstance(payload.get("signer"), dict),
    }
