"""How the server renders a page: its language, its strings, its template, the pinned keys.

Every server-rendered page (the verify pages of :mod:`registry.api.web`, the
compliance pages, the portal, the complaint and institution pages) is in
Bahasa Indonesia first, in English for ``?lang=en`` or a browser whose
``Accept-Language`` puts English before Indonesian (:func:`page_language`),
with every word from ``web/i18n`` (:func:`strings`).  :func:`render_page`
renders a Jinja2 template of ``web/templates`` with those strings and the
trust list pinned into every page (:func:`trust_document`, ``docs/verify.md``),
and answers with the pages' security headers (:data:`SECURITY_HEADERS`).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response

from registry.records.service import RegistryService


def _web_dir() -> Path:
    """The installed ``registry.web`` package: the source tree's ``web/`` folder, shipped.

    ``pyproject.toml`` maps the top-level ``web/`` folder to the package
    ``registry.web``, so it is found the same way from a clone (``pip install -e``)
    and from an installed wheel, whatever the working directory.
    """
    root = resources.files("registry.web")
    # Files are served by path (registry.api.static_files caches them by mtime): a wheel installs
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


def trust_file_deployed() -> bool:
    """Whether a deploy-time ``web/static/trust.json`` is there: then it is served as it is."""
    return TRUST_FILE.is_file()


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
        if trust_file_deployed():
            pinned = json.loads(TRUST_FILE.read_text("utf-8"))
        else:
            pinned = service.configuration()
        state["web_trust"] = pinned
    return pinned


def _verifier_keys(trust: dict[str, Any]) -> list[str]:
    return [str(k.get("note_verifier_key", "")) for k in trust.get("keys", [])]


def _witness_keys(trust: dict[str, Any]) -> list[str]:
    return [str(w.get("verifier_key", "")) for w in trust.get("witnesses", [])]


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
        media_type="text/html",  # Litestar adds "; charset=utf-8" to text/ types
        headers={**SECURITY_HEADERS, "Content-Language": lang, "Vary": "Accept-Language"},
    )
