"""The dashboard by an election and/or a head type with ``since``, or as of another day than
today (``until``), from that scope's own tally (``registry/compliance/scoped_tallies.py``:
a day's is made as of that day and never moved), on both databases: the same tables, CSV,
page and figure listings as the whole index's, without restoring it; a restart reads the
saved rows; an edited row is not used; a statement registered later but dated before the
day moves the day's figures as it moves the index's; the saved days are bounded and the
keeper leaves them.  (A long log's pass for a past day, in the background:
``test_saved_scoped_tallies``.)

The history of ``test_saved`` (eleven entries: a report, recommendations 7 and 8 and a pact
of ``pilkada-2024`` on 2024-09-27, a follow-up of 7 on 2024-09-30), served on 2024-10-05.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registry.compliance import scoped_tallies
from registry.compliance.scoped_tally import DATED
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import NOW_S, pact
from tests.api.test_compliance import DAY, follow_up, register
from tests.compliance.test_saved import running
from tests.compliance.test_saved_scoped_tallies import (
    answered,
    edit_row,
    from_the_index,
    restore_the_index,
    scoped_rows,
    seal_flipped,
)
from tests.compliance.test_saved_tally import index_restored, saved_history
from tests.compliance.test_saved_tally_dashboard import api, page, shown

PAST = "2024-09-29"
"""After the recommendations, before the follow-up answering 7 (2024-09-30)."""
FILTERS = [
    {"election": "pilkada-2024", "since": "2024-09-27"},
    {"head_type": "pj", "until": PAST},
    {"election": "pilkada-2024", "until": PAST},
    {"election": "pilkada-2024", "head_type": "pj", "since": "2024-09-27", "until": PAST},
    {"since": "2024-09-27"},  # since alone, every election and head type (stop 31)
    {"since": "2024-09-28", "until": PAST},  # a range alone
]
ELECTION_DAY = FILTERS[2]


def csv(registry: Any, table: str, flt: dict[str, str]) -> str:
    response = registry.client.get(f"/api/dashboard/{table}", params={**flt, "format": "csv"})
    assert response.status_code == 200, response.text
    return response.text


def listed(registry: Any, flt: dict[str, str]) -> list[int]:
    """The entries behind the national recommendations figure under ``flt`` (the API's)."""
    params = {**flt, "figure": "recommendations"}
    response = registry.client.get("/api/dashboard/national/entries", params=params)
    assert response.status_code == 200, response.text
    return [item["index"] for item in response.json()["items"]]


def everything(registry: Any, flt: dict[str, str]) -> dict[str, Any]:
    """Every answer a reader of ``flt`` gets: each table (JSON, CSV), the page, a listing."""
    return {
        "json": {table: api(registry, table, **flt)["items"] for table in answered(flt)},
        "csv": {table: csv(registry, table, flt) for table in answered(flt)},
        "page": shown(page(registry, **flt)) if flt.get("head_type") is None else None,
        "listed": listed(registry, flt),
    }


def test_since_and_another_day_are_answered_without_the_index_as_the_index_answers_them(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        ours = {str(flt): everything(registry, flt) for flt in FILTERS}
        assert not index_restored(registry), "every scope, since or day, from its own tally"
        assert len(scoped_rows(settings)) == len(FILTERS), "each saved, sealed"
        for flt in FILTERS:
            answer = api(registry, "national", **flt)
            assert answer["filter"] == flt
            assert answer["as_of"] == flt.get("until", "2024-10-05")
        now = api(registry, "national", election="pilkada-2024")["items"]
        restore_the_index(registry)
        for flt in FILTERS:
            assert everything(registry, flt) == ours[str(flt)], flt
    then = ours[str(ELECTION_DAY)]["json"]["national"]
    assert then != now, "the election's figures as they stood that day, not today's"
    assert then[0]["recommendations"]["entries"] == [7, 8], "the history's, not nothing"
    assert ours[str(ELECTION_DAY)]["listed"] == [7, 8]
    with running(settings, operator) as registry:  # a restart: the rows saved answer
        for flt in FILTERS:
            assert api(registry, "national", **flt)["items"] == ours[str(flt)]["json"]["national"]
        assert not index_restored(registry)
        assert registry.components.compliance.facts.read == 0, "nothing passed again"


def test_a_statement_registered_later_but_dated_before_the_day_moves_it_as_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # A statement may claim a day up to 48 hours back (an import, any day): registered after
    # the day's tally was made and saved, it counts in that day's figures; one dated after
    # the day counts in none of them.
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        before = api(registry, "national", **ELECTION_DAY)["items"]
        register(registry, "ppk-jabar", follow_up(8, "2024-09-28"), NOW_S + DAY + 60)
        register(registry, "ppk-jabar", pact(place="Cirebon"), NOW_S + 4 * DAY)
        after = api(registry, "national", **ELECTION_DAY)["items"]
        assert after != before, "the follow-up dated before the day answers 8 as of it"
        assert not index_restored(registry)
        assert after == from_the_index(registry, ELECTION_DAY)["national"]
    with running(settings, operator) as registry:  # from the row saved since
        assert api(registry, "national", **ELECTION_DAY)["items"] == after
        assert not index_restored(registry)


def test_an_edited_saved_day_or_since_is_not_used(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    flts = [FILTERS[0], ELECTION_DAY]
    with running(settings, operator) as registry:
        ours = [api(registry, "national", **flt)["items"] for flt in flts]
    for row in scoped_rows(settings):
        edit_row(settings, row.format, seal_flipped(bytes(row.data), bytes(row.seal)))
    with running(settings, operator) as registry:
        assert [api(registry, "national", **flt)["items"] for flt in flts] == ours
        assert registry.components.compliance.facts.read >= 11, "the log passed again"
        assert not index_restored(registry)


def test_the_days_saved_are_bounded_and_the_keeper_leaves_them(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Readers asking day after day (since, until) leave DATED_SAVED rows, the least
    # recently asked gone; the keeper feeds none of them (each is fed when it is asked),
    # only the scopes of the filter's choices.
    saved_history(settings, operator)
    monkeypatch.setattr(scoped_tallies, "DATED_SAVED", 2)
    election = {"election": "pilkada-2024"}
    days = [{"until": "2024-09-27"}, {"since": "2024-09-26"}, {"since": "2024-09-28"}]
    with running(settings, operator) as registry:
        api(registry, "national", **election)  # a scope of the choices: the keeper's
        for day in days:
            api(registry, "national", **election, **day)
        compliance = registry.components.compliance
        dated = compliance.scoped.prefix + DATED
        ends = {row.format: row.end_idx for row in scoped_rows(settings)}
        assert len(ends) == 3
        assert len([format for format in ends if format.startswith(dated)]) == 2
        for n in range(4):  # a segment of entries (four) more
            register(registry, "ppk-jabar", pact(place=f"Cirebon {n}"), NOW_S + 4 * DAY + n)
        api(registry, "national", **election, **days[2])  # asked again: fed
        registry.client.blocking_portal.call(compliance.keep_scopes)
        again = {row.format: row.end_idx for row in scoped_rows(settings)}
        assert set(again) == set(ends)
        assert sorted(again.values()) == [11, 15, 15], "the other day's row left by the keeper"
        api(registry, "national", **election, **days[0])
        kept = {row.format: row.end_idx for row in scoped_rows(settings)}
        assert len([format for format in kept if format.startswith(dated)]) == 2
        assert sorted(kept.values()) == [15, 15, 15], "the day asked first and not since: gone"
        assert not index_restored(registry)


@pytest.mark.parametrize(
    "flt",
    [
        {"province": "Jawa Barat", "election": "pilkada-2024", "until": PAST},
        {"instansi": "Pemerintah Provinsi Jawa Barat", "head_type": "pj", "since": "2024-09-27"},
    ],
    ids=["province-election-day", "instansi-head-type-since"],
)
def test_a_province_or_instansi_beside_them_is_that_scopes_own_facts(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], flt: dict[str, str]
) -> None:
    # (stop 29's index of one province's or instansi's facts, the filter applied to it:
    # checked here beside an election or head type and a day, not changed)
    saved_history(settings, operator)
    names = ("national", "provinces", "instansi", "elections", "months", "head-types")
    with running(settings, operator) as registry:
        ours = {table: api(registry, table, **flt)["items"] for table in names}
        assert not index_restored(registry), "that scope's facts, not the whole index"
        restore_the_index(registry)
        assert ours == {table: api(registry, table, **flt)["items"] for table in names}
    assert ours["national"][0]["recommendations"]["value"] > 0, "the history's, not nothing"
