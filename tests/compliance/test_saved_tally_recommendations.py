"""Today's recommendations list (``/api/compliance/recommendations``) without the index: at
a restart from the saved tally and the record search's table, with each filter, the same
rows as :func:`registry.compliance.views.recommendations` from the index; what an edit of
``search_records`` or of an entry can do; a table still being written; CSV and other days
from the index.

The history of ``test_saved`` (eleven entries: a Pj PPK of "Pemerintah Provinsi Jawa
Barat" enrolled at entry 3, recommendations 7 and 8 to it, 7 followed up by 10 and 8 due
on 2024-10-11), served with "today" fixed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, update

from registry.compliance import service
from registry.compliance.tally import NationalTally
from registry.compliance.views import recommendations
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import ENTRIES, SEARCH_RECORDS
from registry.verify.trust import b64url
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, recommendation, register
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_browsing import BEHIND, assert_behind, stall
from tests.compliance.test_saved import running
from tests.compliance.test_saved_tally import AFTER_DUE, index_restored, restore_the_index
from tests.compliance.test_saved_tally_key_rows import saved_history
from tests.records.test_tampering import assert_tampered, edit, stored

OFFICE = "Pemerintah Provinsi Jawa Barat"
URL = "/api/compliance/recommendations"


def listed(registry: Registry, **params: str) -> dict[str, Any]:
    """The list as the API answers it."""
    response = registry.client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def indexed(registry: Registry, **params: Any) -> list[dict[str, Any]]:
    """Today's list computed from the (restored) index."""
    compliance = registry.components.compliance
    snap = registry.client.blocking_portal.call(compliance.snapshot)
    return recommendations(snap, **params)


def filters(registry: Registry) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """Each filter as the API takes it, and as the view does."""
    ppk, other = registry.signer("ppk-jabar").kid, registry.signer("recommender").kid
    return [
        ({}, {}),
        ({"ppk": b64url(ppk)}, {"ppk": ppk}),
        ({"ppk": ppk.hex(), "instansi": OFFICE}, {"ppk": ppk, "instansi": OFFICE}),
        ({"ppk": b64url(other)}, {"ppk": other}),
        ({"instansi": OFFICE}, {"instansi": OFFICE}),
        ({"instansi": "Bawaslu RI"}, {"instansi": "Bawaslu RI"}),
        ({"status": "pending"}, {"status": "pending"}),
        ({"status": "overdue", "instansi": OFFICE}, {"status": "overdue", "instansi": OFFICE}),
        ({"status": "followed-up"}, {"status": "followed-up"}),
    ]


def written(settings: Settings, operator: OperatorKeys) -> None:
    """The history, its tally saved and ``search_records`` written (by a first list)."""
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        assert [row["index"] for row in listed(registry)["items"]] == [7, 8]


def answers_everything_as_the_index(registry: Registry, day: str) -> None:
    found = [(params, listed(registry, **params)) for params, _ in filters(registry)]
    assert not index_restored(registry), "from the saved tally, the table and the log"
    for (params, answer), (_, asked) in zip(found, filters(registry), strict=True):
        assert answer["as_of"] == day
        assert answer["items"] == indexed(registry, **asked), params
        assert answer["count"] == len(answer["items"])


def test_a_restart_lists_todays_recommendations_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        items = listed(registry)["items"]
        assert [(o["index"], o["status"], o["follow_up"]) for o in items] == [
            (7, "followed-up", 10),
            (8, "pending", None),
        ]
        assert (items[0]["province"], items[0]["head_type"]) == ("Jawa Barat", "pj")
        assert items[0]["election"] == "pilkada-2024"
        assert listed(registry, as_of=BEFORE_DUE)["items"] == items, "today, named"
        answers_everything_as_the_index(registry, BEFORE_DUE)
    today(AFTER_DUE)  # 8 is now overdue
    with running(settings, operator) as registry:
        assert [o["status"] for o in listed(registry)["items"]] == ["followed-up", "overdue"]
        answers_everything_as_the_index(registry, AFTER_DUE)


@pytest.fixture(params=["held", "counted"])
def kept(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tally keeps the list's entries (a short list: the page is read from them), or only
    counts them (past its bound: the page is found through ``search_records``)."""
    if request.param == "counted":
        monkeypatch.setattr("registry.compliance.recommendation_pages.held", lambda *a: None)
    return str(request.param)


def test_a_deleted_search_row_hides_no_recommendation(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], kept: str
) -> None:
    written(settings, operator)
    edit(settings, delete(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 8))
    with running(settings, operator) as registry:
        pages = [listed(registry, limit="1"), listed(registry, limit="1", after="7")]
        whole = listed(registry)
        # held: the tally names 7 and 8, the table is not asked; counted: the range 0..10
        # holds two recommendation entries and one row, so the index answers
        assert index_restored(registry) == (kept == "counted")
        assert [page["total"] for page in (*pages, whole)] == [2, 2, 2]
        assert [page["next_after"] for page in (*pages, whole)] == [7, None, None]
        assert [row for page in pages for row in page["items"]] == whole["items"]
        assert whole["items"] == indexed(registry)


def test_an_edited_search_row_shows_no_recommendation_where_the_log_does_not(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], kept: str
) -> None:
    written(settings, operator)
    with running(settings, operator) as registry:
        other = registry.signer("recommender").kid
    moved = update(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 7)
    edit(settings, moved.values(kid=other, instansi="Bawaslu RI"))
    with running(settings, operator) as registry:
        assert listed(registry, ppk=b64url(other))["items"] == []
        assert listed(registry, instansi="Bawaslu RI")["items"] == []
        assert not index_restored(registry), "the rows read again did not match: not shown"
        ppk = registry.signer("ppk-jabar").kid
        found = listed(registry, ppk=b64url(ppk), limit="1")
        assert index_restored(registry) == (kept == "counted"), "counted: too few, the index"
        rest = listed(registry, ppk=b64url(ppk), after="7")
        assert [found["total"], found["next_after"], rest["next_after"]] == [2, 7, None]
        assert found["items"] + rest["items"] == indexed(registry, ppk=ppk), "not lost"
        assert [row["index"] for row in found["items"] + rest["items"]] == [7, 8]


def test_an_edited_recommendation_is_refused_never_listed(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    written(settings, operator)
    statement = bytes(stored(settings, 8).statement)
    edited = statement[:-1] + bytes([statement[-1] ^ 1])
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == 8).values(statement=edited))
    with running(settings, operator) as registry:
        assert_tampered(registry.client.get(URL), 8, "statement")
        assert_tampered(registry.client.get(URL, params={"status": "pending"}), 8, "statement")
        assert_tampered(registry.client.get(URL, params={"after": "7"}), 8, "statement")
        # a page reads its own recommendations only: the first, of entry 7, holds no edit
        assert [row["index"] for row in listed(registry, limit="1")["items"]] == [7]
        assert not index_restored(registry)


def test_a_list_while_the_table_is_written_is_told_to_come_back(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        records = registry.components.records
        stall(records, monkeypatch)
        short = listed(registry)["items"]  # the tally names its entries: no table asked
        assert [row["index"] for row in short] == [7, 8]
        monkeypatch.setattr("registry.compliance.recommendation_pages.held", lambda *a: None)
        for lang, words in BEHIND:  # a list found through the table waits for it
            assert_behind(registry.client.get(URL, headers={"accept-language": lang}), words)
        assert not index_restored(registry), "not the index instead: it is what this spares"
        monkeypatch.undo()
        registry.client.blocking_portal.call(records.close)
        assert [row["index"] for row in listed(registry)["items"]] == [7, 8]


def test_csv_is_the_page_without_the_index_and_another_day_is_that_days_tally(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    written(settings, operator)
    with running(settings, operator) as registry:
        csv = registry.client.get(URL, params={"format": "csv"})
        assert csv.status_code == 200, csv.text
        assert [line.split(",")[0] for line in csv.text.splitlines()[1:]] == ["7", "8"]
        assert not index_restored(registry), "today's CSV is the JSON page, read as it is"
    with running(settings, operator) as registry:
        earlier = listed(registry, as_of="2024-09-29")
        assert not index_restored(registry), "that day's own tally (stop 32)"
        restore_the_index(registry)
        assert listed(registry, as_of="2024-09-29") == earlier
        assert earlier["as_of"] == "2024-09-29"
        assert [row["follow_up"] for row in earlier["items"]] == [None, None]


def test_a_tally_fed_while_the_list_is_read_is_read_again_not_left_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The keeper (or another request) may feed the tally while the list's rows are found and
    # read outside the lock: they are found and read again. Played here by a tally handed
    # over before the entry registered since the save, fed while the table is asked.
    written(settings, operator)
    with running(settings, operator) as registry:  # answers nothing: the tally stays at 11
        ppk = registry.signer("ppk-jabar").kid
        added = register(registry, "recommender", recommendation(ppk_kid=ppk), NOW_S + 3 * DAY)
    monkeypatch.setattr("registry.compliance.recommendation_pages.held", lambda *a: None)
    with running(settings, operator) as registry:
        compliance, records = registry.components.compliance, registry.components.records
        fed_today, asked = compliance._today, []

        async def not_fed_yet(day: str) -> NationalTally:
            async with compliance._lock:
                tally = await compliance.tallies.fed()
            assert tally is not None
            assert tally.size == added
            return tally

        class FedMeanwhile:
            indexes, entries_of_type = records.indexes, records.entries_of_type

            async def indexes_after(self, criteria: Any, after: int, below: int, n: int) -> Any:
                asked.append(below)
                if len(asked) == 1:
                    await fed_today(service.today())
                return await records.indexes_after(criteria, after, below, n)

        monkeypatch.setattr(compliance, "_today", not_fed_yet)
        found = registry.client.blocking_portal.call(compliance.recommendations, FedMeanwhile())
        assert asked == [added, added + 1], "asked again once the tally was fed"
        assert found is not None, "not left to the index"
        assert [row["index"] for row in found.items] == [7, 8, added]
        assert not index_restored(registry)
        assert found.items == indexed(registry)


def test_a_worker_holding_the_index_answers_from_it_without_reading_the_log(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Once a worker holds the index (it answered another day, a CSV...), today's list comes
    # from it: no more memory, and not the log's reads (5 times slower for the whole list).
    written(settings, operator)
    with running(settings, operator) as registry:
        restore_the_index(registry)

        def not_the_log(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("read from the log while the index is held")

        monkeypatch.setattr("registry.compliance.recommendation_pages.paged", not_the_log)
        for params, asked in filters(registry):
            assert listed(registry, **params)["items"] == indexed(registry, **asked), params
