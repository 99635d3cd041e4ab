"""A person's key replaced by a successor key (``key-succession``), over HTTP on both backends.

The acting governor of Jawa Barat (``ppk-jabar``) received two recommendations
and followed one up with the old key; the key is then succeeded.  The new key
follows up the other recommendation, the old one signs nothing more, and the
compliance figures and the track record follow the person across the keys.
"""

from __future__ import annotations

from typing import Any

from registry.signing.cose import CoseSigner
from registry.verify.trust import b64url
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_compliance import (  # the history fixture too
    DAY,
    JABAR,
    History,
    follow_up,
    history,
    register,
    track,
)
from tests.api.test_registration import assert_problem
from tests.factories import fixed_key

__all__ = ["history"]  # the fixture the tests below take, from test_compliance

SUCCESSOR = CoseSigner(fixed_key("ppk-jabar-new-key"))


def succession(registry: Registry, old: str, **changes: Any) -> dict[str, Any]:
    payload = {
        "type": "key-succession",
        "kid": registry.signer(old).kid,
        "public_key": SUCCESSOR.public_key,
        "reason": "Kunci lama hilang bersama ponsel",
    }
    payload.update(changes)
    return payload


def _succeed(history: History) -> int:
    registry = history.registry
    return register(registry, "ppk-jabar", succession(registry, "ppk-jabar"), NOW_S + 4 * DAY)


def test_the_successor_signs_for_the_same_office_and_the_old_key_no_longer_does(
    history: History,
) -> None:
    registry = history.registry
    index = _succeed(history)
    view = registry.client.get(f"/entries/{index}", headers={"accept": "application/json"})
    assert view.json()["type"] == "key-succession"
    registry.signers["ppk-jabar-new-key"] = SUCCESSOR
    answer = register(
        registry, "ppk-jabar-new-key", follow_up(history.recs[1], "2024-10-02"), NOW_S + 5 * DAY
    )
    assert answer > index
    late = registry.sign("ppk-jabar", pact(place="Sesudah"), NOW_S + 6 * DAY)
    assert_problem(registry.post(late), 403, "revoked-key")


def test_compliance_and_track_record_follow_the_person(history: History) -> None:
    registry = history.registry
    _succeed(history)
    registry.signers["ppk-jabar-new-key"] = SUCCESSOR
    answer = register(
        registry, "ppk-jabar-new-key", follow_up(history.recs[1], "2024-10-02"), NOW_S + 5 * DAY
    )
    new = history.get(f"/api/compliance/signers/{b64url(SUCCESSOR.kid)}", as_of="2025-01-01")
    assert new["predecessors"] == [b64url(registry.signer("ppk-jabar").kid)]
    assert new["recommendations"] == {"value": 2, "entries": history.recs}
    assert new["followed_up"]["entries"] == [history.follow_up, answer]
    assert new["followed_up_by_others"]["value"] == 0
    assert new["pacts"]["entries"] == [history.pact]
    assert (new["name"], new["instansi"], new["jabatan"]) == (
        "Bey Machmudin",
        JABAR,
        "Penjabat Gubernur Jawa Barat",
    )
    response = track(history, "bawaslu", f"name=Bey%20Machmudin&instansi={JABAR}")
    assert response.status_code == 200, response.text
    record = response.json()
    assert len(record["offices"]) == 2
    assert record["totals"]["recommendations"]["value"] == 2
    assert record["totals"]["followed_up"]["entries"] == [history.follow_up, answer]


def test_only_the_holder_or_an_admin_may_name_a_successor(history: History) -> None:
    registry = history.registry
    by_other = registry.sign("ppk-banten", succession(registry, "ppk-jabar"), NOW_S + 4 * DAY)
    assert_problem(registry.post(by_other), 403, "wrong-role")
    by_admin = registry.operator.admin.sign_statement(
        succession(registry, "ppk-jabar"), "operator", NOW_S + 4 * DAY
    )
    assert registry.post(by_admin).status_code == 201


def test_a_successor_already_enrolled_or_a_key_unknown_is_refused(history: History) -> None:
    registry = history.registry
    taken = succession(registry, "ppk-jabar", public_key=registry.signer("asn-jabar").public_key)
    assert_problem(
        registry.post(registry.sign("ppk-jabar", taken, NOW_S + 4 * DAY)), 409, "already-enrolled"
    )
    unknown = succession(registry, "ppk-jabar", kid=bytes(32))
    statement = registry.operator.admin.sign_statement(unknown, "operator", NOW_S + 4 * DAY)
    assert_problem(registry.post(statement), 404, "unknown-key")
    _succeed(history)
    again = registry.operator.admin.sign_statement(
        succession(registry, "ppk-jabar", public_key=CoseSigner(fixed_key("x")).public_key),
        "operator",
        NOW_S + 5 * DAY,
    )
    assert_problem(registry.post(again), 409, "revoked-key")
