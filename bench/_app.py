"""The ASGI apps the registry benchmark serves, as module attributes any server can import.

- ``_app:app``: the registry exactly as ``registry serve`` builds it
  (``create_app`` with settings from the ``REGISTRY_*`` variables; the
  lifespan opens the operator's keys from the data directory);
- ``_app:bare``: a Litestar app with one trivial handler, ``GET /bare``
  returning a small constant body, the yardstick for the registry's GETs.

Servers run with ``bench/`` on ``PYTHONPATH`` (``uvicorn _app:app``,
``granian --interface asgi _app:bare``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from _servers import PACKAGE_LINE
from litestar import Litestar, Response, get

import registry
from registry.api.app import create_app
from registry.config import Settings

BARE_BODY = b"bare litestar response\n"


@get("/bare", summary="A constant body: what Litestar and the server cost alone")
async def bare_handler() -> Response[bytes]:
    """The constant body, as plain text."""
    return Response(BARE_BODY, media_type="text/plain")


# The benchmark reads this from the server's log to check it measures the right code.
print(PACKAGE_LINE, Path(registry.__file__).parent, file=sys.stderr, flush=True)
app = create_app(Settings.from_env())
bare = Litestar(route_handlers=[bare_handler], debug=False)
