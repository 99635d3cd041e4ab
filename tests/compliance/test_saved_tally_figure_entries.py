"""The entries behind a figure of today's tables from the saved tally and the log: at a restart
without restoring the index, every linked figure's pages (followed by their cursor) make
the index's list, on ``/api/compliance/entries``, ``/api/dashboard/{table}/entries`` and
the figure's page; a search row deleted, added or retyped in the database never hides or
adds an entry (the index answers); an edited entry is a 500 ``tampered-entry``; a page
number past 10,000 entries deep is a 400 in both languages.

The history of ``test_saved`` (eleven entries: the PPK of "Pemerintah Provinsi Jawa Barat"
enrolled at entry 3, the template and election cited at 4 and 5, report 6, two
recommendations 7 and 8, pact 9, follow-up 10 of 7), its tally saved with a group bound of
1 so that every group figure of two entries or more is linked (its count only kept) and
paged from the search table's rows; on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import delete, insert, update

from registry.compliance import dashboard
from registry.compliance.search_rows import MARK
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import ENTRIES, REGISTRY_META, SEARCH_RECORDS
from tests.api.helpers import Registry
from tests.api.test_registration import assert_problem
from tests.compliance.test_browsing import BEHIND, assert_behind, stall
from tests.compliance.test_saved import fill, running
from tests.compliance.test_saved_tally import AFTER_DUE, index_restored, restore_the_index
from tests.records.test_tampering import assert_tampered, edit, stored

TABLES = ("national", "instansi", "provinces", "head-types", "elections", "months", "signers")
OFFICE = "Pemerintah Provinsi Jawa Barat"
RECS = {"table": "instansi", "row": OFFICE, "figure": "recommendations"}
"""A linked figure: the instansi's two recommendations (7 and 8)."""


def _json(registry: Registry, path: str, **params: Any) -> Any:
    response = registry.client.get(path, params=params or None)
    assert response.status_code == 200, response.text
    return response.json()


def linked(registry: Registry) -> list[tuple[str, str | None, str, str]]:
    """Every figure of today's tables given as a link (table, row, figure, link)."""
    out = []
    for table in TABLES:
        answer = _json(registry, f"/api/compliance/{table}")
        rows = [answer] if table == "national" else answer["items"]
        for row in rows:
            for name, value in row.items():
                if isinstance(value, dict) and "entries_url" in value:
                    query = parse_qs(urlsplit(value["entries_url"]).query)
                    out.append((table, query.get("row", [None])[0], name, value["entries_url"]))
    return out


def walked(registry: Registry, url: str) -> list[int]:
    """Every entry of a figure's listing, one a page, following ``next``."""
    found: list[int] = []
    next_url: str | None = url
    while next_url is not None:
        parts = urlsplit(next_url)
        query = {"limit": "1", **{k: v[0] for k, v in parse_qs(parts.query).items()}}
        page = _json(registry, parts.path, **query)
        assert page["total"] >= len(found) + len(page["entries"])
        found += page["entries"]
        next_url = page["next"]
    assert len(found) == page["total"]
    return found


def indexed(registry: Registry, table: str, row: str | None, figure: str) -> list[int]:
    """The figure's entries as the index lists them (restores it)."""
    compliance = registry.components.compliance
    snap = registry.client.blocking_portal.call(compliance.snapshot)
    return dashboard.figure_entries(snap, table, row, figure)


@pytest.fixture
def saved(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    """The history, its tally saved with group bound 1."""
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        _json(registry, "/api/compliance/national")  # saves the tally
        _json(registry, "/api/records", type="report")  # the search table holds the log
    return settings


def left_to_the_index(figure: str) -> bool:
    """The figures the tally cannot page (docs/scaling.md): the months' overdue at a month's
    end, the pact signers' inherited overdue, the signers' followed up by others (the head
    types' instansi led since stop 33 are paged)."""
    return figure in (
        "overdue_at_month_end",
        "overdue_inherited",
        "followed_up_by_others",
    )


def test_a_restart_pages_every_linked_figure_without_restoring_the_index(
    saved: Settings, operator: OperatorKeys
) -> None:
    with running(saved, operator) as registry:
        figures = [f for f in linked(registry) if not left_to_the_index(f[2])]
        found = {(t, r, f): walked(registry, url) for t, r, f, url in figures}
        pages = {k: _json(registry, "/api/compliance/entries", table=k[0], row=k[1], figure=k[2])
                 for k in found}  # fmt: skip
        assert not index_restored(registry), "every figure paged from the tally and the log"
        assert len(figures) >= 8, "figures of every table linked, and paged"
        assert {t for t, _, _, _ in figures} == set(TABLES) - {"national"}
        assert any(f.startswith("pact_signers_") for _, _, f, _ in figures), "elections'"
        for key, entries in found.items():
            assert entries == indexed(registry, *key), key
        others = [f for f in linked(registry) if left_to_the_index(f[2])]
        assert any(f[2].startswith("instansi_led") for f in figures), "paged since stop 33"
        for table, row, figure, url in others:  # from the index, paged the same way
            assert walked(registry, url) == indexed(registry, table, row, figure), figure
        for key, page in pages.items():  # one page of 10,000: the whole list, page 1 of 1
            assert (page["page"], page["pages"], page["next"]) == (1, 1, None), key
            assert page["entries"] == indexed(registry, *key), key


def test_the_dashboards_entries_and_page_come_without_restoring_the_index(
    saved: Settings, operator: OperatorKeys
) -> None:
    path = "/api/dashboard/instansi/entries"
    with running(saved, operator) as registry:
        first = _json(registry, path, row=OFFICE, figure="recommendations", limit=1)
        rest = _json(registry, path, row=OFFICE, figure="recommendations", after=7)
        assert urlsplit(first["next"]).path == path
        csv = registry.client.get(path, params={"row": OFFICE, "figure": "recommendations",
                                                "format": "csv", "limit": 1})  # fmt: skip
        html = registry.client.get("/dashboard/instansi/entries",
                                   params={"row": OFFICE, "figure": "follow_up_rate"})  # fmt: skip
        assert not index_restored(registry)
        compliance = registry.components.compliance
        registry.client.blocking_portal.call(compliance.snapshot)  # the index, to compare
        want = [dashboard.describe(compliance.index, i) for i in (7, 8)]
    assert (first["total"], first["next_after"], rest["next_after"]) == (2, 7, None)
    assert first["items"] + rest["items"] == want
    assert 'rel="next"' in csv.headers["link"]
    assert "after=7" in csv.headers["link"]
    assert html.status_code == 200, html.text
    for idx in (7, 8, 10):
        assert f"/v/{idx}" in html.text or f">{idx}<" in html.text


def test_a_signers_row_and_its_holders_name_come_without_restoring_the_index(
    saved: Settings, operator: OperatorKeys
) -> None:
    with running(saved, operator) as registry:
        [row] = _json(registry, "/api/compliance/signers")["items"]
        recs = row["recommendations"]
        assert "entries" not in recs, "past the group bound: linked"
        listed = _json(registry, recs["entries_url"])
        html = registry.client.get(
            "/dashboard/signers/entries", params={"row": row["kid"], "figure": "follow_up_rate"}
        )
        assert not index_restored(registry), "scanned over the key's lineage"
        assert not registry.components.compliance.index_held
        assert html.status_code == 200, html.text
        what = html.text.split('id="entries-what">')[1].split("</p>")[0]
        assert row["name"] in what, "the row named by its holder, not its key id"
        assert listed["entries"] == indexed(registry, "signers", row["kid"], "recommendations")
    assert listed["entries"] == [7, 8]
    assert [f"/v/{i}" in html.text for i in (7, 8, 10)] == [True] * 3


@pytest.mark.parametrize("edited", [None, "pact-row-deleted"])
def test_a_pact_signers_pacts_past_the_bound_come_without_restoring_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    edited: str | None,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    today(AFTER_DUE)  # recommendation 8 overdue: its PPK, of two pacts, is a row
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator), pacts=2)
        _json(registry, "/api/compliance/national")  # saves the tally
        _json(registry, "/api/records", type="report")  # the search table holds the log
    if edited:
        edit(settings, delete(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 10))
    with running(settings, operator) as registry:
        [row] = _json(registry, "/api/compliance/pact-signers-with-overdue")["items"]
        assert "entries" not in row["pacts"], "past the group bound: linked"
        found = walked(registry, row["pacts"]["entries_url"])
        assert index_restored(registry) == bool(edited), "the range's count differs: the index"
        assert found == indexed(registry, "pact-signers-with-overdue", row["kid"], "pacts")
    assert found == [9, 10]


def test_the_figures_page_follows_its_next_link_by_the_last_entry_shown(
    saved: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("registry.api.pages.ENTRIES_PAGE", 1)
    with running(saved, operator) as registry:
        url: str | None = "/dashboard/instansi/entries?" + urlencode(
            {"row": OFFICE, "figure": "follow_up_rate"}
        )
        shown = []
        while url is not None:
            html = registry.client.get(url)
            assert html.status_code == 200, html.text
            rows = html.text.split('id="entries"')[1].split("</table>")[0]
            shown += [int(i) for i in re.findall(r'<tr><td><a href="/v/(\d+)', rows)]
            found = re.search(r'<a rel="next" href="([^"]+)"', html.text)
            url = None if found is None else urljoin(url, found.group(1).replace("&amp;", "&"))
            assert url is None or f"after={shown[-1]}" in url
        assert not index_restored(registry)
    assert shown == [7, 8, 10]


@pytest.mark.parametrize(
    "mutation",
    [
        delete(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 7),
        update(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 6).values(type="recommendation"),
        update(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 8).values(type="report"),
        insert(SEARCH_RECORDS).values(
            idx=4, type="recommendation", claimed="2024-09-20", instansi=OFFICE
        ),
        insert(SEARCH_RECORDS).values(
            idx=5, type="follow-up", claimed="2024-09-20", instansi=OFFICE
        ),
    ],
    ids=[
        "row-deleted",
        "report-row-retyped",
        "rec-row-retyped",
        "rec-row-added",
        "follow-up-row-added",
    ],
)
def test_a_search_row_changed_in_the_database_hides_or_adds_no_entry_the_index_answers(
    saved: Settings, operator: OperatorKeys, mutation: Any
) -> None:
    edit(saved, mutation)
    with running(saved, operator) as registry:
        recs = walked(registry, f"/api/compliance/entries?table=instansi&row={OFFICE}"
                      "&figure=recommendations")  # fmt: skip
        rate = _json(registry, "/api/compliance/entries", table="instansi", row=OFFICE,
                     figure="follow_up_rate")["entries"]  # fmt: skip
        assert index_restored(registry), "the range's count differs: the index answers"
    assert (recs, rate) == ([7, 8], [7, 8, 10])


def test_an_edited_entry_is_refused_never_listed(saved: Settings, operator: OperatorKeys) -> None:
    statement = bytes(stored(saved, 8).statement)
    edited = statement[:-1] + bytes([statement[-1] ^ 1])
    edit(saved, update(ENTRIES).where(ENTRIES.c.idx == 8).values(statement=edited))
    with running(saved, operator) as registry:
        assert_tampered(registry.client.get("/api/compliance/entries", params=RECS), 8, "statement")
        params = {k: v for k, v in RECS.items() if k != "table"}
        answer = registry.client.get("/api/dashboard/instansi/entries", params=params)
        assert_tampered(answer, 8, "statement")
        assert not index_restored(registry)


@pytest.mark.parametrize(
    ("lang", "words"), [("en", "give after=<next_after>"), ("id", "berikan after=<next_after>")]
)
def test_a_page_number_past_ten_thousand_entries_is_refused_in_both_languages(
    saved: Settings, operator: OperatorKeys, lang: str, words: str
) -> None:
    with running(saved, operator) as registry:
        assert _json(registry, "/api/compliance/entries", **RECS, page=2)["entries"] == []
        assert _json(registry, "/api/compliance/entries", **RECS, page=3, limit=5000)["page"] == 3
        deep = registry.client.get("/api/compliance/entries", params={**RECS, "page": 3},
                                   headers={"Accept-Language": lang})  # fmt: skip
        body = assert_problem(deep, 400, "invalid-parameter")
        assert words in body["detail"]
        html = registry.client.get("/dashboard/instansi/entries", params={
            "row": OFFICE, "figure": "recommendations", "page": 102, "lang": lang})  # fmt: skip
        assert html.status_code == 400
        assert not index_restored(registry)


def test_a_later_day_is_paged_from_todays_tally_and_since_alone_from_its_scopes(
    saved: Settings, operator: OperatorKeys
) -> None:
    with running(saved, operator) as registry:  # a day after today: today's tally moved there
        day = _json(registry, "/api/compliance/entries", **RECS, as_of="2024-10-31", limit=1)
        assert (day["entries"], day["next_after"]) == ([7], 7)
        assert not index_restored(registry)  # the index's same page: test_saved_day_tallies
    with running(saved, operator) as registry:
        flt = _json(registry, "/api/dashboard/instansi/entries", row=OFFICE,
                    figure="recommendations", province="Jawa Barat")  # fmt: skip
        assert [item["index"] for item in flt["items"]] == [7, 8]
        assert not index_restored(registry), "the province's own facts (scoped_filter)"
        since = {"row": OFFICE, "figure": "recommendations", "since": "2024-01-01"}
        flt = _json(registry, "/api/dashboard/instansi/entries", **since)
        assert [item["index"] for item in flt["items"]] == [7, 8]
        assert not index_restored(registry), "since alone: its scope's tally (stop 31)"
        restore_the_index(registry)
        assert _json(registry, "/api/dashboard/instansi/entries", **since)["items"] == flt["items"]


def test_a_page_while_the_search_table_is_written_is_told_to_come_back(
    saved: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first request after an upgrade of a large log: the table is still being written.
    edit(saved, delete(SEARCH_RECORDS), delete(REGISTRY_META).where(REGISTRY_META.c.name == MARK))
    with running(saved, operator) as registry:
        records = registry.components.records
        stall(records, monkeypatch)
        pacts = {"table": "national", "figure": "pacts"}  # listed by the tally: no table asked
        assert _json(registry, "/api/compliance/entries", **pacts)["entries"] == [9]
        for lang, words in BEHIND:  # a figure found through the table waits for it
            answer = registry.client.get(
                "/api/compliance/entries", params=RECS, headers={"accept-language": lang}
            )
            assert_behind(answer, words)
            page = registry.client.get("/dashboard/instansi/entries", params={
                "row": OFFICE, "figure": "recommendations", "lang": lang})  # fmt: skip
            assert page.status_code == 503, page.text
            assert page.headers["retry-after"] == "5", "the page says when, as the API does"
            assert words in page.text
        assert not index_restored(registry), "not the index instead: it is what this spares"
        monkeypatch.undo()
        registry.client.blocking_portal.call(records.close)
        assert _json(registry, "/api/compliance/entries", **RECS)["entries"] == [7, 8]
