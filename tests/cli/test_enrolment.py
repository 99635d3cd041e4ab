"""`registry enrolment list|approve`: the operator's side of enrolment requests, no server."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from registry.cli.enrolment import enrolment
from registry.config import Settings
from registry.records.enrolment_requests import EnrolmentRequests, mark_approved
from registry.records.errors import RegistrationRefused
from registry.signing.cose import CoseSigner
from registry.store import Store, upgrade
from tests.api.test_enrolment_requests import request_payload
from tests.conftest import run_sync
from tests.factories import fixed_key


def submit(database_url: str) -> str:
    key = fixed_key("cli-browser-ppk")
    signer = CoseSigner(key)
    statement = signer.sign_statement(
        request_payload(key.public_key().public_bytes_raw()), signer.kid.hex()
    )

    async def keep() -> str:
        await upgrade(database_url)
        async with Store.open(database_url) as store:
            return (await EnrolmentRequests(store).submit(statement)).id

    return run_sync(keep())


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {"REGISTRY_DATABASE_URL": database_url, "LANG": "C.UTF-8"}


def test_list_shows_the_pending_request(database_url: str, env: dict[str, str]) -> None:
    request_id = submit(database_url)
    result = CliRunner().invoke(enrolment, ["list"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.split("\t")[:4] == [request_id, "pending", "ppk", "Hendra Gunawan"]


def test_approving_an_unknown_request_fails_with_a_message(
    database_url: str, env: dict[str, str]
) -> None:
    submit(database_url)
    result = CliRunner().invoke(enrolment, ["approve", "0011223344556677"], env=env)
    assert result.exit_code == 1
    assert "no enrolment request 0011223344556677" in result.output
    assert "Traceback" not in result.output


def test_approving_without_a_registry_url_fails_with_a_message(
    database_url: str, env: dict[str, str]
) -> None:
    request_id = submit(database_url)
    result = CliRunner().invoke(enrolment, ["approve", request_id], env=env)
    assert result.exit_code == 1
    assert "--registry" in result.output


def test_a_request_approved_is_not_approved_twice(database_url: str, env: dict[str, str]) -> None:
    request_id = submit(database_url)
    run_sync(mark_approved(Settings(database_url=database_url), request_id, 7))
    result = CliRunner().invoke(
        enrolment, ["approve", request_id, "--registry", "http://127.0.0.1:9"], env=env
    )
    assert result.exit_code == 1
    assert "already approved as entry 7" in result.output
    listed = CliRunner().invoke(enrolment, ["list"], env=env)
    assert listed.output == ""
    listed = CliRunner().invoke(enrolment, ["list", "--all"], env=env)
    assert "approved #7" in listed.output


def test_a_key_approved_cannot_ask_again(database_url: str) -> None:
    request_id = submit(database_url)
    run_sync(mark_approved(Settings(database_url=database_url), request_id, 7))
    with pytest.raises(RegistrationRefused, match="already approved"):
        submit(database_url)


def test_reject_forgets_a_pending_request(database_url: str, env: dict[str, str]) -> None:
    request_id = submit(database_url)
    result = CliRunner().invoke(enrolment, ["reject", request_id], env=env)
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(enrolment, ["list"], env=env).output == ""
    again = CliRunner().invoke(enrolment, ["reject", request_id], env=env)
    assert again.exit_code == 1
    assert f"no enrolment request {request_id}" in again.output
