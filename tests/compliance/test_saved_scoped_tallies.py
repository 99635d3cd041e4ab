"""The dashboard filtered by an election and/or a head type from that scope's own tally
(``registry/compliance/scoped_tallies.py``), on both databases: the same tables as the
whole index's, without restoring it, at a restart from the row saved; an edited row is not
used; a worker holding the index answers from it; a long log's first pass is made in the
background (503, both languages); a figure past the bound links the filter's listing.

The history of ``test_saved`` (eleven entries: one PPK, head type ``pj``, a pact, a
report and two recommendations of ``pilkada-2024``), served with "today" fixed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from sqlalchemy import update

from registry.compliance import scoped_tally
from registry.compliance.dashboard import TABLES
from registry.compliance.scoped_tallies import SCOPE_TALLY
from registry.compliance.scoped_tally import Scope, answers
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import FACT_SEGMENTS
from tests.api.helpers import Registry
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import rows, running
from tests.compliance.test_saved_tally import index_restored, restore_the_index, saved_history
from tests.compliance.test_saved_tally_dashboard import LINK, api, page, shown
from tests.compliance.test_saved_tally_provinces import declarations_by_new_signers
from tests.records.test_tampering import edit

CSV_PJ = {"head_type": "pj", "format": "csv"}
FILTERS = [
    {"election": "pilkada-2024"},
    {"head_type": "pj"},
    {"election": "pilkada-2024", "head_type": "pj"},
]


def answered(flt: dict[str, str]) -> list[str]:
    scope = Scope(flt.get("election"), flt.get("head_type"), flt.get("since"), flt.get("until"))
    return [table for table in TABLES if answers(scope, table)]


def scoped_rows(settings: Settings) -> list[Any]:
    return [row for row in rows(settings) if row.format.startswith(SCOPE_TALLY)]


def from_the_index(registry: Any, flt: dict[str, str]) -> dict[str, Any]:
    """Each table ``flt``'s scope answers, from the whole index (restored first)."""
    restore_the_index(registry)
    return {table: api(registry, table, **flt)["items"] for table in answered(flt)}


def test_each_scope_is_answered_without_the_index_as_the_index_answers_it(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        ours = {str(f): {t: api(registry, t, **f) for t in answered(f)} for f in FILTERS}
        html = page(registry, **FILTERS[0])  # a head type's page shows its head-types table
        assert not index_restored(registry), "every scope from its own tally"
        until = api(registry, "national", **FILTERS[0], until=BEFORE_DUE)  # today, named
        assert until["items"] == ours[str(FILTERS[0])]["national"]["items"]
        assert not index_restored(registry), "until today beside an election: its tally too"
        assert len(scoped_rows(settings)) == len(FILTERS), "each saved, sealed"
        for flt in FILTERS:
            theirs = from_the_index(registry, flt)
            for table, answer in ours[str(flt)].items():
                assert answer["filter"] == flt
                assert answer["items"] == theirs[table], (flt, table)
        assert shown(html) == shown(page(registry, **FILTERS[0]))
    national = ours[str(FILTERS[0])]["national"]["items"][0]
    assert national["recommendations"]["entries"] == [7, 8], "the history's, not nothing"
    assert ours[str(FILTERS[1])]["national"]["items"][0]["reports"]["value"] == 0, "no head's"
    assert "head-types" in ours[str(FILTERS[1])], "a head type's too (stop 31)"
    with running(settings, operator) as registry:  # a restart: the rows saved answer
        for flt in FILTERS:
            for table, answer in ours[str(flt)].items():
                assert api(registry, table, **flt)["items"] == answer["items"]
        assert not index_restored(registry)
        compliance = registry.components.compliance
        assert compliance.facts.read == 0, "the saved rows held the log: nothing passed again"


def test_a_head_types_head_types_table_and_page_are_its_tallys(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # stop 31: the offices led counted of the head type's keys only, as the index's
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        ours = api(registry, "head-types", head_type="pj")
        csv = registry.client.get("/api/dashboard/head-types", params=CSV_PJ).text
        html = page(registry, head_type="pj")
        assert not index_restored(registry), "the table, its CSV and the page"
        restore_the_index(registry)
        assert ours["items"] == api(registry, "head-types", head_type="pj")["items"]
        assert csv == registry.client.get("/api/dashboard/head-types", params=CSV_PJ).text
        assert shown(html) == shown(page(registry, head_type="pj"))
    [row] = ours["items"]
    assert (row["head_type"], row["instansi_led"]["value"]) == ("pj", 1)


def passes_never_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scope's first pass, once started, never ends (its scope is being made)."""

    async def endless(self: Any, tally: scoped_tally.ScopedTally) -> None:
        await asyncio.sleep(3600)  # a pass that has not ended

    monkeypatch.setattr("registry.compliance.scoped_tallies.ScopedTallies._make", endless)


def assert_told_to_come_back(registry: Registry, path: str, params: dict[str, str]) -> None:
    """``path`` asked in both languages while its scope's pass runs: a 503 problem that says
    the figures are still being counted, with ``Retry-After``."""
    for lang, words in (("en", "still being counted"), ("id", "masih dihitung")):
        answer = registry.client.get(path, params=params, headers={"Accept-Language": lang})
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["Retry-After"]) > 0
        assert words in answer.json()["detail"]


def edit_row(settings: Settings, format: str, values: dict[str, Any]) -> None:
    """Set ``values`` on the saved row of ``format``, as an edit in the database would."""
    edit(settings, update(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format == format).values(values))


def seal_flipped(data: bytes, seal: bytes) -> dict[str, bytes]:
    return {"seal": bytes([seal[0] ^ 1]) + seal[1:]}


def scope_swapped(data: bytes, seal: bytes) -> dict[str, bytes]:
    # the bytes of another scope's tally under this scope's sealed name: the seal fails
    other = scoped_tally.decode(data, Scope("pilkada-2024", None))
    other.scope = Scope("pemilu-2024", None)
    return {"data": scoped_tally.encode(other)}


def garbage(data: bytes, seal: bytes) -> dict[str, bytes]:
    return {"data": b"\x00" * len(data)}


def counts_moved(data: bytes, seal: bytes) -> dict[str, bytes]:
    # a figure edited in the tally's bytes (the seal no longer covers them)
    tally = scoped_tally.decode(data, Scope("pilkada-2024", None))
    tally.figures["recommendations"].count += 5
    return {"data": scoped_tally.encode(tally)}


@pytest.mark.parametrize("mutation", [seal_flipped, scope_swapped, garbage, counts_moved])
def test_an_edited_saved_scope_is_not_used(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    saved_history(settings, operator)
    flt = FILTERS[0]
    with running(settings, operator) as registry:
        ours = {table: api(registry, table, **flt)["items"] for table in answered(flt)}
    [row] = scoped_rows(settings)
    edit_row(settings, row.format, mutation(bytes(row.data), bytes(row.seal)))
    with running(settings, operator) as registry:
        again = {table: api(registry, table, **flt)["items"] for table in answered(flt)}
        assert again == ours, "made again from the log, never the edited figures"
        assert registry.components.compliance.facts.read >= 11, "the log passed again"
        assert again == from_the_index(registry, flt)
    assert scoped_rows(settings) == [row], "saved again as it was"


def test_a_row_renamed_to_another_scope_is_not_used(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        heads = api(registry, "national", head_type="pj")["items"]
        assert heads != api(registry, "national", election="pilkada-2024")["items"]
    rows_by = {row.format: row for row in scoped_rows(settings)}
    prefix = next(iter(rows_by))[: -len(Scope().name)]
    pj = prefix + Scope(None, "pj").name
    pilkada = prefix + Scope("pilkada-2024", None).name
    # the election's tally (its report counted) under the head type's name
    edit_row(settings, pj, {"data": rows_by[pilkada].data, "seal": rows_by[pilkada].seal})
    with running(settings, operator) as registry:
        assert api(registry, "national", head_type="pj")["items"] == heads


def test_a_worker_holding_the_index_answers_from_it(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        theirs = from_the_index(registry, FILTERS[0])
        assert index_restored(registry)
        ours = {t: api(registry, t, **FILTERS[0])["items"] for t in answered(FILTERS[0])}
        assert ours == theirs
        assert not registry.components.compliance.scoped.held, "no scoped tally made"
    assert scoped_rows(settings) == []


@pytest.mark.parametrize("day", [{}, {"until": "2024-09-29"}], ids=["today", "a-past-day"])
def test_a_long_logs_first_pass_is_made_in_the_background_and_said(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    day: dict[str, str],
) -> None:
    # (a past day's tally, of that day alone, is made by the same pass: stop 31)
    saved_history(settings, operator)
    monkeypatch.setattr("registry.compliance.scoped_tallies.SLICE", 3)
    first, second = {**FILTERS[0], **day}, {**FILTERS[1], **day}
    with running(settings, operator) as registry:
        registry.components.compliance.scoped.inline_most = 5  # eleven entries: "long"
        # the first ask of each scope starts its pass and is told so: a page, an API answer
        page_first = registry.client.get("/dashboard", params={**first, "lang": "id"})
        assert page_first.status_code == 503
        assert int(page_first.headers["Retry-After"]) > 0
        assert "angka untuk saringan ini masih dihitung" in page_first.text
        api_first = registry.client.get(
            "/api/dashboard/national", params=second, headers={"Accept-Language": "en"}
        )
        assert api_first.status_code == 503, api_first.text
        assert int(api_first.headers["Retry-After"]) > 0
        assert api_first.json()["detail"].startswith("the figures of this filter are still")
        for _ in range(200):
            response = registry.client.get("/api/dashboard/national", params=first)
            if response.status_code == 200:
                break
            time.sleep(0.05)
        assert response.status_code == 200, response.text
        html = page(registry, **first)  # made: the page is shown (200) from it too
        assert not index_restored(registry)
        restore_the_index(registry)
        assert shown(html) == shown(page(registry, **first))
        assert response.json()["items"] == api(registry, "national", **first)["items"]


def test_a_second_scope_asked_during_a_pass_waits_its_turn(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every scope asked of a long log would start its own pass (a tally in memory and most
    # of an hour of CPU each at ten million entries): one runs at a time.
    saved_history(settings, operator)
    started: list[Scope] = []

    async def endless(self: Any, tally: scoped_tally.ScopedTally) -> None:
        started.append(tally.scope)
        await asyncio.sleep(3600)  # a pass that has not ended

    monkeypatch.setattr("registry.compliance.scoped_tallies.ScopedTallies._make", endless)
    with running(settings, operator) as registry:
        scoped = registry.components.compliance.scoped
        scoped.inline_most = 5  # eleven entries: "long"
        for flt in FILTERS:
            assert_told_to_come_back(registry, "/api/dashboard/national", flt)
        assert started == [Scope("pilkada-2024", None)], "one pass, the first scope's"
        assert not index_restored(registry)


def test_a_figures_listing_while_its_scope_is_made_is_told_to_come_back(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    passes_never_end(monkeypatch)
    with running(settings, operator) as registry:
        registry.components.compliance.scoped.inline_most = 5  # eleven entries: "long"
        asked = {"election": "pilkada-2024", "figure": "recommendations"}
        answer = registry.client.get(
            "/api/dashboard/national/entries", params=asked, headers={"Accept-Language": "en"}
        )
        assert answer.status_code == 503, answer.text
        assert int(answer.headers["Retry-After"]) > 0
        assert answer.json()["detail"].startswith("the figures of this filter are still")
        shown = registry.client.get("/dashboard/national/entries", params={**asked, "lang": "id"})
        assert shown.status_code == 503
        assert int(shown.headers["Retry-After"]) > 0
        assert shown.headers["content-type"].startswith("text/html")
        assert "angka untuk saringan ini masih dihitung" in shown.text
        assert not index_restored(registry)


def test_a_figure_past_the_bound_links_the_filters_listing(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        [row] = api(registry, "provinces", election="pilkada-2024")["items"]
        recs = row["recommendations"]
        assert (recs["value"], recs["entries_total"]) == (2, 2), "the tally keeps the count"
        assert "election=pilkada-2024" in recs["entries_url"]
        assert recs["entries_url"].startswith("/api/dashboard/provinces/entries?")
        html = page(registry, election="pilkada-2024")
        assert not index_restored(registry), "the page and the table from the scope's tally"
        listed = registry.client.get(recs["entries_url"])  # the listing: the scope's tally
        assert listed.status_code == 200, listed.text
        assert [item["index"] for item in listed.json()["items"]] == [7, 8]
        assert listed.json()["filter"] == {"election": "pilkada-2024"}
        linked = [unescape(url) for url, table, _ in LINK.findall(html) if table == "provinces"]
        [url] = [u for u in linked if "figure=recommendations&" in u]
        assert "election=pilkada-2024" in url, "the page's link keeps the filter"
        listed = registry.client.get(url)
        assert listed.status_code == 200
        assert [f'href="/v/{i}"' in listed.text for i in (7, 8)] == [True, True]
        assert not index_restored(registry), "the listing and its page from the scope's tally"
        restore_the_index(registry)  # the same listing from the whole index
        whole = registry.client.get(recs["entries_url"])
        assert [item["index"] for item in whole.json()["items"]] == [7, 8]


def test_the_keeper_feeds_each_saved_scope_so_a_start_after_reads_nothing(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    flt = FILTERS[0]
    with running(settings, operator) as registry:
        api(registry, "national", **flt)  # the scope made, saved at eleven entries
        declarations_by_new_signers(registry, 3)
        compliance = registry.components.compliance
        size = compliance.log_size
        fed = registry.client.blocking_portal.call(compliance.keep_scopes)
        assert fed is None
        [row] = scoped_rows(settings)
        assert row.end_idx == size > 11, "fed to the log's end and saved"
    with running(settings, operator) as registry:
        api(registry, "national")  # the national tally fed what was registered (not kept)
        read = registry.components.compliance.facts.read
        ours = {table: api(registry, table, **flt)["items"] for table in answered(flt)}
        assert registry.components.compliance.facts.read == read, "the kept row held the log"
        assert not index_restored(registry)
        assert ours == from_the_index(registry, flt)
