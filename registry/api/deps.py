"""What handlers are given: the registry's components, made once at start-up, and shared helpers.

:class:`Components` holds the service and its collaborators for one running
app.  The app's lifespan opens them (:meth:`Components.open`) and closes
them; every handler names the ones it uses as parameters (``service``,
``compliance``, ``custodial``, ``documents``) and Litestar's dependency
injection hands them over (:meth:`Components.dependencies`).  A provider is a
closure that returns an object made at start-up: nothing is made per request.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote_plus

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.response.base import ASGIResponse

from registry.api.errors import BadRequest
from registry.compliance.browsing import RecordSearch
from registry.compliance.keeper import TallyKeeper
from registry.compliance.pass_budget import PassBudget
from registry.compliance.saved import SEGMENT
from registry.compliance.service import ComplianceService
from registry.config import Settings
from registry.documents.qr import EntryQrMaker
from registry.i18n import Message
from registry.records.custodial import Clock, CustodialSigning, wall_clock_ms
from registry.records.handoff import handoff_socket
from registry.records.operator import OperatorKeys
from registry.records.queued import Registered
from registry.records.schemas import RECORD_TYPES
from registry.records.service import RegistryService

COSE = "application/cose"
CHECKPOINT = "text/plain"
"""A checkpoint is UTF-8 text (Litestar adds ``; charset=utf-8`` to ``text/`` types)."""
TILE = "application/octet-stream"
MAX_INTEGER = 2**53 - 1
"""The largest integer a query parameter takes (the largest JSON carries exactly): a log
index, size, offset or limit beyond it names nothing, and a database cannot bind one past
64 bits (a 400, not a 500)."""

T = TypeVar("T")

Service = NamedDependency[RegistryService]
"""A handler parameter ``service: Service`` is given the running :class:`RegistryService`."""
Compliance = NamedDependency[ComplianceService]
"""``compliance: Compliance``: the process's :class:`ComplianceService`."""
Records = NamedDependency[RecordSearch]
"""``records: Records``: the process's :class:`RecordSearch` (the home page's list, the record
search and suggestions, without the compliance index)."""
Custodial = NamedDependency[CustodialSigning]
"""``custodial: Custodial``: the process's :class:`CustodialSigning`."""
Documents = NamedDependency[EntryQrMaker]
"""``documents: Documents``: the process's :class:`EntryQrMaker` (QR codes, certificates)."""


class NotStarted(RuntimeError):
    """A handler ran before the app's start-up opened the registry (or after shutdown)."""


def keeper_lock(settings: Settings) -> Path | None:
    """The lock by which the workers of one registry agree which keeps the compliance tally:
    beside the sequencer's socket (None for a private in-memory registry: one process)."""
    socket = handoff_socket(settings)
    return None if socket is None else socket.with_name(socket.name + ".tally-keeper")


def scope_pass_lock(settings: Settings) -> Path | None:
    """The lock by which the workers of one registry make one dashboard scope with a day at
    a time (``registry.compliance.scoped_tallies``), beside the keeper's."""
    socket = handoff_socket(settings)
    return None if socket is None else socket.with_name(socket.name + ".scope-pass")


class Components:
    """The service and its collaborators for one running app; see the module docstring."""

    def __init__(
        self,
        *,
        custodial_clock_ms: Clock = wall_clock_ms,
        compliance_segment: int = SEGMENT,
        custodial_attempts: Path | None = None,
    ) -> None:
        self._clock_ms = custodial_clock_ms
        self._attempts = custodial_attempts
        self._segment = compliance_segment
        self._service: RegistryService | None = None
        self._compliance: ComplianceService | None = None
        self._records: RecordSearch | None = None
        self._custodial: CustodialSigning | None = None
        self._documents: EntryQrMaker | None = None
        self._keeper: asyncio.Task[None] | None = None
        """The compliance tally's keeper (:mod:`registry.compliance.keeper`), if it runs."""
        self.keeper: TallyKeeper | None = None
        """What that task runs."""

    async def open(self, settings: Settings, keys: OperatorKeys) -> None:
        """Open the registry service and make its collaborators, once."""
        service = await RegistryService.open(settings, keys)
        self._compliance = ComplianceService(
            service, service.identities, settings.follow_up_days, service.segments, self._segment
        )
        self._compliance.scoped.budget = PassBudget(settings.dated_pass_entries)
        self._compliance.scoped.pass_lock = scope_pass_lock(settings)
        self._records = RecordSearch(
            service, service.search_table, list(RECORD_TYPES), settings.follow_up_days
        )
        self._custodial = service.custodial_signing(
            clock_ms=self._clock_ms, attempts=self._attempts
        )
        self._documents = EntryQrMaker(service)
        self._service = service
        if settings.tally_keeper_seconds:
            keeper = TallyKeeper(
                self._compliance,
                keeper_lock(settings),
                behind=self._segment,
                every_s=settings.tally_keeper_seconds,
                others=[self._records.catch_up, self._compliance.keep_scopes],
                elsewhere=lambda: service.followers > 0,
            )
            self.keeper = keeper
            self._keeper = asyncio.get_running_loop().create_task(keeper.run())

    async def close(self) -> None:
        """Close the service; the components are gone until :meth:`open` again."""
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        service, self._service = self._service, None
        compliance = self._compliance
        self._compliance = self._custodial = self._documents = None
        records, self._records = self._records, None
        if records is not None:
            await records.close()
        if compliance is not None:
            await compliance.close()
        if service is not None:
            await service.close()

    @property
    def service(self) -> RegistryService:
        """The registry: the log's reads and registration."""
        return _opened(self._service)

    @property
    def compliance(self) -> ComplianceService:
        """The compliance figures and signed access to identities."""
        return _opened(self._compliance)

    @property
    def records(self) -> RecordSearch:
        """The record search and the home page's list, without the compliance index."""
        return _opened(self._records)

    @property
    def custodial(self) -> CustodialSigning:
        """Remote signing with keys held in custody (``POST /sign``)."""
        return _opened(self._custodial)

    @property
    def documents(self) -> EntryQrMaker:
        """An entry's QR codes and certificate, made once each and cached."""
        return _opened(self._documents)

    def dependencies(self) -> dict[str, Provide]:
        """The app's dependency providers, one per component, by parameter name."""

        def service() -> RegistryService:
            return _opened(self._service)

        def compliance() -> ComplianceService:
            return _opened(self._compliance)

        def custodial() -> CustodialSigning:
            return _opened(self._custodial)

        def records() -> RecordSearch:
            return _opened(self._records)

        def documents() -> EntryQrMaker:
            return _opened(self._documents)

        providers = {
            "service": service,
            "compliance": compliance,
            "custodial": custodial,
            "documents": documents,
            "records": records,
        }
        return {name: Provide(p, sync_to_thread=False) for name, p in providers.items()}


def _opened(component: T | None) -> T:
    if component is None:
        raise NotStarted("the registry service is not open")
    return component


def document(media_type: str, data: type[Any], description: str) -> dict[int, ResponseSpec]:
    """The OpenAPI description of a 200 answer a handler sends as an ``ASGIResponse``."""
    spec = ResponseSpec(
        data_container=data, media_type=media_type, description=description, generate_examples=False
    )
    return {200: spec}


def registered_documents(created: str, existing: str | None = None) -> dict[int, ResponseSpec]:
    """The OpenAPI description of a registration's answers (:func:`registered_response`):
    201 with the receipt, ``created``, and with ``existing`` the 200 of a statement already
    registered.  Litestar documents an ``ASGIResponse`` handler's own status without a
    body, so the 201 is described here, as it was when the handler returned a ``Response``."""
    spec = ResponseSpec(
        data_container=bytes, media_type=COSE, description=created, generate_examples=False
    )
    documents = {201: spec}
    if existing is not None:
        documents |= document(COSE, bytes, existing)
    return documents


def wants_json(request: Request[Any, Any, Any]) -> bool:
    """Whether the client asked for JSON rather than CBOR/COSE.

    Reads the raw ASGI headers (names are lower case there): building
    ``request.headers`` would cost the receipt GET more than the rest of its work.
    Media types are compared case-insensitively (RFC 9110 §8.3.1).
    """
    accept = b",".join(v for k, v in request.scope["headers"] if k == b"accept").lower()
    return b"application/json" in accept and b"application/cose" not in accept


def registered_response(result: Registered, link: str | None = None) -> ASGIResponse:
    """The answer to a registration: 201 (200 if it was there) with the receipt and Location
    (and ``link`` as its ``Link`` header, when given).

    An ``ASGIResponse``, which Litestar sends as it is: a ``Response`` is rebuilt into one
    on every request (its headers merged with the handler's, its media type and status
    resolved), about 20 µs of a worker's CPU a registration, for the same bytes.
    """
    headers = {"Location": f"/entries/{result.index}", "X-Registry-Entry-Index": str(result.index)}
    if link is not None:
        headers["Link"] = link
    return ASGIResponse(
        body=result.receipt,
        status_code=200 if result.existed else 201,
        media_type=COSE,
        headers=headers,
    )


async def cose_body(request: Request[Any, Any, Any]) -> bytes:
    """The body of a request that must send ``application/cose`` (else ``415``)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != COSE:
        raise BadRequest(
            "unsupported-media-type",
            Message("problem.unsupported-media-type.title"),
            Message("problem.send-cose", {"expected": COSE, "sent": content_type}),
            415,
        )
    return await request.body()


def signed_target(request: Request[Any, Any, Any]) -> str:
    """What a signed request (``Authorization: Registry-Signed``) to ``request`` signs: the
    path and the query, percent-decoded however the client encoded it, so the signature
    covers whom or what it asks about."""
    query = unquote_plus(request.scope.get("query_string", b"").decode("latin-1"))
    return request.url.path + (f"?{query}" if query else "")
