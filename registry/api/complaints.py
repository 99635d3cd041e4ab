"""Public complaints over HTTP (SIAPNET): file one, follow it, and the institutions' decisions.

- ``POST /api/complaints`` (JSON, rate-limited): file a complaint; ``201`` with its
  receipt ``number`` and the status page's address.  It is held, not logged.
- ``GET /api/complaints/{number}``: its status (``pending``, ``received`` with the
  entry, or ``rejected`` with the reason); nothing of what was filed.
- ``GET /api/complaints`` (signed request, Bawaslu or recommender): the pending ones,
  each with the ``report`` it would become (commitments only).
- ``POST /api/complaints/{number}/receive`` (``application/cose``): the ``report``
  statement a deciding key signed; registered, ``201`` with the entry.
- ``POST /api/complaints/{number}/reject`` (``application/cose``): a signed
  ``complaint-rejection``; never logged.

The pages (form and status) are registry/api/complaint_pages.py.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter

from registry.api.deps import Compliance, Service, cose_body, signed_target
from registry.api.errors import BadRequest, access_denied
from registry.api.limits import rate_limited
from registry.api.portal import registered_elections
from registry.compliance.access import AccessDenied, require
from registry.i18n import Message
from registry.records.complaints import DECIDING_ROLES, Complaints
from registry.records.service import RegistryService

MAX_BODY = 64 * 1024
"""A complaint's JSON (its description is at most 20,000 characters) or a signed decision."""


def complaints_of(request: Request[Any, Any, Any], service: RegistryService) -> Complaints:
    """The app's one :class:`Complaints` (made on first use)."""
    state = request.app.state
    found: Complaints | None = state.get("complaints")
    if found is None:
        found = service.complaints()
        state["complaints"] = found
    return found


class ComplaintsController(Controller):
    """Complaints from the public, held until Bawaslu or the recommender decides."""

    path = "/api/complaints"
    tags = ["complaints"]

    @post(
        "/",
        status_code=201,
        request_max_body_size=MAX_BODY,
        guards=[rate_limited("complaint")],
        summary="File a public complaint (held, not logged, until an institution receives it)",
        description="Body (JSON): `instansi`, `category` (the violation vocabulary), "
        "`description`, `place`, `date`, `subject_name` (the ASN complained about), "
        "`election` (the name of an election the registry registers), `complainant_name`; "
        "optional `province`, `subject_nip`, "
        "`complainant_nik`, `complainant_phone`, `complainant_email`. The complainant's "
        "identity is kept only as a salted commitment. 201 with the receipt `number` and "
        "`status_url`; 422 `schema-violation` listing each bad field (`nip-in-text`, "
        "`phone-in-text` for personal data in the description, `unknown-election` for an "
        "election no standing `election` entry registers).",
    )
    async def file(self, request: Request[Any, Any, Any], service: Service) -> Response[Any]:
        """Hold the complaint; answer its receipt number."""
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(
                "invalid-json",
                Message("complaint.invalid-json.title"),
                Message("complaint.invalid-json.detail", {"why": str(exc)[:200]}),
            ) from exc
        elections = await registered_elections(service)
        complaint = await complaints_of(request, service).file(data, elections)
        number = complaint.record.number
        body = {**complaint.status(), "status_url": f"/complaints/{number}"}
        return Response(body, status_code=201, headers={"Location": f"/api/complaints/{number}"})

    @get("/{number:str}", summary="A complaint's status, by its receipt number")
    async def status(
        self, request: Request[Any, Any, Any], service: Service, number: FromPath[str]
    ) -> Response[Any]:
        """Pending, received (with the entry) or rejected (with the reason)."""
        found = await complaints_of(request, service).get(number)
        return Response(found.status(), headers={"Cache-Control": "no-store"})

    @get(
        "/",
        summary="The pending complaints (signed request: Bawaslu, recommender)",
        guards=[rate_limited("identity")],
    )
    async def pending(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        compliance: Compliance,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=2**53 - 1)] = 0,
    ) -> Response[Any]:
        """Each pending complaint with the report a deciding key would sign."""
        try:
            key = await compliance.personal.signed_request(
                request.headers.get("authorization"), "GET", signed_target(request)
            )
            require(key.role in DECIDING_ROLES, key.role, Message("access.list-complaints"))
        except AccessDenied as exc:
            return access_denied(request, exc)
        found = await complaints_of(request, service).pending(limit, offset)
        return Response(
            {"complaints": [c.held() for c in found]}, headers={"Cache-Control": "no-store"}
        )

    @post(
        "/{number:str}/receive",
        status_code=201,
        request_max_body_size=MAX_BODY,
        summary="Receive a complaint: register the report a deciding key signed",
        description="Body: the `report` COSE_Sign1 statement, exactly the `report` that "
        "`GET /api/complaints` lists for it, signed by a Bawaslu or recommender key. "
        "201 with the `entry`; 409 `complaint-decided` if it was received or rejected "
        "before; 403 `wrong-role`; 400 `complaint-mismatch`, `bad-complaint-number`.",
    )
    async def receive(
        self, request: Request[Any, Any, Any], service: Service, number: FromPath[str]
    ) -> Response[Any]:
        """Log the complaint as a report and record its entry."""
        statement = await cose_body(request)
        complaint, registered = await complaints_of(request, service).receive(number, statement)
        return Response(
            complaint.status(),
            status_code=201,
            headers={"Location": f"/entries/{registered.index}"},
        )

    @post(
        "/{number:str}/reject",
        status_code=200,
        request_max_body_size=MAX_BODY,
        summary="Reject a complaint with a signed reason (never logged)",
        description="Body: a COSE_Sign1 statement of type `complaint-rejection` with "
        "`complaint` (the number) and `reason`, signed by a Bawaslu or recommender key.",
    )
    async def reject(
        self, request: Request[Any, Any, Any], service: Service, number: FromPath[str]
    ) -> dict[str, Any]:
        """Record the rejection and its reason."""
        statement = await cose_body(request)
        complaint = await complaints_of(request, service).reject(number, statement)
        return complaint.status()
