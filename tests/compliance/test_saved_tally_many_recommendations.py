"""``/api/compliance/signers/{kid}`` of a PPK key with more recommendations than the tally
lists, today, without the index.

The history of ``test_saved_tally_key_rows`` (a PPK with two recommendations, 7 followed up
and 8 overdue after its deadline), saved with a group bound of one, so that the tally only
counts the key's recommendations.  At a restart they are found through the search table,
read, and checked against the tally's count (:func:`registry.compliance.key_record.standing`):
the record equals the index's without restoring it; a search row of one deleted or moved to
another key leaves the answer to the index, which gives the same record; so does the search
table still behind the log; a row naming another key's recommendation is read and left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, update

from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import SEARCH_RECORDS
from registry.verify.trust import b64url, unb64url
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, recommendation, register
from tests.compliance.test_browsing import stall
from tests.compliance.test_saved import fill, running
from tests.compliance.test_saved_tally import AFTER_DUE, index_restored, tally_rows
from tests.compliance.test_saved_tally_key_rows import indexed_record, record, tallied
from tests.records.test_tampering import edit


@pytest.fixture
def ppk(settings: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The saved history with a group bound of one (the key's two recommendations counted,
    not listed), the search table caught up; the PPK's key."""
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        [row] = tallied(registry)  # saves the tally
        registry.client.blocking_portal.call(registry.components.records.catch_up)
    assert row["recommendations"]["entries_total"] == 2, "counted, not listed"
    [saved] = tally_rows(settings)
    assert saved.end_idx == 11
    return unb64url(row["kid"])


def answered(registry: Registry, kid: bytes) -> dict[str, Any]:
    found = record(registry, b64url(kid))
    assert found.status_code == 200, found.text
    answer = dict(found.json())
    assert answer.pop("as_of") == AFTER_DUE
    return answer


def same(answer: dict[str, Any], want: dict[str, Any] | None) -> None:
    """``answer`` is the index's record ``want``, a figure past the group bound linked (its
    count the index's)."""
    assert want is not None
    assert answer.keys() == want.keys()
    for name, value in want.items():
        got = answer[name]
        if isinstance(got, dict) and "entries_url" in got:
            assert got["value"] == value["value"], name
            assert got["entries_total"] == len(value["entries"]), name
        else:
            assert got == value, name


def test_a_restart_finds_the_recommendations_the_tally_only_counts_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], ppk: bytes
) -> None:
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        answer = answered(registry, ppk)
        assert not index_restored(registry), "found through the search table, counted"
        outcomes = answer["recommendation_outcomes"]
        assert isinstance(outcomes, list)
        assert [(o["index"], o["status"]) for o in outcomes] == [
            (7, "followed-up"),
            (8, "overdue"),
        ]
        same(answer, indexed_record(registry, ppk))


@pytest.mark.parametrize("edited", ["row-deleted", "row-moved-to-another-key"])
def test_a_search_row_edited_away_leaves_the_many_recommendations_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    ppk: bytes,
    edited: str,
) -> None:
    rows = SEARCH_RECORDS
    if edited == "row-deleted":
        edit(settings, delete(rows).where(rows.c.idx == 7))
    else:
        edit(settings, update(rows).where(rows.c.idx == 7).values(kid=bytes(32)))
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        answer = answered(registry, ppk)
        assert index_restored(registry), "one short of the tally's count: the index"
        same(answer, indexed_record(registry, ppk))
        outcomes = answer["recommendation_outcomes"]
        assert isinstance(outcomes, list)
        assert [o["index"] for o in outcomes] == [7, 8]


def test_a_search_row_naming_another_keys_recommendation_is_read_and_left_out(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], ppk: bytes
) -> None:
    with running(settings, operator) as registry:
        papua = registry.enrol("ppk-papua", province="Papua", term_end="2099-12-31").kid
        other = register(registry, "recommender", recommendation(ppk_kid=papua), NOW_S + DAY)
        registry.client.blocking_portal.call(registry.components.records.catch_up)
    edit(settings, update(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == other).values(kid=ppk))
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        answer = answered(registry, ppk)
        assert not index_restored(registry), "read, found addressed to Papua's PPK, left out"
        same(answer, indexed_record(registry, ppk))
        assert [o["index"] for o in answer["recommendation_outcomes"]] == [7, 8]


def test_a_search_table_behind_leaves_the_many_recommendations_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    ppk: bytes,
) -> None:
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        stall(registry.components.records, monkeypatch)
        # the table's mark still says it holds the log: make it behind
        registry.components.records.held = 0
        answer = answered(registry, ppk)
        assert index_restored(registry)
        same(answer, indexed_record(registry, ppk))
