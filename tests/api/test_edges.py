"""Hostile and odd requests get a 4xx problem document, never a 500 (guarantees: edges-1)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.api.edges import repeated_parameter
from tests.api.helpers import Registry
from tests.api.test_registration import assert_problem

pytestmark = pytest.mark.one_backend

HUGE = "9" * 20  # past a 64-bit integer: SQLite and PostgreSQL both refuse it
VAST = "9" * 5000

ODD_QUERIES = {
    "offset-past-int64": f"/api/entries?offset={HUGE}",
    "offset-5000-digits": f"/api/entries?offset={VAST}",
    "limit-past-int64": f"/api/entries?limit={HUGE}",
    "inclusion-index-past-int64": f"/proofs/inclusion?index={HUGE}",
    "inclusion-size-past-int64": f"/proofs/inclusion?index=0&size={HUGE}",
    "consistency-old-past-int64": f"/proofs/consistency?old={HUGE}",
    "consistency-new-past-int64": f"/proofs/consistency?old=1&new={HUGE}",
    "signers-offset-past-int64": f"/api/compliance/signers?offset={HUGE}",
    "signers-limit-past-int64": f"/api/compliance/signers?limit={HUGE}",
    "entry-past-int64": f"/entries/{HUGE}",
    "statement-past-int64": f"/entries/{HUGE}/statement",
    "tile-index-5000-digits": f"/tile/0/{VAST}",
}


@pytest.mark.parametrize("path", ODD_QUERIES.values(), ids=ODD_QUERIES.keys())
def test_a_very_large_integer_is_a_client_error(registry: Registry, path: str) -> None:
    response = registry.client.get(path)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


ODD_STATIC = {
    "nul-byte": "/static/%00",
    "nul-inside-name": "/static/verify%00.js",
    "control-character": "/static/verify%01.js",
    "name-of-5000-bytes": "/static/" + "a" * 5000,
    "segment-of-300-bytes": "/static/" + "b" * 300 + ".js",
    "latin-1-byte": "/static/%ff",
    "escaped-dot-dot": "/static/..%2f..%2fpyproject.toml",
}


@pytest.mark.parametrize("path", ODD_STATIC.values(), ids=ODD_STATIC.keys())
def test_an_odd_static_name_is_not_found(registry: Registry, path: str) -> None:
    assert_problem(registry.client.get(path), 404, "not-found")


BAD_HOSTS = {
    "port-not-a-number": "example.org:b:c",
    "only-colons": "::::",
    "port-past-65535": "example.org:99999",
    "unclosed-ipv6": "[::1",
    "space-inside": "exa mple.org",
    "slash-inside": "example.org/x",
}


@pytest.mark.parametrize("path", ["/", "/entries/0", "/checkpoint", "/nowhere"])
@pytest.mark.parametrize("host", BAD_HOSTS.values(), ids=BAD_HOSTS.keys())
def test_a_malformed_host_header_is_a_bad_request(registry: Registry, host: str, path: str) -> None:
    assert_problem(registry.client.get(path, headers={"host": host}), 400, "bad-host")


@pytest.mark.parametrize(
    "host", ["registry.example.org", "registry.example.org:8443", "[::1]:8000", "127.0.0.1"]
)
def test_a_well_formed_host_header_is_served(registry: Registry, host: str) -> None:
    assert registry.client.get("/checkpoint", headers={"host": host}).status_code == 200


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "record",
    [
        _nested(5000),
        "[" * 20000 + "]" * 20000,
        '{"type":"pact","witnesses":' + "[" * 5000 + "]" * 5000 + "}",
    ],
    ids=["objects-5000-deep", "arrays-20000-deep", "witnesses-5000-deep"],
)
def test_deeply_nested_json_on_sign_is_a_bad_request(registry: Registry, record: str) -> None:
    body = '{"kid":"' + "0" * 64 + '","passphrase":"x","record":' + record + "}"
    response = registry.client.post(
        "/sign", content=body, headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 400, "too-deep")
    assert "32" in problem["detail"]


def test_json_nested_within_the_limit_is_read(registry: Registry) -> None:
    # the key is unknown: the request got as far as looking it up
    body = {"kid": "0" * 64, "passphrase": "x", "record": json.loads(_nested(20))}
    response = registry.client.post("/sign", json=body)
    assert_problem(response, 404, "not-found")


def _registered(registry: Registry, count: int) -> None:
    registry.enrol("ppk")
    for n in range(count):
        registry.enrol(f"ppk-{n}")


NON_CANONICAL = {
    "leading-zero": ("/entries/01", "/entries/1"),
    "plus-sign": ("/entries/+1", "/entries/1"),
    "underscore": ("/entries/1_0", "/entries/10"),
    "spaces": ("/entries/%201", "/entries/1"),
    "arabic-indic-digit": ("/entries/%D9%A1", "/entries/1"),
    "statement-leading-zero": ("/entries/001/statement", "/entries/1/statement"),
    "page-leading-zero": ("/v/01", "/v/1"),
    "zero-twice": ("/entries/00", "/entries/0"),
}


@pytest.mark.parametrize(("path", "canonical"), NON_CANONICAL.values(), ids=NON_CANONICAL.keys())
def test_an_entry_has_one_url(registry: Registry, path: str, canonical: str) -> None:
    _registered(registry, 10)
    assert registry.client.get(canonical).status_code == 200
    response = registry.client.get(path)
    problem = assert_problem(response, 404, "not-canonical")
    assert canonical in problem["detail"]
    assert response.headers["link"] == f'<{canonical}>; rel="canonical"'


REPEATED = {
    "dashboard-election-twice": (
        "/api/dashboard?election=pilkada-2024&election=pemilu-2024",
        "election",
    ),
    "dashboard-second-percent-encoded": ("/api/dashboard?election=a&%65lection=b", "election"),
    "same-value-twice": ("/api/dashboard?until=2024-11-27&until=2024-11-27", "until"),
    "blank-then-value": ("/api/dashboard?head_type=&head_type=bupati", "head_type"),
    "page-language-twice": ("/dashboard?lang=id&lang=en", "lang"),
    "entries-offset-twice": ("/api/entries?offset=0&offset=5", "offset"),
    "proof-index-twice": ("/proofs/inclusion?index=0&index=1", "index"),
}


@pytest.mark.parametrize(("path", "name"), REPEATED.values(), ids=REPEATED.keys())
@pytest.mark.parametrize(("lang", "words"), [("id", "lebih dari sekali"), ("en", "more than once")])
def test_a_parameter_given_twice_is_refused_naming_it(
    registry: Registry, path: str, name: str, lang: str, words: str
) -> None:
    # A proxy or a cache reading the first and the server the last would each answer for
    # a filter the other did not see: neither is chosen, the request is refused.
    response = registry.client.get(path, headers={"accept-language": lang})
    problem = assert_problem(response, 400, "repeated-parameter")
    assert name in problem["detail"], problem
    assert words in problem["detail"], problem
    once = path.split("&", 1)[0]
    assert registry.client.get(once).status_code != 400, "given once, it is read"


@given(st.lists(st.sampled_from(["a", "b", "%61", "c+d", "c%20d", "e"]), max_size=6))
def test_repeated_parameter_finds_a_name_given_twice_after_decoding(names: list[str]) -> None:
    query = "&".join(f"{n}=1" for n in names).encode()
    decoded = [n.replace("%61", "a").replace("+", " ").replace("%20", " ") for n in names]
    twice = [n for i, n in enumerate(decoded) if n in decoded[:i]]
    assert repeated_parameter(query) == (twice[0] if twice else None)


def test_media_types_are_compared_case_insensitively(registry: Registry) -> None:
    signer = registry.signer("ppk-case")
    from tests.api.helpers import NOW_S, enrolment

    statement = registry.operator.admin.sign_statement(
        enrolment(signer.public_key, "ppk"), "operator", NOW_S
    )
    response = registry.client.post(
        "/entries", content=statement, headers={"content-type": "Application/COSE"}
    )
    assert response.status_code == 201, response.text
    index = response.headers["location"].rsplit("/", 1)[1]
    view = registry.client.get(f"/entries/{index}", headers={"accept": "Application/JSON"})
    assert view.headers["content-type"].startswith("application/json")
    assert view.json()["type"] == "enrolment"


METHODS_NOT_ALLOWED = {
    "put-entries": ("PUT", "/entries", {"POST"}),
    "delete-entry": ("DELETE", "/entries/0", {"GET"}),
    "post-checkpoint": ("POST", "/checkpoint", {"GET"}),
    "patch-search": ("PATCH", "/api/entries", {"GET"}),
    "get-sign": ("GET", "/sign", {"POST"}),
    "delete-page": ("DELETE", "/v/0", {"GET"}),
}


@pytest.mark.parametrize(
    ("method", "path", "allowed"), METHODS_NOT_ALLOWED.values(), ids=METHODS_NOT_ALLOWED.keys()
)
def test_405_says_what_is_allowed(
    registry: Registry, method: str, path: str, allowed: set[str]
) -> None:
    response = registry.client.request(method, path)
    assert_problem(response, 405, "method-not-allowed")
    named = {m.strip() for m in response.headers["allow"].split(",")}
    assert allowed <= named
    assert method not in named


def problem_of(response: Any) -> dict[str, Any]:
    """The problem document of ``response`` (asserting it is one)."""
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


def test_the_search_export_writes_no_formula(registry: Registry) -> None:
    registry.enrol("ppk-formula", instansi='=HYPERLINK("http://x.example","Jawa Barat")')
    response = registry.client.get("/api/entries?type=enrolment&format=csv")
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    assert [r["instansi"] for r in rows if "HYPERLINK" in r["instansi"]] == [
        '\'=HYPERLINK("http://x.example","Jawa Barat")'
    ]
