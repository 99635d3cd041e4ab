"""CORS: the public reads (and SCRAPI registration) are open to any origin; nothing else is."""

from __future__ import annotations

import httpx
import pytest

from registry.api.cors import cors_methods
from tests.api.helpers import COSE, Registry, pact

pytestmark = pytest.mark.one_backend

ORIGIN = {"origin": "https://auditor.example"}
JSON = {"accept": "application/json"}


def preflight(registry: Registry, path: str, method: str, headers: str = "") -> httpx.Response:
    request = {**ORIGIN, "access-control-request-method": method}
    if headers:
        request["access-control-request-headers"] = headers
    return registry.client.options(path, headers=request)


def exposed(response: httpx.Response) -> set[str]:
    value = response.headers.get("access-control-expose-headers", "")
    return {name.strip().lower() for name in value.split(",") if name.strip()}


@pytest.fixture
def filled(registry: Registry) -> Registry:
    """A registry with an enrolled PPK and one pact (entries 0..4: the pact cites a template and
    an election, entries 2 and 3)."""
    registry.enrol("ppk-jabar")
    assert registry.post(registry.sign("ppk-jabar", pact())).status_code == 201
    return registry


def test_a_cross_origin_checkpoint_read_is_allowed_without_credentials(filled: Registry) -> None:
    response = filled.client.get("/checkpoint", headers=ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert {"location", "x-registry-entry-index", "content-type", "cache-control", "etag"} <= (
        exposed(response)
    )
    assert response.headers["cache-control"] == "no-cache"
    assert response.text.startswith("test.example/pakta\n")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/.well-known/transparency-configuration", {}),
        ("/entries/2", {}),
        ("/entries/2", JSON),
        ("/entries/2/statement", {}),
        ("/entries/2/qr-offline.txt", {}),
        ("/proofs/inclusion?index=2", {}),
        ("/proofs/consistency?old=1", {}),
        ("/tile/0/000.p/3", {}),
        ("/tile/entries/000.p/3", {}),
        ("/api/entries?type=pact", {}),
        ("/api/compliance/national", {}),
        ("/api/dashboard/national", {}),
        ("/api/dashboard/provinces?format=csv", {}),
        ("/api/records?type=pact", {}),
        ("/api/suggest?q=jawa", {}),
        ("/schema/openapi.json", {}),
        ("/health", {}),
    ],
)
def test_every_public_read_is_open_to_any_origin(
    filled: Registry, path: str, headers: dict[str, str]
) -> None:
    response = filled.client.get(path, headers={**ORIGIN, **headers})
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


def test_errors_of_public_reads_are_readable_cross_origin(filled: Registry) -> None:
    response = filled.client.get("/entries/99", headers=ORIGIN)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_preflight_for_an_entry_read_is_answered_with_the_allowed_methods(
    filled: Registry,
) -> None:
    response = preflight(filled, "/entries/0", "GET", "accept")
    assert response.status_code == 204
    headers = response.headers
    assert headers["access-control-allow-origin"] == "*"
    methods = {m.strip() for m in headers["access-control-allow-methods"].split(",")}
    assert methods == {"GET", "HEAD", "OPTIONS"}
    assert "accept" in headers["access-control-allow-headers"].lower()
    assert int(headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in headers
    # a write to a read-only path is not allowed cross-origin
    refused = preflight(filled, "/entries/0", "DELETE")
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


def test_a_preflight_for_sign_is_refused_and_its_answers_carry_no_cors(filled: Registry) -> None:
    for path in ("/sign", "/sign/"):
        response = preflight(filled, path, "POST", "content-type")
        assert response.status_code == 403
        headers = response.headers
        assert "access-control-allow-origin" not in headers
        assert "access-control-allow-methods" not in headers
    # a request sent anyway (a simple POST needs no preflight) gets no allow-origin either
    answer = filled.client.post(
        "/sign", json={"kid": "00" * 32, "passphrase": "x", "record": {}}, headers=ORIGIN
    )
    assert answer.status_code in {404, 422}
    assert "access-control-allow-origin" not in answer.headers
    # without an Origin it is an ordinary OPTIONS, answered by the app as before
    plain = filled.client.options("/sign")
    assert plain.status_code == 204
    assert "access-control-allow-origin" not in plain.headers


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/identities/" + "00" * 32, "GET"),
        ("/api/identities/" + "00" * 32, "DELETE"),
        ("/api/track-record", "GET"),
        ("/v/2", "GET"),
        ("/verify", "GET"),
        ("/static/verify.js", "GET"),
        ("/no/such/path", "GET"),
    ],
)
def test_signed_admin_and_page_routes_stay_closed(filled: Registry, path: str, method: str) -> None:
    assert cors_methods(path) == frozenset()
    response = preflight(filled, path, method, "authorization")
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    if method == "GET":
        answer = filled.client.get(path, headers=ORIGIN)
        assert "access-control-allow-origin" not in answer.headers


def test_registration_is_open_to_any_origin(filled: Registry) -> None:
    response = preflight(filled, "/entries", "POST", "content-type")
    assert response.status_code == 204
    headers = response.headers
    assert headers["access-control-allow-origin"] == "*"
    assert "POST" in headers["access-control-allow-methods"]
    assert "content-type" in headers["access-control-allow-headers"].lower()
    statement = filled.sign("ppk-jabar", pact(place="Kota Bogor"))
    answer = filled.client.post("/entries", content=statement, headers={**COSE, **ORIGIN})
    assert answer.status_code == 201
    assert answer.headers["access-control-allow-origin"] == "*"
    assert answer.headers["location"] == "/entries/5"
    assert answer.headers["x-registry-entry-index"] == "5"
    assert {"location", "x-registry-entry-index"} <= exposed(answer)


def test_same_origin_answers_are_unchanged(filled: Registry) -> None:
    client = filled.client
    for path, headers in [
        ("/entries/2", {}),
        ("/entries/2", JSON),
        ("/entries/2/statement", {}),
        ("/checkpoint", {}),
    ]:
        plain = client.get(path, headers=headers)
        cross = client.get(path, headers={**ORIGIN, **headers})
        assert plain.status_code == cross.status_code == 200
        assert plain.content == cross.content
        for name in ("content-type", "cache-control", "vary", "content-length"):
            assert plain.headers.get(name) == cross.headers.get(name), (path, name)
    receipt = client.get("/entries/2")
    assert receipt.headers["content-type"] == "application/cose"
    assert receipt.headers["vary"] == "Accept"
    assert "immutable" in receipt.headers["cache-control"]
    assert client.get("/v/2").status_code == 200
    # the custodial endpoint still answers same-origin requests as before
    unknown = client.post("/sign", json={"kid": "00" * 32, "passphrase": "x", "record": {}})
    assert unknown.status_code in {404, 422}
    assert unknown.headers["content-type"] == "application/problem+json"


def test_head_answers_as_get_without_the_body(filled: Registry) -> None:
    client = filled.client
    full = client.get("/entries/2/statement")
    head = client.head("/entries/2/statement", headers=ORIGIN)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == full.headers["content-length"]
    assert head.headers["content-type"] == "application/cose"
    assert head.headers["access-control-allow-origin"] == "*"
    assert client.head("/checkpoint").status_code == 200
    assert client.head("/entries/99").status_code == 404
    # HEAD is not made up for the closed routes
    assert client.head("/sign").status_code == 405
