"""The Litestar application: wiring of controllers, errors, OpenAPI and the service lifespan."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from registry.api.compliance import compliance_router
from registry.api.cors import PublicCORS
from registry.api.entries import EntriesController
from registry.api.errors import EXCEPTION_HANDLERS
from registry.api.log import LogController
from registry.api.qr import QrController
from registry.api.search import SearchController
from registry.api.signing import SigningController
from registry.api.web import WebController
from registry.config import Settings
from registry.records.operator import OperatorKeys, open_keys
from registry.records.service import RegistryService


def create_app(settings: Settings, keys: OperatorKeys | None = None) -> Litestar:
    """The registry's ASGI app; the service opens at start-up and closes at shutdown."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        operator = keys or open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        service = await RegistryService.open(settings, operator)
        app.state.service = service
        # The loaded log is long-lived: keep the collector from rescanning it on every full
        # collection (55-70 ms pauses under load, see docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await service.close()

    app = Litestar(
        route_handlers=[
            EntriesController,
            LogController,
            SearchController,
            SigningController,
            QrController,
            compliance_router,
            WebController,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Integrity pact registry",
            version="1.0.0",
            path="/schema",
            description="Signed statements of Indonesia's civil-service neutrality commitments "
            "in an append-only, tamper-evident log (SCITT/SCRAPI, RFC 9162, RFC 9942, C2SP).",
        ),
        debug=False,
    )
    # Cross-origin access for the public reads and registration only (registry/api/cors.py):
    # outside the router, where Litestar's own (app-wide) CORS middleware would sit, so that
    # preflights, HEAD and the errors of unknown entries are covered too.
    app.asgi_handler = PublicCORS(app.asgi_handler)
    return app
