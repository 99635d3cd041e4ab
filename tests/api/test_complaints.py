"""Public complaints over HTTP (SIAPNET): filed and held, received into the log, or rejected.

Anyone files; the complaint waits in the database under an unguessable receipt
number; Bawaslu (or the recommender) signs the report it becomes and the
registry logs it; the complainant's identity never reaches the log nor any answer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.compliance.access import sign_request
from registry.config import Settings
from registry.records.complaint_form import REPORTER, new_number, read_number, report_payload
from registry.records.complaints import rejection_payload
from registry.records.operator import OperatorKeys
from registry.verify.cbor import encode_deterministic
from registry.verify.trust import unb64url
from tests.api.helpers import COSE, NOW_S, Registry
from tests.api.test_registration import assert_problem
from tests.factories import election_payload

INSTANSI = "Pemerintah Kabupaten Garut"
SUBJECT_NIP = "198703152010011004"
COMPLAINANT = {
    "complainant_name": "Rina Kartika",
    "complainant_nik": "3205014501900002",
    "complainant_phone": "081298765432",
    "complainant_email": "rina.kartika@example.id",
}


def complaint(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "instansi": INSTANSI,
        "province": "Jawa Barat",
        "category": "social-media",
        "description": "Membagikan poster pasangan calon di grup WhatsApp dinas",
        "place": "Garut",
        "date": "2024-10-02",
        "election": "pilkada-2024",
        "subject_name": "Dedi Supriadi",
        "subject_nip": SUBJECT_NIP,
        **COMPLAINANT,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def register_election(registry: Registry, name: str = "pilkada-2024") -> int:
    """Register the fixture election ``name`` (signed by the operator): a complaint names it."""
    statement = registry.operator.admin.sign_statement(election_payload(name), "operator", NOW_S)
    answer = registry.post(statement)
    assert answer.status_code in (200, 201), answer.text
    return int(answer.headers["location"].rsplit("/", 1)[1])


@pytest.fixture
def desk(registry: Registry) -> Registry:
    """A registry with the election complaints name registered, and Bawaslu, the recommender
    and a PPK enrolled (terms still running)."""
    register_election(registry)
    for label, role, instansi in (
        ("bawaslu", "bawaslu", "Bawaslu RI"),
        ("recommender", "recommender", "KemenPAN-RB"),
        ("ppk-garut", "ppk", INSTANSI),
    ):
        registry.enrol(label, role, instansi=instansi, term_end="2099-12-31")
    return registry


def file(registry: Registry, **changes: Any) -> Any:
    return registry.client.post("/api/complaints", json=complaint(**changes))


def filed(registry: Registry, **changes: Any) -> str:
    answer = file(registry, **changes)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["number"])


SIGNED = itertools.count()


def pending(registry: Registry, label: str | None = "bawaslu") -> Any:
    """GET /api/complaints signed by ``label``, each time for another ``limit``: a request
    is used once, and two signed in the same second for one path would be the same bytes."""
    asked = f"/api/complaints?limit={100 + next(SIGNED) % 400}"
    headers = {}
    if label is not None:
        headers["Authorization"] = sign_request(registry.signer(label), "GET", asked)
    return registry.client.get(asked, headers=headers)


def held(registry: Registry, number: str) -> dict[str, Any]:
    answer = pending(registry)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = next(c for c in answer.json()["complaints"] if c["number"] == number)
    return found


def decide(registry: Registry, number: str, action: str, statement: bytes) -> Any:
    return registry.client.post(
        f"/api/complaints/{number}/{action}", content=statement, headers=COSE
    )


def receive(registry: Registry, number: str, label: str = "bawaslu") -> Any:
    report = report_payload(held(registry, number)["report"])
    return decide(registry, number, "receive", registry.signer(label).sign_statement(report, label))


def size(registry: Registry) -> int:
    return int(registry.client.get("/health").json()["size"])


def forged(number: str) -> str:
    """``number`` with its last random symbol changed: the check symbol no longer holds."""
    symbols = number.replace("-", "")
    changed = "1" if symbols[15] != "1" else "2"
    return symbols[:15] + changed + symbols[16]


# -- filing -----------------------------------------------------------------------------------


def test_a_complaint_is_held_not_logged_and_answers_a_receipt_number(desk: Registry) -> None:
    before = size(desk)
    answer = file(desk)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert read_number(body["number"]) == body["number"]
    assert body["status"] == "pending"
    assert body["entry"] is None
    assert body["status_url"] == f"/complaints/{body['number']}"
    assert size(desk) == before
    status = desk.client.get(f"/api/complaints/{body['number']}")
    assert status.json()["status"] == "pending"
    for value in COMPLAINANT.values():
        assert value not in answer.text
        assert value not in status.text


def test_two_complaints_get_two_numbers(desk: Registry) -> None:
    assert filed(desk) != filed(desk)


@pytest.mark.parametrize(
    ("description", "reason"),
    [
        ("ASN dengan NIP 198703152010011004 memasang baliho", "nip-in-text"),
        ("Hubungi saksi di 0812-3456-7890 untuk bukti", "phone-in-text"),
    ],
)
def test_personal_data_in_description_is_refused(
    desk: Registry, description: str, reason: str
) -> None:
    body = assert_problem(file(desk, description=description), 422, "schema-violation")
    assert [(e["field"], e["reason"]) for e in body["errors"]] == [("description", reason)]
    assert pending(desk).json()["complaints"] == []


def test_personal_data_in_description_is_refused_in_indonesian(desk: Registry) -> None:
    answer = desk.client.post(
        "/api/complaints",
        json=complaint(description="NIP 198703152010011004"),
        headers={"Accept-Language": "id"},
    )
    body = assert_problem(answer, 422, "schema-violation")
    assert answer.headers["content-language"] == "id"
    assert "uraian" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"subject_name": None}, "subject_name", "missing"),
        ({"complainant_name": None}, "complainant_name", "missing"),
        ({"subject_nip": "1987"}, "subject_nip", "not-a-nip"),
        ({"complainant_nik": "12"}, "complainant_nik", "bad-format"),
        ({"category": "gossip"}, "category", "not-one-of"),
        ({"date": "2024-02-30"}, "date", "not-a-date"),
        ({"date": "2099-01-01"}, "date", "complaint-date-ahead"),
        ({"reporter": "Rina"}, "reporter", "unknown-field"),
        ({"election": None}, "election", "missing"),
        ({"election": "pilkada-2020"}, "election", "unknown-election"),
    ],
)
def test_a_bad_field_is_named(
    desk: Registry, changes: dict[str, Any], field: str, reason: str
) -> None:
    body = assert_problem(file(desk, **changes), 422, "schema-violation")
    assert (field, reason) in [(e["field"], e["reason"]) for e in body["errors"]]


def test_an_unknown_field_is_named_with_the_fields_the_form_has(desk: Registry) -> None:
    words = {"en": "the fields of a complaint are: ", "id": "kolom untuk complaint adalah: "}
    for language, said in words.items():
        answer = desk.client.post(
            "/api/complaints",
            json=complaint(reporter="Rina"),
            headers={"Accept-Language": language},
        )
        message = assert_problem(answer, 422, "schema-violation")["errors"][0]["message"]
        assert said in message
        assert "subject_name" in message
        assert "{" not in message  # every placeholder filled


def test_an_unregistered_election_is_refused_naming_the_registered_ones(desk: Registry) -> None:
    answer = file(desk, election="pemilu-1955")
    body = assert_problem(answer, 422, "schema-violation")
    assert [(e["field"], e["reason"]) for e in body["errors"]] == [("election", "unknown-election")]
    assert "pilkada-2024" in body["errors"][0]["message"]
    indonesian = desk.client.post(
        "/api/complaints",
        json=complaint(election="pemilu-1955"),
        headers={"Accept-Language": "id"},
    )
    assert "bukan pemilihan yang terdaftar" in indonesian.json()["errors"][0]["message"]
    assert pending(desk).json()["complaints"] == []


def test_a_revoked_election_is_refused(desk: Registry) -> None:
    index = register_election(desk, "pilkada-2020")
    revocation = {"type": "revocation", "entry": index, "reason": "salah tanggal"}
    answer = desk.post(desk.operator.admin.sign_statement(revocation, "operator", NOW_S))
    assert answer.status_code == 201, answer.text
    body = assert_problem(file(desk, election="pilkada-2020"), 422, "schema-violation")
    assert [(e["field"], e["reason"]) for e in body["errors"]] == [("election", "unknown-election")]


def test_a_body_that_is_not_json_is_refused(desk: Registry) -> None:
    answer = desk.client.post(
        "/api/complaints", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert_problem(answer, 400, "invalid-json")


# -- following it -----------------------------------------------------------------------------


def test_forged_receipt_number_is_refused(desk: Registry) -> None:
    number = filed(desk)
    assert_problem(
        desk.client.get(f"/api/complaints/{forged(number)}"), 400, "bad-complaint-number"
    )


def test_an_unknown_receipt_number_is_404(desk: Registry) -> None:
    filed(desk)
    assert_problem(desk.client.get(f"/api/complaints/{new_number()}"), 404, "not-found")


def test_a_receipt_number_is_read_as_typed(desk: Registry) -> None:
    number = filed(desk)
    typed = number.replace("-", "").lower()
    assert desk.client.get(f"/api/complaints/{typed}").json()["number"] == number


# -- the institutions ---------------------------------------------------------------------------


def test_the_public_may_not_list_pending_complaints(desk: Registry) -> None:
    filed(desk)
    assert_problem(pending(desk, None), 401, "unauthenticated")
    assert_problem(pending(desk, "ppk-garut"), 403, "forbidden")


def test_pending_complaints_carry_commitments_not_the_complainant(desk: Registry) -> None:
    number = filed(desk)
    answer = pending(desk, "recommender")
    assert answer.status_code == 200
    report = held(desk, number)["report"]
    assert report["reporter"] == REPORTER
    assert report["case_number"] == f"SIAPNET-{number}"
    for value in [*COMPLAINANT.values(), SUBJECT_NIP, "Dedi Supriadi"]:
        assert value not in answer.text


def test_receiving_logs_a_report_with_commitments_only(desk: Registry) -> None:
    number = filed(desk)
    report = held(desk, number)["report"]
    answer = receive(desk, number)
    assert answer.status_code == 201, answer.text
    entry = answer.json()["entry"]
    assert answer.headers["location"] == f"/entries/{entry}"
    status = desk.client.get(f"/api/complaints/{number}").json()
    assert (status["status"], status["entry"], status["url"]) == ("received", entry, f"/v/{entry}")
    statement = desk.client.get(f"/entries/{entry}/statement").content
    for value in [*COMPLAINANT.values(), SUBJECT_NIP, "Dedi Supriadi"]:
        assert value.encode() not in statement
    view = desk.client.get(f"/entries/{entry}", headers={"Accept": "application/json"}).json()
    assert view["type"] == "report"
    assert view["payload"]["reporter"] == REPORTER
    assert view["payload"]["election"] == "pilkada-2024"  # the election the complainant chose
    # The subject's identity is kept behind the commitment, readable by signed request.
    subject = bytes.fromhex(report["subject_commitment"])
    kept = desk.client.blocking_portal.call(desk.service.identities.read, subject)
    assert kept is not None
    assert kept.nip == SUBJECT_NIP
    assert hashlib.sha256(kept.salt + SUBJECT_NIP.encode()).digest() == subject
    # The complainant's: their name only; NIK, phone and e-mail exist only in the commitment.
    who = bytes.fromhex(report["reporter_commitment"])
    them = desk.client.blocking_portal.call(desk.service.identities.read, who)
    assert them is not None
    assert (them.name, them.nip) == ("Rina Kartika", None)
    contact = {k.removeprefix("complainant_"): v for k, v in COMPLAINANT.items()}
    assert hashlib.sha256(them.salt + encode_deterministic(contact)).digest() == who


def test_receiving_after_the_election_is_revoked_is_409_and_leaves_it_pending(
    desk: Registry,
) -> None:
    index = register_election(desk, "pilkada-2020")
    number = filed(desk, election="pilkada-2020", date="2020-11-02")
    revocation = {"type": "revocation", "entry": index, "reason": "salah tanggal"}
    assert desk.post(desk.operator.admin.sign_statement(revocation, "operator", NOW_S)).is_success
    before = size(desk)
    assert_problem(receive(desk, number), 409, "revoked-election")
    assert desk.client.get(f"/api/complaints/{number}").json()["status"] == "pending"
    assert size(desk) == before


def test_double_receive_is_409(desk: Registry) -> None:
    number = filed(desk)
    report = report_payload(held(desk, number)["report"])
    first = desk.signer("bawaslu").sign_statement(report, "bawaslu")
    assert decide(desk, number, "receive", first).status_code == 201
    again = desk.signer("recommender").sign_statement(report, "recommender")
    before = size(desk)
    assert_problem(decide(desk, number, "receive", again), 409, "complaint-decided")
    assert size(desk) == before


def test_wrong_role_receives_is_403(desk: Registry) -> None:
    number = filed(desk)
    answer = receive(desk, number, "ppk-garut")
    assert_problem(answer, 403, "wrong-role")
    assert desk.client.get(f"/api/complaints/{number}").json()["status"] == "pending"


def test_unenrolled_key_receives_is_400(desk: Registry) -> None:
    number = filed(desk)
    report = report_payload(held(desk, number)["report"])
    stranger = desk.signer("stranger").sign_statement(report, "stranger")
    assert_problem(decide(desk, number, "receive", stranger), 400, "bad-complaint-statement")


def test_reporter_naming_the_complainant_is_refused(desk: Registry) -> None:
    number = filed(desk)
    report = report_payload(held(desk, number)["report"]) | {"reporter": "Rina Kartika"}
    statement = desk.signer("bawaslu").sign_statement(report, "bawaslu")
    assert_problem(decide(desk, number, "receive", statement), 400, "complaint-mismatch")
    assert desk.client.get(f"/api/complaints/{number}").json()["status"] == "pending"


def test_report_of_another_complaint_is_refused(desk: Registry) -> None:
    number, other = filed(desk), filed(desk)
    report = report_payload(held(desk, other)["report"])
    statement = desk.signer("bawaslu").sign_statement(report, "bawaslu")
    assert_problem(decide(desk, number, "receive", statement), 400, "complaint-mismatch")


def test_forged_receipt_number_receives_nothing(desk: Registry) -> None:
    number = filed(desk)
    report = report_payload(held(desk, number)["report"])
    statement = desk.signer("bawaslu").sign_statement(report, "bawaslu")
    answer = decide(desk, forged(number), "receive", statement)
    assert_problem(answer, 400, "bad-complaint-number")


def test_rejection_shows_the_reason_and_erases_the_identities(desk: Registry) -> None:
    number = filed(desk)
    report = held(desk, number)["report"]
    reason = "Bukan pelanggaran netralitas: kegiatan dinas resmi"
    statement = desk.signer("bawaslu").sign_statement(rejection_payload(number, reason), "bawaslu")
    before = size(desk)
    answer = decide(desk, number, "reject", statement)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["reason"]) == ("rejected", reason)
    assert size(desk) == before
    for name in ("subject_commitment", "reporter_commitment"):
        kept = desk.client.blocking_portal.call(
            desk.service.identities.read, bytes.fromhex(report[name])
        )
        assert kept is not None
        assert kept.erased
    assert_problem(receive_rejected(desk, number, report), 409, "complaint-decided")


def receive_rejected(desk: Registry, number: str, report: dict[str, Any]) -> Any:
    statement = desk.signer("bawaslu").sign_statement(report_payload(report), "bawaslu")
    return decide(desk, number, "receive", statement)


def test_wrong_role_rejects_is_403(desk: Registry) -> None:
    number = filed(desk)
    payload = rejection_payload(number, "tidak relevan")
    statement = desk.signer("ppk-garut").sign_statement(payload, "ppk")
    assert_problem(decide(desk, number, "reject", statement), 403, "wrong-role")


def test_rejection_naming_another_complaint_is_refused(desk: Registry) -> None:
    number, other = filed(desk), filed(desk)
    payload = rejection_payload(other, "tidak relevan")
    statement = desk.signer("bawaslu").sign_statement(payload, "bawaslu")
    assert_problem(decide(desk, number, "reject", statement), 400, "complaint-mismatch")


def test_a_decision_that_is_not_cose_is_415(desk: Registry) -> None:
    number = filed(desk)
    answer = desk.client.post(f"/api/complaints/{number}/receive", content=b"{}")
    assert_problem(answer, 415, "unsupported-media-type")


# -- rate limit ---------------------------------------------------------------------------------


@pytest.fixture
def limited(settings: Settings, operator: OperatorKeys) -> Iterator[Registry]:
    low = dataclasses.replace(settings, rate_limits=(("default", 600, 60), ("complaint", 2, 3600)))
    with TestClient(create_app(low, operator)) as client:
        registry = Registry.bootstrapped(client, operator)
        register_election(registry)
        yield registry


def test_filing_past_the_rate_is_429(limited: Registry) -> None:
    assert [file(limited).status_code for _ in range(2)] == [201, 201]
    answer = file(limited)
    assert_problem(answer, 429, "rate-limited")
    assert int(answer.headers["retry-after"]) > 0


def test_forged_receipt_number_is_refused_in_indonesian(desk: Registry) -> None:
    number = filed(desk)
    answer = desk.client.get(f"/api/complaints/{forged(number)}", headers={"Accept-Language": "id"})
    body = assert_problem(answer, 400, "bad-complaint-number")
    assert body["title"] == "Bukan nomor pengaduan"


def test_the_ppk_of_the_reported_asn_cannot_read_who_complained(desk: Registry) -> None:
    """A PPK reads only identities a recommendation addressed to it names: never a
    complainant's.  Bawaslu reads the name (recorded in the access log)."""
    number = filed(desk)
    receive(desk, number)
    report = held_or_logged(desk, number)
    path = f"/api/identities/{report['reporter_commitment']}"

    def read(label: str) -> Any:
        header = sign_request(desk.signer(label), "GET", path)
        return desk.client.get(path, headers={"Authorization": header})

    assert_problem(read("ppk-garut"), 403, "forbidden")
    answer = read("bawaslu")
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "Rina Kartika"
    assert answer.json()["nip"] is None


def held_or_logged(registry: Registry, number: str) -> dict[str, Any]:
    """The report of a received complaint, read back from its log entry (commitments as hex)."""
    entry = registry.client.get(f"/api/complaints/{number}").json()["entry"]
    view = registry.client.get(f"/entries/{entry}", headers={"Accept": "application/json"})
    payload: dict[str, Any] = view.json()["payload"]
    return {k: unb64url(v).hex() if k.endswith("_commitment") else v for k, v in payload.items()}
