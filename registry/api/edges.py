"""The outermost layer of the app: what every request and every answer goes through.

:class:`Edges` wraps the app's ASGI handler (outside CORS and the router), so
that it holds for every path, errors and unknown paths included:

* a request whose ``Host`` header is not ``host[:port]`` (RFC 9110 §7.2, RFC 3986
  §3.2.2) is answered 400 ``bad-host`` before anything reads it (Litestar builds
  URLs from it, and a port it cannot read used to be a 500);
* an entry's URL has one spelling: ``/entries/1`` and ``/v/1``, never ``/entries/01``,
  ``/entries/+1`` or ``/entries/1_0`` (Python's ``int()`` reads all of them).  Any
  other spelling of an index is 404 ``not-canonical`` naming the one URL
  (``Link: <...>; rel="canonical"``), so an immutable resource has one URL a
  cache or a link can hold;
* a query string that names a parameter twice (``?election=a&election=b``, or
  ``%65lection`` for the second) is answered 400 ``repeated-parameter`` naming it: no
  route takes a list in its query, and a server that kept the last one while a proxy, a
  cache's key or a link checker read the first would answer for a filter the reader did
  not see (HTTP parameter pollution);
* a JSON body nested deeper than :data:`MAX_JSON_DEPTH` is refused 400 ``too-deep``
  before it is decoded (:func:`refuse_deep_json`, a ``before_request`` hook: the
  decoder recurses, and 5,000 levels ran it out of stack, a 500);
* every answer carries the security headers (:data:`SECURITY_HEADERS`); a page
  that sets its own ``Content-Security-Policy`` (registry/api/rendering.py) keeps it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final, cast
from urllib.parse import parse_qsl

from litestar import Request
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.types import Message as Event

from registry.api.errors import BadRequest
from registry.api.problems import PROBLEM_JSON, TYPE_BASE
from registry.i18n import Message, language_from_accept, message

MAX_JSON_DEPTH: Final = 32
"""The deepest a request's JSON may nest (a record nests three levels: pact, witnesses, one)."""

SECURITY_HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
)
"""Set on every answer that does not set its own.  The API's answers are data, never
pages: nothing in them may run, load, or be framed (the pages' own policy, which lets
their scripts and styles from this origin run, is in registry/api/rendering.py)."""

SCHEMA_DOCS_POLICY: Final = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://fonts.googleapis.com https://cdn.jsdelivr.net; "
    b"font-src https://fonts.gstatic.com; img-src 'self' data: https://cdn.redoc.ly; "
    b"worker-src blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Litestar's OpenAPI viewers (``/schema``, ``/schema/redoc``...) load their scripts from
a CDN and start them inline; the JSON and YAML documents get :data:`SECURITY_HEADERS`."""

_HOST: Final = re.compile(
    r"""(?:
        \[[0-9A-Fa-f:.]+\]                          # an IPv6 literal (RFC 3986 IP-literal)
      | [A-Za-z0-9\-._~!$&'()*+,;=%]*                 # a reg-name or an IPv4 address
    )(?::(?P<port>[0-9]{1,5}))?""",
    re.VERBOSE,
)
_ENTRY: Final = re.compile(r"^/(entries|v)/([^/]+)(/.*)?$")


def host_is_valid(value: bytes) -> bool:
    """Whether a ``Host`` header value is ``host[:port]`` with a port of at most 65535."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return False
    found = _HOST.fullmatch(text)
    if found is None:
        return False
    port = found["port"]
    return port is None or int(port) <= 65535


def canonical_entry_path(path: str) -> str | None:
    """The one URL of ``path`` when it spells an entry's index another way, else ``None``.

    ``/entries/01/statement`` gives ``/entries/1/statement``; ``/entries/1`` and
    paths that are no entry's (``/entries/abc``) give ``None``.
    """
    found = _ENTRY.match(path)
    if found is None:
        return None
    segment = found[2]
    try:
        index = int(segment)
    except ValueError:
        return None
    if str(index) == segment:
        return None
    return f"/{found[1]}/{index}{found[3] or ''}"


def repeated_parameter(query: bytes) -> str | None:
    """The first parameter the query string ``query`` names more than once (after its
    percent-decoding, as the router reads it), else ``None``."""
    seen: set[str] = set()
    for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if name in seen:
            return name
        seen.add(name)
    return None


def _header(scope: Mapping[str, Any], name: bytes) -> list[bytes]:
    return [cast(bytes, v) for k, v in scope.get("headers", ()) if k.lower() == name]


class Edges:
    """ASGI middleware: the checks and headers that hold for every request; see the module."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        lang = language_from_accept(
            b", ".join(_header(scope, b"accept-language")).decode("latin-1") or None
        )
        hosts = _header(scope, b"host")
        if len(hosts) > 1 or (hosts and not host_is_valid(hosts[0])):
            await _problem(send, 400, "bad-host", lang, scope["path"], {})
            return
        repeated = repeated_parameter(scope.get("query_string", b""))
        if repeated is not None:
            await _problem(send, 400, "repeated-parameter", lang, scope["path"], {"name": repeated})
            return
        canonical = canonical_entry_path(scope["path"])
        if canonical is not None:
            link = f'<{canonical}>; rel="canonical"'.encode()
            await _problem(
                send, 404, "not-canonical", lang, scope["path"], {"canonical": canonical}, link
            )
            return
        docs = scope["path"].startswith("/schema") and not scope["path"].endswith(
            (".json", ".yaml", ".yml")
        )

        async def send_with_headers(event: Event) -> None:
            if event["type"] == "http.response.start":
                headers = list(event.get("headers", ()))
                event = cast(Event, {**event, "headers": with_security_headers(headers, docs)})
            await send(event)

        await self.app(scope, receive, send_with_headers)


def with_security_headers(
    headers: list[tuple[bytes, bytes]], docs: bool = False
) -> list[tuple[bytes, bytes]]:
    """``headers`` with each security header it does not set already added."""
    present = {k.lower() for k, _ in headers}
    added = [
        (name, SCHEMA_DOCS_POLICY if docs and name == b"content-security-policy" else value)
        for name, value in SECURITY_HEADERS
        if name not in present
    ]
    return [*headers, *added]


async def _problem(
    send: Send,
    status: int,
    code: str,
    lang: str,
    path: str,
    params: dict[str, Any],
    link: bytes | None = None,
) -> None:
    body = json.dumps(
        {
            "type": TYPE_BASE + code,
            "title": message(f"edges.{code}.title", lang),
            "status": status,
            "detail": message(f"edges.{code}.detail", lang, **params),
            "instance": path,
        },
        ensure_ascii=False,
    ).encode()
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"content-language", lang.encode()),
        (b"vary", b"Accept-Language"),
    ]
    if link is not None:
        headers.append((b"link", link))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": with_security_headers(headers),
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether the JSON text ``body`` opens more than ``limit`` arrays and objects at once.

    Brackets inside strings do not count.  Reads the bytes once, decoding nothing;
    malformed JSON is left to the decoder to refuse.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


async def refuse_deep_json(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: a JSON body nested past :data:`MAX_JSON_DEPTH` is 400."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return
    if json_depth_exceeds(await request.body(), MAX_JSON_DEPTH):
        raise BadRequest(
            "too-deep",
            Message("edges.too-deep.title"),
            Message("edges.too-deep.detail", {"max": MAX_JSON_DEPTH}),
        )
