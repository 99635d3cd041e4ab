"""The complaint pages (SIAPNET): ``/complaints`` (the form) and ``/complaints/{number}`` (status).

Anyone files a complaint with the form, which works without a script (a plain
POST, then a redirect to its status page, whose address is the receipt number);
Bahasa Indonesia first, English with ``?lang=en``, like the other pages
(registry/api/rendering.py).  The election is chosen from those the registry
registers (as the signing portal offers them).  A field the registry refuses comes back on the form,
named, with what was typed kept.  The status page shows pending, received as
log entry N (linked to its verify page), or rejected with the reason, and
nothing else of what was filed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_303_SEE_OTHER

from registry.api.complaints import MAX_BODY, complaints_of
from registry.api.deps import Service
from registry.api.limits import rate_limited
from registry.api.portal import registered_elections
from registry.api.rendering import WIB, page_language, render_page, strings
from registry.records.complaint_form import FORM_FIELDS
from registry.records.errors import NotFound, RegistrationRefused
from registry.records.schemas import RecordError
from registry.records.vocabulary import CATEGORIES


async def _form_page(
    request: Request[Any, Any, Any],
    service: Service,
    lang: str,
    status: int,
    form: dict[str, str],
    errors: list[dict[str, str]],
    elections: list[str] | None = None,
) -> Response[str]:
    """The form; it offers the elections the registry registers (``elections``, if read)."""
    if elections is None:
        elections = await registered_elections(service)
    categories = [{"code": c.code, "label": c.id if lang == "id" else c.en} for c in CATEGORIES]
    return render_page(
        request,
        service,
        "complaint_form.html",
        lang,
        status,
        page="complaint",
        form={name: form.get(name, "") for name in FORM_FIELDS},
        errors=errors,
        categories=categories,
        elections=elections,
        today=dt.datetime.now(WIB).date().isoformat(),
    )


def _status_page(
    request: Request[Any, Any, Any],
    service: Service,
    lang: str,
    status: int,
    **extra: Any,
) -> Response[str]:
    return render_page(
        request,
        service,
        "complaint_status.html",
        lang,
        status,
        page="complaint-status",
        **{"problem": None, "filed": False, "complaint": None, "filed_at": "", **extra},
    )


class ComplaintPagesController(Controller):
    """The public complaint form and each complaint's status page."""

    path = "/complaints"
    include_in_schema = False

    @get("/", summary="File a complaint")
    async def form(
        self, request: Request[Any, Any, Any], service: Service, lang: FromQuery[str | None] = None
    ) -> Response[str]:
        """The empty form."""
        return await _form_page(request, service, page_language(request, lang), 200, {}, [])

    @post(
        "/",
        request_max_body_size=MAX_BODY,
        guards=[rate_limited("complaint")],
        summary="File a complaint from the form",
    )
    async def file(
        self, request: Request[Any, Any, Any], service: Service, lang: FromQuery[str | None] = None
    ) -> Response[str]:
        """Hold the complaint and go to its status page; or the form again, with why."""
        chosen = page_language(request, lang)
        body = (await request.body()).decode("utf-8", "replace")
        form = dict(parse_qsl(body, max_num_fields=len(FORM_FIELDS) + 4))
        data = {k: v for k, v in form.items() if v.strip()}
        elections = await registered_elections(service)
        try:
            complaint = await complaints_of(request, service).file(data, elections)
        except RecordError as exc:
            errors = [
                {"field": e.field, "reason": e.reason, "message": e.message().render(chosen)}
                for e in exc.errors
            ]
            return await _form_page(request, service, chosen, 422, form, errors, elections)
        query = f"?filed=1{'' if chosen == 'id' else '&lang=' + chosen}"
        return Response(
            "",
            status_code=HTTP_303_SEE_OTHER,
            headers={"Location": f"/complaints/{complaint.record.number}{query}"},
        )

    @get("/find", summary="Go to a complaint's status page by its number")
    async def find(
        self, number: FromQuery[str] = "", lang: FromQuery[str | None] = None
    ) -> Response[str]:
        """Redirect to ``/complaints/{number}`` (the follow-up form's target)."""
        query = "" if lang in (None, "id") else f"?lang={lang}"
        return Response(
            "",
            status_code=HTTP_303_SEE_OTHER,
            headers={"Location": f"/complaints/{quote(number.strip()[:64], safe='')}{query}"},
        )

    @get("/{number:str}", summary="A complaint's status")
    async def status(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        number: FromPath[str],
        lang: FromQuery[str | None] = None,
        filed: FromQuery[str | None] = None,
    ) -> Response[str]:
        """Pending, received as entry N (linked), or rejected with the reason."""
        chosen = page_language(request, lang)
        try:
            found = await complaints_of(request, service).get(number)
        except RegistrationRefused as exc:
            return _status_page(request, service, chosen, exc.status, problem=exc.detail_in(chosen))
        except NotFound:
            problem = strings(chosen)["complaint.unknown"]
            return _status_page(request, service, chosen, 404, problem=problem)
        filed_at = dt.datetime.fromtimestamp(found.record.filed_at / 1000, WIB)
        return _status_page(
            request,
            service,
            chosen,
            200,
            complaint=found.status(),
            filed=filed == "1",
            filed_at=filed_at.strftime("%Y-%m-%d %H:%M WIB"),
        )
