"""Today's unfiltered dashboard from the saved tally: the ``/dashboard`` page and
``/api/dashboard/{table}`` at a restart without restoring the index, the same figures and
filter choices as the dashboard computes from every fact (counted until today: a filter),
every figure still linked to the entries it counts, and the index read again where the
tally cannot answer (a filter of neither a province nor an instansi, another day, a tally kept
inexact; a province's filter: ``test_saved_tally_filters``).

The history of ``test_saved`` (eleven entries), served with "today" fixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest

from registry.compliance import service, tally_bytes
from registry.compliance.dashboard import TABLES
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import fill, running
from tests.compliance.test_saved_tally import (
    index_restored,
    restore_the_index,
    saved_history,
    tally_rows,
)

KEPT = list(TABLES)
FIGURE = re.compile(r'data-figure="(\w+)">([^<]*)<')
LINK = re.compile(r'<a href="(/dashboard/(\w[\w-]*)/entries\?[^"]+)" data-figure="(\w+)">')
OPTION = re.compile(r'<option value="([^"]*)"')


def page(registry: Registry, **params: str) -> str:
    response = registry.client.get("/dashboard", params=params)
    assert response.status_code == 200, response.text
    return response.text


def api(registry: Registry, table: str, **params: str) -> dict[str, Any]:
    response = registry.client.get(f"/api/dashboard/{table}", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def shown(html: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The figures a dashboard page shows (name and value, in order) and its filter choices."""
    return FIGURE.findall(html), OPTION.findall(html)


def test_a_restart_serves_todays_dashboard_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        html = page(registry)
        answers = {table: api(registry, table) for table in KEPT}
        assert not index_restored(registry), "page and tables from the saved tally alone"
        links = LINK.findall(html)
        assert {table for _, table, _ in links} >= {"national", "provinces", "instansi"}
        until = {"until": service.today()}
        assert shown(html) == shown(page(registry, **until)), "until today: the tally's too"
        for table, answer in answers.items():
            assert api(registry, table, **until)["items"] == answer["items"], table
        assert not index_restored(registry), "until today is answered as no filter is"
        everything = {"since": "2000-01-01"}  # every fact, computed from the index's
        restore_the_index(registry)  # (since alone is its scope's tally: stop 31)
        assert shown(html) == shown(page(registry, **everything)), "the figures computed from facts"
        for table, answer in answers.items():
            computed = api(registry, table, **everything)
            assert answer["checkpoint"] == computed["checkpoint"]
            assert answer["as_of"] == computed["as_of"] == BEFORE_DUE
            assert (answer["filter"], computed["filter"]) == ({}, everything)
            assert answer["items"] == computed["items"], table
        url = unescape(next(link for link, _, name in links if name == "recommendations"))
        listed = registry.client.get(url)
        assert listed.status_code == 200, "the figure still leads to its entries"
        assert [f'href="/v/{i}"' in listed.text for i in (7, 8)] == [True, True]


def test_a_figure_counted_only_still_links_its_entries(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        [row] = api(registry, "provinces")["items"]
        recs = row["recommendations"]
        assert (recs["value"], recs["entries_total"]) == (2, 2), "the tally keeps the count"
        assert registry.client.get(recs["entries_url"]).json()["entries"] == [7, 8]
        html = page(registry)
        linked = [unescape(url) for url, table, _ in LINK.findall(html) if table == "provinces"]
        [url] = [u for u in linked if "figure=recommendations&" in u]
        listed = registry.client.get(url)
        assert listed.status_code == 200
        assert [f'href="/v/{i}"' in listed.text for i in (7, 8)] == [True, True]


def test_a_filter_of_neither_province_nor_instansi_reads_the_index_and_the_signers_table_does_not(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        [row] = api(registry, "signers")["items"]
        assert row["recommendations"]["entries"] == [7, 8]
        assert not index_restored(registry), "kept by the tally since format 9"
    with running(settings, operator) as registry:
        scoped = page(registry, province="Jawa Barat")
        assert "Jawa Barat" in scoped
        assert not index_restored(registry), "a province's own facts (test_saved_tally_filters)"
        assert "Jawa Barat" in page(registry, until="2024-10-04")
        assert not index_restored(registry), "another day: that day's own tally (stop 32)"
        restore_the_index(registry)
        assert shown(page(registry, province="Jawa Barat")) == shown(scoped)


def test_an_inexact_tally_is_made_again_and_the_dashboard_answered_from_it(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        compliance = registry.components.compliance
        tally = registry.client.blocking_portal.call(compliance._today, BEFORE_DUE)
        tally.with_overdue.exact = False
        html = page(registry)
        assert index_restored(registry), "made again from the index"
        assert compliance.index.tally is not None
        assert compliance.index.tally.with_overdue.exact
        assert shown(html) == shown(page(registry, until=BEFORE_DUE))
    [row] = tally_rows(settings)
    assert tally_bytes.decode(bytes(row.data)).with_overdue.exact, "and saved"
    with running(settings, operator) as registry:
        page(registry)
        assert not index_restored(registry)
