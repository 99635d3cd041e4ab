"""A past day no national tally was saved for (``?as_of=``, the dashboard's ``until`` alone):
a day before the first day saved, or any past day of a registry restored from a backup
without its day rows, is answered from the tally of every fact made as of that day (a
dated scope of no election, head type or ``since``: ``ScopedAnswers.day``), on both
databases: every answer the saved day's tally gives (``test_saved_day_tallies.answers``)
and every dashboard table equal to the whole index's, without restoring it; a restart reads
the saved row; a statement registered later but dated before the day moves it as the index;
a long log's pass is made in the background (503 with ``Retry-After``, both languages).

The history of ``test_saved`` (eleven entries: a report, recommendations 7 and 8 and a pact
of ``pilkada-2024`` on 2024-09-27, a follow-up of 7 on 2024-09-30), served on 2024-10-05 (no
day saved yet) or then on 2024-10-20 (2024-10-05 saved as it ended).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest

from registry.compliance.dashboard import TABLES
from registry.compliance.scoped_tally import DATED
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, follow_up, register
from tests.compliance.test_saved import running
from tests.compliance.test_saved_day_tallies import answers, day_rows, day_saved
from tests.compliance.test_saved_scoped_tallies import (
    assert_told_to_come_back,
    passes_never_end,
    scoped_rows,
)
from tests.compliance.test_saved_tally import index_restored, restore_the_index, saved_history
from tests.compliance.test_saved_tally_dashboard import api, page, shown

LISTED = re.compile(r'<td><a href="/v/(\d+)')
"""The entries a figure's listing page shows."""
UNSAVED = ["2024-09-29", "2024-10-04"]
"""Before the follow-up answering 7 (2024-09-30), and after it: no tally saved as either ended."""


def everything(registry: Registry, day: str) -> dict[str, Any]:
    """Every answer of ``day``: the compliance API's (``answers``), each dashboard table
    under ``until`` that day (JSON) and the dashboard page."""
    found = answers(registry, day)
    for table in TABLES:
        found[f"dashboard {table}"] = api(registry, table, until=day)["items"]
    found["dashboard page"] = shown(page(registry, until=day))
    return found


def dated_rows(settings: Settings) -> list[Any]:
    return [row for row in scoped_rows(settings) if f"-{DATED}" in row.format]


@pytest.mark.parametrize("day", UNSAVED)
def test_a_day_no_tally_was_saved_for_is_answered_without_the_index_as_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], day: str
) -> None:
    saved_history(settings, operator)
    assert day_rows(settings) == {}, "no day saved: served on its first day only"
    with running(settings, operator) as registry:
        ours = everything(registry, day)
        assert not index_restored(registry), "from the tally of that day's facts"
        assert len(dated_rows(settings)) == 1, "made once, saved sealed among the dated rows"
        restore_the_index(registry)
        assert everything(registry, day) == ours
    assert ours["national"]["recommendations"]["entries"] == [7, 8], "the history's, not nothing"
    followed = 0 if day < "2024-09-30" else 1
    assert ours["national"]["followed_up"]["value"] == followed, "as they stood that day"
    with running(settings, operator) as registry:  # a restart: the row saved answers
        national = registry.client.get("/api/compliance/national", params={"as_of": day})
        assert national.json() == ours["national"]
        assert registry.components.compliance.facts.read == 0, "nothing passed again"
        found = answers(registry, day)  # (a key's record reads its entries, as any day's)
        assert found == {name: ours[name] for name in found}
        assert not index_restored(registry)


def test_a_day_before_the_first_day_saved_is_answered_without_the_index_as_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    day_saved(settings, operator, today)  # 2024-10-05 saved as it ended; today 2024-10-20
    with running(settings, operator) as registry:
        ours = {day: everything(registry, day) for day in ["2024-10-04", "2024-10-05"]}
        assert not index_restored(registry)
        assert len(dated_rows(settings)) == 1, "the saved day answers its own day"
        restore_the_index(registry)
        assert {day: everything(registry, day) for day in ours} == ours


def test_a_statement_registered_later_but_dated_before_the_day_moves_it_as_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    day = UNSAVED[0]
    with running(settings, operator) as registry:
        before = answers(registry, day)["national"]
        late = register(registry, "ppk-jabar", follow_up(8, "2024-09-28"), NOW_S + DAY + 60)
    with running(settings, operator) as registry:  # the saved row, fed the entry since
        after = answers(registry, day)
        assert not index_restored(registry)
        assert after["national"] != before
        assert late in after["national"]["followed_up"]["entries"]
        restore_the_index(registry)
        assert answers(registry, day) == after


def test_a_long_logs_day_is_made_in_the_background_and_said(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    monkeypatch.setattr("registry.compliance.scoped_tallies.SLICE", 3)
    day = UNSAVED[0]
    with running(settings, operator) as registry:
        registry.components.compliance.scoped.inline_most = 5  # eleven entries: "long"
        first = registry.client.get("/api/compliance/national", params={"as_of": day})
        assert first.status_code == 503, first.text
        assert int(first.headers["Retry-After"]) > 0
        for _ in range(200):
            response = registry.client.get("/api/compliance/national", params={"as_of": day})
            if response.status_code == 200:
                break
            time.sleep(0.05)
        assert response.status_code == 200, response.text
        assert not index_restored(registry)
        restore_the_index(registry)
        theirs = registry.client.get("/api/compliance/national", params={"as_of": day})
        assert response.json() == theirs.json()


def test_a_day_asked_while_its_pass_runs_is_told_to_come_back_in_both_languages(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    passes_never_end(monkeypatch)
    with running(settings, operator) as registry:
        registry.components.compliance.scoped.inline_most = 5  # eleven entries: "long"
        for path in ["/api/compliance/national", "/api/compliance/provinces"]:
            assert_told_to_come_back(registry, path, {"as_of": UNSAVED[0]})
        for lang, words in (("en", "the figures as of"), ("id", "angka per")):
            answer = registry.client.get(
                "/api/compliance/national",
                params={"as_of": UNSAVED[0]},
                headers={"Accept-Language": lang},
            )
            assert f"{words} {UNSAVED[0]} " in answer.json()["detail"], "the day, not a filter"
        assert_told_to_come_back(registry, "/api/dashboard/national", {"until": UNSAVED[0]})
        assert not index_restored(registry)


def dashboard_listings(registry: Registry, day: str) -> dict[str, Any]:
    """The dashboard's listing of every national figure under ``until`` ``day`` (JSON, and
    the page's entries), as a reader following the figures' links gets them."""
    found: dict[str, Any] = {}
    for figure, value in api(registry, "national", until=day)["items"][0].items():
        if not (isinstance(value, dict) and "value" in value):
            continue
        params = {"until": day, "figure": figure}
        answer = registry.client.get("/api/dashboard/national/entries", params=params)
        assert answer.status_code == 200, answer.text
        shown_page = registry.client.get("/dashboard/national/entries", params=params)
        assert shown_page.status_code == 200, shown_page.text
        found[figure] = answer.json(), LISTED.findall(shown_page.text)
    return found


def test_the_dashboards_listing_of_a_past_day_is_that_days_tally_not_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # ``until`` alone on the dashboard links each figure to its listing under that filter:
    # read from the day's tally (saved as it ended, or its own), as ``as_of`` is on the API.
    day_saved(settings, operator, today)  # 2024-10-05 saved as it ended; today 2024-10-20
    days = ["2024-10-04", "2024-10-05", "2024-10-12"]
    with running(settings, operator) as registry:
        ours = {day: dashboard_listings(registry, day) for day in days}
        assert not index_restored(registry), "from the days' tallies"
        restore_the_index(registry)
        assert {day: dashboard_listings(registry, day) for day in days} == ours
    assert ours["2024-10-12"]["overdue"][0]["items"][0]["index"] == 8, "the history's"
