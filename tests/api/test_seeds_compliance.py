"""Over HTTP: downgraded follow-ups, the vocabulary, SIASN blocks of ASN, the retaliation watch."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import (
    DAY,
    JABAR,
    SUBJECT,
    History,
    follow_up,
    history,
    recommendation,
    register,
)
from tests.api.test_registration import assert_problem

__all__ = ["history"]  # the fixture, used by name


def _block(rec: int, **changes: Any) -> dict[str, Any]:
    return {
        "type": "staff-block",
        "recommendation": rec,
        "subject_commitment": SUBJECT,
        "instansi": JABAR,
        "action": "block",
        "system": "SIASN",
        "reason": "Sanksi yang direkomendasikan tidak dijatuhkan",
        **changes,
    }


def _transfer(subject: bytes, at_day: str = "2024-10-20") -> dict[str, Any]:
    return {
        "type": "transfer",
        "subject_commitment": subject,
        "instansi": JABAR,
        "decision": "transfer",
        "from_post": "Kepala Seksi Pelayanan Umum",
        "to_post": "Staf Kecamatan",
        "decree_number": "821.2/9/BKD/2024",
        "decree_date": at_day,
    }


def test_a_weaker_sanction_is_downgraded_not_followed_up(history: History) -> None:
    registry = history.registry
    ppk = registry.signer("ppk-jabar").kid
    rec = register(
        registry, "recommender", recommendation(ppk_kid=ppk, sanction="medium"), NOW_S + 300
    )
    weaker = {**follow_up(rec), "sanction": "light", "idis_reference": "IDIS-2024-1"}
    answer = register(registry, "ppk-jabar", weaker, NOW_S + 4 * DAY)
    national = history.get("/api/compliance/national", as_of="2025-01-01")
    assert national["followed_up"] == {"value": 1, "entries": [history.follow_up]}
    assert national["downgraded"] == {"value": 1, "entries": [answer]}
    rows = history.get("/api/compliance/recommendations", as_of="2025-01-01", ppk=ppk.hex())
    [row] = [r for r in rows["items"] if r["index"] == rec]
    assert (row["index"], row["status"], row["downgrade"]) == (rec, "overdue", answer)
    assert (row["sanction_recommended"], row["sanction_imposed"]) == ("medium", "light")
    assert row["sanction_stated"] is True
    [claimed] = [r for r in rows["items"] if r["index"] == history.recs[0]]
    assert (claimed["status"], claimed["sanction_stated"]) == ("followed-up", False)


def test_as_strong_a_sanction_is_followed_up(history: History) -> None:
    registry = history.registry
    ppk = registry.signer("ppk-jabar").kid
    rec = register(registry, "recommender", recommendation(ppk_kid=ppk), NOW_S + 300)
    stronger = {**follow_up(rec), "sanction": "light", "idis_reference": "IDIS-2024-2"}
    answer = register(registry, "ppk-jabar", stronger, NOW_S + 4 * DAY)
    national = history.get("/api/compliance/national", as_of="2025-01-01")
    assert answer in national["followed_up"]["entries"]
    assert national["downgraded"]["value"] == 0


def test_a_free_text_category_is_refused_naming_the_field(history: History) -> None:
    registry = history.registry
    ppk = registry.signer("ppk-jabar").kid
    payload = recommendation(ppk_kid=ppk, category="Kampanye melalui media sosial")
    body = assert_problem(
        registry.post(registry.sign("recommender", payload, NOW_S + 300)), 422, "schema-violation"
    )
    assert "category" in str(body)
    served = history.registry.client.get("/api/vocabulary").json()
    assert "social-media" in [c["code"] for c in served["violation_categories"]]


def test_only_bkn_blocks_an_asn_in_siasn(history: History) -> None:
    registry = history.registry
    response = registry.post(registry.sign("ppk-jabar", _block(history.recs[1]), NOW_S + DAY))
    assert_problem(response, 403, "wrong-role")
    founded = register(registry, "bkn", _block(history.recs[1]), NOW_S + 20 * DAY)
    rows = history.get("/api/compliance/asn-blocks", as_of="2025-01-01")["items"]
    [row] = rows
    assert row["commitment"] == SUBJECT.hex()
    assert row["state"] == {"value": "blocked", "entries": [founded]}
    assert row["founded"] is True


def test_a_block_of_an_asn_already_sanctioned_is_unfounded(history: History) -> None:
    registry = history.registry
    register(registry, "bkn", _block(history.recs[0]), NOW_S + 20 * DAY)
    [row] = history.get("/api/compliance/asn-blocks", as_of="2025-01-01")["items"]
    assert row["founded"] is False


def test_a_block_naming_another_asn_than_its_recommendation_is_unfounded(
    history: History,
) -> None:
    registry = history.registry
    other = hashlib.sha256(b"someone else").digest()
    register(registry, "bkn", _block(history.recs[1], subject_commitment=other), NOW_S + 20 * DAY)
    [row] = history.get("/api/compliance/asn-blocks", as_of="2025-01-01")["items"]
    assert row["founded"] is False


def test_the_transfer_of_a_reported_asn_near_an_election_is_flagged(history: History) -> None:
    registry = history.registry
    flagged = register(registry, "ppk-jabar", _transfer(SUBJECT), NOW_S + 23 * DAY)
    untied = hashlib.sha256(b"nobody reported").digest()
    register(registry, "ppk-jabar", _transfer(untied), NOW_S + 23 * DAY)
    rows = history.get("/api/compliance/retaliation-watch", as_of="2025-01-01")["items"]
    assert [r["transfer"] for r in rows] == [flagged]
    assert rows[0]["roles"] == ["subject"]
    assert rows[0]["election"] == "pilkada-2024"
    assert history.report in rows[0]["flag"]["entries"]
    far = history.get("/api/compliance/retaliation-watch", as_of="2025-01-01", window=30)
    assert far["items"] == [], "30 days before voting day 27 November is after 20 October"


def test_only_a_ppk_signs_a_transfer(registry: Registry, history: History) -> None:
    response = registry.post(registry.sign("bkn", _transfer(SUBJECT), NOW_S + DAY))
    assert_problem(response, 403, "wrong-role")
