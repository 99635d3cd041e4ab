"""Enrolment requests over HTTP: ``POST /enrolment-requests`` and its status.

A browser that made its own key (``web/static/keystore.js``) sends an
``enrolment-request`` statement signed by that key (registry/records/enrolment_requests.py);
it is kept pending, never logged, until the operator approves it at the terminal
(``registry enrolment approve ID``).  Anyone may ask for the status of a request by its id
(pending, or the enrolment entry it became): the fields asked for are not repeated.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath

from registry.api.deps import Service, cose_body
from registry.api.limits import rate_limited
from registry.records.enrolment_requests import EnrolmentRequests
from registry.records.service import RegistryService

MAX_BODY = 16 * 1024


def requests_of(request: Request[Any, Any, Any], service: RegistryService) -> EnrolmentRequests:
    """The app's one :class:`EnrolmentRequests` (made on first use)."""
    state = request.app.state
    found: EnrolmentRequests | None = state.get("enrolment_requests")
    if found is None:
        found = service.enrolment_requests()
        state["enrolment_requests"] = found
    return found


def _status(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in ("id", "kid", "status", "enrolment", "requested_at")}


class EnrolmentRequestsController(Controller):
    """Requests to enrol a key its holder made, pending the operator's approval."""

    path = "/enrolment-requests"
    tags = ["enrolment"]

    @post(
        "/",
        status_code=202,
        request_max_body_size=MAX_BODY,
        guards=[rate_limited("enrolment-request")],
        summary="Ask the operator to enrol a key (kept pending, not logged)",
        description="Body: an `enrolment-request` COSE_Sign1 statement (`application/cose`) "
        "signed by the key to enrol, whose payload carries the enrolment's fields "
        "(`public_key`, `role` `ppk` or `asn`, `name`, `jabatan`, `instansi`, decree, term). "
        "Answers 202 with the request's `id`, `kid` and `status` (`pending`). The same key "
        "asking again replaces its pending request. 400 `bad-enrolment-request` when the "
        "statement is not signed by the key it names; 422 for fields that would not make an "
        "enrolment.",
    )
    async def submit(self, request: Request[Any, Any, Any], service: Service) -> dict[str, Any]:
        """Keep the request pending."""
        kept = await requests_of(request, service).submit(await cose_body(request))
        return _status(kept.as_json())

    @get("/{request_id:str}", summary="The status of an enrolment request")
    async def status(
        self, request: Request[Any, Any, Any], service: Service, request_id: FromPath[str]
    ) -> dict[str, Any]:
        """Pending, or approved with the enrolment entry it became."""
        found = await requests_of(request, service).get(request_id)
        return _status(found.as_json())
