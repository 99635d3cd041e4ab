"""The OpenAPI document says what every error looks like: RFC 9457 problem details.

Litestar documents a ``400`` of its own shape (``status_code``, ``detail``,
``extra``) that this API never sends: every error is
``application/problem+json`` (registry/api/errors.py).  :func:`declare_problems`
replaces it, and adds a ``default`` answer of that shape, to every operation,
so that a client generated from ``/schema/openapi.json``, or a schema-driven
fuzzer (tests/api/test_fuzz.py), finds the answers it gets described.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from litestar.enums import ScopeType
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.types import ASGIApp, Receive, Scope, Send

from registry.api.problems import PROBLEM_JSON, TYPE_BASE

_TEXT: Final = Schema(type=OpenAPIType.STRING)

PROBLEM: Final = Schema(
    type=OpenAPIType.OBJECT,
    title="Problem",
    description="RFC 9457 problem details. `type` names the reason (`"
    + TYPE_BASE
    + "<reason>`) and never changes with the language; `title` and `detail` are in the "
    "language `Accept-Language` asks for (Bahasa Indonesia or English, `Content-Language`).",
    required=["type", "title", "status", "detail"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="The reason, as a URN"),
        "title": _TEXT,
        "status": Schema(type=OpenAPIType.INTEGER, minimum=400, maximum=599),
        "detail": _TEXT,
        "instance": Schema(type=OpenAPIType.STRING, description="The path asked for"),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            description="Each bad field or parameter: `field`, a stable `reason`, a `message`",
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["field", "reason", "message"],
                properties={"field": _TEXT, "reason": _TEXT, "message": _TEXT, "source": _TEXT},
            ),
        ),
    },
)

_REF: Final = Reference(ref="#/components/schemas/Problem")


def _problem(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description, content={PROBLEM_JSON: OpenAPIMediaType(schema=_REF)}
    )


def _operations(schema: OpenAPI) -> list[Operation]:
    found = []
    for item in (schema.paths or {}).values():
        for method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
            operation = getattr(item, method, None)
            if isinstance(operation, Operation):
                found.append(operation)
    return found


def declare_problems(schema: OpenAPI) -> OpenAPI:
    """``schema`` with every operation's errors declared as problem details (in place)."""
    if schema.components is None:
        schema.components = Components()
    if schema.components.schemas is None:
        schema.components.schemas = {}
    schema.components.schemas["Problem"] = PROBLEM
    for operation in _operations(schema):
        responses = operation.responses if operation.responses is not None else {}
        responses["400"] = _problem("A parameter or body the API cannot use")
        responses["default"] = _problem(
            "Any other error (404 not found, 405 with `Allow`, 413 body too large, 415, 422 "
            "refused with the reason, 429 with `Retry-After`, 503 with `Retry-After`...)"
        )
        operation.responses = responses
        if _has_csv_format(operation) and "200" in responses:
            ok = responses["200"]
            if isinstance(ok, OpenAPIResponse) and ok.content is not None:
                ok.content.setdefault("text/csv; charset=utf-8", OpenAPIMediaType(schema=_TEXT))
    return schema


def _has_csv_format(operation: Operation) -> bool:
    """Whether ``operation`` answers CSV with ``?format=csv`` (the search and the tables)."""
    for parameter in operation.parameters or ():
        if getattr(parameter, "name", None) == "format" and "csv" in str(
            getattr(getattr(parameter, "schema", None), "pattern", "")
        ):
            return True
    return False


class ProblemsDeclaredWhenRead:
    """ASGI middleware: :func:`declare_problems` on the app's OpenAPI document the first time
    a request asks for it (under ``path``), not when the app is made: building the document
    is about a sixth of making the app (23 of 134 ms of CPU), which every worker and every
    test app paid whether or not anyone read it.  The document is built once and kept
    (Litestar's ``OpenAPIPlugin``), so the declaration holds for every later read."""

    def __init__(self, app: ASGIApp, path: str, schema: Callable[[], OpenAPI]) -> None:
        self.app = app
        self._path = path
        self._schema: Callable[[], OpenAPI] | None = schema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        schema = self._schema
        if (
            schema is not None
            and scope["type"] == ScopeType.HTTP
            and scope["path"].startswith(self._path)
        ):
            self._schema = None
            declare_problems(schema())
        await self.app(scope, receive, send)
