"""Replays over HTTP on both backends: one encoding per statement, one entry per signed content.

Anyone holding a registered statement, with no key, can re-encode its COSE
envelope (untag it, write its array or its lengths another way, put something
in the unprotected header); the signer (or a non-deterministic signer) can sign
the same content again.  None of those may become a new entry: the re-encodings
are refused (``non-canonical-encoding``), a second valid signature is the entry
already there (200).  So a replayed recommendation moves no compliance figure,
and a revoked pact does not come back unrevoked.
"""

from __future__ import annotations

from typing import Any

import pytest

from registry.verify.trust import b64url
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_compliance import follow_up, recommendation
from tests.api.test_registration import assert_problem
from tests.factories import fixed_key, reencodings, signed_again

REFUSED = {"trailing-byte": "malformed-statement"}
"""The problem type of each re-encoding that is not ``non-canonical-encoding``."""
REFUSED_CODE = "non-canonical-encoding"


def size(registry: Registry) -> int:
    response = registry.client.get("/health")
    assert response.status_code == 200
    return int(response.json()["size"])


def register(registry: Registry, statement: bytes) -> int:
    response = registry.post(statement)
    assert response.status_code == 201, response.text
    return int(response.headers["x-registry-entry-index"])


def assert_replays_change_nothing(
    registry: Registry, statement: bytes, label: str, index: int
) -> None:
    """Every re-encoding of entry ``index``'s ``statement`` is refused; another signature by
    ``label``'s key is that entry; the log does not grow."""
    before = size(registry)
    for name, replay in reencodings(statement).items():
        assert_problem(registry.post(replay), 400, REFUSED.get(name, REFUSED_CODE))
    again = signed_again(statement, fixed_key(label))
    assert again != statement
    response = registry.post(again)
    assert response.status_code == 200, response.text
    assert int(response.headers["x-registry-entry-index"]) == index
    assert registry.client.get(f"/entries/{index}/statement").content == statement
    assert size(registry) == before


def test_each_reencoding_is_refused_and_a_second_signature_is_the_same_entry(
    registry: Registry,
) -> None:
    registry.enrol("ppk-jabar")
    statement = registry.sign("ppk-jabar", pact())
    first = registry.post(statement)
    assert first.status_code == 201
    body = assert_problem(registry.post(reencodings(statement)["untagged"]), 400, REFUSED_CODE)
    assert body["title"] == "Statement is not in its one accepted encoding"
    assert_replays_change_nothing(
        registry, statement, "ppk-jabar", int(first.headers["x-registry-entry-index"])
    )
    again = registry.post(signed_again(statement, fixed_key("ppk-jabar"), b"once more"))
    assert again.status_code == 200
    assert again.headers["location"] == first.headers["location"]
    assert again.content == first.content  # the entry's receipt, for the bytes it logs


def test_second_signature_with_a_bad_signature_is_refused_not_answered(
    registry: Registry,
) -> None:
    # The same content under a signature that does not hold: not a way to claim the entry.
    registry.enrol("ppk-jabar")
    statement = registry.sign("ppk-jabar", pact())
    register(registry, statement)
    forged = bytearray(signed_again(statement, fixed_key("ppk-jabar")))
    forged[-1] ^= 1
    assert_problem(registry.post(bytes(forged)), 400, "bad-signature")


SIGNERS = (
    ("recommender", "recommender", {"instansi": "KemenPAN-RB/BKN"}),
    ("ppk-jabar", "ppk", {}),
)


@pytest.fixture
def recommended(registry: Registry) -> tuple[Registry, list[int], bytes]:
    """Two recommendations to the governor of Jawa Barat; the first followed up."""
    for label, role, changes in SIGNERS:
        registry.enrol(label, role, term_end="2099-12-31", **changes)
    ppk = registry.signer("ppk-jabar").kid
    first = registry.sign("recommender", recommendation(ppk_kid=ppk), NOW_S + 60)
    second = registry.sign(
        "recommender", recommendation(ppk_kid=ppk, case_number="NET.2024.00002"), NOW_S + 120
    )
    recs = [register(registry, first), register(registry, second)]
    register(registry, registry.sign("ppk-jabar", follow_up(recs[0]), NOW_S + 3 * 86_400))
    return registry, recs, second


def figures(registry: Registry) -> dict[str, Any]:
    kid = b64url(registry.signer("ppk-jabar").kid)
    signer = registry.client.get(f"/api/compliance/signers/{kid}", params={"as_of": "2025-01-01"})
    national = registry.client.get("/api/compliance/national", params={"as_of": "2025-01-01"})
    assert signer.status_code == national.status_code == 200
    return {"signer": signer.json(), "national": national.json()}


def test_a_replayed_recommendation_moves_no_compliance_figure(
    recommended: tuple[Registry, list[int], bytes],
) -> None:
    registry, recs, second = recommended
    before = figures(registry)
    assert before["signer"]["recommendations"] == {"value": 2, "entries": recs}
    assert before["signer"]["overdue"] == {"value": 1, "entries": [recs[1]]}
    assert_replays_change_nothing(registry, second, "recommender", recs[1])
    assert figures(registry) == before


def test_a_revoked_pact_does_not_come_back_unrevoked(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    statement = registry.sign("ppk-jabar", pact())
    index = register(registry, statement)
    revocation = {"type": "revocation", "entry": index, "reason": "salah tanggal"}
    register(registry, registry.sign("ppk-jabar", revocation))
    pacts = registry.client.get("/api/entries", params={"type": "pact"}).json()["total"]
    assert_replays_change_nothing(registry, statement, "ppk-jabar", index)
    again = registry.post(signed_again(statement, fixed_key("ppk-jabar"), b"after revocation"))
    assert again.status_code == 200
    assert int(again.headers["x-registry-entry-index"]) == index
    view = registry.client.get(f"/entries/{index}", headers={"accept": "application/json"}).json()
    assert view["status"]["revoked"] is True
    assert registry.client.get("/api/entries", params={"type": "pact"}).json()["total"] == pacts
