"""Enrolment evidence and its confirmation by a second institution.

An enrolment rests on the operator's word unless it records the evidence of
office (the SK decree's number, date, issuer and the SHA-256 of its scanned
file) and a second institution countersigns it: an ``enrolment-confirmation``
signed by a key of a :data:`CONFIRMING_ROLES` role, citing an earlier standing
enrolment whose ``decree_sha256`` it repeats (the scan it checked).  An entry's
JSON view says whether an enrolment is confirmed (:func:`confirmation_status`,
read by :func:`registry.records.enrolment_view.enrolment_status`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from registry.records.errors import refused
from registry.records.obligations import EntrySummary, EntryView
from registry.records.schemas import EnrolmentConfirmation

CONFIRMING_ROLES = frozenset({"bkn"})
"""Who may countersign an enrolment: BKN keeps the civil servants' appointments."""


def check_confirmation(record: EnrolmentConfirmation, idx: int, entries: EntryView) -> None:
    """The rules of a confirmation registered as entry ``idx``; raise a refusal."""
    cited = entries.summary(record.enrolment)
    if cited is None or record.enrolment >= idx:
        raise refused("unknown-entry", "refusal.unknown-enrolment", 404, entry=record.enrolment)
    if cited.type != "enrolment":
        raise refused(
            "not-an-enrolment",
            "refusal.not-an-enrolment",
            422,
            entry=record.enrolment,
            type=cited.type,
        )
    if cited.revoked:
        raise refused("revoked-enrolment", "refusal.revoked-enrolment", 409, entry=record.enrolment)
    if not cited.payload:  # a view without payloads (a bare replay) cannot compare the decree
        return
    if cited.payload.get("decree_sha256") != record.decree_sha256:
        raise refused(
            "decree-mismatch",
            "refusal.decree-mismatch",
            422,
            {"enrolment": str(record.enrolment)},
            entry=record.enrolment,
        )


def confirmation_status(
    enrolment: EntrySummary | None, confirmations: Iterable[EntrySummary]
) -> dict[str, Any]:
    """What an enrolment's view says of its evidence: ``confirmed`` and by which entries."""
    payload = enrolment.payload if enrolment is not None else {}
    by = sorted(
        c.idx
        for c in confirmations
        if not c.revoked
        and enrolment is not None
        and c.payload.get("enrolment") == enrolment.idx
        and c.payload.get("decree_sha256") == payload.get("decree_sha256")
    )
    return {
        "confirmed": bool(by),
        "confirmed_by": by,
        "evidence": {
            "decree_number": payload.get("decree_number"),
            "decree_date": payload.get("decree_date"),
            "decree_issuer": payload.get("decree_issuer"),
            "decree_sha256": payload["decree_sha256"].hex()
            if isinstance(payload.get("decree_sha256"), bytes)
            else None,
        },
    }
