"""An instansi's page (``/instansi/{id}``) and profile (``/api/profiles/instansi/{id}``) from
the saved tally and the log: at a restart without restoring the index, the same as the
index's page; an unknown id 404 without the index; never what an edited entry or search
row says (a 500 ``tampered-entry``, or the index answers); the index where the tally is
inexact or moved on during the read.  Each list shows its newest entries, its total, and
the record search for the rest, in Bahasa Indonesia and English, on both paths.

The history of ``test_saved`` (eleven entries: a PPK of "Pemerintah Provinsi Jawa Barat"
enrolled at entry 3, two recommendations to it, 7 followed up by 10, its pact 9), served
with "today" fixed, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, update

from registry.api.linked import bounded
from registry.compliance.dashboard import instansi_page
from registry.compliance.filtering import slug
from registry.compliance.tally import NationalTally
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import ENTRIES, SEARCH_RECORDS
from tests.api.helpers import Registry
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_browsing import stall
from tests.compliance.test_saved import fill, running
from tests.compliance.test_saved_tally import index_restored
from tests.compliance.test_saved_tally_instansi import OFFICE, saved_history, tallied
from tests.records.test_tampering import assert_tampered, edit, stored

IDENT = slug(OFFICE)
PROFILE = f"/api/profiles/instansi/{IDENT}"
PAGE = f"/instansi/{IDENT}"


def profile(registry: Registry) -> dict[str, Any]:
    """The profile as it answers."""
    response = registry.client.get(PROFILE)
    assert response.status_code == 200, response.text
    return dict(response.json())


def indexed(registry: Registry, listed: int | None = None) -> dict[str, Any]:
    """The profile computed from the index (restores it), as the API gives it."""
    compliance = registry.components.compliance
    snap = registry.client.blocking_portal.call(compliance.snapshot)
    row = instansi_page(snap, IDENT, listed)
    assert row is not None
    return {"as_of": snap.as_of, **bounded("instansi", snap.as_of, row)}


def without_checkpoint(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "checkpoint"}


def alike(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` with each figure by its value only (a tally of group bound 1 links what the
    index lists)."""
    return {
        k: v["value"] if isinstance(v, dict) and "value" in v else v
        for k, v in without_checkpoint(answer).items()
    }


def test_a_restart_serves_an_instansis_page_and_profile_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        found = profile(registry)
        html = registry.client.get(PAGE)
        assert html.status_code == 200, html.text
        for missing in ("/api/profiles/instansi/no-such-office", "/instansi/no-such-office"):
            assert registry.client.get(missing).status_code == 404, missing
        assert not index_restored(registry), "from the saved tally and the entries it names"
        assert found["checkpoint"]["size"] == 11
        assert found["instansi"] == OFFICE
        assert [k["enrolment"] for k in found["ppks"]] == [3]
        assert found["ppks"][0]["in_office"] is True
        assert [o["index"] for o in found["recommendation_outcomes"]] == [7, 8]
        assert found["recommendation_outcomes"][0]["follow_up"] == 10
        assert [s["index"] for s in found["signed"]] == [9]
        totals = [found[f"{n}_total"] for n in ("recommendation_outcomes", "signed", "steps")]
        assert totals == [2, 1, 0]
        assert found["search"]["signed"]["declaration"].startswith("/?instansi=Pemerintah+")
        assert found["rate_by_month"][-1]["followed_up"] == 1
        assert 'href="/v/9"' in html.text, "its pact on the page"
        assert 'id="more-' not in html.text, "every list whole: nothing more to search"
        assert without_checkpoint(found) == indexed(registry)


def test_each_list_shows_its_newest_and_links_the_record_search_on_both_paths(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    monkeypatch.setattr("registry.compliance.profile_lists.LISTED", 1)
    with running(settings, operator) as registry:
        found = profile(registry)
        pages = {
            lang: registry.client.get(PAGE, headers={"Accept-Language": lang}).text
            for lang in ("id", "en")
        }
        assert not index_restored(registry)
        assert [o["index"] for o in found["recommendation_outcomes"]] == [8], "the newest"
        assert found["recommendation_outcomes_total"] == 2
        assert found["rate_by_month"][-1]["recommendations"] == 2, "over every one"
        assert without_checkpoint(found) == indexed(registry, 1), "the index's page alike"
    assert "Menampilkan 1 terbaru dari 2." in pages["id"]
    assert "pencarian catatan" in pages["id"]
    assert "Showing the newest 1 of 2." in pages["en"]
    assert 'href="/?instansi=Pemerintah+Provinsi+Jawa+Barat&amp;type=recommendation' in pages["en"]
    with running(settings, operator) as registry:  # the index's page, bounded alike
        registry.client.blocking_portal.call(registry.components.compliance.snapshot)
        assert index_restored(registry)
        from_index = registry.client.get(PAGE, headers={"Accept-Language": "en"}).text
        assert "Showing the newest 1 of 2." in from_index
        assert without_checkpoint(profile(registry)) == without_checkpoint(found)


def test_an_edited_recommendation_is_refused_by_the_instansi_page_never_shown(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    statement = bytes(stored(settings, 8).statement)
    edited = statement[:-1] + bytes([statement[-1] ^ 1])
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == 8).values(statement=edited))
    with running(settings, operator) as registry:
        assert_tampered(registry.client.get(PROFILE), 8, "statement")
        assert registry.client.get(PAGE).status_code == 500
        assert not index_restored(registry)


def searched_history(settings: Settings, operator: OperatorKeys) -> dict[str, Any]:
    """The history saved with a tally listing no figure's entries past one (its group
    bound 1: the recommendations are found by the record search); the profile."""
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        tallied(registry)  # saves the tally
    with running(settings, operator) as registry:
        found = profile(registry)
        assert found["recommendations"]["entries_total"] == 2, "linked, not listed"
        assert not index_restored(registry)
        assert alike(found) == alike(indexed(registry))
    return found


@pytest.mark.parametrize(
    "mutation",
    [
        delete(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 7),
        update(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 8).values(instansi="Bawaslu RI"),
        update(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 7).values(type="report"),
    ],
    ids=["row-deleted", "row-instansi-edited", "row-type-edited"],
)
def test_a_search_row_edited_away_hides_no_recommendation_the_index_answers(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    mutation: Any,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    want = searched_history(settings, operator)
    edit(settings, mutation)
    with running(settings, operator) as registry:
        found = profile(registry)
        assert index_restored(registry), "fewer found than the tally counts: the index"
        assert [o["index"] for o in found["recommendation_outcomes"]] == [7, 8]
        assert alike(found) == alike(want)


def test_a_search_row_edited_to_name_another_entry_shows_nothing_more(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    want = searched_history(settings, operator)
    report = update(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 6)
    edit(settings, report.values(type="recommendation", instansi=OFFICE))
    with running(settings, operator) as registry:
        found = profile(registry)
        assert not index_restored(registry), "the report read, and not taken"
        assert found == want


def test_a_page_while_the_search_table_is_written_is_answered_from_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The recommendations are past the tally's lists (group bound 1): the search must find
    # them, and it is behind. The page is still served, from the index.
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    want = searched_history(settings, operator)
    with running(settings, operator) as registry:
        stall(registry.components.records, monkeypatch)
        found = profile(registry)
        assert index_restored(registry), "the search cannot say yet: the index"
        assert alike(found) == alike(want)


def test_an_inexact_tally_leaves_the_page_to_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        want = profile(registry)
        compliance = registry.components.compliance
        tally: NationalTally = registry.client.blocking_portal.call(compliance._today, BEFORE_DUE)
        tally.by_key.exact = False  # as once a key is enrolled a second time
        assert not index_restored(registry)
        found = profile(registry)
        assert index_restored(registry), "answered from the index"
        assert without_checkpoint(found) == without_checkpoint(want)


def test_a_tally_moved_on_while_the_page_was_read_leaves_it_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A process whose index feeds its tally may take an entry while the page's entries are
    # read (an await): the tally then names one the read did not return. Played here by a
    # read that returns one entry fewer: the index answers, the same page.
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        want = profile(registry)
        facts = registry.components.compliance.facts
        read = facts.facts_at

        async def one_fewer(indexes: Any) -> Any:
            found = await read(indexes)
            if found:
                found.pop(max(found))
            return found

        monkeypatch.setattr(facts, "facts_at", one_fewer)
        assert not index_restored(registry)
        found = profile(registry)
        assert index_restored(registry), "answered from the index"
        assert found == want
