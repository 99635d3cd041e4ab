"""Registration (SCRAPI) and entries: POST /entries, GET /entries/{index}[/statement].

A registration answers with the receipt (``application/cose``, for tools) and
``Link`` headers (RFC 8288) to what a person reads: the entry's page
``/v/{index}`` and, for a pact or declaration, its certificate, so someone
registering from a browser is not left with nothing but a binary file.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter

from registry.api.deps import COSE, registered_response, service_of, wants_json
from registry.api.errors import BadRequest
from registry.documents.certificate import CERTIFIED_TYPES
from registry.verify.cose import HEADER_CWT_CLAIMS, parse_sign1
from registry.verify.statement import CWT_SUB

MAX_BODY = 64 * 1024


class EntriesController(Controller):
    """Register signed statements and read entries."""

    path = "/entries"
    tags = ["log"]

    @post(
        "/",
        status_code=201,
        request_max_body_size=MAX_BODY,
        summary="Register a signed statement (SCRAPI)",
        description="Body: a COSE_Sign1 signed statement (`application/cose`). Answers 201 "
        "with the receipt (`application/cose`) and `Location: /entries/{index}` once the entry "
        "is on disk; 200 with the existing entry's receipt for statement bytes already registered. "
        "`Link` names the entry's page (`/v/{index}`, `text/html`) and, for a pact or a "
        "declaration, its certificate (`application/pdf`).",
    )
    async def register(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != COSE:
            raise BadRequest(
                "unsupported-media-type",
                "Unsupported media type",
                f"send the signed statement as {COSE}, not {content_type or 'nothing'}",
                415,
            )
        body = await request.body()
        result = await service_of(request).register(body)
        response = registered_response(result)
        response.headers["Link"] = entry_links(result.index, body)
        return response

    @get(
        "/{index:int}", summary="An entry's receipt, or its JSON view with Accept: application/json"
    )
    async def entry(
        self, request: Request[Any, Any, Any], index: Annotated[int, PathParameter(ge=0)]
    ) -> Response[Any]:
        service = service_of(request)
        if wants_json(request):
            # the view changes (revocation, newer checkpoint); the receipt never does
            return Response(
                await service.entry_view(index),
                media_type="application/json",
                headers={"Vary": "Accept", "Cache-Control": "no-cache"},
            )
        return Response(
            await service.receipt(index),
            media_type=COSE,
            headers={"Vary": "Accept", "Cache-Control": "public, max-age=31536000, immutable"},
        )

    @get("/{index:int}/statement", summary="The signed statement bytes as registered")
    async def statement(
        self, request: Request[Any, Any, Any], index: Annotated[int, PathParameter(ge=0)]
    ) -> Response[bytes]:
        return Response(
            await service_of(request).statement(index),
            media_type=COSE,
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )


def entry_links(index: int, statement: bytes) -> str:
    """The ``Link`` header value naming entry ``index``'s page and, when it has one, certificate.

    ``anchor`` says the links are about the entry, not the ``/entries`` the
    statement was posted to.  ``statement`` is the registered statement (already
    verified), whose protected CWT ``sub`` is its type.
    """
    anchor = f'anchor="/entries/{index}"'
    links = [f'</v/{index}>; rel="alternate"; type="text/html"; {anchor}']
    if _statement_type(statement) in CERTIFIED_TYPES:
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
