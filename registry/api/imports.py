"""Bulk import into the running registry: ``POST /api/imports/prepare|register/{sha256}``.

`registry import --server URL` sends a file chunk by chunk (docs/import.md):

1. ``prepare``: the chunk's rows (header and cells); the registry checks them
   and answers the payloads to sign, each ASN named by a commitment under the
   registry's stable salt (:mod:`registry.records.salts`), and the bad rows.
2. The institution signs the payloads with its own key, on its own machine.
3. ``register``: the statements (with the NIP and name of the person each
   names, kept off the log); the registry verifies them on every core and
   registers the chunk in one transaction, setting refused rows aside.

Each request is signed by an enrolled key (``Authorization: Registry-Signed``,
:mod:`registry.compliance.access`), used once, over its method and path; the
path ends with the SHA-256 of the body, so the signature covers the body too.
The key must be of a role that signs the rows' type (a recommender for
recommendations, a PPK for follow-ups) or the operator's admin key.  Each
prepare of recommendations, which turns NIPs into commitments, is recorded
in the access log of personal data.  The process that sequences the log
registers a chunk: a worker that does not hands it over (``import_desk.py``);
one that cannot reach the sequencer answers 503 with ``Retry-After`` (the client
connects again).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.params import FromPath

from registry.api.deps import Service
from registry.api.errors import BadRequest
from registry.compliance.access import (
    MAX_AGE_S,
    AccessDenied,
    ReplayGuard,
    denied,
    request_digest,
    token_of,
    verify_request,
)
from registry.i18n import Message
from registry.records import import_wire as wire
from registry.records.bulk_crypto import CryptoPool
from registry.records.import_chunks import (
    Importer,
    prepare_chunk,
    prepared_rows,
    record_commitments_asked,
)
from registry.records.import_desk import Chunk, desk_of, register_signed, signed_rows
from registry.records.policy import SIGNER_ROLES
from registry.records.service import RegistryService

MAX_BODY = 16 * 1024 * 1024
"""A chunk of a few thousand rows, with their statements."""


_REPLAY: dict[int, ReplayGuard] = {}
_INLINE = CryptoPool(workers=0)


def _replay(service: RegistryService) -> ReplayGuard:
    return _REPLAY.setdefault(id(service), ReplayGuard())


def _bad(detail: str) -> BadRequest:
    return BadRequest(
        "bad-import-body",
        Message("import.bad-body.title"),
        Message("import.bad-body", {"detail": detail}),
    )


async def _body(request: Request[Any, Any, Any], digest: str) -> dict[str, Any]:
    body = await request.body()
    if hashlib.sha256(body).hexdigest() != digest.lower():
        raise _bad("the path does not end with the SHA-256 of the body")
    try:
        return wire.loads(body)
    except wire.WireError as exc:
        raise _bad(str(exc)) from exc


async def _load_signer(service: RegistryService, authorization: str | None) -> None:
    """Read the key an ``Authorization`` header's signed request names (if it is one)."""
    with contextlib.suppress(AccessDenied):
        await service.load_signer_of(token_of(authorization))


async def _signer(service: RegistryService, request: Request[Any, Any, Any], kind: Any) -> Importer:
    """The enrolled key that signed this request, once, and may import rows of ``kind``."""
    authorization = request.headers.get("Authorization")
    await _load_signer(service, authorization)
    key = verify_request(authorization, "POST", request.url.path, service.signer, _replay(service))
    now_ms = int(time.time() * 1000)
    if not await service.identities.use_request(
        request_digest(authorization), now_ms=now_ms, expires_at=now_ms + 2 * MAX_AGE_S * 1000
    ):
        raise denied("replayed-request")
    allowed = SIGNER_ROLES.get(kind, frozenset()) | {"admin"}
    if key.role not in allowed:
        raise denied(
            "forbidden", 403, role=key.role, what=Message("import.may-not", {"type": kind})
        )
    return key


class ImportsController(Controller):
    """Chunks of a spreadsheet, prepared and registered for an enrolled institution."""

    path = "/api/imports"
    tags = ["import"]

    @post(
        "/prepare/{digest:str}",
        status_code=200,
        media_type=wire.MEDIA_TYPE,
        request_max_body_size=MAX_BODY,
        summary="Check a chunk of spreadsheet rows and answer the payloads to sign",
        description="Body (CBOR): the chunk's header and rows. Signed request "
        "(`Authorization: Registry-Signed`) over `POST` and this path, whose last part is the "
        "SHA-256 of the body (hex). Answers (CBOR) the payloads to sign and the rows refused "
        "with their reasons. See docs/import.md.",
    )
    async def prepare(
        self, request: Request[Any, Any, Any], service: Service, digest: FromPath[str]
    ) -> Response[bytes]:
        """See the module."""
        body = await _body(request, digest)
        try:
            kind, table = wire.table_of(body)
        except wire.WireError as exc:
            raise _bad(str(exc)) from exc
        key = await _signer(service, request, kind)
        if kind == "recommendation":
            asked = f"{request.url.path} ({len(table.rows)} rows)"
            token = token_of(request.headers.get("Authorization"))
            await record_commitments_asked(service, key, asked, token)
        salts = await desk_of(service).salts_of(service)
        # the sequencer's rows are checked by its workers; another process checks them itself
        pool = desk_of(service).pool_for() if service.is_sequencer else _INLINE
        validated = await prepare_chunk(service, table, kind, salts, pool, header=False)
        rows = [list(r) for r in prepared_rows(validated)]
        answer = {"rows": rows, "errors": wire.errors_data(validated.errors)}
        return Response(wire.dumps(answer), media_type=wire.MEDIA_TYPE)

    @post(
        "/register/{digest:str}",
        status_code=200,
        media_type=wire.MEDIA_TYPE,
        request_max_body_size=MAX_BODY,
        summary="Register a chunk of signed statements in one transaction",
        description="Body (CBOR): the chunk's statements, each with its row number and the "
        "NIP and name of the person it names (kept off the log). Signed request as for "
        "`prepare`. The statements are registered in one transaction; refused ones are set "
        "aside and the others registered, again in one transaction. Answers (CBOR) each "
        "row's entry and whether it was in the log already, and the refusals. 503 with "
        "`Retry-After` from a process that cannot reach the one sequencing the log. See "
        "docs/import.md.",
    )
    async def register(
        self, request: Request[Any, Any, Any], service: Service, digest: FromPath[str]
    ) -> Response[bytes]:
        """See the module."""
        body = await _body(request, digest)
        kind = body.get("type")
        key = await _signer(service, request, kind)
        try:
            rows = signed_rows(body.get("rows"))
        except wire.WireError as exc:
            raise _bad(str(exc)) from exc
        answer = await register_signed(service, Chunk(str(kind), rows, key.kid, key.role))
        return Response(wire.dumps(answer), media_type=wire.MEDIA_TYPE)
