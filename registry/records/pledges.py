"""Registration rules of pacts and declarations: whose office, which template, once.

Rule (5) of :mod:`registry.records.policy` for the records a PPK or an ASN
pledges with (docs/compliance.md "Registration rules" says the same):

* the ``instansi`` a pact or declaration names is the office its key is
  enrolled for (``wrong-instansi``): a head cannot pledge for, and so move the
  figures of, another region;
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
from registry.records.schemas import Declaration, Pact
from registry.store.models import SignerKeyRecord
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
