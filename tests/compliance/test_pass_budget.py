"""The passes that make the tallies of dashboard filters with a day are rationed
(``registry/compliance/pass_budget.py``, ``scoped_tallies.py``): a reader asking a new
``since`` or ``until`` each time cannot keep a pass over the log running for ever, nor keep
the other readers' filters waiting.

The bucket alone (a clock of our own), then on both databases through the API and the page:
past the hour's budget a new day is told to come back (503, ``Retry-After``, both languages)
while a day already made, a filter without a day and the index stay untouched; and a filter
without a day asked while a day's pass runs stops that pass (saved as far as it reached).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.compliance.feed import feed
from registry.compliance.pass_budget import PassBudget
from registry.compliance.scoped_tally import DATED, Scope, ScopedTally
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.locks import held_lock
from tests.compliance.test_saved import running
from tests.compliance.test_saved_scoped_tallies import (
    assert_told_to_come_back,
    from_the_index,
    scoped_rows,
)
from tests.compliance.test_saved_tally import index_restored, saved_history
from tests.compliance.test_saved_tally_dashboard import api

SINCE = {"election": "pilkada-2024", "since": "2024-09-27"}
UNTIL = {"head_type": "pj", "until": "2024-09-29"}
BOTH = {"election": "pilkada-2024", "until": "2024-09-29"}
NATIONAL = "/api/dashboard/national"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_pass_may_start_while_the_bucket_holds_any_and_takes_all_it_reads() -> None:
    budget = PassBudget(3600, Clock())
    assert budget.take(3000) is None
    assert budget.take(3000) is None  # 600 were left: it starts, and the bucket owes 2,400
    assert budget.left == -2400
    assert budget.take(5000) == 2400 + 1, "told to wait until the bucket holds some again"
    assert budget.left == -2400, "a pass told to wait takes nothing"


def test_the_bucket_refills_at_its_rate_and_never_past_full() -> None:
    clock = Clock()
    budget = PassBudget(3600, clock)
    assert budget.take(6000) is None
    clock.now += 2400  # 2,400 entries back
    assert budget.take(5000) == 1
    clock.now += 1
    assert budget.take(5000) is None
    clock.now += 10 * 3600
    assert budget.left == 3600, "a day of quiet does not save up more than an hour's"


def test_a_catch_up_of_a_few_entries_is_free_even_with_the_bucket_empty() -> None:
    budget = PassBudget(3600, Clock())
    assert budget.take(100_000) is None
    assert budget.take(10) is None
    assert budget.left == 3600 - 100_000


def test_a_budget_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="allows no pass"):
        PassBudget(0)


@given(
    st.lists(
        st.tuples(st.integers(0, 7200), st.integers(0, 50_000)),
        min_size=1,
        max_size=40,
    )
)
def test_no_window_reads_more_than_its_hours_and_one_pass(steps: list[tuple[int, int]]) -> None:
    # Whatever the readers ask and when: what the passes allowed read is at most a full
    # bucket, the refill over the time gone, and the last pass allowed (which may overdraw).
    clock = Clock()
    an_hour = 10_000
    budget = PassBudget(an_hour, clock)
    start, taken, largest = clock.now, 0, 0
    for wait, entries in steps:
        clock.now += wait
        if budget.take(entries) is None:
            taken += entries
            largest = max(largest, entries)
        elapsed = clock.now - start
        assert taken <= an_hour + math.ceil(elapsed * an_hour / 3600) + largest


def rationed_to(registry: Any, monkeypatch: pytest.MonkeyPatch, an_hour: int) -> Clock:
    """The worker's budget set to ``an_hour`` entries on a clock of the test's; every pass,
    however short, charged."""
    monkeypatch.setattr("registry.compliance.pass_budget.FREE", 0)
    clock = Clock()
    registry.components.compliance.scoped.budget = PassBudget(an_hour, clock)
    return clock


def test_a_new_day_past_the_hours_budget_is_told_to_come_back(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)  # eleven entries
    with running(settings, operator) as registry:
        clock = rationed_to(registry, monkeypatch, 15)
        assert api(registry, "national", **SINCE)["items"]  # 11 taken: 4 left
        assert api(registry, "national", **UNTIL)["items"]  # 4 left: it starts, -7
        for lang, words in (("en", "many new date ranges"), ("id", "rentang tanggal baru")):
            answer = registry.client.get(NATIONAL, params=BOTH, headers={"Accept-Language": lang})
            assert answer.status_code == 503, answer.text
            assert int(answer.headers["Retry-After"]) == math.ceil(7 * 3600 / 15) + 1
            assert words in answer.json()["detail"]
            assert "15 " in answer.json()["detail"]
        shown = registry.client.get("/dashboard", params={**BOTH, "lang": "id"})
        assert shown.status_code == 503
        assert "rentang tanggal baru" in shown.text
        assert int(shown.headers["Retry-After"]) > 0
        # a day already made, a filter without a day: answered as before, nothing taken
        assert api(registry, "national", **SINCE)["items"]
        assert api(registry, "national", election="pilkada-2024")["items"]
        assert registry.components.compliance.scoped.budget.left == -7
        clock.now += 3600
        made = api(registry, "national", **BOTH)["items"]
        assert not index_restored(registry)
        assert made == from_the_index(registry, BOTH)["national"]


def test_a_day_already_saved_is_answered_at_a_restart_with_the_budget_spent(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        made = api(registry, "national", **SINCE)["items"]
    with running(settings, operator) as registry:
        rationed_to(registry, monkeypatch, 1)  # the bucket holds one entry
        assert registry.components.compliance.scoped.budget.take(100) is None  # owes 99
        assert api(registry, "national", **SINCE)["items"] == made, "its saved row, no pass"
        assert_rationed(registry, UNTIL)
        assert not index_restored(registry)


def assert_rationed(registry: Any, flt: dict[str, str]) -> None:
    answer = registry.client.get(NATIONAL, params=flt, headers={"Accept-Language": "en"})
    assert answer.status_code == 503, answer.text
    assert "many new date ranges" in answer.json()["detail"]


def passes_stuck_after_a_slice(monkeypatch: pytest.MonkeyPatch) -> list[Scope]:
    """Every pass reads three entries and then never ends; the scopes whose passes started."""
    started: list[Scope] = []

    async def stuck(self: Any, tally: ScopedTally) -> None:
        started.append(tally.scope)
        async with self._lock:
            await feed(tally, self.facts, min(self._log.size, tally.size + 3))
        await asyncio.sleep(3600)

    monkeypatch.setattr("registry.compliance.scoped_tallies.ScopedTallies._fed_to_end", stuck)
    return started


def test_a_filter_without_a_day_stops_a_days_pass_and_goes_first(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved_history(settings, operator)
    started = passes_stuck_after_a_slice(monkeypatch)
    with running(settings, operator) as registry:
        scoped = registry.components.compliance.scoped
        scoped.inline_most = 2  # eleven entries: "long"
        assert_told_to_come_back(registry, NATIONAL, SINCE)
        day = Scope("pilkada-2024", None, "2024-09-27")
        assert started == [day]
        assert_told_to_come_back(registry, NATIONAL, {"head_type": "pj"})
        assert started == [day, Scope(None, "pj")], "the day's pass stopped, this one started"
        dated = [row for row in scoped_rows(settings) if row.format == scoped.format(day)]
        assert scoped.format(day).startswith(scoped.prefix + DATED)
        assert [row.end_idx for row in dated] == [3], "the day's pass saved as far as it read"
        # another day asked now waits for the filter without a day; it does not stop it
        assert_told_to_come_back(registry, NATIONAL, UNTIL)
        assert started == [day, Scope(None, "pj")]
        assert not index_restored(registry)


def test_the_setting_sets_each_workers_budget(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    chosen = replace(settings, dated_pass_entries=5_000)
    with running(chosen, operator) as registry:
        assert registry.components.compliance.scoped.budget.an_hour == 5_000


def test_a_day_is_not_made_while_another_worker_makes_one(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The workers of one registry make one scope with a day at a time in the background: a
    # reader asking new days cannot keep every core busy.
    saved_history(settings, operator)
    started = passes_stuck_after_a_slice(monkeypatch)
    with running(settings, operator) as registry:
        scoped = registry.components.compliance.scoped
        scoped.inline_most = 2  # eleven entries: "long"
        assert scoped.pass_lock is not None
        with held_lock(scoped.pass_lock) as another:  # another worker making a day
            assert another
            assert_told_to_come_back(registry, NATIONAL, SINCE)
            assert started == [], "no pass while another worker makes a day"
        assert_told_to_come_back(registry, NATIONAL, SINCE)
        assert started == [Scope("pilkada-2024", None, "2024-09-27")]
        with held_lock(scoped.pass_lock) as another:
            assert not another, "this worker's pass holds the lock"
        assert not index_restored(registry)


def test_a_filter_without_a_day_already_made_leaves_a_days_pass_running(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only a filter that needs a pass of its own stops a day's: a busy dashboard asking the
    # filters already made must not keep a day from ever being counted.
    saved_history(settings, operator)
    started = passes_stuck_after_a_slice(monkeypatch)
    with running(settings, operator) as registry:
        scoped = registry.components.compliance.scoped
        made = api(registry, "national", head_type="pj")["items"]  # inline: no pass
        scoped.inline_most = 2  # eleven entries: "long"
        assert_told_to_come_back(registry, NATIONAL, SINCE)
        day = Scope("pilkada-2024", None, "2024-09-27")
        assert api(registry, "national", head_type="pj")["items"] == made
        assert started == [day]
        assert scoped._passing() == day, "the day's pass still runs"
        assert not index_restored(registry)
