"""The ASGI apps the registry benchmark serves, as module attributes any server can import.

- ``_app:app``: the registry exactly as ``registry serve`` builds it
  (``create_app`` with settings from the ``REGISTRY_*`` variables; the
  lifespan opens the operator's keys from the data directory);
- ``_app:bare``: a Litestar app with one trivial handler, ``GET /bare``
  returning a small constant body, the yardstick for the registry's GETs;
- ``_app:verify_only``: a Litestar app whose ``POST /entries`` only reads
  the statement and checks it with ``registry.verify.statement`` against
  the benchmark's PPK keys, answering 201 with a constant body: the least
  any Python registry must do per registration (HTTP in, signature checked,
  nothing logged), the machine's limit for the registry's POSTs;
- ``_app:verify_only_asgi``: the same check as a plain ASGI callable, no
  framework at all (HTTP parsing is the server's, in Rust under granian): what
  the check costs when the Python web framework costs nothing.

Servers run with ``bench/`` on ``PYTHONPATH`` (``uvicorn _app:app``,
``granian --interface asgi _app:bare``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _servers import PACKAGE_LINE
from _statements import ppk_signer
from litestar import Litestar, Request, Response, get, post

import registry
from registry.api.app import create_app
from registry.config import Settings
from registry.verify.statement import verify_statement

if TYPE_CHECKING:
    from litestar.types import Message, Receive, Scope, Send

BARE_BODY = b"bare litestar response\n"


@get("/bare", summary="A constant body: what Litestar and the server cost alone")
async def bare_handler() -> Response[bytes]:
    """The constant body, as plain text."""
    return Response(BARE_BODY, media_type="text/plain")


SIGNERS = 256
"""PPK keys ``verify_only`` knows (the benchmark enrols fewer, by default 48)."""
KNOWN_KEYS = {s.kid: s.public_key for s in (ppk_signer(n) for n in range(SIGNERS))}


@post("/entries", status_code=201, summary="Check a statement's signature; log nothing")
async def verify_only_handler(request: Request[object, object, object]) -> Response[bytes]:
    """201 if the statement verifies with a known key, else 400."""
    verdict = verify_statement(await request.body(), KNOWN_KEYS)
    return Response(BARE_BODY, status_code=201 if verdict.ok else 400, media_type="text/plain")


# The benchmark reads this from the server's log to check it measures the right code.
print(PACKAGE_LINE, Path(registry.__file__).parent, file=sys.stderr, flush=True)
app = create_app(Settings.from_env())
bare = Litestar(route_handlers=[bare_handler], debug=False)
verify_only = Litestar(route_handlers=[verify_only_handler, bare_handler], debug=False)


async def verify_only_asgi(scope: Scope, receive: Receive, send: Send) -> None:
    """``verify_only`` without Litestar: POST /entries checks the statement, GET /bare answers."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["type"] != "http":
        return
    status = 404
    if scope["method"] == "POST" and scope["path"] == "/entries":
        chunks, more = [], True
        while more:
            message: Any = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        status = 201 if verify_statement(b"".join(chunks), KNOWN_KEYS).ok else 400
    elif scope["method"] == "GET" and scope["path"] == "/bare":
        status = 200
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/plain")],
    }
    await send(start)
    await send({"type": "http.response.body", "body": BARE_BODY, "more_body": False})
