"""Elections and templates are records, and what cites them must cite one that stands (issue 12):
each hole refused over HTTP with a problem naming the reason, where the registry used to answer
201; the dashboard lists the log's elections."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_registration import assert_problem
from tests.factories import (
    DECLARATION_TEMPLATE_SHA256,
    TEMPLATE_SHA256,
    declaration_payload,
    election_payload,
    template_payload,
)

JSON = {"accept": "application/json"}


def size(registry: Registry) -> int:
    return int(registry.client.get("/health").json()["size"])


def index_of(response: Any) -> int:
    assert response.status_code == 201, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def admin_posts(registry: Registry, payload: dict[str, Any], at: int = NOW_S) -> Any:
    """POST ``payload`` signed by the operator's admin key."""
    return registry.post(registry.operator.admin.sign_statement(payload, "operator", at))


@pytest.fixture
def cited(registry: Registry) -> Registry:
    """A registry with a PPK, a recommender, both fixture templates and Pilkada 2024, and
    nothing registered behind the test's back."""
    registry.enrol("ppk-jabar")
    registry.enrol("kasn", "recommender", instansi="KASN", jabatan="Ketua KASN")
    for payload in (
        template_payload(TEMPLATE_SHA256),
        template_payload(DECLARATION_TEMPLATE_SHA256),
        election_payload("pilkada-2024"),
    ):
        index_of(admin_posts(registry, payload))
    registry.cite = False
    return registry


def report(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "report",
        "case_number": "NET.2024.00001",
        "reporter": "Bawaslu Provinsi Jawa Barat",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "subject_commitment": b"\x07" * 32,
        "category": "social-media",
        "description": "Membagikan materi kampanye pasangan calon",
        "place": "Instagram",
        "date": "2024-09-20",
        "election": "pilkada-2024",
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def recommendation(ppk_kid: bytes, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "recommendation",
        "case_number": "001/REK/KASN/IX/2024",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "ppk_kid": ppk_kid,
        "subject_commitment": b"\x07" * 32,
        "category": "social-media",
        "sanction": "moral",
        "deadline": "2024-10-11",
        "election": "pilkada-2024",
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


# -- the holes, each refused, nothing written ------------------------------------------------


def test_the_fixture_records_are_admitted(cited: Registry) -> None:
    ppk = cited.signer("ppk-jabar").kid
    for label, payload in (
        ("ppk-jabar", pact()),
        ("ppk-jabar", declaration_payload()),
        ("kasn", report()),
        ("kasn", recommendation(ppk)),
    ):
        response = cited.post(cited.sign(label, payload))
        assert response.status_code == 201, response.text


def test_pact_with_free_text_election_is_refused(cited: Registry) -> None:
    before = size(cited)
    body = assert_problem(
        cited.post(cited.sign("ppk-jabar", pact(election="pemilu-1955"))), 404, "unknown-election"
    )
    assert "pemilu-1955" in body["detail"]
    assert size(cited) == before


def test_declaration_with_free_text_election_is_refused(cited: Registry) -> None:
    declaration = declaration_payload(election="Pilkada 2024")
    assert_problem(cited.post(cited.sign("ppk-jabar", declaration)), 404, "unknown-election")


def test_report_without_election_is_refused(cited: Registry) -> None:
    body = assert_problem(
        cited.post(cited.sign("kasn", report(election=None))), 422, "unknown-election"
    )
    assert "election" in body["detail"]


def test_report_with_free_text_election_is_refused(cited: Registry) -> None:
    assert_problem(
        cited.post(cited.sign("kasn", report(election="pemilu-1955"))), 404, "unknown-election"
    )


def test_recommendation_without_election_is_refused(cited: Registry) -> None:
    rec = recommendation(cited.signer("ppk-jabar").kid, election=None)
    assert_problem(cited.post(cited.sign("kasn", rec)), 422, "unknown-election")


def test_recommendation_with_free_text_election_is_refused(cited: Registry) -> None:
    rec = recommendation(cited.signer("ppk-jabar").kid, election="pilkada-2099")
    assert_problem(cited.post(cited.sign("kasn", rec)), 404, "unknown-election")


def test_pact_citing_no_template_is_refused(cited: Registry) -> None:
    unpublished = b"\x5a" * 32
    body = assert_problem(
        cited.post(cited.sign("ppk-jabar", pact(template=unpublished))), 404, "unknown-template"
    )
    assert unpublished.hex() in body["detail"]


def test_pact_citing_a_declaration_template_is_refused(cited: Registry) -> None:
    body = assert_problem(
        cited.post(cited.sign("ppk-jabar", pact(template=DECLARATION_TEMPLATE_SHA256))),
        422,
        "wrong-template-kind",
    )
    assert "declaration" in body["detail"]


def test_declaration_citing_a_pact_template_is_refused(cited: Registry) -> None:
    declaration = declaration_payload(template=TEMPLATE_SHA256)
    assert_problem(cited.post(cited.sign("ppk-jabar", declaration)), 422, "wrong-template-kind")


def test_pact_citing_a_revoked_election_is_refused(cited: Registry) -> None:
    election = index_of(admin_posts(cited, election_payload("pilkada-2020")))
    revoke = {"type": "revocation", "entry": election, "reason": "salah tanggal"}
    index_of(admin_posts(cited, revoke))
    body = assert_problem(
        cited.post(cited.sign("ppk-jabar", pact(election="pilkada-2020"))), 409, "revoked-election"
    )
    assert str(election) in body["detail"]


def test_pact_citing_a_revoked_template_is_refused(cited: Registry) -> None:
    text = "Pakta Integritas (naskah yang ditarik)"
    template = {"type": "template", "kind": "pact", "title": "Ditarik", "text": text}
    entry = index_of(admin_posts(cited, template))
    index_of(admin_posts(cited, {"type": "revocation", "entry": entry, "reason": "ditarik"}))
    cites = pact(template=hashlib.sha256(text.encode()).digest())
    assert_problem(cited.post(cited.sign("ppk-jabar", cites)), 409, "revoked-template")


# -- registering elections -------------------------------------------------------------------


def test_an_election_signed_by_a_ppk_is_refused(cited: Registry) -> None:
    own = cited.sign("ppk-jabar", election_payload("pilkada-2020"))
    assert_problem(cited.post(own), 403, "wrong-role")


def test_a_second_election_of_the_same_name_is_refused_until_the_first_is_revoked(
    cited: Registry,
) -> None:
    again = election_payload("pilkada-2024", title="Pilkada 2024 (lagi)")
    assert_problem(admin_posts(cited, again), 409, "duplicate-election")
    first = cited.client.get("/api/entries", params={"type": "election"}).json()["items"][0]
    revoke = {"type": "revocation", "entry": first["index"], "reason": "wilayah kurang"}
    index_of(admin_posts(cited, revoke))
    corrected = index_of(admin_posts(cited, again, NOW_S + 60))
    index_of(cited.post(cited.sign("ppk-jabar", pact(), NOW_S + 120)))  # cites the new one
    assert cited.client.get(f"/entries/{corrected}", headers=JSON).json()["type"] == "election"


@pytest.mark.parametrize(
    ("mutation", "changes", "field"),
    [
        ("name-with-space", {"name": "Pilkada 2024"}, "name"),
        ("name-upper-case", {"name": "PILKADA-2024"}, "name"),
        ("kind-unknown", {"kind": "pilpres"}, "kind"),
        ("campaign-ends-before-it-starts", {"campaign_end": "2024-09-01"}, "campaign_end"),
        ("voting-before-campaign-ends", {"voting_day": "2024-11-01"}, "voting_day"),
        ("no-regions", {"regions": []}, "regions"),
    ],
)
def test_malformed_election_is_refused_naming_the_field(
    cited: Registry, mutation: str, changes: dict[str, Any], field: str
) -> None:
    bad = {**election_payload("pilkada-2024"), "name": "pilkada-2029", **changes}
    body = assert_problem(admin_posts(cited, bad), 422, "schema-violation")
    assert field in [e["field"] for e in body["errors"]], mutation


# -- compliance reads the log's elections ----------------------------------------------------


def test_dashboard_election_filter_lists_the_registered_elections(cited: Registry) -> None:
    index_of(admin_posts(cited, election_payload("pemilu-2024")))
    index_of(cited.post(cited.sign("ppk-jabar", pact())))
    answer = cited.client.get("/api/dashboard/elections", params={"election": "pilkada-2017"})
    body = assert_problem(answer, 400, "invalid-parameter")
    # the known elections are the log's, in voting-day order; not the old hard-coded list
    assert "pemilu-2024, pilkada-2024" in body["detail"]
    rows = cited.client.get("/api/compliance/elections").json()["items"]
    assert [r["election"] for r in rows] == ["pilkada-2024"]
    filtered = cited.client.get("/api/dashboard/elections", params={"election": "pemilu-2024"})
    assert filtered.status_code == 200, filtered.text
