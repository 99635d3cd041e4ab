"""Today's head-types table from the saved tally: at a restart without restoring the index,
fed with what is registered after it (a PPK of another head type enrolled, a recommendation
to it), and never from a tally the registry did not save for this log as it is (edited
bytes, a broken seal).

The history of ``test_saved`` (eleven entries: a Pj PPK of "Pemerintah Provinsi Jawa
Barat" enrolled at entry 3, two recommendations to it, one followed up, a pact), served
with "today" fixed; ``/api/dashboard/head-types`` and the index's
:func:`registry.compliance.heads.table` compute the same table from every fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registry.compliance import heads, tally_bytes
from registry.compliance.tally import NationalTally
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, recommendation, register
from tests.compliance import test_saved_tally_instansi as instansi
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import fill, running, seal_flipped
from tests.compliance.test_saved_tally import (
    AFTER_DUE,
    index_restored,
)

tallied, computed, saved_history = instansi.table_of("head-types")
"""Today's head-types rows from the tally, computed from the facts, and saved with a history."""
PPK = 3
"""The Pj PPK's enrolment."""


def answered(registry: Registry, **params: str) -> dict[str, Any]:
    """``/api/compliance/head-types`` as it answers (rows and the acting heads' row)."""
    response = registry.client.get("/api/compliance/head-types", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def indexed_acting(registry: Registry) -> dict[str, Any]:
    """Today's acting heads' row computed from the index (restores it)."""
    compliance = registry.components.compliance
    snap = registry.client.blocking_portal.call(compliance.snapshot)
    return heads.acting_led(snap)


def test_a_restart_answers_todays_head_types_table_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    table = saved_history(settings, operator)
    [row] = table
    assert row["head_type"] == "pj"
    assert (row["recommendations"]["entries"], row["pending"]["entries"]) == ([7, 8], [8])
    assert row["pacts"]["entries"] == [9]
    assert row["instansi_led"] == {"value": 1, "entries": [PPK]}
    assert row["instansi_led_with_recommendations"] == {"value": 1, "entries": [PPK, 7, 8]}
    with running(settings, operator) as registry:
        answer = answered(registry)
        assert answer["items"] == table
        assert answer["on"] == answer["as_of"] == BEFORE_DUE
        assert answer["acting"]["share_with_recommendations"]["value"] == 1.0
        assert not index_restored(registry), "answered from the saved tally alone"
        assert answer["acting"] == indexed_acting(registry)
        assert computed(registry) == table
    today(AFTER_DUE)  # the open recommendation is now overdue
    with running(settings, operator) as registry:
        [later] = tallied(registry)
        assert not index_restored(registry)
        assert later["overdue"]["entries"] == [8]
        assert later["pending"]["value"] == 0
        assert [later] == computed(registry)


def test_entries_registered_after_the_save_count_in_their_keys_head_types_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    bali = "Pemerintah Provinsi Bali"
    with running(settings, operator) as registry:  # answers nothing: saves no tally
        plt = registry.enrol(
            "ppk-bali", instansi=bali, province="Bali", head_type="plt", term_end="2099-12-31"
        ).kid
        to_plt = register(
            registry, "recommender", recommendation(ppk_kid=plt, instansi=bali), NOW_S + 3 * DAY
        )
    with running(settings, operator) as registry:
        answer = answered(registry)
        pj, plt_row = answer["items"]
        assert (pj["head_type"], plt_row["head_type"]) == ("pj", "plt")
        assert plt_row["recommendations"]["entries"] == [to_plt]
        assert plt_row["instansi_led_with_recommendations"]["value"] == 1
        assert answer["acting"]["instansi_led"]["value"] == 2
        assert not index_restored(registry), "every new entry taken without the index"
        assert registry.components.compliance.facts.read > 0, "read from the log"
        assert answer["items"] == computed(registry)
        assert answer["acting"] == indexed_acting(registry)


def head_types_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with a recommendation counted under ``definitive``, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    tally.provinces.head_types.add("definitive", "recommendations", 99)
    return {"data": tally_bytes.encode(tally)}


def head_dropped(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally without its PPK offices, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    tally.offices.keys.clear()
    return {"data": tally_bytes.encode(tally)}


@pytest.mark.parametrize(
    "mutation",
    [head_types_moved, head_dropped, seal_flipped],
    ids=["data-head-types-moved", "data-head-dropped", "seal-flipped"],
)
def test_an_edited_tally_moves_no_head_type_figure_and_is_saved_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    instansi.edited_and_made_again(settings, operator, "head-types", mutation)


def _inexact(tally: NationalTally) -> None:
    tally.provinces.exact = False  # as once a key is enrolled a second time elsewhere
    tally.provinces.head_types.add("definitive", "recommendations", 99)  # it cannot move


def test_an_inexact_head_types_table_is_answered_from_the_index_and_the_tally_made_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # Reached through a tally made inexact (the policy refuses a second enrolment).
    instansi.inexact_and_made_again(
        settings, operator, "head-types", _inexact, lambda tally: tally.provinces.exact
    )


def test_one_election_is_answered_from_the_tallies(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # stop 31: the national tally and the election's scoped tally (test_saved_election_heads
    # compares them with the index's)
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        answer = answered(registry, election="pilkada-2024")
        assert not index_restored(registry)
        assert answer["acting"]["election"] == "pilkada-2024"
        assert answer["items"][0]["instansi_led_with_recommendations"]["entries"] == [PPK, 7, 8]
        assert answered(registry, election="pemilu-2019")["acting"]["share_with_recommendations"][
            "value"
        ] == pytest.approx(0.0)


def _indexed(registry: Registry, on: str) -> dict[str, Any]:
    """Today's head-types table with the keys in office ``on``, computed from the index."""
    snap = registry.client.blocking_portal.call(registry.components.compliance.snapshot)
    rows, acting = heads.table(snap, on)
    return {"items": rows, "acting": acting}


def test_another_on_is_answered_from_the_saved_tally(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        answers = {on: answered(registry, on=on) for on in ("2099-12-31", "2000-01-01")}
        assert not index_restored(registry), "answered from the saved tally alone"
        in_term, before_term = answers["2099-12-31"], answers["2000-01-01"]
        assert in_term["items"][0]["instansi_led"] == {"value": 1, "entries": [PPK]}
        assert before_term["items"][0]["instansi_led"] == {"value": 0, "entries": []}
        assert (before_term["on"], before_term["acting"]["on"]) == ("2000-01-01", "2000-01-01")
        for on, answer in answers.items():
            assert {k: answer[k] for k in ("items", "acting")} == _indexed(registry, on), on


def test_another_on_with_a_figure_past_the_group_bound_links_it_with_on(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # until stop 33 computed from the index (the listing had no on): test_saved_heads_on
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        answered(registry)  # saves the tally
    with running(settings, operator) as registry:
        answer = answered(registry, on="2099-12-31")
        assert not index_restored(registry), "linked with on, not computed from the index"
        recs = answer["items"][0]["recommendations"]
        assert recs["entries_total"] == 2
        assert "on=2099-12-31" in recs["entries_url"]
        assert registry.client.get(recs["entries_url"]).json()["entries"] == [7, 8]
        assert not index_restored(registry)
        assert (
            answer["acting"]["instansi_led"]
            == _indexed(registry, "2099-12-31")["acting"]["instansi_led"]
        )


def test_a_head_types_figure_past_the_group_bound_links_its_entries(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        answer = answered(registry)
        [row] = answer["items"]
        assert row["pending"]["entries"] == [8], "one entry: listed"
        for figure in (row["recommendations"], answer["acting"]["share_with_recommendations"]):
            assert "entries" not in figure
            listed = registry.client.get(figure["entries_url"])
            assert listed.status_code == 200, listed.text
            assert listed.json()["entries"][-2:] == [7, 8]
        hit = answer["acting"]["instansi_led_with_recommendations"]
        assert hit["entries_total"] == 3
        assert registry.client.get(hit["entries_url"]).json()["entries"] == [PPK, 7, 8]
        csv = registry.client.get("/api/compliance/head-types", params={"format": "csv"})
        assert csv.status_code == 200
        assert "pj" in csv.text
