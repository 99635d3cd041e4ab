"""The institutions' pages: the recommending authority, BKN and the operator, in the browser.

``GET /institutions/{page}`` (``recommender``, ``bkn``, ``operator``) is the page; like the
portal it signs in the browser (a WebCrypto key this browser keeps) or asks the registry to
sign with the institution's custodial key, and registers what it signs with ``POST /entries``
or ``POST /sign``.  The page first proves which key it holds:
``POST /api/institutions/{page}/access`` takes an ``access`` statement signed by a browser key
(``application/cose``) or ``{kid, passphrase}`` for a custodial key (the registry signs the
access statement with it), checks the key's role (registry/records/institution_access.py) and
answers with the statement (base64url, the page's token for the next 15 minutes) and who holds
it.  Every other call of the page carries the token in ``X-Registry-Access``:
``GET /api/institutions/{page}/data`` (what the page lists) and the operator's decisions on
enrolment requests.  A key of another role is refused with problem details naming its role
and the page's (``wrong-role-for-page``); what the page signs is checked again by the
registration policy.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from registry.api.deps import COSE, Compliance, Custodial, Service
from registry.api.enrolment_requests import requests_of
from registry.api.errors import BadRequest
from registry.api.institution_data import PAGE_DATA
from registry.api.limits import client_of, rate_limited
from registry.api.rendering import page_language, render_page
from registry.i18n import Message
from registry.records.errors import NotFound, refused
from registry.records.institution_access import (
    PAGE_ROLES,
    Access,
    access_payload,
    check_access,
    check_role,
)
from registry.records.service import RegistryService
from registry.verify.trust import b64url, unb64url

ACCESS_HEADER = "x-registry-access"
MAX_BODY = 16 * 1024


class CustodialAccess(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A custodial key's kid and the passphrase that opens it, to sign an access statement."""

    kid: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F]{64}$")]
    passphrase: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]

    def __repr__(self) -> str:
        """Everything but the passphrase."""
        return f"CustodialAccess(kid={self.kid!r}, passphrase=<hidden>)"


class Approval(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """The log entry that enrolled a request's key."""

    entry: Annotated[int, msgspec.Meta(ge=0)]


def _page(page: str) -> str:
    if page not in PAGE_ROLES:
        raise NotFound(Message("institutions.notfound-page", {"page": page}))
    return page


async def _check(service: RegistryService, statement: bytes, page: str) -> Access:
    await service.load_signer_of(statement)
    return check_access(statement, page, service.settings.origin, service.signer, int(time.time()))


async def access_of(request: Request[Any, Any, Any], service: RegistryService, page: str) -> Access:
    """The key that may use ``page``, from the request's ``X-Registry-Access`` token."""
    token = request.headers.get(ACCESS_HEADER)
    if not token:
        raise refused("no-access", "institutions.no-access", 401, page=page)
    try:
        statement = unb64url(token.strip())
    except ValueError:
        raise refused("bad-access", "institutions.bad-access", 401, why="not base64url") from None
    return await _check(service, statement, page)


class InstitutionPagesController(Controller):
    """The pages (HTML)."""

    path = "/institutions"
    include_in_schema = False

    @get("/{page:str}", summary="An institution's page: recommender, bkn or operator")
    async def institution_page(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        page: FromPath[str],
        lang: FromQuery[str | None] = None,
    ) -> Response[str]:
        """The page of ``page``; nothing is listed until a key of its role proves itself."""
        chosen = page_language(request, lang)
        _page(page)
        return render_page(
            request,
            service,
            f"institution_{page}.html",
            chosen,
            200,
            page=f"institution-{page}",
            page_data={
                "page": page,
                "origin": service.settings.origin,
                "roles": sorted(PAGE_ROLES[page]),
            },
            institution=page,
        )


class InstitutionApiController(Controller):
    """What the pages read and decide, for a key of the page's role only."""

    path = "/api/institutions"
    tags = ["institutions"]

    @post(
        "/{page:str}/access",
        status_code=200,
        request_max_body_size=MAX_BODY,
        guards=[rate_limited("sign")],
        summary="Prove which key uses an institution page (a short-lived access token)",
        description="Body: an `access` COSE_Sign1 statement (`application/cose`) signed by the "
        "key, payload `{type: access, page, origin}`; or JSON `{kid, passphrase}` for a "
        "custodial key, which the registry opens to sign that statement. Answers the "
        "statement as `token` (base64url; send it as `X-Registry-Access` for 15 minutes) "
        "and the key's role, name, jabatan and instansi. 403 `wrong-role-for-page` for a "
        "key of another role, `unknown-key`, `revoked-key`; 401 `bad-access`; custodial "
        "keys answer as `POST /sign` does for a wrong passphrase.",
    )
    async def access(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        custodial: Custodial,
        page: FromPath[str],
    ) -> dict[str, Any]:
        """Check the key's role for ``page``; its token and who holds it."""
        _page(page)
        body = await request.body()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == COSE:
            statement = body
        elif kind == "application/json":
            try:
                data = msgspec.json.decode(body, type=CustodialAccess)
            except msgspec.ValidationError as exc:
                raise BadRequest(
                    "invalid-body", Message("problem.invalid-parameter.title"), str(exc)
                ) from exc
            kid = bytes.fromhex(data.kid)
            # The role before the passphrase: a key of another role costs it no attempt.
            check_role(page, await service.enrolled(kid), int(time.time()))
            payload = access_payload(page, service.settings.origin)
            statement = await custodial.sign(kid, data.passphrase, payload, client_of(request))
        else:
            raise BadRequest(
                "unsupported-media-type",
                Message("problem.unsupported-media-type.title"),
                Message("problem.send-cose", {"expected": COSE, "sent": kind}),
                415,
            )
        found = await _check(service, statement, page)
        return {"token": b64url(statement), **found.as_json()}

    @get("/{page:str}/data", summary="What an institution page lists, for a key of its role")
    async def data(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        compliance: Compliance,
        page: FromPath[str],
    ) -> dict[str, Any]:
        """The page's lists (registry/api/institution_data.py) and who is asking."""
        access = await access_of(request, service, _page(page))
        gathered = await PAGE_DATA[page](access, service, compliance, requests_of(request, service))
        return {"access": access.as_json(), **gathered}

    @post(
        "/enrolment-requests/{request_id:str}/approval",
        status_code=200,
        summary="Record that an enrolment request became a log entry (operator only)",
        description="Body `{entry}`: the `enrolment` entry the operator's page registered for "
        "the request's key. The registry checks that the entry enrols that very key.",
    )
    async def approval(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        request_id: FromPath[str],
        data: JSONBody[Approval],
    ) -> dict[str, Any]:
        """Mark the request approved once its enrolment is in the log."""
        await access_of(request, service, "operator")
        requests = requests_of(request, service)
        found = await requests.get(request_id)
        key = await service.enrolled(bytes.fromhex(found.kid))
        if key is None or key.enrolment_idx != data.entry:
            raise refused(
                "not-this-enrolment",
                "institutions.not-this-enrolment",
                422,
                entry=data.entry,
                id=request_id,
            )
        return (await requests.approved(request_id, data.entry)).as_json()

    @post(
        "/enrolment-requests/{request_id:str}/rejection",
        status_code=200,
        summary="Turn down a pending enrolment request (operator only): it is forgotten",
    )
    async def rejection(
        self, request: Request[Any, Any, Any], service: Service, request_id: FromPath[str]
    ) -> dict[str, Any]:
        """Forget the pending request, as ``registry enrolment reject`` does."""
        await access_of(request, service, "operator")
        found = await requests_of(request, service).reject(request_id)
        return {"id": found.id, "kid": found.kid, "status": "rejected"}


__all__ = ["InstitutionApiController", "InstitutionPagesController", "access_of"]
