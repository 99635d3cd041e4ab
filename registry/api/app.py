"""The Litestar application: wiring of controllers, errors, OpenAPI and the service lifespan."""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from registry.api.complaint_pages import ComplaintPagesController
from registry.api.complaints import ComplaintsController
from registry.api.compliance import compliance_router
from registry.api.cors import PublicCORS
from registry.api.dashboard import dashboard_router
from registry.api.dashboard_entries import dashboard_entries_router
from registry.api.deps import Components
from registry.api.edges import Edges, refuse_deep_json
from registry.api.enrolment_requests import EnrolmentRequestsController
from registry.api.entries import EntriesController
from registry.api.errors import EXCEPTION_HANDLERS
from registry.api.imports import ImportsController
from registry.api.institutions import InstitutionApiController, InstitutionPagesController
from registry.api.limits import Rate, RateLimiter
from registry.api.limits_file import RATE_LIMITS_FILE, SharedRateLimiter
from registry.api.log import LogController
from registry.api.openapi import ProblemsDeclaredWhenRead
from registry.api.pages import PagesController
from registry.api.patterns import patterns_router
from registry.api.personal import personal_router
from registry.api.portal import PortalController
from registry.api.qr import QrController
from registry.api.record_search import record_search_router
from registry.api.search import SearchController
from registry.api.signing import SigningController
from registry.api.web import WebController
from registry.compliance.saved import SEGMENT
from registry.config import Settings
from registry.records.custodial import ATTEMPTS_FILE, Clock, wall_clock_ms
from registry.records.operator import OperatorKeys, open_keys
from registry.records.shared_table import shared_or_none

OPENAPI_PATH = "/schema"
"""Where the OpenAPI document and its pages are served."""


def create_app(
    settings: Settings,
    keys: OperatorKeys | None = None,
    *,
    custodial_clock_ms: Clock = wall_clock_ms,
    rate_clock: Callable[[], float] = time.monotonic,
    compliance_segment: int = SEGMENT,
    counts_dir: Path | None = None,
) -> Litestar:
    """The registry's ASGI app; the service opens at start-up and closes at shutdown.

    ``keys`` are the operator's keys (else opened from ``settings.data_dir``);
    ``custodial_clock_ms`` times the lockouts of custodial keys, ``rate_clock`` (seconds)
    the per-client rate limits (tests move both);
    ``compliance_segment`` is how many entries each saved segment of the
    compliance index holds (tests make it small).
    ``counts_dir``, when given, is where the per-client rate limits and wrong custodial
    passphrases are counted, shared with every process using the same folder
    (``registry serve``'s workers, :mod:`registry.records.shared_table`); else the app
    counts its own.
    The running components are ``app.state.components`` (:class:`Components`).
    """
    components = Components(
        custodial_clock_ms=custodial_clock_ms,
        compliance_segment=compliance_segment,
        custodial_attempts=None if counts_dir is None else counts_dir / ATTEMPTS_FILE,
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        operator = keys or open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        await components.open(settings, operator)
        # The loaded log is long-lived: keep the collector from rescanning it on every full
        # collection (55-70 ms pauses under load, see docs/benchmarks.md).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await components.close()

    app = Litestar(
        route_handlers=[
            EntriesController,
            LogController,
            SearchController,
            SigningController,
            EnrolmentRequestsController,
            QrController,
            compliance_router,
            personal_router,
            dashboard_router,
            record_search_router,
            dashboard_entries_router,
            patterns_router,
            WebController,
            PagesController,
            PortalController,
            InstitutionPagesController,
            InstitutionApiController,
            ComplaintsController,
            ComplaintPagesController,
            ImportsController,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=refuse_deep_json,
        request_max_body_size=settings.max_body_bytes,
        dependencies=components.dependencies(),
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Integrity pact registry",
            version="1.0.0",
            path=OPENAPI_PATH,
            description="Signed statements of Indonesia's civil-service neutrality commitments "
            "in an append-only, tamper-evident log (SCITT/SCRAPI, RFC 9162, RFC 9942, C2SP).",
        ),
        debug=False,
    )
    app.state.components = components
    app.state.rate_limiter = _rate_limiter(settings, rate_clock, counts_dir)
    # Cross-origin access for the public reads and registration only (registry/api/cors.py):
    # outside the router, where Litestar's own (app-wide) CORS middleware would sit, so that
    # preflights, HEAD and the errors of unknown entries are covered too.
    # Outermost, the checks and headers every request and answer goes through (edges.py).
    declared = ProblemsDeclaredWhenRead(app.asgi_handler, OPENAPI_PATH, lambda: app.openapi_schema)
    app.asgi_handler = Edges(PublicCORS(declared))
    return app


def _rate_limiter(
    settings: Settings, clock: Callable[[], float], counts_dir: Path | None
) -> RateLimiter:
    """The limiter counting in ``counts_dir`` (with every process using it) when it can be
    shared there, else in this process."""
    rates = {bucket: Rate(n, s) if n else None for bucket, n, s in settings.rate_limits}
    table = None if counts_dir is None else shared_or_none(counts_dir / RATE_LIMITS_FILE)
    if table is None:
        return RateLimiter(rates, clock=clock)
    return SharedRateLimiter(table, rates, clock=clock)
