"""POST /enrolment-requests: a key's holder asks to be enrolled; kept pending, never logged."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.signing.cose import CoseSigner
from tests.api.helpers import COSE, Registry, other_key
from tests.api.test_registration import assert_problem
from tests.factories import fixed_key


def request_payload(public_key: bytes, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "enrolment-request",
        "public_key": public_key,
        "role": "ppk",
        "name": "Hendra Gunawan",
        "jabatan": "Penjabat Bupati Garut",
        "instansi": "Pemerintah Kabupaten Garut",
        "province": "Jawa Barat",
        "head_type": "pj",
        "decree_number": "Kepmendagri 100.2.1.3-1234/2024",
        "decree_date": "2024-01-10",
        "term_start": "2024-01-15",
        "term_end": "2099-12-31",
    }
    payload.update(changes)
    return payload


def send(registry: Registry, key: Ed25519PrivateKey, payload: dict[str, Any]) -> Any:
    signer = CoseSigner(key)
    statement = signer.sign_statement(payload, signer.kid.hex())
    return registry.client.post("/enrolment-requests", content=statement, headers=COSE)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return fixed_key("browser-ppk")


def public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def test_a_request_signed_by_its_key_is_kept_pending_and_not_logged(
    registry: Registry, key: Ed25519PrivateKey
) -> None:
    size = registry.client.get("/health").json()["size"]
    answer = send(registry, key, request_payload(public(key)))
    assert answer.status_code == 202, answer.text
    body = answer.json()
    kid = CoseSigner(key).kid.hex()
    assert body == {
        "id": kid[:16],
        "kid": kid,
        "status": "pending",
        "enrolment": None,
        "requested_at": body["requested_at"],
    }
    assert registry.client.get(f"/enrolment-requests/{kid[:16]}").json()["status"] == "pending"
    assert registry.client.get("/health").json()["size"] == size


def test_a_request_signed_by_another_key_is_refused(
    registry: Registry, key: Ed25519PrivateKey
) -> None:
    answer = send(registry, other_key(), request_payload(public(key)))
    assert_problem(answer, 400, "bad-enrolment-request")


@pytest.mark.parametrize("role", ["admin", "bkn", "recommender"])
def test_a_request_for_an_institutions_role_is_refused(
    registry: Registry, key: Ed25519PrivateKey, role: str
) -> None:
    answer = send(registry, key, request_payload(public(key), role=role))
    assert_problem(answer, 400, "bad-enrolment-request")


@pytest.mark.parametrize("changes", [{"nip": "198001012006041001"}, {"nip_commitment": bytes(32)}])
def test_a_request_carrying_a_nip_is_refused(
    registry: Registry, key: Ed25519PrivateKey, changes: dict[str, Any]
) -> None:
    answer = send(registry, key, request_payload(public(key), **changes))
    assert_problem(answer, 400, "bad-enrolment-request")
    assert "nip" in answer.json()["detail"]


def test_a_request_of_another_type_is_refused(registry: Registry, key: Ed25519PrivateKey) -> None:
    answer = send(registry, key, request_payload(public(key), type="enrolment"))
    assert_problem(answer, 400, "bad-enrolment-request")


def test_a_request_whose_fields_make_no_enrolment_is_refused(
    registry: Registry, key: Ed25519PrivateKey
) -> None:
    answer = send(registry, key, request_payload(public(key), decree_date="10/01/2024"))
    assert answer.status_code == 422, answer.text


def test_a_request_that_is_not_cose_is_refused(registry: Registry) -> None:
    answer = registry.client.post("/enrolment-requests", content=b"\xa0", headers=COSE)
    assert_problem(answer, 400, "bad-enrolment-request")
    answer = registry.client.post("/enrolment-requests", json={"name": "x"})
    assert answer.status_code == 415


def test_an_unknown_request_is_not_found(registry: Registry) -> None:
    assert_problem(registry.client.get("/enrolment-requests/00112233"), 404, "not-found")


def test_asking_again_replaces_the_pending_request(
    registry: Registry, key: Ed25519PrivateKey
) -> None:
    send(registry, key, request_payload(public(key)))
    send(registry, key, request_payload(public(key), jabatan="Bupati Garut"))
    store = registry.service.store
    from registry.records.enrolment_requests import EnrolmentRequests

    kept = registry.client.blocking_portal.call(EnrolmentRequests(store).all)
    assert [r.fields["jabatan"] for r in kept] == ["Bupati Garut"]
