"""Another day's figures (``?as_of=``) from the tallies saved as each day ended, without
the compliance index, and never from a saved day the registry did not make for this log.

The history of ``test_saved`` (eleven entries, the open recommendation due on
2024-10-11) is served on 2024-10-05, then on 2024-10-20: moving the tally to the later
day saves it as the tally of 2024-10-05 (:mod:`registry.compliance.day_tallies`).  Each
answer for a past day is compared with the index's answer of that day, computed from
every fact in a process that restored the index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from registry.compliance import dashboard, day_tallies
from registry.compliance.day_tallies import DAY_TALLY, day_of, kept
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import FACT_SEGMENTS
from registry.verify.trust import b64url
from tests.api.helpers import NOW_S, Registry, enrolment, pact
from tests.api.test_compliance import DAY, follow_up, register
from tests.compliance.test_saved import (
    another_log,
    fill,
    rows,
    running,
)
from tests.compliance.test_saved_tally import (
    EDITED,
    index_restored,
    restore_the_index,
    saved_history,
    tallied,
)
from tests.databases import copied
from tests.records.test_tampering import edit

SAVED_DAY = "2024-10-05"
"""The fixture's first "today": the tally of this day is saved when the day moves on."""
LATER = "2024-10-20"
"""The second "today", after the open recommendation's deadline (2024-10-11)."""

TABLES = (
    "national",
    "provinces",
    "elections",
    "months",
    "pact-signers-with-overdue",
    "signers",
    "instansi",
    "head-types",
)


def day_rows(settings: Settings) -> dict[str, Any]:
    """The saved tallies of past days, by the day their format names."""
    found = {}
    for row in rows(settings):
        if row.format.startswith(DAY_TALLY):
            day = day_of(row.format[: -len("YYYYMMDD")], row.format)
            assert day is not None
            found[day] = row
    return found


def answers(registry: Registry, day: str) -> dict[str, Any]:
    """Every compliance table as of ``day``, as the API answers it."""
    found = {}
    for table in TABLES:
        response = registry.client.get(f"/api/compliance/{table}", params={"as_of": day})
        assert response.status_code == 200, response.text
        found[table] = response.json()
    on = {"as_of": day, "on": "2024-10-01"}  # the keys in office another day
    response = registry.client.get("/api/compliance/head-types", params=on)
    assert response.status_code == 200, response.text
    found["head-types on 2024-10-01"] = response.json()
    response = registry.client.get("/api/compliance/recommendations", params={"as_of": day})
    assert response.status_code == 200, response.text
    found["recommendations"] = response.json()
    for label in ("ppk-jabar", "recommender", "bawaslu"):  # a PPK's record, and others'
        kid = b64url(registry.signer(label).kid)
        response = registry.client.get(f"/api/compliance/signers/{kid}", params={"as_of": day})
        assert response.status_code == 200, response.text
        found[f"record of {label}"] = response.json()
    for figure, value in found["national"].items():  # the entries behind each figure
        if isinstance(value, dict) and "entries" in value:
            params = {"table": "national", "figure": figure, "as_of": day, "limit": 2}
            response = registry.client.get("/api/compliance/entries", params=params)
            assert response.status_code == 200, response.text
            found[f"entries of {figure}"] = response.json()
    return found


def from_the_index(registry: Registry, day: str) -> dict[str, Any]:
    """Every table as of ``day`` as the restored index computes it."""
    restore_the_index(registry)  # (since alone is now its scope's tally: stop 31)
    return answers(registry, day)


def day_saved(settings: Settings, operator: OperatorKeys, today: Callable[[str], None]) -> None:
    """Serve the history on ``SAVED_DAY``, then answer on ``LATER`` (saving the first).

    Built once a session per backend and per what its building reads, then copied
    (:func:`tests.databases.copied`)."""

    def build(template: Settings) -> None:
        saved_history(template, operator)
        today(LATER)
        with running(template, operator) as registry:
            tallied(registry)
            assert not index_restored(registry)

    copied("day-saved", settings, build, operator.admin.kid)
    today(LATER)
    assert list(day_rows(settings)) == [SAVED_DAY]
    assert day_rows(settings)[SAVED_DAY].end_idx == 11


@pytest.mark.parametrize("day", [SAVED_DAY, "2024-10-12", "2024-10-19"])
def test_a_past_day_is_answered_from_its_saved_tally_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], day: str
) -> None:
    day_saved(settings, operator, today)
    with running(settings, operator) as registry:
        # Registered after the day was saved, dated before it: counted on that day.
        late = register(registry, "ppk-jabar", follow_up(8), NOW_S + 3 * DAY + 60)
        register(registry, "ppk-jabar", pact(place="Bogor"), NOW_S + 3 * DAY + 120)
    with running(settings, operator) as registry:
        tallied_answers = answers(registry, day)
        assert not index_restored(registry), "answered from the saved day's tally"
        assert late in tallied_answers["national"]["followed_up"]["entries"]
        assert tallied_answers["national"]["pacts"]["value"] == 2
        assert tallied_answers == from_the_index(registry, day)


def test_after_the_deadline_the_open_recommendation_is_overdue_on_that_day(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    day_saved(settings, operator, today)
    with running(settings, operator) as registry:
        before = answers(registry, SAVED_DAY)["national"]
        after = answers(registry, "2024-10-12")["national"]
        assert not index_restored(registry)
    assert before["pending"]["entries"] == [8]
    assert before["overdue"]["value"] == 0
    assert after["overdue"]["entries"] == [8]
    assert after["pending"]["value"] == 0


# A day before any saved day: that day's own tally (stop 32), ``test_unsaved_past_days``.


def test_a_worker_holding_the_index_answers_a_past_day_from_it(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    day_saved(settings, operator, today)
    with running(settings, operator) as registry:
        assert from_the_index(registry, SAVED_DAY)["national"]["pending"]["entries"] == [8]
        compliance = registry.components.compliance
        assert compliance.tallies.past is None, "no second copy of the figures"


def test_a_reader_going_back_and_forth_between_past_days_reloads_none_of_them(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A reader comparing a few days (this month's end and the last) must not make the
    # worker load and feed a saved tally on every answer; each kept day is still fed.
    day_saved(settings, operator, today)
    loaded: list[str] = []
    latest = day_tallies.DayTallies.latest

    async def counted(self: day_tallies.DayTallies, day: str) -> Any:
        loaded.append(day)
        return await latest(self, day)

    monkeypatch.setattr(day_tallies.DayTallies, "latest", counted)
    days = [SAVED_DAY, "2024-10-12", "2024-10-19"]
    with running(settings, operator) as registry:
        tallies = registry.components.compliance.tallies
        for day in days + days[::-1]:
            answers(registry, day)
        assert loaded == days, "each day loaded once, then answered from the kept tally"
        assert tallies.past_days == days[::-1]
        # Registered now, dated before every kept day: each counts it without a reload.
        late = register(registry, "ppk-jabar", follow_up(8), NOW_S + 3 * DAY + 60)
        kept = {day: answers(registry, day) for day in days}
        assert loaded == days
        for day in days:
            assert late in kept[day]["national"]["followed_up"]["entries"], day
        # A fourth day: the least recently asked (the first of this last round) goes.
        answers(registry, "2024-10-06")
        assert tallies.past_days == [*days[1:], "2024-10-06"]
        answers(registry, SAVED_DAY)
        assert loaded == [*days, "2024-10-06", SAVED_DAY]
        assert not index_restored(registry)
        assert kept == {day: from_the_index(registry, day) for day in days}
        assert tallies.past_days == [], "the index answers every day: no tally kept beside it"


def test_a_later_day_is_todays_tally_moved_to_it_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # ``as_of`` after today (where deadlines will stand) restored the whole index for any
    # caller; it is today's tally moved to that day, as the index computes it.
    saved_history(settings, operator)
    later = "2024-10-12"  # after the open recommendation's deadline (2024-10-11)
    with running(settings, operator) as registry:
        ahead = answers(registry, later)
        assert not index_restored(registry), "answered from a copy of today's tally"
        assert ahead["national"]["overdue"]["entries"] == [8]
        dashboard_page = registry.client.get("/api/dashboard/national", params={"until": later})
        assert dashboard_page.status_code == 200, dashboard_page.text
        # Registered now: the kept later day's tally is fed on, not made again.
        late = register(registry, "ppk-jabar", follow_up(8), NOW_S + 3 * DAY + 60)
        fed = answers(registry, later)
        assert late in fed["national"]["followed_up"]["entries"]
        assert registry.components.compliance.tallies.past_days == [later]
        assert not index_restored(registry)
        assert fed == from_the_index(registry, later)
        assert dashboard_page.json()["items"][0]["overdue"]["entries"] == [8]


@EDITED
def test_an_edited_day_tally_moves_no_figure(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    day_saved(settings, operator, today)
    row = day_rows(settings)[SAVED_DAY]
    edit(
        settings,
        update(FACT_SEGMENTS)
        .where(FACT_SEGMENTS.c.format == row.format)
        .values(mutation(bytes(row.data), bytes(row.seal))),
    )
    with running(settings, operator) as registry:
        found = answers(registry, "2024-10-12")
        assert not index_restored(registry), "that day's facts tallied again (stop 32)"
        assert found == from_the_index(registry, "2024-10-12")
        assert found["national"]["overdue"]["entries"] == [8]


def test_a_day_tally_renamed_to_another_day_is_not_used(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # The seal covers the format, which names the day: moved to a later day's name (where
    # it would count the open recommendation pending after its deadline), it opens no more.
    day_saved(settings, operator, today)
    row = day_rows(settings)[SAVED_DAY]
    renamed = row.format.replace("20241005", "20241015")
    edit(settings, update(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format == row.format).values(
        format=renamed))  # fmt: skip
    with running(settings, operator) as registry:
        found = answers(registry, "2024-10-15")
        assert not index_restored(registry), "that day's facts tallied again (stop 32)"
        assert found["national"]["overdue"]["entries"] == [8]
        assert found == from_the_index(registry, "2024-10-15")


def test_the_day_tally_of_another_log_of_the_same_operator_is_not_used(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    make_database_url: Any,
    tmp_path: Any,
) -> None:
    day_saved(settings, operator, today)
    other, other_keys = another_log(settings, make_database_url, tmp_path)
    today(SAVED_DAY)
    with running(other, other_keys) as registry:
        fill(Registry.bootstrapped(registry.client, other_keys), pacts=2, deadline="2024-09-28")
        tallied(registry)
    today(LATER)
    with running(other, other_keys) as registry:
        tallied(registry)
    foreign = day_rows(other)[SAVED_DAY]
    edit(
        settings,
        delete(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format.startswith(DAY_TALLY)),
        insert(FACT_SEGMENTS).values(foreign._asdict()),
    )
    with running(settings, operator) as registry:
        found = answers(registry, SAVED_DAY)
        assert not index_restored(registry), "made for another root: not used (stop 32)"
        assert found["national"]["pacts"]["value"] == 1
        assert found == from_the_index(registry, SAVED_DAY)


def test_an_older_day_tally_put_back_counts_every_entry_since(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # A backup's tally of the day is this log's, true up to its end: the entries after it
    # are taken from the log, so putting it back moves no figure.
    day_saved(settings, operator, today)
    old = day_rows(settings)[SAVED_DAY]
    today(SAVED_DAY)
    with running(settings, operator) as registry:
        late = register(registry, "ppk-jabar", follow_up(8), NOW_S + 3 * DAY + 60)
        tallied(registry)  # the tally of 2024-10-05, holding it, saved as today's
    today("2024-10-21")
    with running(settings, operator) as registry:
        tallied(registry)  # the saved tally (of 2024-10-05: only its day moved since) moves
    with running(settings, operator) as registry:
        newer = answers(registry, SAVED_DAY)
        assert late in newer["national"]["followed_up"]["entries"]
    assert day_rows(settings)[SAVED_DAY].end_idx == late + 1, "saved again, holding more"
    edit(settings, update(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format == old.format).values(
        old._asdict()))  # fmt: skip
    with running(settings, operator) as registry:
        assert answers(registry, SAVED_DAY) == newer
        assert not index_restored(registry)


def test_a_day_too_far_behind_the_log_is_that_days_own_tally(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day_saved(settings, operator, today)
    with running(settings, operator) as registry:
        register(registry, "ppk-jabar", pact(place="Bogor"), NOW_S + 3 * DAY + 120)
    monkeypatch.setattr("registry.compliance.tallies.FORWARD_MOST", 0)
    with running(settings, operator) as registry:
        found = answers(registry, SAVED_DAY)
        assert not index_restored(registry), "not fed forward: that day's facts tallied again"
        assert found["national"]["pacts"]["value"] == 2
        assert found == from_the_index(registry, SAVED_DAY)


def test_the_last_days_and_each_months_last_are_kept() -> None:
    days = [f"2024-{m:02d}-{d:02d}" for m in (8, 9, 10) for d in (1, 15, 28)]
    assert kept(days, recent=2) == {"2024-08-28", "2024-09-28", "2024-10-15", "2024-10-28"}
    assert kept(days, recent=100) == set(days)


def test_a_day_format_fits_the_column_and_names_its_day() -> None:
    prefix = day_tallies.day_prefix("compliance-" + "0" * 40)
    format = day_tallies.day_format(prefix, "2024-10-05")
    assert len(format) <= 64
    assert day_of(prefix, format) == "2024-10-05"
    assert day_of(prefix, prefix + "2024105") is None
    assert day_of(prefix, "compliance-tally-x") is None


def test_a_key_enrolled_after_the_saved_day_is_placed_on_its_own_day(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # A second PPK (Banten) enrolled on 2024-10-09, after the saved day, with a pact that
    # day and a recommendation addressed to it: none of it counts on 2024-10-05, all of
    # it on 2024-10-12, as the index says.
    day_saved(settings, operator, today)
    enrolled_at = NOW_S + 12 * DAY
    with running(settings, operator) as registry:
        late = registry.signer("ppk-banten")
        payload = enrolment(
            late.public_key, "ppk", province="Banten", instansi="Pemerintah Provinsi Banten",
            term_end="2099-12-31",
        )  # fmt: skip
        response = registry.post(operator.admin.sign_statement(payload, "operator", enrolled_at))
        assert response.status_code == 201, response.text
        banten = {"instansi": "Pemerintah Provinsi Banten", "place": "Serang"}
        register(registry, "ppk-banten", pact(**banten), enrolled_at + 60)
    with running(settings, operator) as registry:
        kid = b64url(registry.signer("ppk-banten").kid)
        found = {}
        for day in (SAVED_DAY, "2024-10-12"):
            found[day] = {
                **answers(registry, day),
                "banten": registry.client.get(
                    f"/api/compliance/signers/{kid}", params={"as_of": day}
                ).json(),
            }
        assert not index_restored(registry)
        assert found[SAVED_DAY]["national"]["pacts"]["value"] == 1
        assert found["2024-10-12"]["national"]["pacts"]["value"] == 2
        for day in (SAVED_DAY, "2024-10-12"):
            computed = from_the_index(registry, day)
            computed["banten"] = registry.client.get(
                f"/api/compliance/signers/{kid}", params={"as_of": day}
            ).json()
            assert found[day] == computed


def dashboard_until(registry: Registry, day: str) -> dict[str, Any]:
    """Every dashboard table with ``until`` the day (and its page), as the API answers it."""
    found = {}
    for table in dashboard.TABLES:
        response = registry.client.get(f"/api/dashboard/{table}", params={"until": day})
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["filter"] == {"until": day}
        found[table] = answer["items"]
    page = registry.client.get("/dashboard", params={"until": day})
    assert page.status_code == 200, page.text
    assert f'value="{day}"' in page.text, "the form keeps the day asked"
    return found


def test_the_dashboard_until_a_past_day_is_answered_from_its_saved_tally(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    day_saved(settings, operator, today)
    with running(settings, operator) as registry:
        register(registry, "ppk-jabar", follow_up(8), NOW_S + 3 * DAY + 60)
    with running(settings, operator) as registry:
        found = {day: dashboard_until(registry, day) for day in (SAVED_DAY, "2024-10-12")}
        assert not index_restored(registry), "answered from the saved day's tally"
        restore_the_index(registry)
        for day in (SAVED_DAY, "2024-10-12"):
            assert found[day] == dashboard_until(registry, day)


def test_the_dashboard_until_with_another_filter_or_a_bad_day_is_not_the_tallys(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    day_saved(settings, operator, today)
    with running(settings, operator) as registry:
        bad = registry.client.get("/api/dashboard/national", params={"until": "2024-13-01"})
        assert bad.status_code == 400, bad.text
        assert not index_restored(registry)
        both = {"until": SAVED_DAY, "since": "2024-01-01"}
        response = registry.client.get("/api/dashboard/national", params=both)
        assert response.status_code == 200, response.text
        assert response.json()["filter"] == both
        assert not index_restored(registry), "a range alone: its own scope's tally (stop 31)"
        restore_the_index(registry)
        whole = registry.client.get("/api/dashboard/national", params=both)
        assert response.json()["items"] == whole.json()["items"]
        # (an election or head type with a past day: that scope's tally of the day,
        # test_saved_scoped_days)
