"""What an entry's JSON view (``GET /entries/{i}``) adds from later entries: an enrolment's
evidence and confirmations, a pact's versions."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from registry.records.confirmations import confirmation_status
from registry.records.obligations import EntrySummary
from registry.records.pledges import pact_versions
from registry.records.references import SEARCH_PAGE, summarise
from registry.records.verified import VerifiedEntries
from registry.store.models import EntryRecord


async def enrolment_status(
    reads: VerifiedEntries, record: EntryRecord, revoked: Container[int]
) -> dict[str, Any]:
    """:func:`confirmation_status` of enrolment ``record``, its confirmations read from the log."""
    found: list[EntrySummary] = []
    while True:
        page = await reads.search(
            type="enrolment-confirmation", limit=SEARCH_PAGE, offset=len(found)
        )
        found += [summarise(r, r.idx in revoked) for r in page.records]
        if len(page.records) < SEARCH_PAGE:
            break
    return confirmation_status(summarise(record, record.idx in revoked), found)


async def pact_status(
    reads: VerifiedEntries, record: EntryRecord, revoked: Container[int]
) -> dict[str, Any]:
    """:func:`pact_versions` of pact ``record``, its signer's other pacts read from the log."""
    found: list[EntrySummary] = []
    while True:
        page = await reads.search(
            type="pact", signer_kid=record.signer_kid, limit=SEARCH_PAGE, offset=len(found)
        )
        found += [summarise(r, r.idx in revoked) for r in page.records]
        if len(page.records) < SEARCH_PAGE:
            break
    return pact_versions(summarise(record, record.idx in revoked), found)
