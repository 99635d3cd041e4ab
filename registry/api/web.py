"""The pages: ``/`` (home), ``/v/{index}`` (verify one record), ``/verify`` (scan a QR), files.

The server renders the pages (:mod:`registry.api.rendering`: Jinja2, Bahasa
Indonesia first, English for ``?lang=en`` or a browser whose
``Accept-Language`` puts English before Indonesian) and may show a record's
fields for convenience, but the verdict is computed in the reader's browser by
``web/static/verify.js`` from the raw bytes of the statement, receipt and
checkpoint.  The keys the browser checks against are pinned into every page
(see :func:`registry.api.rendering.trust_document` and ``docs/verify.md``),
never fetched at verify time.  The scripts and styles come from
``/static/`` (:mod:`registry.api.static_files`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery, PathParameter, QueryParameter
from litestar.status_codes import (
    HTTP_304_NOT_MODIFIED,
    HTTP_404_NOT_FOUND,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from registry.api.deps import MAX_INTEGER, Records, Service
from registry.api.record_search import browse
from registry.api.record_text import pledge_text
from registry.api.rendering import (
    WIB,
    page_language,
    render_page,
    strings,
    trust_document,
    trust_file_deployed,
)
from registry.api.static_files import STATIC_TYPES, StaticFile, etag, static_file
from registry.i18n import Message
from registry.records.errors import NotFound, TamperedEntry

HOME_LATEST = 10
"""Records the home page lists, newest first."""

ONLINE_CHECKS = (
    "signature",
    "statement",
    "fragment",
    "receipt",
    "checkpoint",
    "witnesses",
    "revocation",
)

# Optional routes other modules may add; a page links to them only when the app has them.
OPTIONAL_LINKS = {
    "qr": "/entries/{index}/qr.png",
    "offline": "/entries/{index}/qr-offline.txt",
    "certificate": "/entries/{index}/certificate.pdf",
}


def _route_paths(request: Request[Any, Any, Any]) -> set[str]:
    return {re.sub(r":\w+}", "}", route.path) for route in request.app.routes}


def _links(request: Request[Any, Any, Any], index: int) -> dict[str, str | None]:
    paths = _route_paths(request)
    return {
        name: (path.format(index=index) if path in paths else None)
        for name, path in OPTIONAL_LINKS.items()
    }


def _time(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, WIB).strftime("%Y-%m-%d %H:%M WIB")


def _summary(view: dict[str, Any], t: dict[str, str]) -> dict[str, str]:
    """What the server says about an entry, as text for the page (not verified)."""
    signer = view.get("signer") or {}
    status = view["status"]
    return {
        "type": t.get(f"type.{view['type']}", view["type"]),
        "signer": signer.get("name") or t["server.unknown_signer"],
        "jabatan": signer.get("jabatan") or "",
        "instansi": signer.get("instansi") or "",
        "registered_at": _time(view["leaf"]["registered_at"]),
        "status": t["server.status.revoked"]
        .replace("{by}", str(status["revoked_by"]))
        .replace("{reason}", str(status["reason"]))
        if status["revoked"]
        else t["server.status.active"],
    }


class WebController(Controller):
    """The verify pages and the files they load."""

    path = "/"
    include_in_schema = False

    def _page(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        template: str,
        lang: str,
        status: int,
        *,
        page: str,
        page_data: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Response[str]:
        """:func:`render_page` (kept as a method for the handlers below)."""
        return render_page(
            request, service, template, lang, status, page=page, page_data=page_data, **extra
        )

    @get("/v/{index:int}", summary="Verify a record in the browser")
    async def record(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        index: Annotated[int, PathParameter(ge=0)],
        lang: FromQuery[str | None] = None,
    ) -> Response[str]:
        """The record page: the server's summary, and the browser's verdict from raw bytes."""
        chosen = page_language(request, lang)
        try:
            view = await service.entry_view(index)
        except NotFound:
            return self._page(
                request,
                service,
                "not_found.html",
                chosen,
                HTTP_404_NOT_FOUND,
                page="missing",
                index=index,
            )
        except TamperedEntry as tampered:  # logged and counted where it was found
            return self._page(
                request,
                service,
                "tampered.html",
                chosen,
                HTTP_500_INTERNAL_SERVER_ERROR,
                page="tampered",
                index=index,
                column=tampered.what,
            )
        return self._page(
            request,
            service,
            "record.html",
            chosen,
            200,
            page="record",
            page_data={"index": index, "registry": ""},
            index=index,
            checks=ONLINE_CHECKS,
            summary=_summary(view, strings(chosen)),
            links=_links(request, index),
            pledge=await pledge_text(service, view),
        )

    @get("/", summary="The registry's home page: the log, its latest records, open data")
    async def home(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        records: Records,
        lang: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        instansi: FromQuery[str | None] = None,
        province: FromQuery[str | None] = None,
        type: FromQuery[str | None] = None,
        claimed_since: FromQuery[str | None] = None,
        claimed_until: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=MAX_INTEGER)] = 1,
        after: Annotated[int | None, QueryParameter(ge=0, le=MAX_INTEGER)] = None,
    ) -> Response[str]:
        """What a visitor sees first: the log's size and signed head, the newest records,
        and a browser of every record (search by name, instansi, region, type, date)."""
        chosen = page_language(request, lang)
        raw = {
            "name": name,
            "instansi": instansi,
            "province": province,
            "type": type,
            "claimed_since": claimed_since,
            "claimed_until": claimed_until,
        }
        found = await browse(records, raw, page, chosen, after)
        t = strings(chosen)
        latest = [
            {
                "index": record.idx,
                "type": t.get(f"type.{record.type}", record.type),
                "instansi": record.instansi or "",
                "registered_at": _time(record.registered_at),
            }
            for record in await service.latest_entries(HOME_LATEST)
        ]
        try:
            checkpoint: str | None = await service.checkpoint()
        except NotFound:
            checkpoint = None
        home = self._page(
            request,
            service,
            "home.html",
            chosen,
            200 if found["error"] is None else found["status"],
            page="home",
            size=service.size,
            checkpoint=checkpoint,
            latest=latest,
            browse=found,
        )
        if found.get("retry_after"):  # the search table is being written: when to come back
            home.headers["Retry-After"] = str(found["retry_after"])
        return home

    @get("/verify", summary="Scan a QR code with the camera, upload it, or paste it")
    async def scan(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        lang: FromQuery[str | None] = None,
    ) -> Response[str]:
        """The scan page: camera, upload or paste; link QRs open ``/v/``, offline QRs check here."""
        chosen = page_language(request, lang)
        return self._page(request, service, "scan.html", chosen, 200, page="scan")

    @get("/static/{name:path}", summary="The verify pages' scripts, styles and trust list")
    async def static(
        self, request: Request[Any, Any, Any], service: Service, name: FromPath[str]
    ) -> Response[bytes]:
        """A file from ``web/static``; ``trust.json`` is the pinned trust list."""
        relative = name.lstrip("/")
        if relative == "trust.json" and not trust_file_deployed():
            body = json.dumps(trust_document(request, service), indent=2).encode()
            found: StaticFile | None = StaticFile(body, STATIC_TYPES[".json"], etag(body))
        else:
            found = static_file(relative)
        if found is None:
            raise NotFound(Message("notfound.static", {"path": relative}))
        headers = {
            "ETag": found.etag,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == found.etag:
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(found.body, media_type=found.media_type, headers=headers)
