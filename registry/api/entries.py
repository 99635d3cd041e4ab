"""Registration (SCRAPI) and entries: POST /entries, GET /entries/{index}[/statement]."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import PathParameter

from registry.api.deps import COSE, registered_response, service_of, wants_json
from registry.api.errors import BadRequest

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
        "is on disk; 200 with the existing entry's receipt for a statement already registered "
        "(the same signed content, whatever its bytes; docs/formats.md). 400 "
        "`non-canonical-encoding` for a statement not in its one accepted encoding.",
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
        return registered_response(result)

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
