"""Cross-origin access to the public reads (and SCRAPI registration), and to nothing else.

An auditor's own copy of the browser verifier (docs/verify.md), served from
another origin, must be able to fetch the checkpoint, receipts, statements,
proofs, tiles, the configuration, the search and compliance tables and the
OpenAPI schema.  Litestar's ``CORSConfig`` is app-wide (its middleware wraps the
whole router and its preflight answer comes from every route's OPTIONS
handler), so it cannot keep ``POST /sign`` (a custodial key's passphrase) or the
signed ``/api/identities`` requests closed.  :class:`PublicCORS` wraps the app's
ASGI handler instead, in the place Litestar puts its own CORS middleware, and
decides by path and method:

* public reads (``GET``/``HEAD``): every response, errors included, carries
  ``Access-Control-Allow-Origin: *`` whether or not the request named an origin
  (so a shared cache never keeps a copy without it), and the headers a verifier
  reads are exposed.  No credentials are ever allowed.  ``HEAD`` is answered as
  the ``GET`` would be, without the body;
* ``POST /entries`` (SCRAPI registration): the same; the authority is the
  statement's signature, not anything the browser holds;
* everything else (``POST /sign``, ``/api/identities``, the HTML pages, unknown
  paths): no CORS headers at all, and a preflight is refused with 403.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final, cast

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from registry.api.problems import PROBLEM_JSON, TYPE_BASE
from registry.i18n import language_from_accept, message

READ_METHODS: Final = frozenset({"GET", "HEAD"})
REGISTER_METHODS: Final = frozenset({"POST"})

PUBLIC_READS: Final = re.compile(
    r"""^/(?:
        \.well-known/(?:transparency-configuration|scitt-keys(?:/[A-Za-z0-9_-]+)?)
      | checkpoint(?:/witnessed)?
      | entries/\d+(?:/(?:statement|qr\.svg|qr\.png|qr-offline\.(?:png|txt)|certificate\.pdf))?
      | proofs/(?:inclusion|consistency)
      | tile/.+
      | api/entries
      | api/compliance/.+
      | api/dashboard/.+
      | api/profiles/.+
      | api/records
      | api/suggest
      | health
      | schema(?:/.*)?
    )/?$""",
    re.VERBOSE,
)
"""Paths whose GET (and HEAD) any origin may read."""

PUBLIC_REGISTRATION: Final = re.compile(r"^/entries/?$")
"""SCRAPI registration: POST of a signed statement, open to any origin."""

ALLOW_HEADERS: Final = "Accept, Content-Type, If-None-Match"
"""Request headers a cross-origin verifier or submitter may send."""

EXPOSE_HEADERS: Final = (
    "Cache-Control, Content-Language, Content-Length, Content-Type, ETag, Location, "
    "Retry-After, Vary, X-Registry-Entry-Index, X-Registry-Offline-Proof"
)
"""Response headers a cross-origin script may read."""

MAX_AGE: Final = "86400"
"""How long a browser may keep a preflight's answer (seconds)."""


def cors_methods(path: str) -> frozenset[str]:
    """The methods any origin may use on ``path`` (empty: closed to other origins)."""
    if PUBLIC_READS.match(path):
        return READ_METHODS
    if PUBLIC_REGISTRATION.match(path):
        return REGISTER_METHODS
    return frozenset()


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return cast(bytes, value).decode("latin-1")
    return None


def _with_cors(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    drop = {b"access-control-allow-origin", b"access-control-expose-headers"}
    kept = [(k, v) for k, v in headers if k.lower() not in drop]
    return [
        *kept,
        (b"access-control-allow-origin", b"*"),
        (b"access-control-expose-headers", EXPOSE_HEADERS.encode()),
    ]


def _body(body: bytes) -> HTTPResponseBodyEvent:
    return {"type": "http.response.body", "body": body, "more_body": False}


class PublicCORS:
    """ASGI middleware: CORS for the public reads and registration only; see the module."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        method = scope["method"].upper()
        allowed = cors_methods(scope["path"])
        preflight = _header(scope, b"access-control-request-method")
        if method == "OPTIONS" and preflight is not None and _header(scope, b"origin"):
            lang = language_from_accept(_header(scope, b"accept-language"))
            await self._preflight(allowed, preflight.strip().upper(), send, lang)
            return
        if method not in allowed:
            await self.app(scope, receive, send)
            return

        head = method == "HEAD"
        if head:  # the routes are GET routes: run the GET, answer without its body
            scope = cast(Scope, {**scope, "method": "GET"})

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = cast(
                    Message, {**message, "headers": _with_cors(list(message.get("headers", ())))}
                )
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = _body(b"")
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _preflight(allowed: frozenset[str], requested: str, send: Send, lang: str) -> None:
        if requested in allowed:
            methods = ", ".join(sorted(allowed | {"OPTIONS"}))
            headers = [
                (b"access-control-allow-origin", b"*"),
                (b"access-control-allow-methods", methods.encode()),
                (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
                (b"access-control-max-age", MAX_AGE.encode()),
                (b"content-length", b"0"),
            ]
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 204,
                "headers": headers,
            }
            await send(start)
            await send(_body(b""))
            return
        # no CORS headers: the browser refuses the cross-origin request
        body = json.dumps(
            {
                "type": TYPE_BASE + "cross-origin-refused",
                "title": message("problem.cross-origin-refused.title", lang),
                "status": 403,
                "detail": message("problem.cross-origin-refused.detail", lang, method=requested),
            }
        ).encode()
        headers = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"content-language", lang.encode()),
            (b"vary", b"Accept-Language"),
        ]
        refused: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 403,
            "headers": headers,
        }
        await send(refused)
        await send(_body(body))
