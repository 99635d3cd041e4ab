"""Compliance over HTTP on both backends: refusals of the follow-up chain, figures, identities.

A small history: Bawaslu reports an ASN of Jawa Barat, the recommending
authority sends two recommendations to the acting governor (one cites the
report), the governor signs a pact and sanctions one; the other stays overdue.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import pytest
from click.testing import CliRunner

from registry.api.limits import Rate, RateLimiter
from registry.cli import main
from registry.compliance.access import ReplayGuard, sign_request
from registry.config import Settings
from registry.store.models import IdentityRecord
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.receipt import verify_receipt
from registry.verify.trust import b64url, unb64url
from tests.api.helpers import COSE, NOW_S, Registry, enrolment, pact
from tests.api.test_registration import assert_problem
from tests.factories import fixed_key, reencodings, signed_again

DAY = 86_400
JABAR = "Pemerintah Provinsi Jawa Barat"
BANTEN = "Pemerintah Provinsi Banten"
SALT, NIP = b"garam-acak-16byt", "199001012015031001"
SUBJECT = hashlib.sha256(SALT + NIP.encode()).digest()
PPK_NIP = "197501012000031002"


@dataclass
class History:
    registry: Registry
    report: int
    recs: list[int]
    follow_up: int
    pact: int

    def get(self, path: str, **params: Any) -> Any:
        response = self.registry.client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def recommendation(report: int | None = None, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "recommendation",
        "election": "pilkada-2024",
        "case_number": "NET.2024.00001",
        "instansi": JABAR,
        "ppk_kid": hashlib.sha256(b"").digest(),
        "subject_commitment": SUBJECT,
        "category": "social-media",
        "sanction": "moral",
        "deadline": "2024-10-11",
    }
    if report is not None:
        payload["report"] = report
    payload.update(changes)
    return payload


def follow_up(rec: int, decree_date: str = "2024-09-30") -> dict[str, Any]:
    return {
        "type": "follow-up",
        "recommendation": rec,
        "action": "sanctioned",
        "decree_number": "862/0001/BKD/2024",
        "decree_date": decree_date,
    }


def step(registry: Registry, name: str, cites: list[int]) -> dict[str, Any]:
    return {
        "type": "enforcement",
        "instansi": JABAR,
        "ppk_kid": registry.signer("ppk-jabar").kid,
        "step": name,
        "reason": "Rekomendasi belum ditindaklanjuti",
        "recommendations": cites,
    }


def register(registry: Registry, label: str, payload: dict[str, Any], at: int = NOW_S) -> int:
    response = registry.post(registry.sign(label, payload, at))
    assert response.status_code == 201, response.text
    return int(response.headers["x-registry-entry-index"])


@pytest.fixture
def history(registry: Registry) -> History:
    for label, role, changes in (
        ("recommender", "recommender", {"instansi": "KemenPAN-RB/BKN", "head_type": None}),
        ("bkn", "bkn", {"instansi": "Badan Kepegawaian Negara", "head_type": None}),
        ("bawaslu", "bawaslu", {"instansi": "Bawaslu RI", "head_type": None}),
        ("ppk-jabar", "ppk", {"nip": PPK_NIP}),
        ("panel", "panel", {"instansi": "Panitia Seleksi JPT", "head_type": None}),
        ("ppk-banten", "ppk", {"instansi": BANTEN, "province": "Banten"}),
        ("asn-jabar", "asn", {"name": "Siti Aminah", "head_type": None}),
    ):
        kept = {k: v for k, v in changes.items() if v is not None}
        registry.enrol(label, role, term_end="2099-12-31", **kept)
    ppk = registry.signer("ppk-jabar").kid
    report = register(
        registry,
        "bawaslu",
        {
            "type": "report",
            "election": "pilkada-2024",
            "case_number": "NET.2024.00001",
            "reporter": "Bawaslu Provinsi Jawa Barat",
            "instansi": JABAR,
            "province": "Jawa Barat",
            "subject_commitment": SUBJECT,
            "category": "social-media",
            "description": "Membagikan materi kampanye pasangan calon",
            "place": "Instagram",
            "date": "2024-09-20",
        },
    )
    recs = [
        register(registry, "recommender", recommendation(report, ppk_kid=ppk), NOW_S + 60),
        register(registry, "recommender", recommendation(ppk_kid=ppk), NOW_S + 120),
    ]
    signed = register(registry, "ppk-jabar", pact(), NOW_S + 180)
    answer = register(registry, "ppk-jabar", follow_up(recs[0]), NOW_S + 3 * DAY)
    return History(registry, report, recs, answer, signed)


# -- refusals of the follow-up chain ---------------------------------------------------------


def test_follow_up_of_an_unknown_recommendation_is_404(history: History) -> None:
    registry = history.registry
    response = registry.post(registry.sign("ppk-jabar", follow_up(999), NOW_S + DAY))
    assert_problem(response, 404, "unknown-recommendation")


def test_follow_up_of_a_report_is_422(history: History) -> None:
    registry = history.registry
    response = registry.post(registry.sign("ppk-jabar", follow_up(history.report), NOW_S + DAY))
    assert_problem(response, 422, "not-a-recommendation")


def test_follow_up_by_another_instansi_ppk_is_403(history: History) -> None:
    registry = history.registry
    statement = registry.sign("ppk-banten", follow_up(history.recs[1]), NOW_S + DAY)
    assert_problem(registry.post(statement), 403, "foreign-recommendation")


def test_second_follow_up_is_409(history: History) -> None:
    registry = history.registry
    statement = registry.sign(
        "ppk-jabar", follow_up(history.recs[0], "2024-10-01"), NOW_S + 5 * DAY
    )
    body = assert_problem(registry.post(statement), 409, "already-followed-up")
    assert body["evidence"] == {"follow_up": str(history.follow_up)}


def test_recommendation_to_a_non_ppk_is_422(history: History) -> None:
    registry = history.registry
    payload = recommendation(ppk_kid=registry.signer("asn-jabar").kid)
    assert_problem(registry.post(registry.sign("recommender", payload)), 422, "not-a-ppk")


def test_enforcement_out_of_order_is_409(history: History) -> None:
    registry = history.registry
    late = NOW_S + 20 * DAY
    warning = registry.sign("bkn", step(registry, "warning", [history.recs[1]]), late)
    body = assert_problem(registry.post(warning), 409, "enforcement-out-of-order")
    assert body["evidence"] == {"current_step": "none"}
    register(registry, "bkn", step(registry, "early-warning", [history.recs[1]]), late)
    again = registry.sign("bkn", step(registry, "early-warning", [history.recs[1]]), late + 60)
    assert_problem(registry.post(again), 409, "enforcement-out-of-order")


def test_recommendation_and_its_follow_up_in_one_batch(history: History) -> None:
    registry = history.registry
    service = registry.service
    idx = service.size
    rec = registry.sign(
        "recommender", recommendation(ppk_kid=registry.signer("ppk-jabar").kid), NOW_S + DAY
    )
    answer = registry.sign("ppk-jabar", follow_up(idx, "2024-09-29"), NOW_S + 2 * DAY)

    async def both() -> list[Any]:
        return list(await asyncio.gather(service.register(rec), service.register(answer)))

    first, second = registry.client.blocking_portal.call(both)
    assert (first.index, second.index) == (idx, idx + 1)
    outcome = history.get("/api/compliance/recommendations", status="followed-up")["items"]
    assert [r["follow_up"] for r in outcome if r["index"] == idx] == [idx + 1]


# -- figures --------------------------------------------------------------------------------


def test_signer_record_lists_its_entries(history: History) -> None:
    kid = b64url(history.registry.signer("ppk-jabar").kid)
    row = history.get(f"/api/compliance/signers/{kid}", as_of="2025-01-01")
    assert row["recommendations"] == {"value": 2, "entries": history.recs}
    assert row["followed_up"] == {"value": 1, "entries": [history.follow_up]}
    assert row["on_time"]["entries"] == [history.follow_up]
    assert row["overdue"] == {"value": 1, "entries": [history.recs[1]]}
    assert row["follow_up_rate"]["value"] == 0.5
    assert row["median_days"]["value"] == 3
    assert row["pacts"] == {"value": 1, "entries": [history.pact]}
    assert row["head_type"] == "pj"
    assert [r["status"] for r in row["recommendation_outcomes"]] == ["followed-up", "overdue"]


def test_before_the_deadline_nothing_is_overdue(history: History) -> None:
    national = history.get("/api/compliance/national", as_of="2024-10-05")
    assert national["overdue"]["value"] == 0
    assert national["pending"]["entries"] == [history.recs[1]]
    earlier = history.get("/api/compliance/national", as_of="2024-09-26")
    assert earlier["recommendations"]["value"] == 0


def test_every_table_answers_and_exports(history: History) -> None:
    client = history.registry.client
    for path in (
        "national",
        "signers",
        "instansi",
        "provinces",
        "head-types",
        "elections",
        "months",
        "pact-signers-with-overdue",
        "recommendations",
    ):
        response = client.get(f"/api/compliance/{path}", params={"format": "csv"})
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert rows, path
    signers = list(
        csv.DictReader(io.StringIO(client.get("/api/compliance/signers?format=csv").text))
    )
    jabar = next(r for r in signers if r["instansi"] == JABAR)
    assert jabar["recommendations_entries"] == " ".join(map(str, history.recs))


def test_pact_signer_with_overdue_is_listed(history: History) -> None:
    rows = history.get("/api/compliance/pact-signers-with-overdue", as_of="2025-01-01")["items"]
    assert [(r["instansi"], r["overdue"]["entries"]) for r in rows] == [(JABAR, [history.recs[1]])]
    assert rows[0]["pacts"]["entries"] == [history.pact]


def track(history: History, label: str | None, query: str, **kwargs: Any) -> Any:
    """GET /api/track-record?query, signed by the fixed key ``label`` (None: unsigned)."""
    asked = f"/api/track-record?{query}"
    headers = {}
    if label is not None:
        signed = unquote_plus(kwargs.pop("signed", asked))
        headers["Authorization"] = sign_request(
            history.registry.signer(label), "GET", signed, **kwargs
        )
    return history.registry.client.get(asked, headers=headers)


def test_track_record_by_name_and_instansi(history: History) -> None:
    response = track(history, "bawaslu", f"name=bey%20%20MACHMUDIN&instansi={JABAR}")
    assert response.status_code == 200, response.text
    record = response.json()
    office = record["offices"][0]
    assert office["pacts"][0]["index"] == history.pact
    assert office["follow_up"]["followed_up"]["entries"] == [history.follow_up]
    assert record["totals"]["recommendations"]["value"] == 2


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/compliance/national?as_of=kemarin", "invalid-parameter"),
        ("/api/compliance/signers/zz", "invalid-parameter"),
        ("/api/compliance/signers?format=xml", "invalid-parameter"),
        ("/api/track-record", "invalid-parameter"),
        ("/api/track-record?nip=12", "invalid-parameter"),
    ],
)
def test_bad_parameters_are_problems(history: History, path: str, code: str) -> None:
    assert_problem(history.registry.client.get(path), 400, code)


def test_unknown_signer_and_person_are_404(history: History) -> None:
    client = history.registry.client
    assert_problem(client.get(f"/api/compliance/signers/{'0' * 64}"), 404, "not-found")
    assert_problem(track(history, "bkn", "nip=199001012015031001"), 404, "not-found")


# -- identities -----------------------------------------------------------------------------


@pytest.fixture
def identity(history: History) -> History:
    identities = history.registry.service.identities
    record = IdentityRecord(commitment=SUBJECT, salt=SALT, nip=NIP, name="Asep Sunandar")
    history.registry.client.blocking_portal.call(identities.keep, [record])
    return history


PATH = f"/api/identities/{SUBJECT.hex()}"


def read(history: History, label: str | None, path: str = PATH, **kwargs: Any) -> Any:
    registry = history.registry
    headers = {}
    if label is not None:
        signer = registry.operator.admin if label == "admin" else registry.signer(label)
        headers["Authorization"] = sign_request(signer, "GET", path, **kwargs)
    return registry.client.get(PATH, headers=headers)


def test_the_public_may_not_read_an_identity(identity: History) -> None:
    response = read(identity, None)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Registry-Signed"


@pytest.mark.parametrize("label", ["asn-jabar", "ppk-banten", "admin"])
def test_a_wrong_role_may_not_read_an_identity(identity: History, label: str) -> None:
    assert_problem(read(identity, label), 403, "forbidden")


@pytest.mark.parametrize("label", ["recommender", "bkn", "bawaslu", "ppk-jabar"])
def test_the_roles_that_need_it_read_the_identity(identity: History, label: str) -> None:
    response = read(identity, label)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["nip"], body["name"]) == (NIP, "Asep Sunandar")
    assert hashlib.sha256(bytes.fromhex(body["salt"]) + body["nip"].encode()).digest() == SUBJECT
    assert body["recommendations"] == identity.recs
    assert response.headers["cache-control"] == "no-store"


def test_stale_replayed_and_misdirected_requests_are_refused(identity: History) -> None:
    assert_problem(
        read(identity, "recommender", issued_at=int(time.time()) - 600), 401, "stale-request"
    )
    other = f"/api/identities/{'ab' * 32}"
    assert_problem(read(identity, "recommender", path=other), 401, "wrong-request")
    header = sign_request(identity.registry.signer("recommender"), "GET", PATH)
    client = identity.registry.client
    assert client.get(PATH, headers={"Authorization": header}).status_code == 200
    assert_problem(client.get(PATH, headers={"Authorization": header}), 401, "replayed-request")
    assert_problem(
        client.get(PATH, headers={"Authorization": "Registry-Signed !!"}),
        401,
        "malformed-request-signature",
    )


def test_a_request_reencoded_or_signed_again_is_the_same_request(identity: History) -> None:
    # Issue 11's replay, on signed requests: the replay record is of the signed content.
    header = sign_request(identity.registry.signer("recommender"), "GET", PATH)
    token = unb64url(header.partition(" ")[2])
    client = identity.registry.client
    assert client.get(PATH, headers={"Authorization": header}).status_code == 200
    again = signed_again(token, fixed_key("recommender"))
    for other, code in [
        (again, "replayed-request"),
        (reencodings(token)["untagged"], "malformed-request-signature"),
        (reencodings(token)["unprotected-header-text"], "malformed-request-signature"),
    ]:
        response = client.get(PATH, headers={"Authorization": f"Registry-Signed {b64url(other)}"})
        assert_problem(response, 401, code)


def erase(history: History, label: str, **kwargs: Any) -> Any:
    registry = history.registry
    signer = registry.operator.admin if label == "admin" else registry.signer(label)
    return registry.client.delete(
        PATH, headers={"Authorization": sign_request(signer, "DELETE", PATH, **kwargs)}
    )


def test_erasure_by_admin_keeps_the_log_and_every_proof_valid(identity: History) -> None:
    registry = identity.registry
    client = registry.client
    before = client.get("/checkpoint").text
    statements = [
        client.get(f"/entries/{i}/statement").content for i in range(identity.follow_up + 1)
    ]
    assert_problem(erase(identity, "recommender"), 403, "forbidden")
    response = erase(identity, "admin")
    assert response.status_code == 200, response.text
    assert response.json()["erased"] is True
    assert_problem(read(identity, "recommender"), 410, "identity-erased")
    again = erase(identity, "admin", issued_at=int(time.time()) - 30)  # not a replay: new bytes
    assert_problem(again, 410, "identity-erased")
    assert client.get("/checkpoint").text == before
    trusted = registry.trusted()
    checkpoint = verify_checkpoint(before, trusted.log_keys).unwrap()
    for index, statement in enumerate(statements):
        assert client.get(f"/entries/{index}/statement").content == statement
        receipt = client.get(f"/entries/{index}").content
        info = verify_receipt(receipt, trusted.by_kid, statement).unwrap()
        assert info.index == index
        view = client.get(f"/entries/{index}", headers={"Accept": "application/json"}).json()
        assert view["inclusion_proof"]["root"] == b64url(checkpoint.root)
    report = client.get(f"/entries/{identity.report}", headers={"Accept": "application/json"})
    assert report.json()["payload"]["subject_commitment"] == b64url(SUBJECT)


def test_a_request_replayed_to_another_worker_is_refused(identity: History) -> None:
    """Each worker has its own in-memory guard; the database's record is shared by all."""
    header = sign_request(identity.registry.signer("recommender"), "GET", PATH)
    client = identity.registry.client
    assert client.get(PATH, headers={"Authorization": header}).status_code == 200
    identity.registry.components.compliance.personal.replay = (
        ReplayGuard()
    )  # another process: a new one
    assert_problem(client.get(PATH, headers={"Authorization": header}), 401, "replayed-request")


# -- the track record: signed, by the roles that need it, recorded, rate-limited ---------


def test_the_public_may_not_read_a_track_record(history: History) -> None:
    for query in (f"nip={PPK_NIP}", f"name=Bey%20Machmudin&instansi={JABAR}"):
        response = track(history, None, query)
        assert_problem(response, 401, "unauthenticated")
        assert PPK_NIP not in response.text


@pytest.mark.parametrize("label", ["ppk-banten", "asn-jabar", "ppk-jabar"])
def test_a_wrong_role_may_not_read_a_track_record(history: History, label: str) -> None:
    assert_problem(track(history, label, f"nip={PPK_NIP}"), 403, "forbidden")


@pytest.mark.parametrize("label", ["bawaslu", "recommender", "bkn", "panel"])
def test_track_record_by_nip_through_the_enrolment_commitment(history: History, label: str) -> None:
    response = track(history, label, f"nip={PPK_NIP}")
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["nip"] == PPK_NIP
    assert [o["kid"] for o in record["offices"]] == [
        b64url(history.registry.signer("ppk-jabar").kid)
    ]
    assert record["totals"]["recommendations"]["value"] == 2
    assert response.headers["cache-control"] == "no-store"


def test_a_track_record_request_signed_for_another_nip_is_refused(history: History) -> None:
    signed = "/api/track-record?nip=199001012015031001"
    assert_problem(track(history, "panel", f"nip={PPK_NIP}", signed=signed), 401, "wrong-request")


def test_a_replayed_track_record_request_is_refused(history: History) -> None:
    asked = f"/api/track-record?nip={PPK_NIP}"
    header = {"Authorization": sign_request(history.registry.signer("panel"), "GET", asked)}
    client = history.registry.client
    assert client.get(asked, headers=header).status_code == 200
    assert_problem(client.get(asked, headers=header), 401, "replayed-request")


def test_the_enrolment_carries_no_nip_in_clear(history: History) -> None:
    kid = history.registry.signer("ppk-jabar").kid.hex()
    index = history.get(f"/api/compliance/signers/{kid}")["enrolment"]
    served = history.registry.client.get(f"/entries/{index}/statement").content
    assert PPK_NIP.encode() not in served
    view = history.registry.client.get(f"/entries/{index}", headers={"Accept": "application/json"})
    assert "nip" not in view.json()["payload"]
    assert len(unb64url(view.json()["payload"]["nip_commitment"])) == 32


def test_every_read_of_a_person_is_in_the_access_log(identity: History) -> None:
    assert track(identity, "panel", f"nip={PPK_NIP}").status_code == 200
    # The ASN the recommendations name has a track record too: their own violations.
    assert track(identity, "bkn", f"nip={NIP}").status_code == 200
    assert read(identity, "bawaslu").status_code == 200
    assert_problem(track(identity, "asn-jabar", f"nip={PPK_NIP}"), 403, "forbidden")
    log = identity.registry.client.blocking_portal.call(
        identity.registry.service.identities.access_log
    )
    registry = identity.registry
    assert [(a.kid, a.role, a.what, a.subject) for a in log] == [
        (registry.signer("panel").kid, "panel", "track-record", PPK_NIP),
        (registry.signer("bkn").kid, "bkn", "track-record", NIP),
        (registry.signer("bawaslu").kid, "bawaslu", "identity", SUBJECT.hex()),
    ]
    assert log[0].asked == f"/api/track-record?nip={PPK_NIP}"
    assert all(a.at_ms > 0 and a.request for a in log)
    mine = identity.registry.client.blocking_portal.call(
        lambda: identity.registry.service.identities.access_log(subjects=[PPK_NIP])
    )
    assert [a.role for a in mine] == ["panel"]


def test_identity_reads_are_rate_limited_per_client(history: History) -> None:
    client = history.registry.client
    allowed = {b: n for b, n, _ in Settings.rate_limits}["identity"]
    # the bucket's clock stands still: a slow machine answering the requests refills nothing
    state = client.app.state
    kept = state.rate_limiter
    rates = {b: Rate(n, s) if n else None for b, n, s in Settings.rate_limits}
    state.rate_limiter = RateLimiter(rates, clock=lambda: 0.0)
    try:
        answers = [
            client.get(f"/api/track-record?nip={PPK_NIP}").status_code for _ in range(allowed)
        ]
        assert answers == [401] * allowed
        response = client.get(f"/api/track-record?nip={PPK_NIP}")
        assert_problem(response, 429, "rate-limited")
        assert int(response.headers["retry-after"]) >= 1
    finally:
        state.rate_limiter = kept


def test_the_operator_lists_the_reads_of_a_person(identity: History, settings: Settings) -> None:
    assert track(identity, "panel", f"nip={PPK_NIP}").status_code == 200
    assert read(identity, "bawaslu").status_code == 200
    env = {"REGISTRY_DATABASE_URL": settings.database_url, "LANG": "en_US.UTF-8"}
    runner = CliRunner()
    everything = runner.invoke(main, ["access-log"], env=env)
    assert everything.exit_code == 0, everything.output
    lines = everything.output.splitlines()
    assert lines[0].split("\t") == ["when (UTC)", "kid", "role", "what", "asked"]
    assert [line.split("\t")[2:] for line in lines[1:]] == [
        ["panel", "track-record", f"/api/track-record?nip={PPK_NIP}"],
        ["bawaslu", "identity", PATH],
    ]
    about = runner.invoke(main, ["access-log", "--nip", NIP, "--json"], env=env)
    assert about.exit_code == 0, about.output
    rows = [json.loads(line) for line in about.output.splitlines()]
    assert [(r["role"], r["subject"]) for r in rows] == [("bawaslu", SUBJECT.hex())]
    assert rows[0]["kid"] == identity.registry.signer("bawaslu").kid.hex()
    assert unb64url(rows[0]["request"])  # the signed request, as the reader sent it
    by_name = track(identity, "bkn", f"name=Bey%20Machmudin&instansi={JABAR}")
    assert by_name.status_code == 200, by_name.text
    ppk = runner.invoke(main, ["access-log", "--nip", PPK_NIP, "--json"], env=env)
    reads = [json.loads(line) for line in ppk.output.splitlines()]
    assert [(r["role"], r["asked"]) for r in reads] == [
        ("panel", f"/api/track-record?nip={PPK_NIP}"),
        ("bkn", f"/api/track-record?name=Bey Machmudin&instansi={JABAR}"),
    ]
    nobody = runner.invoke(main, ["access-log", "--nip", "200001012020121001"], env=env)
    assert nobody.output.strip() == "No reads of personal data recorded."
    panel = identity.registry.signer("panel").kid.hex()
    by_panel = runner.invoke(main, ["access-log", "--kid", panel], env=env)
    assert [line.split("\t")[2] for line in by_panel.output.splitlines()[1:]] == ["panel"]
    bad = runner.invoke(main, ["access-log", "--kid", "zz"], env=env)
    assert bad.exit_code == 1
    assert "a key id is 64 hex digits" in bad.output


def test_an_enrolment_with_a_plain_nip_is_refused_before_the_log(history: History) -> None:
    registry = history.registry
    size = registry.service.size
    payload = enrolment(registry.signer("ppk-baru").public_key, "ppk", nip=PPK_NIP)
    statement = registry.operator.admin.sign_statement(payload, "operator", NOW_S)
    response = registry.client.post(
        "/entries", content=statement, headers={**COSE, "Accept-Language": "id"}
    )
    body = assert_problem(response, 422, "schema-violation")
    assert [(e["field"], e["reason"]) for e in body["errors"]] == [("nip", "plain-nip")]
    assert "tidak boleh ditulis terang" in body["errors"][0]["message"]
    assert registry.service.size == size


def test_free_text_with_a_phone_number_is_refused_before_the_log(history: History) -> None:
    registry = history.registry
    size = registry.service.size
    revocation = {"type": "revocation", "entry": history.pact, "reason": "hubungi 0812-3456-7890"}
    response = registry.post(registry.sign("ppk-jabar", revocation))
    body = assert_problem(response, 422, "schema-violation")
    assert [(e["field"], e["reason"]) for e in body["errors"]] == [("reason", "phone-in-text")]
    assert "0812-3456-7890" not in response.text
    assert registry.service.size == size
