"""Registration (SCRAPI) and entries: POST /entries, GET /entries/{index}[/statement].

A registration answers with the receipt (``application/cose``, for tools) and
``Link`` headers (RFC 8288) to what a person reads: the entry's page
``/v/{index}`` and, for a pact or declaration, its certificate, so someone
registering from a browser is not left with nothing but a binary file.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import PathParameter
from litestar.response.base import ASGIResponse
from litestar.serialization import encode_json

from registry.api.deps import (
    COSE,
    Service,
    document,
    registered_documents,
    registered_response,
    wants_json,
)
from registry.api.errors import BadRequest
from registry.api.limits import LimitedPost, rate_limited
from registry.documents.certificate import CERTIFIED_TYPES
from registry.i18n import Message
from registry.verify.cose import HEADER_CWT_CLAIMS, parse_sign1
from registry.verify.statement import CWT_SUB

MAX_BODY = 64 * 1024
RECEIPT_HEADERS = {"Vary": "Accept", "Cache-Control": "public, max-age=31536000, immutable"}
"""A receipt never changes; the JSON view (same URL, ``Accept: application/json``) does."""
VIEW_HEADERS = {"Vary": "Accept", "Cache-Control": "no-cache"}
STATEMENT_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable"}


class EntriesController(Controller):
    """Register signed statements and read entries."""

    path = "/entries"
    tags = ["log"]

    @LimitedPost(
        "/",
        status_code=201,
        request_max_body_size=MAX_BODY,
        guards=[rate_limited("write")],
        media_type=COSE,
        responses=registered_documents(
            "Document created, URL follows",
            "The receipt of the statement already registered (the same content)",
        ),
        summary="Register a signed statement (SCRAPI)",
        description="Body: a COSE_Sign1 signed statement (`application/cose`). Answers 201 "
        "with the receipt (`application/cose`) and `Location: /entries/{index}` once the entry "
        "is on disk; 200 with the existing entry's receipt for a statement already registered "
        "(the same signed content, whatever its bytes; docs/formats.md). 400 "
        "`non-canonical-encoding` for a statement not in its one accepted encoding. "
        "`Link` names the entry's page (`/v/{index}`, `text/html`) and, for a pact or a "
        "declaration, its certificate (`application/pdf`).",
    )
    async def register(self, request: Request[Any, Any, Any], service: Service) -> ASGIResponse:
        # media types are case-insensitive (RFC 9110 §8.3.1): Application/COSE is ours too
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != COSE:
            raise BadRequest(
                "unsupported-media-type",
                Message("problem.unsupported-media-type.title"),
                Message(
                    "problem.send-cose" if content_type else "problem.send-cose-no-type",
                    {"expected": COSE, "sent": content_type},
                ),
                415,
            )
        body = await request.body()
        result = await service.register(body)
        return registered_response(result, entry_links(result.index, body, result.statement_type))

    # The hot reads answer with an ASGIResponse: Litestar sends it as it is, which saves
    # about as much per request as handing the service over by dependency injection costs.
    @get(
        "/{index:int}",
        media_type=COSE,
        summary="An entry's receipt, or its JSON view with Accept: application/json",
        responses=document(
            COSE,
            bytes,
            "The receipt (COSE Receipt, RFC 9942); with Accept: application/json the entry's "
            "JSON view (type, payload, signer, leaf, inclusion proof, checkpoint, status)",
        ),
    )
    async def entry(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        index: Annotated[int, PathParameter(ge=0)],
    ) -> ASGIResponse:
        if wants_json(request):
            # the view changes (revocation, newer checkpoint); the receipt never does
            view = await service.entry_view(index)
            return ASGIResponse(
                body=encode_json(view), media_type="application/json", headers=VIEW_HEADERS
            )
        receipt = await service.receipt(index)
        return ASGIResponse(body=receipt, media_type=COSE, headers=RECEIPT_HEADERS)

    @get(
        "/{index:int}/statement",
        media_type=COSE,
        summary="The signed statement bytes as registered",
        responses=document(COSE, bytes, "The signed statement (COSE_Sign1), byte for byte"),
    )
    async def statement(
        self, service: Service, index: Annotated[int, PathParameter(ge=0)]
    ) -> ASGIResponse:
        statement = await service.statement(index)
        return ASGIResponse(body=statement, media_type=COSE, headers=STATEMENT_HEADERS)


def entry_links(index: int, statement: bytes, statement_type: str | None = None) -> str:
    """The ``Link`` header value naming entry ``index``'s page and, when it has one, certificate.

    ``anchor`` says the links are about the entry, not the ``/entries`` the
    statement was posted to.  ``statement`` is the registered statement (already
    verified), whose protected CWT ``sub`` is its type; ``statement_type``, when the
    caller knows it, saves reading it again.
    """
    anchor = f'anchor="/entries/{index}"'
    links = [f'</v/{index}>; rel="alternate"; type="text/html"; {anchor}']
    kind = statement_type if statement_type is not None else _statement_type(statement)
    if kind in CERTIFIED_TYPES:
        links.append(
            f'</entries/{index}/certificate.pdf>; rel="alternate"; type="application/pdf"; {anchor}'
        )
    return ", ".join(links)


def _statement_type(statement: bytes) -> str | None:
    parsed = parse_sign1(statement, "signed statement")
    if not parsed.ok or parsed.value is None:
        return None
    claims = parsed.value.protected.get(HEADER_CWT_CLAIMS)
    subject = claims.get(CWT_SUB) if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) else None
