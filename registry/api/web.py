"""The pages: ``/`` (home), ``/v/{index}`` (verify one record), ``/verify`` (scan a QR), files.

The server renders the pages (Jinja2, Bahasa Indonesia first, English for
``?lang=en`` or a browser whose ``Accept-Language`` puts English before
Indonesian) and may show a record's fields for convenience, but the verdict is
computed in the reader's browser by ``web/static/verify.js`` from the raw
bytes of the statement, receipt and checkpoint.  The keys the browser checks
against are pinned into every page (see :func:`trust_document` and
``docs/verify.md``), never fetched at verify time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery, PathParameter, QueryParameter
from litestar.status_codes import (
    HTTP_304_NOT_MODIFIED,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

from registry.api.dashboard import browse
from registry.api.deps import Compliance, Service
from registry.api.record_text import pledge_text
from registry.i18n import Message
from registry.records.errors import NotFound, TamperedEntry
from registry.records.service import RegistryService


def _web_dir() -> Path:
    """The installed ``registry.web`` package: the source tree's ``web/`` folder, shipped.

    ``pyproject.toml`` maps the top-level ``web/`` folder to the package
    ``registry.web``, so it is found the same way from a clone (``pip install -e``)
    and from an installed wheel, whatever the working directory.
    """
    root = resources.files("registry.web")
    # Files are served by path (the cache below watches their mtime): a wheel installs
    # unpacked, so this is a directory; a zipped install is not supported.
    if not isinstance(root, Path):
        raise RuntimeError(f"registry.web must be installed as a directory, not {root!r}")
    return root


WEB_DIR = _web_dir()
"""Templates, static files and string dictionaries (``web/`` in the source tree)."""

STATIC_DIR = WEB_DIR / "static"
TRUST_FILE = STATIC_DIR / "trust.json"
"""A deploy-time trust list; when present, the pages pin it instead of the running keys."""

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")

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

STATIC_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".md": "text/plain; charset=utf-8",
    ".LICENSE": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}

# Scripts only from this origin, no inline script or style, no framing; the camera for /verify.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(self), microphone=()",
    "Cache-Control": "no-cache",
}

# Optional routes other modules may add; a page links to them only when the app has them.
OPTIONAL_LINKS = {
    "qr": "/entries/{index}/qr.png",
    "offline": "/entries/{index}/qr-offline.txt",
    "certificate": "/entries/{index}/certificate.pdf",
}


@cache
def strings(lang: str) -> dict[str, str]:
    """The page strings of ``lang``: ``web/i18n/<lang>.json`` and every ``<lang>.<area>.json``
    beside it (one file per area of the pages, as in ``registry/i18n``); a string defined
    in two files is an error."""
    folder = WEB_DIR / "i18n"
    data: dict[str, str] = json.loads((folder / f"{lang}.json").read_text("utf-8"))
    for part in sorted(folder.glob(f"{lang}.*.json")):
        more: dict[str, str] = json.loads(part.read_text("utf-8"))
        twice = sorted(data.keys() & more.keys())
        if twice:
            raise ValueError(f"page strings defined twice in {part.name}: {twice}")
        data.update(more)
    return data


def page_language(request: Request[Any, Any, Any], value: str | None) -> str:
    """The language of a page: ``?lang=`` if given, else English when the browser's
    ``Accept-Language`` puts English before Indonesian, else Bahasa Indonesia."""
    if value is not None:
        return language(value)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("id") or tag.startswith("in"):
            return "id"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def language(value: str | None) -> str:
    """The page language asked for with ``?lang=``; Bahasa Indonesia unless English is asked."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: Any) -> str:
    """Render the template ``name`` with ``context`` (HTML-escaped)."""
    return _templates().get_template(name).render(**context)


def trust_document(request: Request[Any, Any, Any], service: RegistryService) -> dict[str, Any]:
    """The trust list pinned into the pages: a transparency-configuration document.

    A deploy-time ``web/static/trust.json`` wins when present (for example the
    configuration saved when the registry was first published, or one listing
    past keys too).  Otherwise it is the configuration of the operator keys this
    process opened at start: fixed for the life of the process and embedded in
    each page, so the browser never takes a key from the data it is checking.
    Read once per process.
    """
    state = request.app.state
    pinned: dict[str, Any] | None = state.get("web_trust")
    if pinned is None:
        if TRUST_FILE.is_file():
            pinned = json.loads(TRUST_FILE.read_text("utf-8"))
        else:
            pinned = service.configuration()
        state["web_trust"] = pinned
    return pinned


def _verifier_keys(trust: dict[str, Any]) -> list[str]:
    return [str(k.get("note_verifier_key", "")) for k in trust.get("keys", [])]


def _witness_keys(trust: dict[str, Any]) -> list[str]:
    return [str(w.get("verifier_key", "")) for w in trust.get("witnesses", [])]


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


@dataclass(frozen=True)
class StaticFile:
    """A static file's bytes, media type and ETag."""

    body: bytes
    media_type: str
    etag: str


MAX_STATIC_NAME = 255
"""The longest file name under ``web/static`` asked for; a longer one is no file of ours."""


def _static(name: str) -> StaticFile | None:
    """The file ``name`` under ``web/static`` (no way out of it), or ``None``.

    A name no file of ours has (too long, a NUL or another control character,
    one the file system refuses) is ``None`` too, never an error.
    """
    if len(name) > MAX_STATIC_NAME or any(c < " " or c == "\x7f" for c in name):
        return None
    try:
        path = (STATIC_DIR / name).resolve()
        if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
            return None
    except (OSError, ValueError):
        return None
    media_type = STATIC_TYPES.get(path.suffix)
    if media_type is None:
        return None
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size, media_type)


@lru_cache(maxsize=64)
def _read(path: Path, mtime_ns: int, size: int, media_type: str) -> StaticFile:
    """A static file's content, kept until the file changes (its mtime or size)."""
    body = path.read_bytes()
    return StaticFile(body, media_type, _etag(body))


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def render_page(
    request: Request[Any, Any, Any],
    service: RegistryService,
    template: str,
    lang: str,
    status: int,
    *,
    page: str,
    page_data: dict[str, Any] | None = None,
    **extra: Any,
) -> Response[str]:
    """Render ``template`` with the strings of ``lang`` and the pinned trust list.

    ``page_data`` goes to the page's scripts (as JSON in the page) besides
    the language, its strings and the trust list; ``extra`` to the template.
    """
    t = strings(lang)
    trust = trust_document(request, service)
    data = {"lang": lang, "strings": t, "trust": trust, **(page_data or {})}
    html = render(
        template,
        t=t,
        lang=lang,
        lang_query="" if lang == DEFAULT_LANGUAGE else f"?lang={lang}",
        page=page,
        page_data=data,
        trust_keys=_verifier_keys(trust),
        trust_witnesses=_witness_keys(trust),
        witnesses_required=trust.get("witnesses_required", 0),
        **extra,
    )
    return Response(
        html,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Language": lang, "Vary": "Accept-Language"},
    )


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
        compliance: Compliance,
        lang: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        instansi: FromQuery[str | None] = None,
        province: FromQuery[str | None] = None,
        type: FromQuery[str | None] = None,
        claimed_since: FromQuery[str | None] = None,
        claimed_until: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
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
        found = await browse(compliance, raw, page, chosen)
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
        return self._page(
            request,
            service,
            "home.html",
            chosen,
            200 if found["error"] is None else HTTP_400_BAD_REQUEST,
            page="home",
            size=service.size,
            checkpoint=checkpoint,
            latest=latest,
            browse=found,
        )

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
        if relative == "trust.json" and not TRUST_FILE.is_file():
            body = json.dumps(trust_document(request, service), indent=2).encode()
            found: StaticFile | None = StaticFile(body, STATIC_TYPES[".json"], _etag(body))
        else:
            found = _static(relative)
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
