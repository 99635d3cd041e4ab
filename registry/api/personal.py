"""The personal data behind the public figures, for signed requests only: the JPT track
record (``/api/track-record``) and the identities behind subject commitments
(``GET``/``DELETE /api/identities/{commitment}``; registry/compliance/access.py and
personal_data.py).  Every answer is ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, delete, get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.api.compliance import AsOf, Format, _day, _table
from registry.api.deps import Compliance, signed_target
from registry.api.errors import access_denied, invalid_parameter
from registry.api.limits import rate_limited
from registry.api.problems import problem_for
from registry.compliance.access import AccessDenied
from registry.compliance.identities import IdentityErased
from registry.i18n import Message
from registry.records.errors import NotFound


def _commitment(value: str) -> bytes:
    try:
        commitment = bytes.fromhex(value)
    except ValueError:
        commitment = b""
    if len(commitment) != 32:
        raise invalid_parameter("parameter.commitment")
    return commitment


class TrackRecordController(Controller):
    """One person's record across keys and offices, for promotion panels (JPT)."""

    path = "/track-record"
    tags = ["compliance"]

    @get(
        "/",
        summary="Track record by NIP, or by name and instansi (signed request: Bawaslu, "
        "recommender, BKN, JPT panel)",
        guards=[rate_limited("identity")],
    )
    async def track_record(
        self,
        request: Request[Any, Any, Any],
        compliance: Compliance,
        nip: Annotated[str | None, QueryParameter(pattern=r"^\d{18}$")] = None,
        name: FromQuery[str | None] = None,
        instansi: FromQuery[str | None] = None,
        as_of: AsOf = None,
        format: Format = "json",
    ) -> Response[Any]:
        if nip is None and not (name and instansi):
            raise invalid_parameter("parameter.track-record-who")
        asked = signed_target(request)
        try:
            authorization = request.headers.get("authorization")
            day = _day("as_of", as_of)
            snap, record = await compliance.personal.track_record(
                authorization, asked, nip, name, instansi, day
            )
        except AccessDenied as exc:
            return access_denied(request, exc)
        if record is None:
            raise NotFound(Message("notfound.enrolment-person"))
        if format == "csv":
            response = _table("track-record", snap, record["offices"], format)
            response.headers["Cache-Control"] = "no-store"
            return response
        return Response({"as_of": snap.as_of, **record}, headers={"Cache-Control": "no-store"})


def _gone(request: Request[Any, Any, Any], erased_at: int | None) -> Response[Any]:
    return problem_for(
        request,
        "identity-erased",
        Message("problem.identity-erased.title"),
        410,
        Message("problem.identity-erased.detail"),
        erased_at=erased_at,
    )


class IdentitiesController(Controller):
    """Personal data behind a subject commitment: signed requests of the roles that need it."""

    path = "/identities"
    tags = ["identities"]

    @get(
        "/{commitment:str}",
        summary="Who a commitment names (recommender, BKN, Bawaslu, PPK)",
        guards=[rate_limited("identity")],
    )
    async def read(
        self,
        request: Request[Any, Any, Any],
        compliance: Compliance,
        commitment: FromPath[str],
    ) -> Response[Any]:
        try:
            identity = await compliance.personal.read_identity(
                request.headers.get("authorization"), request.url.path, _commitment(commitment)
            )
        except AccessDenied as exc:
            return access_denied(request, exc)
        except IdentityErased as exc:
            return _gone(request, exc.erased_at)
        if identity is None:
            raise NotFound(Message("notfound.identity", {"commitment": commitment}))
        return Response(
            {
                "commitment": identity.commitment.hex(),
                "nip": identity.nip,
                "name": identity.name,
                "salt": identity.salt.hex(),
                "recommendations": identity.recommendations,
            },
            headers={"Cache-Control": "no-store"},
        )

    @delete("/{commitment:str}", status_code=200, summary="Erase the personal data (admin)")
    async def erase(
        self,
        request: Request[Any, Any, Any],
        compliance: Compliance,
        commitment: FromPath[str],
    ) -> Response[Any]:
        value = _commitment(commitment)
        try:
            erased_at = await compliance.personal.erase_identity(
                request.headers.get("authorization"), request.url.path, value
            )
        except AccessDenied as exc:
            return access_denied(request, exc)
        except IdentityErased as exc:
            return _gone(request, exc.erased_at)
        if erased_at is None:
            raise NotFound(Message("notfound.identity", {"commitment": commitment}))
        return Response({"commitment": value.hex(), "erased": True, "erased_at": erased_at})


personal_router = Router(path="/api", route_handlers=[TrackRecordController, IdentitiesController])
"""The track record and the identities, mounted under ``/api``."""
