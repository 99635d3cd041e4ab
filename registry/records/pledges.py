"""Registration rules of pacts and declarations: whose office, which template, once.

Rule (5) of :mod:`registry.records.policy` for the records a PPK or an ASN
pledges with (docs/compliance.md "Registration rules" says the same):

* the ``instansi`` a pact or declaration names is the office its key is
  enrolled for (``wrong-instansi``): a head cannot pledge for, and so move the
  figures of, another region;
* a key signs one standing pact per election (``duplicate-pact``): to sign a
  changed one, the signer revokes the earlier pact first, and both stay in the
  log, the earlier shown as revoked.

The pact check needs a :class:`PledgeView` (the registrar's
:class:`~registry.records.references.LogView` is one); a view that is not one
skips them, as a bare replay does the follow-up rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from registry.records.errors import refused
from registry.records.obligations import EntrySummary, EntryView
from registry.records.schemas import Declaration, Pact
from registry.store.models import SignerKeyRecord
from registry.verify.statement import Statement


@runtime_checkable
class PledgeView(Protocol):
    """Earlier templates and pacts, as the pledge rules ask for them."""

    def templates(self, sha256: bytes) -> Sequence[EntrySummary]:
        """Template entries whose text has SHA-256 ``sha256``, revoked ones flagged."""
        ...

    def pacts_by(self, kid: bytes) -> Sequence[EntrySummary]:
        """Pacts signed by the key ``kid``, revoked ones flagged."""
        ...


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
    if not isinstance(entries, PledgeView):
        return
    if isinstance(record, Pact):
        earlier = [
            p
            for p in entries.pacts_by(statement.kid)
            if p.idx < idx and not p.revoked and p.payload.get("election") == record.election
        ]
        if earlier:
            raise refused(
                "duplicate-pact",
                "refusal.duplicate-pact",
                409,
                {"pact": str(earlier[0].idx)},
                entry=earlier[0].idx,
                election=record.election,
            )
