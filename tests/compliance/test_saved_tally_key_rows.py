"""Today's signers table (``/api/compliance/signers``) from the saved tally: at a restart
without restoring the index (with its filters and paging; a recommendation turning overdue
as the day passes its deadline), fed with what is registered after it (a successor key
carrying its predecessor's record), and never from a tally the registry did not save for
this log as it is (edited bytes, a broken seal, a tally of the format before this one).
``/api/compliance/signers/{kid}`` of the PPK likewise (its recommendations read from the
log), of an unknown key (404) too (a key of another role: ``test_saved_tally_other_keys``).
The PPK's page (``/signers/{kid}``) and ``/api/profiles/signers/{kid}`` likewise; for a key that is
no PPK's they answer 404 without the index.

The history of ``test_saved`` (eleven entries: a Pj PPK of "Pemerintah Provinsi Jawa
Barat" enrolled at entry 3, two recommendations to it, 7 followed up and 8 due on
2024-10-11, its pact 9), served with "today" fixed; ``/api/dashboard/signers`` with a
filter computes the same table from every fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import update

from registry.compliance import tally_bytes
from registry.compliance.dashboard import signer_page
from registry.compliance.tally import NationalTally
from registry.compliance.views import signer
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import ENTRIES
from registry.verify.trust import b64url, unb64url
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, recommendation, register
from tests.api.test_succession import SUCCESSOR, succession
from tests.compliance import test_saved_tally_instansi as instansi
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import fill, running, seal_flipped
from tests.compliance.test_saved_tally import (
    AFTER_DUE,
    index_restored,
    restore_the_index,
    tally_rows,
)
from tests.records.test_tampering import assert_tampered, edit, stored

tallied, computed, saved_history = instansi.table_of("signers")
"""Today's signers from the tally, computed from the facts, and saved with a history."""


def answered(registry: Registry, **params: str) -> dict[str, Any]:
    """``/api/compliance/signers`` as it answers."""
    response = registry.client.get("/api/compliance/signers", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_restart_answers_todays_signers_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    [row] = saved_history(settings, operator)
    assert (row["role"], row["head_type"], row["enrolment"]) == ("ppk", "pj", 3)
    assert row["recommendations"]["entries"] == [7, 8]
    assert (row["followed_up"]["entries"], row["pending"]["entries"]) == ([10], [8])
    assert row["pacts"] == {"value": 1, "entries": [9]}
    assert row["predecessors"] == []
    with running(settings, operator) as registry:
        assert tallied(registry) == [row]
        for asked in ({"instansi": row["instansi"]}, {"province": "Jawa Barat"},
                      {"head_type": "pj"}):  # fmt: skip
            assert tallied(registry, **asked) == [row], asked
        for asked in ({"instansi": "Bawaslu RI"}, {"province": "Bali"}, {"head_type": "plt"}):
            assert tallied(registry, **asked) == [], asked
        paged = answered(registry, offset="1", limit="5")
        assert (paged["total"], paged["offset"], paged["count"], paged["items"]) == (1, 1, 0, [])
        assert answered(registry, limit="1")["items"] == [row]
        assert not index_restored(registry), "answered from the saved tally alone"
        assert computed(registry) == [row]
    today(AFTER_DUE)  # the open recommendation is now overdue
    with running(settings, operator) as registry:
        [later] = tallied(registry)
        assert not index_restored(registry), "moved to the day from the saved tally alone"
        assert (later["overdue"]["entries"], later["pending"]["value"]) == ([8], 0)
        assert [later] == computed(registry)


def test_a_successor_registered_after_the_save_carries_the_record_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    later = NOW_S + 3 * DAY
    with running(settings, operator) as registry:  # answers nothing: saves no tally
        old = registry.signer("ppk-jabar").kid
        succeeded = register(registry, "ppk-jabar", succession(registry, "ppk-jabar"), later)
        addressed = register(
            registry, "recommender", recommendation(ppk_kid=SUCCESSOR.kid), later + 60
        )
    with running(settings, operator) as registry:
        rows = tallied(registry)
        assert not index_restored(registry), "every new entry taken without the index"
        assert registry.components.compliance.facts.read > 0, "read from the log"
        first, row = rows
        assert first["kid"] == b64url(old)
        assert first["key_revocation"] == succeeded, "the old key, ended by the succession"
        assert row["kid"] == b64url(SUCCESSOR.kid)
        assert row["predecessors"] == [b64url(old)]
        assert row["enrolment"] == succeeded
        assert row["recommendations"]["entries"] == [7, 8, addressed]
        assert row["followed_up"]["entries"] == [10]
        assert row["pacts"]["entries"] == [9], "its predecessor's pact"
        assert rows == computed(registry)


def recommendations_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with a recommendation counted for the PPK, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    [kid] = tally.offices.keys
    tally.by_key.add(kid, "recommendations", 99)
    return {"data": tally_bytes.encode(tally)}


def predecessor_added(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with the PPK made a successor of another key, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    [kid] = tally.offices.keys
    tally.by_key.predecessor[kid] = bytes(32)
    return {"data": tally_bytes.encode(tally)}


@pytest.mark.parametrize(
    "mutation",
    [recommendations_moved, predecessor_added, seal_flipped],
    ids=["data-recommendations-moved", "data-predecessor-added", "seal-flipped"],
)
def test_an_edited_tally_moves_no_signer_figure_and_is_saved_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    instansi.edited_and_made_again(settings, operator, "signers", mutation)


def _inexact(tally: NationalTally) -> None:
    tally.by_key.exact = False  # as once a key is enrolled a second time
    [kid] = tally.offices.keys
    tally.by_key.add(kid, "declarations", 99)  # what it cannot give


def test_an_inexact_signers_table_is_answered_from_the_index_and_the_tally_made_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    instansi.inexact_and_made_again(
        settings, operator, "signers", _inexact, lambda tally: tally.by_key.exact
    )


def test_a_tally_saved_in_the_format_before_is_not_used_and_made_again(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The format before this one (8) kept no signers: a registry upgraded from it must not
    # read the rows off the tally it saved.
    with monkeypatch.context() as older:
        older.setattr("registry.compliance.saved.TALLY_VERSION", 8)
        older.setattr("registry.compliance.tally_bytes.VERSION", 8)
        rows = saved_history(settings, operator)
    [old] = tally_rows(settings)
    with running(settings, operator) as registry:
        assert tallied(registry) == rows
        assert index_restored(registry), "made again from the facts"
    formats = {row.format for row in tally_rows(settings)}
    assert len(formats) == 2, "saved again under the new format"
    assert old.format in formats
    with running(settings, operator) as registry:
        assert tallied(registry) == rows
        assert not index_restored(registry), "the new one is read"


def test_another_day_is_that_days_own_tally_as_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # stop 32: a day no tally was saved for is that day's own tally, no more the index
    rows = saved_history(settings, operator)
    with running(settings, operator) as registry:
        found = answered(registry, as_of="2024-09-29")
        assert not index_restored(registry)
        restore_the_index(registry)
        assert answered(registry, as_of="2024-09-29") == found
        assert found["as_of"] == "2024-09-29"
        [row] = found["items"]
        assert row["followed_up"]["value"] == 0, "the follow-up is of 2024-09-30"
        assert answered(registry, as_of=BEFORE_DUE)["items"] == rows


def record(registry: Registry, kid: str) -> Any:
    """``/api/compliance/signers/{kid}`` as it answers."""
    return registry.client.get(f"/api/compliance/signers/{kid}")


def indexed_record(registry: Registry, kid: bytes) -> dict[str, Any] | None:
    """Today's record of ``kid`` computed from the index (restores it)."""
    compliance = registry.components.compliance
    snap = registry.client.blocking_portal.call(compliance.snapshot)
    return signer(snap, kid)


def test_a_restart_answers_a_ppks_record_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    [row] = saved_history(settings, operator)
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        found = record(registry, row["kid"])
        assert found.status_code == 200, found.text
        answer = found.json()
        assert not index_restored(registry), "from the saved tally and two entries read"
        assert answer["as_of"] == AFTER_DUE
        outcomes = answer.pop("recommendation_outcomes")
        assert [(o["index"], o["status"], o["follow_up"]) for o in outcomes] == [
            (7, "followed-up", 10),
            (8, "overdue", None),
        ]
        assert outcomes[0]["election"] == "pilkada-2024"
        assert (outcomes[0]["province"], outcomes[0]["head_type"]) == ("Jawa Barat", "pj")
        assert answer["overdue"]["entries"] == [8]
        unknown = record(registry, b64url(bytes(32)))
        assert unknown.status_code == 404, "a key the directory does not know"
        assert not index_restored(registry)
        want = indexed_record(registry, unb64url(row["kid"]))
        assert want is not None
        assert {"as_of": AFTER_DUE, **want} == {**answer, "recommendation_outcomes": outcomes}


def test_a_restart_serves_a_ppks_page_and_profile_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    [row] = saved_history(settings, operator)
    with running(settings, operator) as registry:
        profile = registry.client.get(f"/api/profiles/signers/{row['kid']}")
        assert profile.status_code == 200, profile.text
        html = registry.client.get(f"/signers/{row['kid']}")
        assert html.status_code == 200, html.text
        missing = registry.client.get(f"/signers/{b64url(bytes(32))}")
        assert missing.status_code == 404
        recommender = b64url(registry.signer("recommender").kid)
        assert registry.client.get(f"/api/profiles/signers/{recommender}").status_code == 404
        assert not index_restored(registry), "from the saved tally and the entries it names"
        found = profile.json()
        assert found["checkpoint"]["size"] == 11
        assert [s["index"] for s in found["signed"]] == [9]
        assert [o["index"] for o in found["recommendation_outcomes"]] == [7, 8]
        assert found["rate_by_month"][-1]["followed_up"] == 1
        assert 'href="/v/9"' in html.text, "its pact on the page"
        compliance = registry.components.compliance
        snap = registry.client.blocking_portal.call(compliance.snapshot)
        want = signer_page(snap, unb64url(row["kid"]))
        assert want is not None
        assert {k: v for k, v in found.items() if k != "checkpoint"} == {
            "as_of": BEFORE_DUE,
            **want,
        }


def test_a_signers_figure_past_the_group_bound_links_its_entries(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        [row] = tallied(registry)
        recs = row["recommendations"]
        assert "entries" not in recs
        assert (recs["value"], recs["entries_total"]) == (2, 2), "the tally keeps the count"
        listed = registry.client.get(recs["entries_url"])
        assert listed.status_code == 200, listed.text
        assert listed.json()["entries"] == [7, 8]
        assert row["pacts"] == {"value": 1, "entries": [9]}, "one entry: listed"
    with running(settings, operator) as registry:
        # More recommendations addressed to the key than the tally lists: found through the
        # search table and counted (test_saved_tally_many_recommendations.py).
        assert tallied(registry) == [row]
        assert not index_restored(registry)
        found = record(registry, row["kid"]).json()
        assert [o["index"] for o in found["recommendation_outcomes"]] == [7, 8]


def test_an_edited_recommendation_is_refused_by_the_keys_record_never_shown(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # The record reads the key's recommendations from the log: one edited in the database
    # is refused with the tamper evidence, as every checked read is, not shown as edited.
    [row] = saved_history(settings, operator)
    statement = bytes(stored(settings, 8).statement)
    edited = statement[:-1] + bytes([statement[-1] ^ 1])
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == 8).values(statement=edited))
    with running(settings, operator) as registry:
        assert_tampered(record(registry, row["kid"]), 8, "statement")
        assert_tampered(registry.client.get(f"/api/profiles/signers/{row['kid']}"), 8, "statement")
        assert not index_restored(registry)


def test_a_tally_moved_on_while_its_entries_were_read_leaves_the_answer_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A process whose index feeds its tally may take an entry while a record's entries are
    # read (an await): the tally then names one the read did not return. Played here by a
    # read that returns one entry fewer: the index answers, the same record.
    [row] = saved_history(settings, operator)
    with running(settings, operator) as registry:
        want = record(registry, row["kid"]).json()
        facts = registry.components.compliance.facts
        read = facts.facts_at

        async def one_fewer(indexes: Any) -> Any:
            found = await read(indexes)
            found.pop(max(found))
            return found

        monkeypatch.setattr(facts, "facts_at", one_fewer)
        assert not index_restored(registry)
        found = record(registry, row["kid"])
        assert found.status_code == 200, found.text
        assert index_restored(registry), "answered from the index"
        assert found.json() == want
        page = registry.client.get(f"/api/profiles/signers/{row['kid']}")
        assert page.status_code == 200, page.text
