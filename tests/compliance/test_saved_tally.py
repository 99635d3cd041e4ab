"""Today's national figures from the saved tally: at a restart without restoring the index,
and never from a tally the registry did not save for this log as it is.

The history of ``test_saved`` (eleven entries, one recommendation followed up,
the other due on 2024-10-11), served with "today" fixed.  Each way of moving
a figure through the saved tally (its bytes, its seal, its root, the tally of
another log of the same operator, an older tally put back) must leave the
national row as the facts give it (``/api/dashboard/national``, computed from
every fact).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from registry.compliance.saved import TALLY
from registry.compliance.tally import NationalTally
from registry.config import Settings
from registry.records.operator import OperatorKeys, create_keys
from registry.records.segments import TALLY_KINDS
from registry.store.tables import FACT_SEGMENTS
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_compliance import DAY, follow_up, register
from tests.compliance.test_saved import (
    another_log,
    fill,
    garbage,
    root_zeroed,
    rows,
    running,
    seal_flipped,
)
from tests.records.test_tampering import edit

BEFORE_DUE = "2024-10-05"
"""After every fact of the history, before its open recommendation is due (2024-10-11)."""
AFTER_DUE = "2024-10-31"


@pytest.fixture
def operator(settings: Settings) -> OperatorKeys:
    return create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set the registry's "today" (WIB) for the national figures and the dashboard."""

    def set_today(day: str) -> None:
        for where in ("registry.compliance.service.today", "registry.api.dashboard.today"):
            monkeypatch.setattr(where, lambda: day)

    set_today(BEFORE_DUE)
    return set_today


def tallied(registry: Registry) -> dict[str, Any]:
    """Today's national row as ``/api/compliance/national`` answers it (from the tally)."""
    response = registry.client.get("/api/compliance/national")
    assert response.status_code == 200, response.text
    answer = response.json()
    answer.pop("as_of")
    return dict(answer)


def computed(registry: Registry) -> dict[str, Any]:
    """Today's national row computed from every fact (the dashboard's table)."""
    response = registry.client.get("/api/dashboard/national")
    assert response.status_code == 200, response.text
    return dict(response.json()["items"][0])


def index_restored(registry: Registry) -> bool:
    saved = registry.components.compliance.saved
    assert saved is not None
    return saved._loaded


def tally_rows(settings: Settings) -> list[Any]:
    return [row for row in rows(settings) if row.format.startswith(TALLY)]


def saved_history(settings: Settings, operator: OperatorKeys) -> dict[str, Any]:
    """Fill a registry, answer today's national figures (which saves the tally); them."""
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        figures = tallied(registry)
        assert figures == computed(registry)
    [row] = tally_rows(settings)
    assert (row.start_idx, row.end_idx) == (0, 11)
    return figures


def test_the_tally_is_kept_when_segments_of_another_format_are_deleted() -> None:
    assert TALLY == TALLY_KINDS


def test_a_restart_answers_todays_national_figures_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    figures = saved_history(settings, operator)
    assert figures["pending"]["entries"] == [8]
    assert figures["followed_up"]["value"] == 1
    with running(settings, operator) as registry:
        assert tallied(registry) == figures
        assert not index_restored(registry), "answered from the saved tally alone"
        assert computed(registry) == figures
    today(AFTER_DUE)  # a later day: the open recommendation is now overdue
    with running(settings, operator) as registry:
        later = tallied(registry)
        assert not index_restored(registry)
        assert later["overdue"]["entries"] == [8]
        assert later["pending"]["value"] == 0
        assert later == computed(registry)


def test_entries_registered_after_the_tally_was_saved_are_counted(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:  # answers no figure: saves no tally
        answered = register(registry, "ppk-jabar", follow_up(8), NOW_S + 3 * DAY + 60)
        register(registry, "ppk-jabar", pact(place="Bogor"), NOW_S + 3 * DAY + 120)
    with running(settings, operator) as registry:
        figures = tallied(registry)
        assert answered in figures["followed_up"]["entries"]
        assert figures["pacts"]["value"] == 2
        assert figures == computed(registry)


def counts_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with a recommendation more followed up, encoded again (seal kept)."""
    tally = NationalTally.decode(data)
    tally.figures["followed_up"].add(99, tally.bound)
    return {"data": tally.encode()}


def day_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally said to be of a later day, when the open recommendation is overdue."""
    tally = NationalTally.decode(data)
    tally.day = AFTER_DUE
    return {"data": tally.encode()}


@pytest.mark.parametrize(
    "mutation",
    [counts_moved, day_moved, seal_flipped, root_zeroed, garbage],
    ids=["data-counts-moved", "data-day-moved", "seal-flipped", "root-zeroed", "data-garbage"],
)
def test_an_edited_tally_moves_no_figure_and_is_saved_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    figures = saved_history(settings, operator)
    [row] = tally_rows(settings)
    edit(
        settings,
        update(FACT_SEGMENTS)
        .where(FACT_SEGMENTS.c.format == row.format)
        .values(mutation(bytes(row.data), bytes(row.seal))),
    )
    with running(settings, operator) as registry:
        assert tallied(registry) == figures
        assert index_restored(registry), "computed from the facts"
    assert tally_rows(settings) == [row], "made again from the facts and saved as it was"


def test_the_tally_of_another_log_of_the_same_operator_is_not_used(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    make_database_url: Any,
    tmp_path: Path,
) -> None:
    # Same keys, another history (two pacts, its first recommendation due before its
    # follow-up): its tally opens (the same seal key) but was made for another root.
    figures = saved_history(settings, operator)
    other, other_keys = another_log(settings, make_database_url, tmp_path)
    with running(other, other_keys) as registry:
        fill(Registry.bootstrapped(registry.client, other_keys), pacts=2, deadline="2024-09-28")
        assert tallied(registry) != figures
    [foreign] = tally_rows(other)
    edit(
        settings,
        delete(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format.startswith(TALLY)),
        insert(FACT_SEGMENTS).values(foreign._asdict()),
    )
    with running(settings, operator) as registry:
        assert tallied(registry) == figures
        assert index_restored(registry)


def test_an_older_tally_put_back_counts_every_entry_since(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # A backup's tally is this log's, true up to its end: the entries after it are
    # taken from the log, so restoring it moves no figure.
    saved_history(settings, operator)
    [old] = tally_rows(settings)
    with running(settings, operator) as registry:
        answered = register(registry, "ppk-jabar", follow_up(8), NOW_S + 3 * DAY + 60)
        revoked = register(
            registry, "ppk-jabar", {"type": "revocation", "entry": 9, "reason": "ganda"},
            NOW_S + 3 * DAY + 120,
        )  # fmt: skip
        newer = tallied(registry)
        assert answered in newer["followed_up"]["entries"]
        assert newer["pacts"]["value"] == 0
        assert revoked > answered
    [row] = tally_rows(settings)
    assert row.end_idx == revoked + 1
    edit(settings, update(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format == old.format).values(
        old._asdict()))  # fmt: skip
    with running(settings, operator) as registry:
        assert tallied(registry) == newer == computed(registry)
