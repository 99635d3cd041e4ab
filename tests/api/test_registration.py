"""POST /entries: registration through HTTP, and every refusal with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from registry.signing.cose import CoseSigner
from registry.verify.cbor import encode_deterministic
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.receipt import verify_receipt
from tests.api.helpers import NOW_S, Registry, other_key, pact

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["type"].endswith(":" + code), body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def test_pact_registers_with_a_receipt_that_verifies_against_the_served_checkpoint(
    registry: Registry,
) -> None:
    registry.enrol("ppk-jabar")
    statement = registry.sign("ppk-jabar", pact())
    response = registry.post(statement)
    assert response.status_code == 201
    # entries 0-1 the enrolments, 2-3 the template and election the pact cites
    assert response.headers["location"] == "/entries/4"
    assert response.headers["content-type"] == "application/cose"

    trusted = registry.trusted()
    receipt = verify_receipt(response.content, trusted.by_kid, statement).unwrap()
    assert (receipt.index, receipt.tree_size) == (4, 5)
    checkpoint = verify_checkpoint(
        registry.client.get("/checkpoint").text, trusted.log_keys, origin="test.example/pakta"
    ).unwrap()
    assert (checkpoint.size, checkpoint.root) == (5, receipt.root)


def test_identical_bytes_return_the_existing_entry(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    statement = registry.sign("ppk-jabar", pact())
    first = registry.post(statement)
    again = registry.post(statement)
    assert again.status_code == 200
    assert again.headers["location"] == first.headers["location"]
    assert again.content == first.content
    assert registry.client.get("/health").json()["size"] == 5  # with the template and election


def test_unknown_key_is_refused(registry: Registry) -> None:
    stranger = CoseSigner(other_key())
    body = assert_problem(
        registry.post(stranger.sign_statement(pact(), "x", NOW_S)), 403, "unknown-key"
    )
    assert body["evidence"]["kid"] == stranger.kid.hex()


def test_revoked_key_is_refused(registry: Registry) -> None:
    signer = registry.enrol("ppk-jabar")
    revocation = {
        "type": "key-revocation",
        "kid": signer.kid,
        "reason": "diberhentikan",
        "effective": "2024-01-01",
    }
    response = registry.post(registry.operator.admin.sign_statement(revocation, "op", NOW_S))
    assert response.status_code == 201, response.text
    assert_problem(registry.post(registry.sign("ppk-jabar", pact())), 403, "revoked-key")


def test_wrong_role_is_refused(registry: Registry) -> None:
    registry.enrol("asn-1", role="asn")
    body = assert_problem(registry.post(registry.sign("asn-1", pact())), 403, "wrong-role")
    assert "ppk" in body["detail"]


def test_statement_outside_the_term_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar", term_start="2023-09-05", term_end="2024-06-30")
    body = assert_problem(registry.post(registry.sign("ppk-jabar", pact())), 403, "outside-term")
    assert "2024-06-30" in body["detail"]


def test_future_statement_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar", term_end="2099-12-31")
    statement = registry.sign("ppk-jabar", pact(), issued_at=4_102_444_800)
    assert_problem(registry.post(statement), 422, "future-statement")


def test_bad_signature_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    statement = bytearray(registry.sign("ppk-jabar", pact()))
    statement[-1] ^= 0x01
    assert_problem(registry.post(bytes(statement)), 400, "bad-signature")


def test_unknown_type_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    assert_problem(
        registry.post(registry.sign("ppk-jabar", {"type": "petition", "x": 1})), 422, "unknown-type"
    )


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("missing-field", {"place": None}),
        ("extra-field", {"mood": "happy"}),
        ("bad-date", {"date": "27/09/2024"}),
        ("short-template-hash", {"template": b"\x00" * 31}),
    ],
)
def test_schema_violation_is_refused(
    registry: Registry, name: str, changes: dict[str, Any]
) -> None:
    registry.enrol("ppk-jabar")
    payload = {k: v for k, v in pact(**changes).items() if v is not None}
    assert_problem(registry.post(registry.sign("ppk-jabar", payload)), 422, "schema-violation")


def test_enrolment_by_a_non_admin_is_refused(registry: Registry) -> None:
    from tests.api.helpers import enrolment

    ppk = registry.enrol("ppk-jabar")
    statement = ppk.sign_statement(enrolment(CoseSigner(other_key()).public_key, "ppk"), "x", NOW_S)
    assert_problem(registry.post(statement), 403, "wrong-role")


def test_revocation_of_an_entry_by_its_signer(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    pact_index = int(
        registry.post(registry.sign("ppk-jabar", pact())).headers["x-registry-entry-index"]
    )
    revocation = {"type": "revocation", "entry": pact_index, "reason": "salah tanggal"}
    assert registry.post(registry.sign("ppk-jabar", revocation)).status_code == 201
    view = registry.client.get(f"/entries/{pact_index}", headers={"accept": "application/json"})
    assert view.json()["status"] == {
        "revoked": True,
        "revoked_by": pact_index + 1,
        "reason": "salah tanggal",
    }
    again = {"type": "revocation", "entry": pact_index, "reason": "dua kali"}
    assert_problem(registry.post(registry.sign("ppk-jabar", again)), 409, "already-revoked")


def test_revocation_by_someone_else_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    registry.enrol("ppk-jateng", instansi="Pemerintah Provinsi Jawa Tengah")
    pact_index = int(
        registry.post(registry.sign("ppk-jabar", pact())).headers["x-registry-entry-index"]
    )
    revocation = {"type": "revocation", "entry": pact_index, "reason": "bukan milik saya"}
    assert_problem(registry.post(registry.sign("ppk-jateng", revocation)), 403, "wrong-role")


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("empty", b"", 400, "empty"),
        ("truncated", b"\xd2\x84\x43\xa1", 400, "truncated"),
        ("not-cose", encode_deterministic({"hello": 1}), 400, "malformed-statement"),
        ("trailing-garbage", None, 400, "malformed-statement"),
        ("oversized", b"\x00" * (64 * 1024 + 1), 413, "too-large"),
    ],
)
def test_bad_bodies_are_refused(
    registry: Registry, name: str, body: bytes | None, status: int, code: str
) -> None:
    if body is None:
        registry.enrol("ppk-jabar")
        body = registry.sign("ppk-jabar", pact()) + b"\x00"
    assert_problem(registry.post(body), status, code)


def test_wrong_algorithm_is_refused(registry: Registry) -> None:
    import cbor2

    registry.enrol("ppk-jabar")
    item = cbor2.loads(registry.sign("ppk-jabar", pact()))
    protected = cbor2.loads(item.value[0])
    protected[1] = -7
    item.value[0] = encode_deterministic(protected)
    assert_problem(registry.post(cbor2.dumps(item)), 400, "wrong-algorithm")


def test_wrong_content_type_is_refused(registry: Registry) -> None:
    response = registry.client.post(
        "/entries", content=b"{}", headers={"content-type": "application/json"}
    )
    assert_problem(response, 415, "unsupported-media-type")


def test_nothing_is_written_by_a_refusal(registry: Registry) -> None:
    registry.cite = False
    before = registry.client.get("/checkpoint").text
    registry.post(CoseSigner(other_key()).sign_statement(pact(), "x", NOW_S))
    assert registry.client.get("/checkpoint").text == before
    assert registry.client.get("/health").json()["size"] == 1


def test_enrolment_in_the_same_batch_as_its_first_statement(registry: Registry) -> None:
    """A key enrolled early in a batch may sign later in that batch."""
    import asyncio

    from tests.api.helpers import enrolment

    ppk = registry.signer("ppk-batch")
    enrol = registry.operator.admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
    signed = ppk.sign_statement(pact(), "ppk", NOW_S)
    registry.register_citations(signed)  # entries 1 and 2
    service = registry.service

    async def both() -> list[Any]:
        return list(await asyncio.gather(service.register(enrol), service.register(signed)))

    with registry.client.portal() as portal:
        first, second = portal.call(both)
    assert (first.index, second.index) == (3, 4)
    assert not first.existed
    assert not second.existed
    keys = registry.trusted().by_kid
    # one batch: both receipts are issued under the same checkpoint
    assert verify_receipt(first.receipt, keys).unwrap().tree_size == 5
    assert verify_receipt(second.receipt, keys).unwrap().tree_size == 5
