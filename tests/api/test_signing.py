"""POST /sign: remote signing with a custodial key, over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.config import Settings
from registry.records.custodial import CustodialSigning
from registry.records.operator import OperatorKeys
from registry.records.service import RegistryService
from registry.signing.keys import open_private_key, raw_private_key
from registry.store.models import CustodialKeyRecord
from registry.verify.receipt import verify_receipt
from registry.verify.statement import verify_statement
from tests.api.helpers import NOW_S, Registry, enrolment, pact
from tests.api.test_registration import assert_problem
from tests.factories import TEMPLATE_SHA256

PASSPHRASE = "Rahasia-Bupati-Bogor-2024!"
WRONG = "bukan-kata-sandinya-xyz"
MAX_FAILURES = 3
LOCKOUT_S = 600


@dataclass
class Clock:
    """The custodial signer's clock, moved by the test (the log keeps the real one)."""

    now_ms: int

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, seconds: float) -> None:
        self.now_ms += int(seconds * 1000)


@dataclass
class Custodial:
    """A custodial key enrolled as a PPK, and the means to sign with it over HTTP."""

    registry: Registry
    signing: CustodialSigning
    clock: Clock
    kid: bytes
    public_key: bytes

    def sign(self, passphrase: str = PASSPHRASE, record: Any = None, **body: Any) -> Any:
        """POST /sign with this key (``body`` overrides the JSON fields)."""
        request = {
            "kid": self.kid.hex(),
            "passphrase": passphrase,
            "record": json_pact() if record is None else record,
        }
        request.update(body)
        return self.registry.client.post("/sign", json=request)

    def held(self) -> CustodialKeyRecord:
        """The custodial key's row as stored."""
        with self.registry.client.portal() as portal:
            record = portal.call(self.service.store.get_custodial_key, self.kid)
        assert record is not None
        return record

    @property
    def service(self) -> RegistryService:
        return self.registry.service

    def size(self) -> int:
        return int(self.registry.client.get("/health").json()["size"])


def json_pact(encode: str = "hex", **changes: Any) -> dict[str, Any]:
    """A pact as a JSON client sends it: the template hash as text."""
    template = (
        TEMPLATE_SHA256.hex()
        if encode == "hex"
        else base64.urlsafe_b64encode(TEMPLATE_SHA256).rstrip(b"=").decode()
    )
    payload = pact(**({"template": template} | changes))
    payload["signer"]["name"] = "Bupati Bogor"  # the custodial key's enrolment (below)
    return {k: v for k, v in payload.items() if v is not None}


@pytest.fixture
def clock() -> Clock:
    return Clock(int(time.time() * 1000))


@pytest.fixture
def client(settings: Settings, operator: OperatorKeys, clock: Clock) -> Iterator[TestClient]:  # type: ignore[type-arg]
    """The registry, its custodial keys locked after a few failures, on the test's clock."""
    signing = dataclasses.replace(
        settings, sign_max_failures=MAX_FAILURES, sign_lockout_seconds=LOCKOUT_S
    )
    with TestClient(create_app(signing, operator, custodial_clock_ms=clock)) as test_client:
        yield test_client


def create_key(registry: Registry) -> tuple[CustodialSigning, bytes, bytes]:
    """A new key in the running registry's custody (not enrolled yet)."""
    signing = registry.components.custodial
    with registry.client.portal() as portal:
        kid, public = portal.call(signing.create, PASSPHRASE)
    return signing, kid, public


@pytest.fixture
def custodial(registry: Registry, clock: Clock) -> Custodial:
    signing, kid, public = create_key(registry)
    # Custodial statements carry today's date: the term must cover it.
    statement = registry.operator.admin.sign_statement(
        enrolment(public, "ppk", name="Bupati Bogor", term_end="2099-12-31"), "operator", NOW_S
    )
    assert registry.post(statement).status_code == 201
    registry.register_citations(registry.sign("operator", pact()))  # what json_pact() cites
    return Custodial(registry, signing, clock, kid, public)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG, Litestar's own (which do not propagate) included."""
    caplog.set_level(logging.DEBUG)
    litestar = logging.getLogger("litestar")
    level = litestar.level
    litestar.addHandler(caplog.handler)
    litestar.setLevel(logging.DEBUG)
    yield caplog
    litestar.removeHandler(caplog.handler)
    litestar.setLevel(level)


@pytest.mark.parametrize("encode", ["hex", "base64url"])
def test_a_custodial_ppk_signs_a_pact_whose_receipt_and_statement_verify(
    custodial: Custodial, encode: str
) -> None:
    size = custodial.size()
    response = custodial.sign(record=json_pact(encode))
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/cose"
    assert response.headers["location"] == f"/entries/{size}"
    assert response.headers["x-registry-entry-index"] == str(size)

    client = custodial.registry.client
    statement = client.get(f"/entries/{size}/statement").content
    receipt = verify_receipt(response.content, custodial.registry.trusted().by_kid, statement)
    assert receipt.unwrap().index == size
    verified = verify_statement(statement, {custodial.kid: custodial.public_key}).unwrap()
    assert verified.payload["template"] == TEMPLATE_SHA256
    assert verified.issuer == custodial.kid.hex()
    view = client.get(f"/entries/{size}", headers={"accept": "application/json"}).json()
    assert (view["type"], view["signer"]["name"]) == ("pact", "Bupati Bogor")


def test_wrong_passphrase_says_how_many_attempts_remain(custodial: Custodial) -> None:
    for remaining in range(MAX_FAILURES - 1, 0, -1):
        body = assert_problem(custodial.sign(WRONG), 403, "wrong-passphrase")
        assert body["title"] == "Wrong passphrase"
        assert body["attempts_remaining"] == remaining
        assert f"{remaining} more wrong passphrase" in body["detail"]
        assert body["instance"] == "/sign"
    assert custodial.held().failed_attempts == MAX_FAILURES - 1


def test_too_many_wrong_passphrases_lock_the_key_until_the_lockout_passes(
    custodial: Custodial,
) -> None:
    size = custodial.size()
    for _ in range(MAX_FAILURES - 1):
        assert_problem(custodial.sign(WRONG), 403, "wrong-passphrase")
    locking = custodial.sign(WRONG)
    body = assert_problem(locking, 423, "key-locked")
    assert locking.headers["retry-after"] == str(LOCKOUT_S)
    assert body["locked_until"] == custodial.clock.now_ms + LOCKOUT_S * 1000

    custodial.clock.advance(LOCKOUT_S - 1)
    refused = custodial.sign(PASSPHRASE)
    assert_problem(refused, 423, "key-locked")
    assert refused.headers["retry-after"] == "1"
    assert custodial.size() == size

    custodial.clock.advance(1)
    assert custodial.sign(PASSPHRASE).status_code == 201
    assert (custodial.held().failed_attempts, custodial.held().locked_until) == (0, None)


def test_a_success_resets_the_failure_count(custodial: Custodial) -> None:
    for _ in range(MAX_FAILURES - 1):
        assert_problem(custodial.sign(WRONG), 403, "wrong-passphrase")
    assert custodial.sign(PASSPHRASE).status_code == 201
    assert custodial.held().failed_attempts == 0
    for remaining in range(MAX_FAILURES - 1, 0, -1):
        body = assert_problem(custodial.sign(WRONG), 403, "wrong-passphrase")
        assert body["attempts_remaining"] == remaining


def test_unknown_kid_is_not_found(custodial: Custodial) -> None:
    body = assert_problem(custodial.sign(kid="ab" * 32), 404, "not-found")
    assert "custodial key abab" in body["detail"]


def test_a_record_off_its_schema_is_refused_and_nothing_is_logged(custodial: Custodial) -> None:
    size = custodial.size()
    checkpoint = custodial.registry.client.get("/checkpoint").text
    for record in (
        json_pact(mood="happy"),
        json_pact(date="27/09/2024"),
        json_pact(template="not-a-hash!"),
        {"type": "petition"},
        {"type": {"pact": True}},
        {"place": "Bandung"},
    ):
        assert_problem(custodial.sign(record=record), 422, "schema-violation")
    assert custodial.size() == size
    assert custodial.registry.client.get("/checkpoint").text == checkpoint
    assert custodial.held().failed_attempts == 0


def test_a_key_that_is_not_enrolled_is_refused_by_registration(registry: Registry) -> None:
    signing, kid, _ = create_key(registry)
    custodial = Custodial(registry, signing, Clock(0), kid, b"")
    body = assert_problem(custodial.sign(), 403, "unknown-key")
    assert body["evidence"]["kid"] == kid.hex()


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("missing-passphrase", {"passphrase": None}),
        ("kid-not-hex", {"kid": "zz" * 32}),
        ("kid-too-short", {"kid": "ab"}),
        ("record-not-an-object", {"record": ["pact"]}),
        ("unknown-field", {"otp": "123456"}),
    ],
)
def test_a_malformed_request_is_a_problem(custodial: Custodial, name: str, body: Any) -> None:
    request = {"kid": custodial.kid.hex(), "passphrase": PASSPHRASE, "record": json_pact()}
    request.update(body)
    request = {k: v for k, v in request.items() if v is not None}
    response = custodial.registry.client.post("/sign", json=request)
    assert_problem(response, 400, "invalid-parameter")
    assert PASSPHRASE not in response.text


def test_the_passphrase_never_appears_in_answers_nor_logs(
    custodial: Custodial, logs: pytest.LogCaptureFixture
) -> None:
    client = custodial.registry.client
    answers = [
        custodial.sign(),
        custodial.sign(record=json_pact(place=None)),
        custodial.sign(record={"type": "pact", "template": 7}),
        custodial.sign(kid="cd" * 32),
        client.post("/sign", json={"kid": 5, "passphrase": PASSPHRASE, "record": {}}),
        client.post("/sign", json={"kid": custodial.kid.hex(), "passphrase": [PASSPHRASE]}),
        client.post(
            "/sign",
            content=b'{"passphrase": "' + PASSPHRASE.encode() + b'", oops',
            headers={"content-type": "application/json"},
        ),
        *(custodial.sign(WRONG) for _ in range(MAX_FAILURES)),
        custodial.sign(PASSPHRASE),
    ]
    assert [a.status_code for a in answers] == [
        201,
        422,
        422,
        404,
        400,
        400,
        400,
        403,
        403,
        423,
        423,
    ]
    for answer in answers:
        assert PASSPHRASE not in answer.text
        assert WRONG not in answer.text
        assert PASSPHRASE not in str(answer.headers)
    assert "wrong passphrase for custodial key" in logs.text
    assert PASSPHRASE not in logs.text
    assert WRONG not in logs.text


def test_the_stored_row_never_holds_the_raw_private_key(custodial: Custodial) -> None:
    held = custodial.held()
    private = raw_private_key(open_private_key(held.encrypted_key, PASSPHRASE))
    for form in (
        private,
        private.hex().encode(),
        base64.b64encode(private).rstrip(b"="),
        base64.urlsafe_b64encode(private).rstrip(b"="),
        PASSPHRASE.encode(),
    ):
        assert form not in held.encrypted_key
        assert form not in repr(held).encode()


def test_keys_are_not_created_over_http(custodial: Custodial) -> None:
    client = custodial.registry.client
    assert client.post("/custodial-keys", json={"passphrase": PASSPHRASE}).status_code in (404, 405)
    assert client.put("/sign", json={"passphrase": PASSPHRASE}).status_code == 405
    schema = client.get("/schema/openapi.json").json()
    assert not [path for path in schema["paths"] if "custodial" in path]
    assert "/sign" in schema["paths"]
    request = schema["components"]["schemas"]["SignRequest"]
    assert set(request["required"]) == {"kid", "passphrase", "record"}
