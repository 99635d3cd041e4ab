"""POST /entries answered without Litestar's per-request rebuilding (stop 33, helper `regrate`).

The registration's guard runs without a copy of its route handler
(:class:`registry.api.limits.LimitedPost`), and its answer is an ``ASGIResponse``
sent as built (:func:`registry.api.deps.registered_response`); the answers, headers,
refusals and the OpenAPI description stay as they were.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from litestar import Litestar, Request
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response.base import Response
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.api.limits import LimitedPost
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry, enrolment, pact

pytestmark = pytest.mark.one_backend


def _registered(registry: Registry, n: int) -> bytes:
    signer = registry.signer(f"ppk-answer-{n}")
    payload = enrolment(signer.public_key, "ppk")
    return registry.operator.admin.sign_statement(payload, "operator", 1_727_395_200 + n)


def test_a_registration_copies_no_route_handler(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    copied: list[object] = []

    def counting_copy(thing: Any) -> Any:
        copied.append(thing)
        return copy.copy(thing)

    # Litestar's BaseRouteHandler.authorize_connection hands each guard copy(handler)
    monkeypatch.setattr("litestar.handlers.base.copy", counting_copy)
    response = registry.post(_registered(registry, 1))
    assert response.status_code == 201
    assert [c for c in copied if isinstance(c, BaseRouteHandler)] == []


def test_a_registration_answer_is_sent_as_built(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilt: list[object] = []
    to_asgi = Response.to_asgi_response

    def counting(self: Response[Any], *args: Any, **kwargs: Any) -> Any:
        rebuilt.append(self)
        return to_asgi(self, *args, **kwargs)

    monkeypatch.setattr(Response, "to_asgi_response", counting)
    statement = _registered(registry, 2)
    first, again = registry.post(statement), registry.post(statement)
    assert (first.status_code, again.status_code) == (201, 200)
    assert rebuilt == []


def test_a_registration_answer_keeps_its_headers(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    statement = registry.sign("ppk-jabar", pact())
    for status in (201, 200):
        response = registry.post(statement)
        assert response.status_code == status
        index = response.headers["x-registry-entry-index"]
        assert response.headers["content-type"] == "application/cose"
        assert response.headers["content-length"] == str(len(response.content))
        assert response.headers["location"] == f"/entries/{index}"
        assert response.headers["link"].startswith(f'</v/{index}>; rel="alternate"')
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == registry.client.get(f"/entries/{index}").content


def test_a_registration_past_its_rate_is_refused_before_its_body_is_read(
    settings: Settings, operator: OperatorKeys
) -> None:
    limited = dataclasses.replace(settings, rate_limits=(("write", 1, 60),))
    with TestClient(create_app(limited, operator)) as client:
        registry = Registry.bootstrapped(client, operator)  # its enrolment spent the one
        size = client.get("/checkpoint").text
        response = client.post(
            "/entries", content=b"not even a statement", headers={"content-type": "text/plain"}
        )
        assert response.status_code == 429  # not 415: the guard answered before the handler
        assert response.json()["bucket"] == "write"
        assert registry.post(_registered(registry, 3)).status_code == 429
        assert client.get("/checkpoint").text == size


def test_limited_post_gives_each_guard_the_handler_itself_in_order() -> None:
    seen: list[tuple[str, object]] = []

    async def first(_: Any, handler: BaseRouteHandler) -> None:
        seen.append(("first", handler))

    async def refuse(_: Any, handler: BaseRouteHandler) -> None:
        seen.append(("refuse", handler))
        raise NotAuthorizedException("no")

    @LimitedPost("/open", guards=[first])
    async def open_route(request: Request[Any, Any, Any]) -> str:
        return "yes"

    @LimitedPost("/shut", guards=[first, refuse])
    async def shut_route(request: Request[Any, Any, Any]) -> str:
        raise AssertionError("the handler ran past a refusing guard")

    app = Litestar(route_handlers=[open_route, shut_route])
    with TestClient(app) as client:
        assert client.post("/open").text == "yes"
        assert client.post("/shut").status_code == 401
    handlers = {r.path: r.route_handlers[0] for r in app.routes}
    assert seen == [
        ("first", handlers["/open"]),
        ("first", handlers["/shut"]),
        ("refuse", handlers["/shut"]),
    ]
    assert all(handler is handlers["/open"] or handler is handlers["/shut"] for _, handler in seen)
