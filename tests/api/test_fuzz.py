"""A schema-driven fuzzer finds no 5xx and no answer off the OpenAPI document (edges-6).

schemathesis reads ``/schema/openapi.json`` from a registry served over real HTTP
(uvicorn in a thread) with a few entries in its log, and sends every operation
requests made from its parameters' and bodies' schemas, valid and not.  Each
answer must not be a server error, must have a status, media type, body and
(for 405) ``Allow`` header that the document declares.

Bounded and repeatable: a fixed number of examples per operation, derandomized
(hypothesis draws from a seed fixed by the test), no example database, so a
failure shows again on the next run and the whole run takes seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from schemathesis import openapi
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from registry.api.app import create_app
from registry.config import Settings
from registry.records.operator import create_keys
from tests.api.helpers import COSE, NOW_S, enrolment
from tests.factories import HISTORY_HOURS, fixed_key
from tests.threaded_server import ThreadedServer

EXAMPLES_PER_OPERATION = 12
"""Examples per operation: about 30 operations, so a few hundred requests in all."""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A registry on SQLite over HTTP with three entries; its URL."""
    config = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'fuzz.sqlite3'}",
        data_dir=tmp_path / "data",
        origin="test.example/fuzz",
        admin_passphrase="kata-sandi-uji",
        batch_wait_ms=1,
    )
    # the fuzzer sends hundreds of writes from one address: no rate limits here
    config = dataclasses.replace(config, rate_limits=(("default", 0, 0),))
    operator = create_keys(config.data_dir, config.admin_passphrase, config.origin)
    server = ThreadedServer("the fuzzed registry")
    server.start(create_app(config, operator))
    try:
        admin = enrolment(
            operator.admin.public_key,
            "admin",
            name="Operator",
            jabatan="Operator",
            instansi="test.example/fuzz",
            term_start="2000-01-01",
            term_end="2099-12-31",
        )
        for payload in (admin, enrolment(_public("ppk-fuzz"), "ppk")):
            statement = operator.admin.sign_statement(payload, "operator", NOW_S)
            answer = httpx.post(f"{server.url}/entries", content=statement, headers=COSE)
            assert answer.status_code == 201, answer.text
        yield server.url
    finally:
        server.stop()


def _public(label: str) -> bytes:
    return fixed_key(label).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_no_operation_answers_5xx_or_off_its_schema(served: str) -> None:
    schema = openapi.from_url(f"{served}/schema/openapi.json")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        allow_header_conformance,
    ]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: object) -> None:
            case.call_and_validate(checks=checks, timeout=30)  # type: ignore[attr-defined]

        try:
            fuzz()
        except Exception as failure:
            failures.append(f"{operation.label}: {failure}")
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
