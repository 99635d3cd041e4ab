"""The head-types table of the PPK keys in office on another day (``?on=``) with figures past
the group bound (stop 33): answered from the saved tally without restoring the index, each
such figure linked to ``/api/compliance/entries?table=head-types&on=`` (JSON and CSV), a
listing that answers exactly the entries the figure counts (``entries_total`` its total,
followed page by page) as the index lists them under that ``on``; today, a past ``as_of``
(that day's own tally, stop 32) and one election's table; ``on`` for another table is
refused (400, in both languages).

The history of ``test_saved`` (eleven entries: a Pj PPK of "Pemerintah Provinsi Jawa Barat"
enrolled at entry 3, in office until 2099, two recommendations 7 and 8 to it, a follow-up
10 of 7), its tally saved with a group bound of 1; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.compliance import dashboard, heads
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry
from tests.api.test_registration import assert_problem
from tests.compliance import test_saved_tally_figure_entries as figure_entries
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import running
from tests.compliance.test_saved_tally import AFTER_DUE, index_restored
from tests.compliance.test_saved_tally_figure_entries import walked

PATH = "/api/compliance/head-types"
ELECTION = "pilkada-2024"
IN_TERM, BEFORE_TERM = "2099-12-31", "2000-01-01"
Link = tuple[str, str, str]


saved = figure_entries.saved
"""The history, its tally saved with group bound 1 (every figure of two entries linked)."""


def answered(registry: Registry, **params: str) -> dict[str, Any]:
    response = registry.client.get(PATH, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def links(answer: dict[str, Any]) -> dict[Link, dict[str, Any]]:
    """Every linked figure of a head-types answer: (row, figure, its url) -> the figure."""
    rows = [(str(r["head_type"]), r) for r in answer["items"]]
    out = {}
    for key, row in [*rows, (dashboard.ACTING, answer["acting"])]:
        for name, value in row.items():
            if isinstance(value, dict) and "entries_url" in value:
                out[(key, name, value["entries_url"])] = value
    return out


def listed(registry: Registry, url: str) -> list[int]:
    """Every entry of a figure's listing, one a page (``/api/compliance/entries`` or the
    dashboard's, whose pages describe each entry)."""
    if url.startswith("/api/compliance/"):
        return walked(registry, url)
    found: list[int] = []
    next_url: str | None = f"{url}&limit=1"
    while next_url is not None:
        response = registry.client.get(next_url)
        assert response.status_code == 200, response.text
        page = response.json()
        found += [item["index"] for item in page["items"]]
        next_url = page["next"]
    assert len(found) == page["total"]
    return found


def checked_links(
    registry: Registry, as_of: str | None, on: str, **more: str
) -> dict[Link, dict[str, Any]]:
    """The answer of ``on`` links each figure past the bound with that ``on`` (JSON and CSV),
    each listing (those the tally pages first, without the index) answering exactly the
    index's entries under ``on``; every other figure is the index's."""
    asked = {"on": on, **more, **({} if as_of is None else {"as_of": as_of})}
    answer = answered(registry, **asked)
    csv = registry.client.get(PATH, params={**asked, "format": "csv"})
    assert not index_restored(registry), "answered from the tally, its figures linked"
    found = links(answer)
    assert found, "figures past the bound are linked"
    assert answer["on"] == on
    for row, _, url in found:
        query = parse_qs(urlsplit(url).query)
        assert query["on"] == [on], url
        if url.startswith("/api/dashboard/head-types/entries?"):  # an election's own figure
            assert (query["election"], query["until"]) == ([more["election"]], [answer["as_of"]])
        else:
            assert (query["table"], query["as_of"]) == (["head-types"], [answer["as_of"]])
        assert row == dashboard.ACTING or url in csv.text, "the CSV's rows link it"
    pages = {k: listed(registry, k[2]) for k in found}
    assert not index_restored(registry), "every listing paged from the tally and the log"
    compliance = registry.components.compliance
    snap = registry.client.blocking_portal.call(compliance.snapshot, as_of)
    rows, acting = heads.table(snap, on, more.get("election"))
    for (row, figure, url), value in found.items():
        whole = (
            acting
            if row == dashboard.ACTING
            else next(r for r in rows if str(r["head_type"]) == row)
        )
        want = whole[figure]["entries"]  # the figure the index's table counts
        assert pages[(row, figure, url)] == want, (row, figure, on)
        assert value["entries_total"] == len(want), (row, figure, on)
    for row in answer["items"]:  # the figures left listed are the index's
        whole = next(r for r in rows if r["head_type"] == row["head_type"])
        for name, value in row.items():
            if isinstance(value, dict) and "entries" in value:
                assert value == whole[name], (row["head_type"], name)
    return found


@pytest.mark.parametrize("on", [IN_TERM, BEFORE_TERM])
def test_another_on_past_the_bound_links_listings_with_on_without_the_index(
    saved: Settings, operator: OperatorKeys, on: str
) -> None:
    with running(saved, operator) as registry:
        checked_links(registry, None, on)


def test_a_past_day_with_another_on_links_that_days_listings_with_on(
    saved: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    today(AFTER_DUE)  # the day the tally was saved is past
    with running(saved, operator) as registry:
        checked_links(registry, BEFORE_DUE, IN_TERM)


def test_a_listing_with_on_counts_the_keys_in_office_that_day(
    saved: Settings, operator: OperatorKeys
) -> None:
    with running(saved, operator) as registry:
        params = {"table": "head-types", "row": "pj", "figure": "instansi_led_with_recommendations"}
        listings = {
            on: registry.client.get("/api/compliance/entries", params={**params, "on": on}).json()
            for on in (IN_TERM, BEFORE_TERM)
        }
        assert listings[IN_TERM]["entries"] == [3, 7, 8]
        assert listings[BEFORE_TERM]["entries"] == [], "no key in office then"
        assert (listings[IN_TERM]["on"], listings[BEFORE_TERM]["on"]) == (IN_TERM, BEFORE_TERM)
        path = "/api/dashboard/head-types/entries"
        own = {"election": ELECTION, "row": "acting", "figure": "share_with_recommendations"}
        dashboards = {
            on: registry.client.get(path, params={**own, "on": on, "limit": 1}).json()
            for on in (IN_TERM, BEFORE_TERM)
        }
        assert [i["index"] for i in dashboards[IN_TERM]["items"]] == [3]
        assert "on=2099-12-31" in dashboards[IN_TERM]["next"], "the next page keeps on"
        assert (dashboards[IN_TERM]["total"], dashboards[BEFORE_TERM]["total"]) == (3, 0)
        other = {"figure": "recommendations", "on": IN_TERM}
        refused = registry.client.get("/api/dashboard/instansi/entries", params=other)
        assert_problem(refused, 400, "invalid-parameter")


@pytest.mark.parametrize("on", [IN_TERM, BEFORE_TERM])
def test_one_elections_table_of_another_on_links_its_own_figures_with_on(
    saved: Settings, operator: OperatorKeys, on: str
) -> None:
    with running(saved, operator) as registry:
        found = checked_links(registry, None, on, election=ELECTION)
    dashboards = [url for _, _, url in found if url.startswith("/api/dashboard/")]
    assert bool(dashboards) == (on == IN_TERM), "the election's own figure past the bound"


@pytest.mark.parametrize(("lang", "words"), [("en", "only table=head-types"),
                                             ("id", "hanya table=head-types")])  # fmt: skip
def test_on_for_another_table_is_refused_in_both_languages(
    saved: Settings, operator: OperatorKeys, lang: str, words: str
) -> None:
    with running(saved, operator) as registry:
        asked = {"table": "instansi", "figure": "recommendations", "on": IN_TERM}
        refused = registry.client.get(
            "/api/compliance/entries", params=asked, headers={"Accept-Language": lang}
        )
        assert words in assert_problem(refused, 400, "invalid-parameter")["detail"]
        bad = registry.client.get(
            "/api/compliance/entries", params={**asked, "table": "head-types", "on": "soon"}
        )
        assert_problem(bad, 400, "invalid-parameter")
