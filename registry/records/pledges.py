"""Registration rules of pacts and declarations: whose office, which template, once.

Rule (5) of :mod:`registry.records.policy` for the records a PPK or an ASN
pledges with (docs/compliance.md "Registration rules" says the same):

* the ``instansi`` a pact or declaration names is the office its key is
  enrolled for (``wrong-instansi``): a head cannot pledge for, and so move the
  figures of, another region;
* the ``signer`` a pact or declaration (or a follow-up, where it gives one)
  names is the key's enrolment: the same name, jabatan and instansi
  (``signer-mismatch``, naming the field), so the name an offline verifier
  shows from the signed payload is the enrolled one;
* a key that signs a pact for an election it already has a standing pact
  for signs a new version: it is admitted and *supersedes* the earlier one,
  which stays in the log and is shown as replaced (:func:`pact_versions`);
  one key counts one pact per election, its latest.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.records.errors import refused
from registry.records.obligations import EntrySummary, EntryView
from registry.records.schemas import Declaration, FollowUp, Pact
from registry.store.models import SignerKeyRecord
from registry.verify.signed_by import SIGNER_FIELDS
from registry.verify.statement import Statement


def check_pledge(
    statement: Statement,
    record: Pact | Declaration,
    signer: SignerKeyRecord,
    idx: int,
    entries: EntryView,
) -> None:
    """The rules of a pact or declaration signed by ``signer`` as entry ``idx``; raise a refusal."""
    if record.instansi != signer.instansi:
        raise refused(
            "wrong-instansi",
            "refusal.wrong-instansi",
            403,
            {"kid": statement.kid.hex()},
            named=repr(record.instansi),
            enrolled=repr(signer.instansi),
        )
    check_named_signer(statement, record, signer)


def check_named_signer(
    statement: Statement, record: Pact | Declaration | FollowUp, signer: SignerKeyRecord
) -> None:
    """The ``signer`` ``record`` names (if any) is ``signer``'s enrolment, field by field;
    raise ``signer-mismatch`` naming the first field that differs."""
    named = record.signer
    if named is None:
        return
    for name in SIGNER_FIELDS:
        given, enrolled = getattr(named, name), getattr(signer, name)
        if given != enrolled:
            raise refused(
                "signer-mismatch",
                "refusal.signer-mismatch",
                403,
                {"kid": statement.kid.hex(), "field": name, "enrolment": str(signer.enrolment_idx)},
                field=name,
                named=repr(given),
                enrolled=repr(enrolled),
                entry=signer.enrolment_idx,
            )


NAMING_TYPES = ("pact", "declaration", "follow-up")
"""The records whose payload names their signer (:class:`registry.records.schemas.Signer`)."""


def named_by_enrolment(record: dict[str, Any], key: SignerKeyRecord | None) -> dict[str, Any]:
    """``record`` (as JSON gives it) naming its signer as ``key``'s enrolment does, when it is
    a pact, declaration or follow-up that names none yet; anything else as it is.

    What a signing client does for its signer (the portal's custodial signing, ``registry
    sign``): the name must be the enrolment's, or registration refuses it.
    """
    if key is None or record.get("type") not in NAMING_TYPES or "signer" in record:
        return record
    return {**record, "signer": {name: getattr(key, name) for name in SIGNER_FIELDS}}


def pact_versions(pact: EntrySummary, same_signer: Iterable[EntrySummary]) -> dict[str, Any]:
    """Which standing pacts of the same key for the same election ``pact`` replaces, and which
    one replaces it (the next one after it); what a pact's view shows."""
    election = pact.payload.get("election")
    versions = sorted(
        p.idx
        for p in same_signer
        if p.type == "pact" and not p.revoked and p.payload.get("election") == election
    )
    later = [i for i in versions if i > pact.idx]
    return {
        "election": election,
        "supersedes": [i for i in versions if i < pact.idx],
        "superseded_by": later[0] if later else None,
    }
