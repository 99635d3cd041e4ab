"""Per-client rate limits, body size limits and security headers (guarantees: edges-3, edges-4)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.api.limits import Rate, RateLimited, RateLimiter
from registry.api.limits_file import SharedRateLimiter
from registry.config import ConfigError, Settings
from registry.records.operator import OperatorKeys
from registry.records.shared_table import SharedTable
from tests.api.helpers import COSE, NOW_S, Registry, enrolment
from tests.api.test_registration import assert_problem

pytestmark = pytest.mark.one_backend


class Clock:
    """Seconds that move only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the limiter alone ------------------------------------------------------------------------

Make = Callable[[Mapping[str, Rate | None], Clock], RateLimiter]


@pytest.fixture(params=["in-memory", "shared-file"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Make]:
    """A limiter of each kind: the same rules whether a process or a server counts."""
    made: list[SharedRateLimiter] = []

    def limiter(rates: Mapping[str, Rate | None], clock: Clock) -> RateLimiter:
        if request.param == "in-memory":
            return RateLimiter(rates, clock)
        table = SharedTable(tmp_path / f"limits-{len(made)}")
        made.append(SharedRateLimiter(table, rates, clock))
        return made[-1]

    yield limiter
    for shared in made:
        shared.close()


def test_a_client_gets_its_burst_then_waits_for_a_token(make: Make) -> None:
    clock = Clock()
    limiter = make({"write": Rate(3, 60)}, clock)
    for _ in range(3):
        limiter.take("write", "10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limiter.take("write", "10.0.0.1")
    assert refused.value.retry_after == 20
    clock.now += 19
    with pytest.raises(RateLimited):
        limiter.take("write", "10.0.0.1")
    clock.now += 1
    limiter.take("write", "10.0.0.1")


def test_clients_and_buckets_are_counted_apart(make: Make) -> None:
    limiter = make({"write": Rate(1, 60), "sign": Rate(1, 60)}, Clock())
    limiter.take("write", "10.0.0.1")
    limiter.take("write", "10.0.0.2")
    limiter.take("sign", "10.0.0.1")
    with pytest.raises(RateLimited):
        limiter.take("write", "10.0.0.1")


def test_an_unnamed_bucket_takes_the_default_rate_and_off_is_no_limit(make: Make) -> None:
    limiter = make({"default": Rate(1, 60), "open": None}, Clock())
    assert limiter.rate("someone-elses-bucket") == Rate(1, 60)
    limiter.take("someone-elses-bucket", "a")
    with pytest.raises(RateLimited):
        limiter.take("someone-elses-bucket", "a")
    for _ in range(1000):
        limiter.take("open", "a")


def test_forgetting_a_client_never_refuses_it() -> None:
    limiter = RateLimiter({"write": Rate(1, 60)}, Clock(), max_clients=2)
    limiter.take("write", "a")
    limiter.take("write", "b")
    limiter.take("write", "c")  # "a" is forgotten: it starts again with a full bucket
    limiter.take("write", "a")
    with pytest.raises(RateLimited):
        limiter.take("write", "c")


# -- the settings -----------------------------------------------------------------------------


def test_rate_limits_are_read_over_the_defaults() -> None:
    settings = Settings.from_env({"REGISTRY_RATE_LIMITS": "sign=5/10; write=off; mine=7/1"})
    rates = {b: (n, s) for b, n, s in settings.rate_limits}
    assert rates["sign"] == (5, 10)
    assert rates["write"] == (0, 0)
    assert rates["mine"] == (7, 1)
    assert rates["identity"] == (120, 60)


@pytest.mark.parametrize(
    "raw", ["sign=5", "sign=0/10", "sign=5/0", "=5/10", "sign=five/10", "sign"]
)
def test_a_malformed_rate_limit_names_the_variable(raw: str) -> None:
    with pytest.raises(ConfigError, match="REGISTRY_RATE_LIMITS"):
        Settings.from_env({"REGISTRY_RATE_LIMITS": raw})


# -- over HTTP --------------------------------------------------------------------------------

LOW = (("default", 2, 60), ("identity", 2, 60), ("sign", 2, 60), ("write", 3, 60))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(settings: Settings, operator: OperatorKeys, clock: Clock) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """A registry with low rate limits, on the test's clock."""
    limited = dataclasses.replace(settings, rate_limits=LOW)
    with TestClient(create_app(limited, operator, rate_clock=clock)) as test_client:
        yield test_client


def _enrolment(registry: Registry, n: int) -> bytes:
    signer = registry.signer(f"ppk-{n}")
    payload = enrolment(signer.public_key, "ppk")
    return registry.operator.admin.sign_statement(payload, "operator", NOW_S)


def test_registrations_past_the_rate_are_429_with_retry_after(
    registry: Registry, clock: Clock
) -> None:
    # the bootstrap enrolment took one of the three
    for n in range(2):
        assert registry.post(_enrolment(registry, n)).status_code == 201
    refused = registry.post(_enrolment(registry, 2))
    problem = assert_problem(refused, 429, "rate-limited")
    assert refused.headers["retry-after"] == "20"
    assert problem["bucket"] == "write"
    assert "3 per 60 seconds" in problem["detail"]
    assert registry.client.get("/checkpoint").status_code == 200  # reads are not limited
    clock.now += 20
    assert registry.post(_enrolment(registry, 2)).status_code == 201


def test_a_refusal_over_the_rate_speaks_indonesian(registry: Registry) -> None:
    for n in range(2):
        registry.post(_enrolment(registry, n))
    refused = registry.client.post(
        "/entries",
        content=_enrolment(registry, 2),
        headers={**COSE, "accept-language": "id"},
    )
    problem = assert_problem(refused, 429, "rate-limited")
    assert problem["title"] == "Terlalu banyak permintaan"


def test_remote_signing_past_the_rate_is_429(registry: Registry) -> None:
    body = {"kid": "0" * 64, "passphrase": "x", "record": {"type": "pact"}}
    for _ in range(2):
        assert_problem(registry.client.post("/sign", json=body), 404, "not-found")
    refused = registry.client.post("/sign", json=body)
    assert_problem(refused, 429, "rate-limited")
    assert int(refused.headers["retry-after"]) == 30


def test_identity_look_ups_past_the_rate_are_429(registry: Registry) -> None:
    path = "/api/identities/" + "ab" * 32
    for _ in range(2):
        assert registry.client.get(path).status_code == 401
    assert_problem(registry.client.get(path), 429, "rate-limited")


# -- body size --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "media_type"), [("/entries", "application/cose"), ("/sign", "application/json")]
)
def test_a_body_past_the_limit_is_413_naming_it(
    registry: Registry, path: str, media_type: str
) -> None:
    response = registry.client.post(
        path, content=b"x" * (64 * 1024 + 1), headers={"content-type": media_type}
    )
    problem = assert_problem(response, 413, "too-large")
    assert "65536 bytes" in problem["detail"]


def test_a_streamed_body_past_the_limit_is_413(registry: Registry) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"x" * 4096

    response = registry.client.post("/entries", content=chunks(), headers=COSE)
    assert_problem(response, 413, "too-large")


# -- security headers -------------------------------------------------------------------------

ANSWERS = {
    "checkpoint": "/checkpoint",
    "receipt": "/entries/0",
    "search": "/api/entries",
    "not-found": "/nowhere",
    "non-canonical-problem": "/entries/00",
    "openapi-document": "/schema/openapi.json",
    "static-script": "/static/verify.js",
}


@pytest.mark.parametrize("path", ANSWERS.values(), ids=ANSWERS.keys())
def test_every_answer_carries_the_security_headers(registry: Registry, path: str) -> None:
    response = registry.client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_a_malformed_host_is_answered_with_the_security_headers(registry: Registry) -> None:
    response = registry.client.get("/checkpoint", headers={"host": "[bad"})
    assert response.status_code == 400
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/v/0", "/verify"])
def test_a_page_keeps_its_own_policy(registry: Registry, path: str) -> None:
    response = registry.client.get(path)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers.get_list("content-security-policy") == [policy]
    assert response.headers["x-frame-options"] == "DENY"
