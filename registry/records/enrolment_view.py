"""What an entry's JSON view (``GET /entries/{i}``) adds from later entries: an enrolment's
evidence and confirmations, a pact's versions, and every entry's claimed time beside its
registration time (with the attestation that let an old one in)."""

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
    async for page in reads.pages(SEARCH_PAGE, type="enrolment-confirmation"):
        found += [summarise(r, r.idx in revoked) for r in page]
    return confirmation_status(summarise(record, record.idx in revoked), found)


async def pact_status(
    reads: VerifiedEntries, record: EntryRecord, revoked: Container[int]
) -> dict[str, Any]:
    """:func:`pact_versions` of pact ``record``, its signer's other pacts read from the log."""
    found: list[EntrySummary] = []
    async for page in reads.pages(SEARCH_PAGE, type="pact", signer_kid=record.signer_kid):
        found += [summarise(r, r.idx in revoked) for r in page]
    return pact_versions(summarise(record, record.idx in revoked), found)


async def timing(
    reads: VerifiedEntries, record: EntryRecord, revoked: Container[int], max_age_s: int
) -> dict[str, Any]:
    """The entry's claimed time (``iat``) beside its registration time (the leaf's), the lag,
    whether it is past the maximum age (``backdated``), and the attestation listing it."""
    summary = summarise(record, record.idx in revoked)
    registered = record.registered_at // 1000
    lag = registered - summary.issued_at
    attested_by = None
    if lag > max_age_s and record.content_sha256 is not None:
        async for page in reads.pages(SEARCH_PAGE, type="attestation"):
            attested_by = next(
                (
                    r.idx
                    for r in page
                    if r.idx < record.idx
                    and record.content_sha256
                    in (summarise(r, False).payload.get("statements") or [])
                ),
                None,
            )
            if attested_by is not None or page[-1].idx >= record.idx:
                break
    return {
        "claimed_at": summary.issued_at,
        "registered_at": registered,
        "lag_seconds": lag,
        "backdated": lag > max_age_s,
        "attested_by": attested_by,
    }
