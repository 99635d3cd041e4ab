"""The institutions' pages over HTTP: a key proves itself, and only its page's role is let in.

``POST /api/institutions/{page}/access`` (a signed ``access`` statement, or a custodial kid and
passphrase), ``GET /api/institutions/{page}/data`` with the token, and the operator's decisions
on enrolment requests.  Keys of another role are refused with problem details that name both
roles, in Indonesian and English.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from registry.signing.cose import CoseSigner
from registry.verify.trust import b64url
from tests.api.helpers import COSE, NOW_S, Registry, other_key
from tests.api.test_elections import admin_posts, index_of, report
from tests.api.test_enrolment_requests import request_payload, send
from tests.api.test_registration import assert_problem
from tests.factories import election_payload, fixed_key

ORIGIN = "test.example/pakta"
LONG_TERM = {"term_start": "2020-01-01", "term_end": "2099-12-31"}
PASSPHRASE = "Rahasia-Lembaga-2026!"


def access(signer: CoseSigner, page: str, **changes: Any) -> bytes:
    payload = {"type": "access", "page": page, "origin": ORIGIN} | changes.pop("payload", {})
    issued = changes.pop("issued_at", int(time.time()))
    return signer.sign_statement(payload, signer.kid.hex(), issued)


def prove(registry: Registry, statement: bytes, page: str, lang: str = "id") -> Any:
    return registry.client.post(
        f"/api/institutions/{page}/access",
        content=statement,
        headers=COSE | {"accept-language": lang},
    )


def token_of(registry: Registry, signer: CoseSigner, page: str) -> dict[str, str]:
    answer = prove(registry, access(signer, page), page)
    assert answer.status_code == 200, answer.text
    return {"x-registry-access": answer.json()["token"]}


@pytest.fixture
def enrolled(registry: Registry) -> Registry:
    """The recommender ``kasn``, BKN ``bkn``, the PPK ``ppk-garut`` and a report."""
    registry.enrol("kasn", "recommender", instansi="KASN", **LONG_TERM)
    registry.enrol("bkn", "bkn", instansi="BKN", **LONG_TERM)
    registry.enrol("ppk-garut", "ppk", instansi="Pemerintah Kabupaten Garut", **LONG_TERM)
    return registry


def test_a_recommender_key_proves_itself_and_reads_its_page(enrolled: Registry) -> None:
    answer = prove(enrolled, access(enrolled.signer("kasn"), "recommender"), "recommender")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["role"], body["instansi"], body["page"]) == ("recommender", "KASN", "recommender")
    data = enrolled.client.get(
        "/api/institutions/recommender/data", headers={"x-registry-access": body["token"]}
    )
    assert data.status_code == 200, data.text
    ppks = data.json()["ppks"]
    assert [p["instansi"] for p in ppks] == ["Pemerintah Kabupaten Garut"]
    assert ppks[0]["kid"] == enrolled.signer("ppk-garut").kid.hex()
    assert data.json()["recommendations"] == []


def test_the_recommender_is_offered_the_standing_elections_and_each_reports_election(
    enrolled: Registry,
) -> None:
    for name in ("pilkada-2020", "pemilu-2024", "pilkada-2024"):
        index_of(admin_posts(enrolled, election_payload(name)))
    withdrawn = index_of(
        admin_posts(enrolled, election_payload("pilkada-2020") | {"name": "pilkada-x"})
    )
    index_of(admin_posts(enrolled, {"type": "revocation", "entry": withdrawn, "reason": "salah"}))
    reported = index_of(enrolled.post(enrolled.sign("kasn", report(election="pemilu-2024"))))

    data = enrolled.client.get(
        "/api/institutions/recommender/data",
        headers=token_of(enrolled, enrolled.signer("kasn"), "recommender"),
    ).json()
    # As the portal offers them: standing only, latest voting day first.
    assert data["elections"] == ["pilkada-2024", "pemilu-2024", "pilkada-2020"]
    assert [(r["index"], r["election"]) for r in data["reports"]] == [(reported, "pemilu-2024")]


@pytest.mark.parametrize(
    ("label", "page"), [("ppk-garut", "recommender"), ("kasn", "bkn"), ("bkn", "operator")]
)
def test_a_key_of_another_role_is_refused_naming_both_roles(
    enrolled: Registry, label: str, page: str
) -> None:
    statement = access(enrolled.signer(label), page)
    worded = {}
    for lang in ("id", "en"):
        body = assert_problem(prove(enrolled, statement, page, lang), 403, "wrong-role-for-page")
        worded[lang] = body["detail"]
    role = {"ppk-garut": "ppk", "kasn": "recommender", "bkn": "bkn"}[label]
    assert role in worded["en"]
    assert page in worded["en"]
    assert worded["id"] != worded["en"]
    assert "berperan" in worded["id"]


def test_data_without_a_token_is_refused(enrolled: Registry) -> None:
    assert_problem(enrolled.client.get("/api/institutions/bkn/data"), 401, "no-access")


def test_a_ppk_token_cannot_read_the_recommender_data(enrolled: Registry) -> None:
    token = b64url(access(enrolled.signer("ppk-garut"), "recommender"))
    answer = enrolled.client.get(
        "/api/institutions/recommender/data", headers={"x-registry-access": token}
    )
    assert_problem(answer, 403, "wrong-role-for-page")


def test_a_token_made_for_another_page_is_refused(enrolled: Registry) -> None:
    statement = access(enrolled.signer("bkn"), "bkn", payload={"page": "recommender"})
    assert_problem(prove(enrolled, statement, "bkn"), 401, "bad-access")


def test_a_token_made_for_another_registry_is_refused(enrolled: Registry) -> None:
    statement = access(enrolled.signer("bkn"), "bkn", payload={"origin": "elsewhere.example"})
    assert_problem(prove(enrolled, statement, "bkn"), 401, "bad-access")


def test_a_token_older_than_its_time_is_refused(enrolled: Registry) -> None:
    statement = access(enrolled.signer("bkn"), "bkn", issued_at=int(time.time()) - 3600)
    assert_problem(prove(enrolled, statement, "bkn"), 401, "bad-access")


def test_a_token_with_a_flipped_signature_bit_is_refused(enrolled: Registry) -> None:
    statement = bytearray(access(enrolled.signer("bkn"), "bkn"))
    statement[-1] ^= 0x01
    assert_problem(prove(enrolled, bytes(statement), "bkn"), 401, "bad-access")


def test_a_key_nobody_enrolled_is_refused(enrolled: Registry) -> None:
    statement = access(CoseSigner(other_key()), "bkn")
    assert_problem(prove(enrolled, statement, "bkn"), 403, "unknown-key")


def test_an_access_statement_is_never_logged(enrolled: Registry) -> None:
    answer = enrolled.post(access(enrolled.signer("bkn"), "bkn"))
    assert_problem(answer, 422, "unknown-type")


def test_an_unknown_page_is_not_found(enrolled: Registry) -> None:
    assert enrolled.client.get("/institutions/bawaslu").status_code == 404
    assert prove(enrolled, access(enrolled.signer("bkn"), "x"), "x").status_code == 404


@pytest.mark.parametrize("page", ["recommender", "bkn", "operator"])
def test_each_page_is_indonesian_first_with_english_available(
    registry: Registry, page: str
) -> None:
    indonesian = registry.client.get(f"/institutions/{page}")
    english = registry.client.get(f"/institutions/{page}?lang=en")
    assert indonesian.status_code == english.status_code == 200
    assert indonesian.headers["content-language"] == "id"
    assert english.headers["content-language"] == "en"
    assert 'lang="id"' in indonesian.text
    assert 'lang="en"' in english.text


def custodial_key(registry: Registry, role: str, instansi: str) -> bytes:
    """A key put in custody under :data:`PASSPHRASE` and enrolled with ``role``; its kid."""
    custodial = registry.components.custodial
    kid, public = registry.client.blocking_portal.call(custodial.create, PASSPHRASE)
    record = {
        "type": "enrolment",
        "public_key": public,
        "role": role,
        "name": f"Pejabat {instansi}",
        "jabatan": "Kepala",
        "instansi": instansi,
        "decree_number": "2/2024",
        "decree_date": "2024-01-01",
        **LONG_TERM,
    }
    answer = registry.post(registry.operator.admin.sign_statement(record, "operator", NOW_S))
    assert answer.status_code == 201, answer.text
    return bytes(kid)


def test_a_custodial_key_of_another_role_is_refused_before_its_passphrase(
    enrolled: Registry,
) -> None:
    kid = custodial_key(enrolled, "ppk", "Pemerintah Kabupaten Garut")
    answer = enrolled.client.post(
        "/api/institutions/bkn/access", json={"kid": kid.hex(), "passphrase": "salah"}
    )
    assert_problem(answer, 403, "wrong-role-for-page")


def test_a_custodial_bkn_key_signs_its_access_with_its_passphrase(enrolled: Registry) -> None:
    kid = custodial_key(enrolled, "bkn", "BKN")
    wrong = enrolled.client.post(
        "/api/institutions/bkn/access", json={"kid": kid.hex(), "passphrase": "salah-sekali"}
    )
    assert_problem(wrong, 403, "wrong-passphrase")
    right = enrolled.client.post(
        "/api/institutions/bkn/access", json={"kid": kid.hex(), "passphrase": PASSPHRASE}
    )
    assert right.status_code == 200, right.text
    token = {"x-registry-access": right.json()["token"]}
    data = enrolled.client.get("/api/institutions/bkn/data", headers=token)
    assert data.status_code == 200, data.text
    assert set(data.json()) == {"access", "overdue", "enrolments"}


def test_the_operator_lists_approves_and_rejects_requests(enrolled: Registry) -> None:
    first, second = fixed_key("browser-a"), fixed_key("browser-b")
    for key in (first, second):
        public = key.public_key().public_bytes_raw()
        assert send(enrolled, key, request_payload(public)).status_code == 202
    admin_token = token_of(enrolled, enrolled.operator.admin, "operator")
    listed = enrolled.client.get("/api/institutions/operator/data", headers=admin_token).json()
    requests = {r["kid"]: r for r in listed["requests"]}
    first_kid, second_kid = CoseSigner(first).kid.hex(), CoseSigner(second).kid.hex()
    assert set(requests) == {first_kid, second_kid}
    record = requests[first_kid]["record"]
    assert record["type"] == "enrolment"
    assert record["role"] == "ppk"

    # A BKN token is no operator's: it decides nothing.
    bkn_token = token_of(enrolled, enrolled.signer("bkn"), "bkn")
    refused = enrolled.client.post(
        f"/api/institutions/enrolment-requests/{second_kid[:16]}/rejection", headers=bkn_token
    )
    assert_problem(refused, 401, "bad-access")

    rejected = enrolled.client.post(
        f"/api/institutions/enrolment-requests/{second_kid[:16]}/rejection", headers=admin_token
    )
    assert rejected.status_code == 200, rejected.text

    # Approval: the page signs the enrolment, registers it, then says which entry it became.
    wrong = enrolled.client.post(
        f"/api/institutions/enrolment-requests/{first_kid[:16]}/approval",
        json={"entry": 1},
        headers=admin_token,
    )
    assert_problem(wrong, 422, "not-this-enrolment")
    public = first.public_key().public_bytes_raw()
    payload = request_payload(public) | {"type": "enrolment"}
    registered = enrolled.post(enrolled.operator.admin.sign_statement(payload, "operator"))
    assert registered.status_code == 201, registered.text
    index = int(registered.headers["x-registry-entry-index"])
    # Enrolled but not yet recorded (the page lost its answer): the list says which entry.
    listed = enrolled.client.get("/api/institutions/operator/data", headers=admin_token).json()
    assert [r["enrolled"] for r in listed["requests"]] == [index]
    approved = enrolled.client.post(
        f"/api/institutions/enrolment-requests/{first_kid[:16]}/approval",
        json={"entry": index},
        headers=admin_token,
    )
    assert approved.status_code == 200, approved.text
    status = enrolled.client.get(f"/enrolment-requests/{first_kid[:16]}").json()
    assert (status["status"], status["enrolment"]) == ("approved", index)
    after = enrolled.client.get("/api/institutions/operator/data", headers=admin_token).json()
    assert after["requests"] == []


def test_the_portal_and_each_page_link_the_institutions_pages(registry: Registry) -> None:
    for path in ("/portal", "/institutions/bkn", "/portal?lang=en"):
        text = registry.client.get(path).text
        for page in ("recommender", "bkn", "operator"):
            assert f'href="/institutions/{page}' in text, (path, page)
    assert 'href="/institutions/bkn?lang=en"' in registry.client.get("/portal?lang=en").text
