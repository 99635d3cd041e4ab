"""Compliance JSON/CSV API, the JPT track record, and the identities behind subject commitments.

``/api/compliance/...`` tables (each also ``?format=csv``), ``/api/track-record``,
and ``GET``/``DELETE /api/identities/{commitment}`` for signed requests only
(registry/compliance/access.py).  The :class:`ComplianceIndex` is built on the
first request and then kept current by the registrar's ``on_commit`` hook (and
by reading what it missed, on a follower process).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, Request, Response, Router, delete, get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.api.deps import service_of
from registry.api.errors import access_denied, invalid_parameter, problem_for
from registry.compliance import track, views
from registry.compliance.access import (
    ERASE_ROLES,
    MAX_AGE_S,
    AccessDenied,
    ReplayGuard,
    denied,
    may_read_identity,
    request_digest,
    require,
    verify_request,
)
from registry.compliance.export import to_csv
from registry.compliance.facts import WIB
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.i18n import Message
from registry.records.errors import NotFound
from registry.records.service import RegistryService
from registry.verify.trust import unb64url

log = logging.getLogger(__name__)

Format = Annotated[str, QueryParameter(pattern="^(json|csv)$")]
AsOf = Annotated[
    str | None,
    QueryParameter(description="ISO date (WIB): count statements issued on or before it"),
]


@dataclass
class _Compliance:
    service: RegistryService
    index: ComplianceIndex
    replay: ReplayGuard = field(default_factory=ReplayGuard)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def _compliance(request: Request[Any, Any, Any]) -> _Compliance:
    """The app's compliance index, built on first use and caught up to the log."""
    service = service_of(request)
    holder: _Compliance | None = getattr(request.app.state, "compliance", None)
    if holder is None or holder.service is not service:
        holder = _Compliance(service, ComplianceIndex(service.settings.follow_up_days))
        request.app.state.compliance = holder
        service.registrar.on_commit.append(holder.index.apply)
    async with holder.lock:
        await holder.index.catch_up(service.store, service.size)
    return holder


def _day(name: str, value: str | None) -> str:
    if value is None:
        return dt.datetime.now(WIB).date().isoformat()
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise invalid_parameter("parameter.not-an-iso-date", name=name, value=repr(value)) from None


def _kid(value: str) -> bytes:
    try:
        kid = bytes.fromhex(value) if len(value) == 64 else unb64url(value)
    except ValueError:
        kid = b""
    if len(kid) != 32:
        raise invalid_parameter("parameter.kid")
    return kid


def _commitment(value: str) -> bytes:
    try:
        commitment = bytes.fromhex(value)
    except ValueError:
        commitment = b""
    if len(commitment) != 32:
        raise invalid_parameter("parameter.commitment")
    return commitment


async def _snapshot(request: Request[Any, Any, Any], as_of: str | None) -> Snapshot:
    holder = await _compliance(request)
    return holder.index.snapshot(_day("as_of", as_of))


def _table(
    name: str, snap: Snapshot, rows: list[dict[str, Any]], format: str, **extra: Any
) -> Response[Any]:
    if format == "csv":
        return Response(
            to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response({"as_of": snap.as_of, **extra, "count": len(rows), "items": rows})


class ComplianceController(Controller):
    """Follow-up figures per PPK key, instansi, province, head type, election, month."""

    path = "/compliance"
    tags = ["compliance"]

    @get("/national", summary="National totals (comparable with DOMAIN.md)")
    async def national(
        self, request: Request[Any, Any, Any], as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        row = views.national(snap)
        if format == "csv":
            return _table("national", snap, [row], format)
        return Response({"as_of": snap.as_of, **row})

    @get("/signers", summary="Every PPK key's follow-up record")
    async def signers(
        self,
        request: Request[Any, Any, Any],
        as_of: AsOf = None,
        instansi: FromQuery[str | None] = None,
        province: FromQuery[str | None] = None,
        head_type: FromQuery[str | None] = None,
        limit: Annotated[int | None, QueryParameter(ge=1)] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
        format: Format = "json",
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        rows = views.signers(snap, instansi, province, head_type)
        page = rows[offset : None if limit is None else offset + limit]
        return _table("signers", snap, page, format, total=len(rows), offset=offset)

    @get("/signers/{kid:str}", summary="One key's record with its recommendations")
    async def signer(
        self, request: Request[Any, Any, Any], kid: FromPath[str], as_of: AsOf = None
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        row = views.signer(snap, _kid(kid))
        if row is None:
            raise NotFound(Message("notfound.enrolled-key", {"kid": kid}))
        return Response({"as_of": snap.as_of, **row})

    @get("/instansi", summary="Per instansi")
    async def instansi(
        self,
        request: Request[Any, Any, Any],
        as_of: AsOf = None,
        province: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        format: Format = "json",
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        return _table("instansi", snap, views.instansi(snap, province, name), format)

    @get("/provinces", summary="Per province of the addressed PPK")
    async def provinces(
        self, request: Request[Any, Any, Any], as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        return _table("provinces", snap, views.provinces(snap), format)

    @get("/head-types", summary="Definitive vs acting (Pj/Plt) heads")
    async def head_types(
        self,
        request: Request[Any, Any, Any],
        as_of: AsOf = None,
        on: FromQuery[str | None] = None,
        format: Format = "json",
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        day = _day("on", on) if on is not None else snap.as_of
        return _table("head-types", snap, views.head_types(snap, day), format, on=day)

    @get("/elections", summary="Per election")
    async def elections(
        self, request: Request[Any, Any, Any], as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        return _table("elections", snap, views.elections(snap), format)

    @get("/months", summary="Per month of issue")
    async def months(
        self, request: Request[Any, Any, Any], as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        return _table("months", snap, views.months(snap), format)

    @get("/pact-signers-with-overdue", summary="PPKs who signed a pact yet have overdue ones")
    async def pact_signers_with_overdue(
        self, request: Request[Any, Any, Any], as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        rows = views.pact_signers_with_overdue(snap)
        return _table("pact-signers-with-overdue", snap, rows, format)

    @get("/recommendations", summary="Every recommendation and what became of it")
    async def recommendations(
        self,
        request: Request[Any, Any, Any],
        as_of: AsOf = None,
        ppk: FromQuery[str | None] = None,
        instansi: FromQuery[str | None] = None,
        status: Annotated[
            str | None, QueryParameter(pattern="^(followed-up|overdue|pending)$")
        ] = None,
        format: Format = "json",
    ) -> Response[Any]:
        snap = await _snapshot(request, as_of)
        rows = views.recommendations(snap, _kid(ppk) if ppk else None, instansi, status)
        return _table("recommendations", snap, rows, format)


class TrackRecordController(Controller):
    """One person's record across keys and offices, for promotion panels (JPT)."""

    path = "/track-record"
    tags = ["compliance"]

    @get("/", summary="Track record by NIP, or by name and instansi")
    async def track_record(
        self,
        request: Request[Any, Any, Any],
        nip: Annotated[str | None, QueryParameter(pattern=r"^\d{18}$")] = None,
        name: FromQuery[str | None] = None,
        instansi: FromQuery[str | None] = None,
        as_of: AsOf = None,
        format: Format = "json",
    ) -> Response[Any]:
        if nip is None and not (name and instansi):
            raise invalid_parameter("parameter.track-record-who")
        snap = await _snapshot(request, as_of)
        record = track.track_record(snap, nip, name, instansi)
        if record is None:
            raise NotFound(Message("notfound.enrolment-person"))
        if format == "csv":
            return _table("track-record", snap, record["offices"], format)
        return Response({"as_of": snap.as_of, **record})


async def _use_once(service: RegistryService, request: Request[Any, Any, Any]) -> None:
    """Record the request's signed token as used by any process, or refuse a replay."""
    now_ms = int(time.time() * 1000)
    if not await service.store.use_request(
        request_digest(request.headers.get("authorization")),
        now_ms=now_ms,
        expires_at=now_ms + 2 * MAX_AGE_S * 1000,
    ):
        raise denied("replayed-request")


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

    @get("/{commitment:str}", summary="Who a commitment names (recommender, BKN, Bawaslu, PPK)")
    async def read(
        self, request: Request[Any, Any, Any], commitment: FromPath[str]
    ) -> Response[Any]:
        value = _commitment(commitment)
        holder = await _compliance(request)
        index, service = holder.index, holder.service
        try:
            key = verify_request(
                request.headers.get("authorization"),
                "GET",
                request.url.path,
                service.directory,
                holder.replay,
            )
            await _use_once(service, request)
            snap = index.snapshot(_day("as_of", None))
            recs = [index.recs[i] for i in index.by_subject.get(value, [])]
            named = [r for r in recs if snap.stands(r.idx, r.day)]
            allowed = may_read_identity(key, [(r.ppk_kid, r.instansi) for r in named])
            require(allowed, key.role, Message("access.read-identity"))
        except AccessDenied as exc:
            return access_denied(request, exc)
        identity = await service.store.get_identity(value)
        if identity is None:
            raise NotFound(Message("notfound.identity", {"commitment": commitment}))
        if identity.erased:
            return _gone(request, identity.erased_at)
        log.info("identity %s read by %s (%s)", commitment, key.kid.hex(), key.role)
        return Response(
            {
                "commitment": value.hex(),
                "nip": identity.nip,
                "name": identity.name,
                "salt": (identity.salt or b"").hex(),
                "recommendations": [r.idx for r in named],
            },
            headers={"Cache-Control": "no-store"},
        )

    @delete("/{commitment:str}", status_code=200, summary="Erase the personal data (admin)")
    async def erase(
        self, request: Request[Any, Any, Any], commitment: FromPath[str]
    ) -> Response[Any]:
        value = _commitment(commitment)
        holder = await _compliance(request)
        service = holder.service
        try:
            key = verify_request(
                request.headers.get("authorization"),
                "DELETE",
                request.url.path,
                service.directory,
                holder.replay,
            )
            await _use_once(service, request)
            require(key.role in ERASE_ROLES, key.role, Message("access.erase-identities"))
        except AccessDenied as exc:
            return access_denied(request, exc)
        now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
        if not await service.store.erase_identity(value, now_ms=now_ms):
            identity = await service.store.get_identity(value)
            if identity is None:
                raise NotFound(Message("notfound.identity", {"commitment": commitment}))
            return _gone(request, identity.erased_at)
        log.info("identity %s erased by %s", commitment, key.kid.hex())
        return Response({"commitment": value.hex(), "erased": True, "erased_at": now_ms})


compliance_router = Router(
    path="/api",
    route_handlers=[ComplianceController, TrackRecordController, IdentitiesController],
)
"""Everything above, mounted under ``/api``."""
