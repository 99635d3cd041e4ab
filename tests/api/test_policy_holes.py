"""Holes of issue 12 (and the backdating of issue 11), each closed: refused over HTTP with a
problem naming the reason, where the registry used to answer 201."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.records.policy import WIB
from registry.verify.statement import statement_content
from tests.api.helpers import NOW_S, Registry, enrolment, pact
from tests.api.test_registration import assert_problem
from tests.factories import declaration_payload

DAY = 86_400
JSON = {"accept": "application/json"}
KEEP_TERM = {"term_start": "2000-01-01", "term_end": "2099-12-31"}


@pytest.fixture
def clocked(settings: Settings, operator: OperatorKeys) -> Iterator[Registry]:
    """A registry with the default maximum statement age (48 h), on today's clock."""
    fresh = dataclasses.replace(settings, max_statement_age_hours=48)
    with TestClient(create_app(fresh, operator)) as client:
        yield Registry.bootstrapped(client, operator)


def now_s() -> int:
    return int(time.time())


def enrol_now(registry: Registry, label: str, **changes: Any) -> None:
    """Enrol ``label`` as a PPK with an enrolment signed now (as the clocked registry needs)."""
    statement = registry.operator.admin.sign_statement(
        enrolment(registry.signer(label).public_key, "ppk", **changes), "operator", now_s()
    )
    assert registry.post(statement).status_code == 201


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
    return payload


# -- backdating (issue 11) ----------------------------------------------------------------


def test_statement_dated_months_before_the_registry_clock_is_refused(clocked: Registry) -> None:
    enrol_now(clocked, "ppk-jabar", **KEEP_TERM)
    months_ago = now_s() - 90 * DAY
    body = assert_problem(
        clocked.post(clocked.sign("ppk-jabar", pact(), months_ago)), 422, "stale-statement"
    )
    assert "48" in body["detail"]
    assert clocked.client.get("/health").json()["size"] == 4  # enrolments, template, election


def test_ppk_whose_term_ended_cannot_backdate_into_it(clocked: Registry) -> None:
    # The term ended long ago; a statement dated inside it, registered today, used to pass.
    enrol_now(clocked, "ppk-jabar", term_start="2020-01-01", term_end="2021-12-31")
    inside_term = 1_609_459_200  # 2021-01-01
    assert_problem(
        clocked.post(clocked.sign("ppk-jabar", pact(), inside_term)), 422, "stale-statement"
    )


def test_a_recent_statement_is_admitted(clocked: Registry) -> None:
    enrol_now(clocked, "ppk-jabar", **KEEP_TERM)
    response = clocked.post(clocked.sign("ppk-jabar", pact(), now_s() - 3600))
    assert response.status_code == 201, response.text
    view = clocked.client.get(response.headers["location"], headers=JSON).json()["timing"]
    assert (view["backdated"], view["attested_by"]) == (False, None)
    assert 3600 <= view["lag_seconds"] < 3600 + 600


def test_attested_history_is_admitted_and_marked(clocked: Registry) -> None:
    enrol_now(clocked, "ppk-jabar", **KEEP_TERM)
    old = clocked.sign("ppk-jabar", pact(), now_s() - 400 * DAY)
    content = statement_content(old)
    assert content is not None
    attestation = clocked.operator.admin.sign_statement(
        {
            "type": "attestation",
            "source": "arsip Bawaslu 2023",
            "reason": "impor riwayat",
            "statements": [content],
        },
        "operator",
        now_s(),
    )
    assert clocked.post(attestation).status_code == 201
    response = clocked.post(old)
    assert response.status_code == 201, response.text
    view = clocked.client.get(response.headers["location"], headers=JSON).json()
    assert view["timing"]["attested_by"] == 2
    assert view["timing"]["backdated"] is True
    assert view["timing"]["lag_seconds"] >= 400 * DAY


def test_attested_history_of_a_key_revoked_since_is_admitted(clocked: Registry) -> None:
    enrol_now(clocked, "ppk-jabar", **KEEP_TERM)  # entry 1
    kid = clocked.signer("ppk-jabar").kid
    yesterday = dt.datetime.fromtimestamp(now_s() - DAY, WIB).date().isoformat()
    admin = clocked.operator.admin
    revocation = {"type": "key-revocation", "kid": kid, "reason": "diganti", "effective": yesterday}
    assert clocked.post(admin.sign_statement(revocation, "operator", now_s())).status_code == 201
    old = clocked.sign("ppk-jabar", pact(), now_s() - 400 * DAY)
    content = statement_content(old)
    assert content is not None
    attestation = admin.sign_statement(
        {"type": "attestation", "source": "x", "reason": "y", "statements": [content]},
        "operator",
        now_s(),
    )
    assert clocked.post(attestation).status_code == 201
    assert clocked.post(old).status_code == 201
    fresh = clocked.sign("ppk-jabar", pact(election="pemilu-2029"), now_s())
    assert_problem(clocked.post(fresh), 403, "revoked-key")


def test_attestation_of_other_statements_does_not_admit_a_stale_one(clocked: Registry) -> None:
    enrol_now(clocked, "ppk-jabar", **KEEP_TERM)
    attested = clocked.sign("ppk-jabar", pact(place="Bogor"), now_s() - 400 * DAY)
    content = statement_content(attested)
    assert content is not None
    attestation = clocked.operator.admin.sign_statement(
        {"type": "attestation", "source": "x", "reason": "y", "statements": [content]},
        "operator",
        now_s(),
    )
    assert clocked.post(attestation).status_code == 201
    other = clocked.sign("ppk-jabar", pact(place="Depok"), now_s() - 400 * DAY)
    assert_problem(clocked.post(other), 422, "stale-statement")


def test_a_revoked_attestation_attests_nothing(clocked: Registry) -> None:
    enrol_now(clocked, "ppk-jabar", **KEEP_TERM)
    old = clocked.sign("ppk-jabar", pact(), now_s() - 400 * DAY)
    content = statement_content(old)
    assert content is not None
    admin = clocked.operator.admin
    attestation = admin.sign_statement(
        {"type": "attestation", "source": "x", "reason": "y", "statements": [content]},
        "operator",
        now_s(),
    )
    index = int(clocked.post(attestation).headers["location"].rsplit("/", 1)[1])
    revocation = admin.sign_statement(
        {"type": "revocation", "entry": index, "reason": "salah lampiran"}, "operator", now_s()
    )
    assert clocked.post(revocation).status_code == 201
    assert_problem(clocked.post(old), 422, "stale-statement")


def test_a_ppk_cannot_attest_its_own_history(clocked: Registry) -> None:
    enrol_now(clocked, "ppk-jabar", **KEEP_TERM)
    old = clocked.sign("ppk-jabar", pact(), now_s() - 400 * DAY)
    content = statement_content(old)
    assert content is not None
    own = clocked.sign(
        "ppk-jabar",
        {"type": "attestation", "source": "x", "reason": "y", "statements": [content]},
        now_s(),
    )
    assert_problem(clocked.post(own), 403, "wrong-role")


# -- pledges ------------------------------------------------------------------------------


def test_pact_for_another_instansi_is_refused(registry: Registry) -> None:
    registry.enrol(
        "ppk-bekasi", instansi="Pemerintah Kota Bekasi", jabatan="Penjabat Wali Kota Bekasi"
    )
    body = assert_problem(
        registry.post(registry.sign("ppk-bekasi", pact(instansi="Pemerintah Kota Bogor"))),
        403,
        "wrong-instansi",
    )
    assert "Bogor" in body["detail"]
    # Bogor's count did not move: admin, PPK, the template and the election alone
    assert registry.client.get("/health").json()["size"] == 4


def test_declaration_for_another_instansi_is_refused(registry: Registry) -> None:
    registry.enrol("asn-bekasi", "asn", instansi="Pemerintah Kota Bekasi")
    declaration = declaration_payload(instansi="Pemerintah Kota Bogor")
    assert_problem(registry.post(registry.sign("asn-bekasi", declaration)), 403, "wrong-instansi")


def test_a_second_pact_for_the_same_election_supersedes_the_first(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    first = registry.post(registry.sign("ppk-jabar", pact()))
    assert first.status_code == 201, first.text
    second = registry.post(registry.sign("ppk-jabar", pact(place="Bogor"), NOW_S + 60))
    assert second.status_code == 201, second.text
    old = registry.client.get(first.headers["location"], headers=JSON).json()["pact"]
    new = registry.client.get(second.headers["location"], headers=JSON).json()["pact"]
    one, two = (int(r.headers["location"].rsplit("/", 1)[1]) for r in (first, second))
    assert old == {"election": "pilkada-2024", "supersedes": [], "superseded_by": two}
    assert new == {"election": "pilkada-2024", "supersedes": [one], "superseded_by": None}


def test_a_revoked_pact_is_no_version_of_the_next(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    first = registry.post(registry.sign("ppk-jabar", pact()))
    index = int(first.headers["location"].rsplit("/", 1)[1])
    revoke = {"type": "revocation", "entry": index, "reason": "tempat salah tulis"}
    assert registry.post(registry.sign("ppk-jabar", revoke, NOW_S + 30)).status_code == 201
    again = registry.post(registry.sign("ppk-jabar", pact(place="Bogor"), NOW_S + 60))
    assert again.status_code == 201, again.text
    view = registry.client.get(again.headers["location"], headers=JSON).json()
    assert view["pact"]["supersedes"] == []


def test_a_pact_for_another_election_is_admitted(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    first = registry.post(registry.sign("ppk-jabar", pact()))
    assert first.status_code == 201
    other = registry.post(registry.sign("ppk-jabar", pact(election="pemilu-2024"), NOW_S + 60))
    assert other.status_code == 201, other.text
    view = registry.client.get(first.headers["location"], headers=JSON).json()
    assert view["pact"]["superseded_by"] is None


# -- recommendations ----------------------------------------------------------------------


def test_recommendation_with_deadline_before_its_issue_date_is_refused(
    registry: Registry,
) -> None:
    ppk = registry.enrol("ppk-jabar")
    registry.enrol("kasn", "recommender", instansi="KASN", jabatan="Ketua KASN")
    body = assert_problem(
        registry.post(registry.sign("kasn", recommendation(ppk.kid, deadline="2024-09-01"))),
        422,
        "deadline-before-issue",
    )
    assert "2024-09-01" in body["detail"]


# -- enrolment evidence -------------------------------------------------------------------

SCAN = hashlib.sha256(b"SK Mendagri No. 100.2.1.3-1234 Tahun 2024 (pindaian)").digest()
EVIDENCE = {"decree_issuer": "Menteri Dalam Negeri", "decree_sha256": SCAN}


def confirmation(enrolment: int, scan: bytes = SCAN) -> dict[str, Any]:
    return {"type": "enrolment-confirmation", "enrolment": enrolment, "decree_sha256": scan}


def test_an_enrolment_shows_its_evidence_unconfirmed_then_confirmed(registry: Registry) -> None:
    registry.enrol("ppk-jabar", **EVIDENCE)  # entry 1
    view = registry.client.get("/entries/1", headers=JSON).json()
    assert view["enrolment"]["confirmed"] is False
    assert view["enrolment"]["evidence"]["decree_sha256"] == SCAN.hex()
    assert view["enrolment"]["evidence"]["decree_issuer"] == "Menteri Dalam Negeri"
    registry.enrol("bkn", "bkn", instansi="Badan Kepegawaian Negara", jabatan="Kepala BKN")
    response = registry.post(registry.sign("bkn", confirmation(1)))
    assert response.status_code == 201, response.text
    view = registry.client.get("/entries/1", headers=JSON).json()
    assert view["enrolment"] == view["enrolment"] | {"confirmed": True, "confirmed_by": [3]}


def test_a_confirmation_by_the_enrolled_ppk_itself_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar", **EVIDENCE)
    assert_problem(registry.post(registry.sign("ppk-jabar", confirmation(1))), 403, "wrong-role")


def test_a_confirmation_of_another_decree_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar", **EVIDENCE)
    registry.enrol("bkn", "bkn", instansi="Badan Kepegawaian Negara", jabatan="Kepala BKN")
    other = hashlib.sha256(b"another scan").digest()
    assert_problem(
        registry.post(registry.sign("bkn", confirmation(1, other))), 422, "decree-mismatch"
    )


def test_a_confirmation_of_an_entry_that_is_no_enrolment_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar", **EVIDENCE)
    registry.enrol("bkn", "bkn", instansi="Badan Kepegawaian Negara", jabatan="Kepala BKN")
    assert registry.post(registry.sign("ppk-jabar", pact())).status_code == 201  # entry 3
    assert_problem(registry.post(registry.sign("bkn", confirmation(3))), 422, "not-an-enrolment")
    assert_problem(registry.post(registry.sign("bkn", confirmation(99))), 404, "unknown-entry")
