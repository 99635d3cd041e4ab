"""One election's head-types table (``/api/compliance/head-types?election=``) from the national
tally and the election's scoped tally, on both databases: without restoring the index, as
the index answers it (JSON and CSV; today, a past day, the keys in office another day, an
election the log does not name); 503 with ``Retry-After`` in the reader's language while
the election's first pass runs; a figure past the bound links the listing of its table.

The history of ``test_saved`` (eleven entries: one Pj PPK, two recommendations of
``pilkada-2024``, a pact), served with "today" fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import running
from tests.compliance.test_saved_day_tallies import SAVED_DAY, day_saved
from tests.compliance.test_saved_scoped_tallies import (
    assert_told_to_come_back,
    passes_never_end,
    scoped_rows,
)
from tests.compliance.test_saved_tally import index_restored, restore_the_index, saved_history

ELECTION = "pilkada-2024"
ASKED = [
    {"election": ELECTION},
    {"election": ELECTION, "on": "2024-10-01"},  # the keys in office another day
    {"election": "none-such"},  # named by no record: nothing made, nothing saved
]


def heads(registry: Registry, **params: str) -> Any:
    response = registry.client.get("/api/compliance/head-types", params=params)
    assert response.status_code == 200, response.text
    return response.json() if params.get("format") != "csv" else response.text


def every(registry: Registry, asked: list[dict[str, str]]) -> list[Any]:
    """Each of ``asked`` as JSON and as CSV."""
    return [heads(registry, **params, **fmt) for params in asked for fmt in ({}, {"format": "csv"})]


def test_one_elections_head_types_are_answered_without_the_index_as_the_index_answers_them(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        ours = every(registry, ASKED)
        assert not index_restored(registry), "from the national tally and the election's"
        assert len(scoped_rows(settings)) == 1, "the election's tally saved; none-such's not"
        restore_the_index(registry)
        assert ours == every(registry, ASKED)
    acting = ours[0]["acting"]
    assert acting["election"] == ELECTION
    assert acting["instansi_led_with_recommendations"] == {"value": 1, "entries": [3, 7, 8]}
    assert ours[4]["acting"]["instansi_led_with_recommendations"]["value"] == 0
    assert ours[0]["as_of"] == ours[0]["on"] == BEFORE_DUE
    with running(settings, operator) as registry:  # a restart: the saved rows answer
        assert every(registry, ASKED) == ours
        assert not index_restored(registry)


def test_one_elections_head_types_of_a_past_day_are_its_day_tallys(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    day_saved(settings, operator, today)
    asked = [{**params, "as_of": SAVED_DAY} for params in ASKED]
    with running(settings, operator) as registry:
        ours = every(registry, asked)
        assert not index_restored(registry), "the day's saved tally and the election's of it"
        restore_the_index(registry)
        assert ours == every(registry, asked)
    assert ours[0]["as_of"] == SAVED_DAY
    assert ours[0]["acting"]["instansi_led_with_recommendations"]["value"] == 1


def test_one_elections_head_types_while_its_pass_runs_are_told_to_come_back(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    passes_never_end(monkeypatch)
    with running(settings, operator) as registry:
        registry.components.compliance.scoped.inline_most = 5  # eleven entries: "long"
        assert_told_to_come_back(registry, "/api/compliance/head-types", {"election": ELECTION})
        assert not index_restored(registry)


def test_a_figure_past_the_bound_links_its_tables_listing(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        answer = heads(registry, election=ELECTION)
        assert not index_restored(registry)
        own = answer["acting"]["instansi_led_with_recommendations"]
        assert own["entries_total"] == 3
        assert own["entries_url"].startswith("/api/dashboard/head-types/entries?")
        assert f"election={ELECTION}" in own["entries_url"], "the election's own figure"
        [row] = answer["items"]
        every_election = row["recommendations"]  # every election's, as the unfiltered table's
        assert every_election["entries_url"].startswith("/api/compliance/entries?")
        for figure, want in ((own, [3, 7, 8]), (every_election, [7, 8])):
            listed = registry.client.get(figure["entries_url"])
            assert listed.status_code == 200, listed.text
            body = listed.json()  # the dashboard's listing has items, the compliance API's not
            found = [i["index"] for i in body["items"]] if "items" in body else body["entries"]
            assert found == want
