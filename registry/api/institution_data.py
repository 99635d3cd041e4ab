"""What each institution page shows, read from the log, the keys and the compliance figures.

One function per page (:data:`PAGE_DATA`), each given the key that proved it may use the page
(:class:`registry.records.institution_access.Access`):

- ``recommender``: the reports in the log (and whether a recommendation answers them yet, and
  the election each cites), the PPKs one may address (by instansi), the registered elections a
  recommendation may cite (as the portal offers them), and the outcomes of this key's
  recommendations;
- ``bkn``: the overdue recommendations with each PPK's current enforcement step, and the
  enrolments whose decree no institution has countersigned yet;
- ``operator``: the pending enrolment requests, with the enrolment record each would become,
  and the standing keys (to revoke one).

Everything but the pending requests is public in the log already; the pages only gather it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from registry.api.portal import registered_elections
from registry.compliance import views
from registry.compliance.service import ComplianceService
from registry.records.enrolment_requests import EnrolmentRequests
from registry.records.entries import payload_json
from registry.records.institution_access import Access
from registry.records.service import RegistryService
from registry.verify.cose import key_id
from registry.verify.trust import b64url, unb64url

MAX_ROWS = 500
"""The newest entries of a type a page lists (a page is a work list, not an archive)."""

Gatherer = Callable[
    [Access, RegistryService, ComplianceService, EnrolmentRequests], Awaitable[dict[str, Any]]
]


async def standing(
    service: RegistryService, type: str, signer_kid: bytes | None = None
) -> list[tuple[int, dict[str, Any]]]:
    """The newest standing entries of ``type`` (by ``signer_kid`` if given): index, payload.

    Binary payload fields are base64url text, as in the entries' JSON views.
    """
    total = (await service.search(type=type, signer_kid=signer_kid, limit=1))[1]
    records, _ = await service.search(
        type=type, signer_kid=signer_kid, limit=MAX_ROWS, offset=max(0, total - MAX_ROWS)
    )
    return [
        (r.idx, json.loads(r.payload_json))
        for r in reversed(records)
        if r.idx < service.size and service.revocation_of(r.idx) is None
    ]


def _hex(value: str | None) -> str | None:
    return unb64url(value).hex() if value else None


async def _ppks(service: RegistryService) -> list[dict[str, Any]]:
    keys = [k for k in await service.signers_with_role("ppk") if k.revoked_at is None]
    return [
        {"kid": k.kid.hex(), "name": k.name, "jabatan": k.jabatan, "instansi": k.instansi}
        for k in sorted(keys, key=lambda k: (k.instansi, k.name))
    ]


async def recommender_data(
    access: Access,
    service: RegistryService,
    compliance: ComplianceService,
    requests: EnrolmentRequests,
) -> dict[str, Any]:
    """Reports to answer, PPKs to address, elections to cite, and this key's recommendations
    with their outcome."""
    mine = await standing(service, "recommendation", access.key.kid)
    answered = {p.get("report") for _, p in await standing(service, "recommendation")}
    reports = [
        {
            "index": idx,
            "case_number": p.get("case_number"),
            "instansi": p.get("instansi"),
            "province": p.get("province"),
            "category": p.get("category"),
            "date": p.get("date"),
            "election": p.get("election"),
            "subject_commitment": _hex(p.get("subject_commitment")),
            "recommended": idx in answered,
        }
        for idx, p in await standing(service, "report")
    ]
    snap = await compliance.snapshot()
    indexes = {idx for idx, _ in mine}
    outcomes = [row for row in views.recommendations(snap) if row["index"] in indexes]
    outcomes.sort(key=lambda row: -int(row["index"]))
    return {
        "reports": reports,
        "ppks": await _ppks(service),
        "elections": await registered_elections(service),
        "recommendations": outcomes,
    }


def _current_steps(steps: list[tuple[int, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each PPK's (kid hex) latest standing enforcement step: its entry and step."""
    current: dict[str, dict[str, Any]] = {}
    for idx, p in sorted(steps):
        current[_hex(p.get("ppk_kid")) or ""] = {"index": idx, "step": p.get("step")}
    return current


async def bkn_data(
    access: Access,
    service: RegistryService,
    compliance: ComplianceService,
    requests: EnrolmentRequests,
) -> dict[str, Any]:
    """Overdue recommendations with each PPK's current step, and enrolments to countersign."""
    snap = await compliance.snapshot()
    current = _current_steps(await standing(service, "enforcement"))
    payloads = dict(await standing(service, "recommendation"))
    overdue = []
    for row in views.recommendations(snap, status="overdue"):
        kid = _hex(row["ppk"]) or ""
        subject = _hex(payloads.get(row["index"], {}).get("subject_commitment"))
        overdue.append(
            row | {"ppk_kid": kid, "current_step": current.get(kid), "subject_commitment": subject}
        )
    confirmed = {
        (p.get("enrolment"), p.get("decree_sha256"))
        for _, p in await standing(service, "enrolment-confirmation")
    }
    to_confirm = []
    for idx, p in await standing(service, "enrolment"):
        decree = p.get("decree_sha256")
        key = await service.enrolled(key_id(unb64url(p["public_key"])))
        if not decree or (idx, decree) in confirmed or key is None or key.revoked_at is not None:
            continue
        to_confirm.append(
            {
                "index": idx,
                "role": p.get("role"),
                "name": p.get("name"),
                "jabatan": p.get("jabatan"),
                "instansi": p.get("instansi"),
                "decree_number": p.get("decree_number"),
                "decree_date": p.get("decree_date"),
                "decree_issuer": p.get("decree_issuer"),
                "decree_sha256": _hex(decree),
            }
        )
    return {"overdue": overdue, "enrolments": to_confirm}


async def operator_data(
    access: Access,
    service: RegistryService,
    compliance: ComplianceService,
    requests: EnrolmentRequests,
) -> dict[str, Any]:
    """The pending enrolment requests (with the record each would become) and standing keys."""
    pending = []
    for request in await requests.all():
        if request.enrolment is not None:
            continue
        shown = request.as_json()
        # Enrolled already (the page registered it but could not say so): approval only records it.
        enrolled = await service.enrolled(bytes.fromhex(request.kid))
        shown["enrolled"] = None if enrolled is None else enrolled.enrolment_idx
        try:
            shown["record"] = json.loads(payload_json(request.enrolment_payload()))
        except ValueError:  # a request whose fields no longer make an enrolment: reject it
            shown["record"] = None
        pending.append(shown)
    keys = [
        {
            "kid": k.kid.hex(),
            "kid_b64": b64url(k.kid),
            "role": k.role,
            "name": k.name,
            "jabatan": k.jabatan,
            "instansi": k.instansi,
            "enrolment": k.enrolment_idx,
        }
        for k in sorted(await service.signers(), key=lambda k: k.enrolment_idx)
        if k.revoked_at is None
    ]
    return {"requests": pending, "keys": keys}


PAGE_DATA: dict[str, Gatherer] = {
    "recommender": recommender_data,
    "bkn": bkn_data,
    "operator": operator_data,
}
