"""A JPT candidate's track record lists their OWN violations, for the panel's signed request only.

In the compliance history (tests/api/test_compliance.py) Bawaslu reports an ASN
(NIP ``NIP``, behind ``SUBJECT``), the recommender sends two recommendations
about them to the acting governor, who sanctions on one; here BKN also blocks
the ASN's staff status for the other.  When that ASN is a candidate for a senior
post (JPT), the panel sees all of it; the public and other roles see nothing.
"""

from __future__ import annotations

from registry.store.models import IdentityRecord
from registry.verify.trust import b64url
from tests.api.helpers import NOW_S
from tests.api.test_compliance import (  # the history fixture too
    DAY,
    JABAR,
    NIP,
    PPK_NIP,
    SALT,
    SUBJECT,
    History,
    history,
    recommendation,
    register,
    track,
)
from tests.api.test_registration import assert_problem

__all__ = ["history"]  # the fixture the tests below take, from test_compliance


def candidate(history: History) -> int:
    """Keep the ASN's identity (as a report's author does) and have BKN block their status
    for the overdue recommendation; the block's entry index."""
    registry = history.registry
    kept = IdentityRecord(commitment=SUBJECT, salt=SALT, nip=NIP, name="Asep Sunandar")
    registry.client.blocking_portal.call(registry.service.identities.keep, [kept])
    block = {
        "type": "staff-block",
        "recommendation": history.recs[1],
        "subject_commitment": SUBJECT,
        "instansi": JABAR,
        "action": "block",
        "reason": "Sanksi tidak dijatuhkan oleh PPK",
    }
    return register(registry, "bkn", block, NOW_S + 30 * DAY)


def test_the_panel_sees_the_candidates_own_violations(history: History) -> None:
    block = candidate(history)
    response = track(history, "panel", f"nip={NIP}")
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["nip"], record["name"], record["offices"]) == (NIP, "Asep Sunandar", [])
    own = record["violations"]
    assert [r["index"] for r in own["reports"]] == [history.report]
    assert [r["index"] for r in own["recommendations"]] == history.recs
    first, second = own["recommendations"]
    assert (first["status"], first["follow_up"], first["sanction_imposed"]) == (
        "followed-up",
        history.follow_up,
        "moral",
    )
    assert second["sanction_imposed"] is None
    assert [(b["index"], b["action"]) for b in own["staff_blocks"]] == [(block, "block")]
    assert own["totals"] == {"reports": 1, "recommendations": 2, "sanctioned": 1, "staff_blocks": 1}
    assert all(r["url"] == f"/entries/{r['index']}" for r in own["recommendations"])


def test_a_non_panel_key_cannot_read_the_candidates_violations(history: History) -> None:
    candidate(history)
    for label in ("ppk-jabar", "asn-jabar", "ppk-banten"):
        response = track(history, label, f"nip={NIP}")
        assert_problem(response, 403, "forbidden")
        assert "violations" not in response.text
    unsigned = track(history, None, f"nip={NIP}")
    assert_problem(unsigned, 401, "unauthenticated")
    assert "violations" not in unsigned.text


def test_an_enrolled_ppk_named_in_a_recommendation_carries_it(history: History) -> None:
    """The governor was himself recommended for sanction (by his enrolment commitment's NIP):
    his record lists the cases he handled and his own violation apart."""
    registry = history.registry
    ppk_commitment = registry.client.blocking_portal.call(
        registry.service.identities.of_nip, PPK_NIP
    )[0].commitment
    own = register(
        registry,
        "recommender",
        recommendation(
            ppk_kid=registry.signer("ppk-jabar").kid,
            subject_commitment=ppk_commitment,
            case_number="NET.2024.00077",
        ),
        NOW_S + 200,
    )
    record = track(history, "panel", f"nip={PPK_NIP}").json()
    assert [o["kid"] for o in record["offices"]] == [b64url(registry.signer("ppk-jabar").kid)]
    assert [r["index"] for r in record["violations"]["recommendations"]] == [own]
    by_name = track(history, "panel", f"name=Bey%20Machmudin&instansi={JABAR}").json()
    assert [r["index"] for r in by_name["violations"]["recommendations"]] == [own]


def test_a_person_with_no_case_has_no_violations(history: History) -> None:
    record = track(history, "panel", f"nip={PPK_NIP}").json()
    assert record["violations"]["totals"] == {
        "reports": 0,
        "recommendations": 0,
        "sanctioned": 0,
        "staff_blocks": 0,
    }
