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
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from registry.compliance import service, tally_bytes
from registry.compliance.day_tallies import DAY_TALLY
from registry.compliance.saved import TALLY
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.records.segments import TALLY_KINDS
from registry.store.tables import ENTRIES, FACT_SEGMENTS
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
from tests.databases import copied
from tests.records.test_tampering import assert_tampered, edit, stored

AFTER_DUE = "2024-10-31"
"""After the open recommendation's deadline (the fixture ``today`` starts before it)."""


def tallied(registry: Registry) -> dict[str, Any]:
    """Today's national row as ``/api/compliance/national`` answers it (from the tally)."""
    response = registry.client.get("/api/compliance/national")
    assert response.status_code == 200, response.text
    answer = response.json()
    answer.pop("as_of")
    return dict(answer)


def computed(registry: Registry) -> dict[str, Any]:
    """Today's national row computed from every fact (the dashboard's table, counted until
    today: a filter, which the tally does not answer)."""
    response = registry.client.get("/api/dashboard/national", params={"until": service.today()})
    assert response.status_code == 200, response.text
    return dict(response.json()["items"][0])


def index_restored(registry: Registry) -> bool:
    """Whether the worker restored (or began to build) its compliance index."""
    compliance = registry.components.compliance
    assert compliance.saved is not None
    return compliance.saved._loaded or compliance.index.size > 0


def restore_the_index(registry: Registry) -> None:
    """Restore the whole index in the worker: every later answer is then computed from it."""
    compliance = registry.components.compliance
    registry.client.blocking_portal.call(compliance.snapshot)
    assert index_restored(registry)


def tally_rows(settings: Settings) -> list[Any]:
    """The saved tally of today (not those of past days: ``test_saved_day_tallies``)."""
    return [
        row
        for row in rows(settings)
        if row.format.startswith(TALLY) and not row.format.startswith(DAY_TALLY)
    ]


def _fill_and_tally(settings: Settings, operator: OperatorKeys) -> dict[str, Any]:
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        figures = tallied(registry)
        assert figures == computed(registry)
    return figures


def saved_history(settings: Settings, operator: OperatorKeys) -> dict[str, Any]:
    """Fill a registry, answer today's national figures (which saves the tally); them.

    Built once a session per backend and per what its building reads, then copied
    (:func:`tests.databases.copied`): some 90 tests on two backends each built it (2 s)."""
    build = partial(_fill_and_tally, operator=operator)
    figures: dict[str, Any] = copied("saved-history", settings, build, operator.admin.kid)
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
    tally = tally_bytes.decode(data)
    tally.figures["followed_up"].add(99, tally.bound)
    return {"data": tally_bytes.encode(tally)}


def day_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally said to be of a later day, when the open recommendation is overdue."""
    tally = tally_bytes.decode(data)
    tally.day = AFTER_DUE
    return {"data": tally_bytes.encode(tally)}


EDITED = pytest.mark.parametrize(
    "mutation",
    [counts_moved, day_moved, seal_flipped, root_zeroed, garbage],
    ids=["data-counts-moved", "data-day-moved", "seal-flipped", "root-zeroed", "data-garbage"],
)
"""Each way of editing a saved tally's row (``mutation(data, seal)``: its new columns)."""


@EDITED
def test_an_edited_tally_moves_no_figure_and_is_saved_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    figures = saved_history(settings, operator)
    row = edit_tally(settings, mutation)
    with running(settings, operator) as registry:
        assert tallied(registry) == figures
        assert index_restored(registry), "computed from the facts"
    assert tally_rows(settings) == [row], "made again from the facts and saved as it was"


def edit_tally(settings: Settings, mutation: Any) -> Any:
    """Replace the saved tally's columns by ``mutation(data, seal)``; the row as it was."""
    [row] = tally_rows(settings)
    edit(
        settings,
        update(FACT_SEGMENTS)
        .where(FACT_SEGMENTS.c.format == row.format)
        .values(mutation(bytes(row.data), bytes(row.seal))),
    )
    return row


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


def revocation(entry: int) -> dict[str, Any]:
    return {"type": "revocation", "entry": entry, "reason": "ganda"}


def test_a_worker_counts_what_is_registered_after_its_start_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # Registered through this very worker after the saved tally (entries 0 to 10): the
    # open recommendation (8) answered, the other's follow-up (10) revoked, the pact
    # revoked, a pact more, and a follow-up of the revoked answer's recommendation.
    saved_history(settings, operator)
    later = NOW_S + 3 * DAY
    with running(settings, operator) as registry:
        assert not index_restored(registry)
        answered = register(registry, "ppk-jabar", follow_up(8), later + 60)
        figures = tallied(registry)
        assert answered in figures["followed_up"]["entries"]
        assert figures["pending"]["value"] == 0
        register(registry, "ppk-jabar", revocation(10), later + 120)
        register(registry, "ppk-jabar", revocation(9), later + 180)
        pacted = register(registry, "ppk-jabar", pact(place="Bogor"), later + 240)
        figures = tallied(registry)
        assert figures["followed_up"]["entries"] == [answered]
        assert figures["pending"]["entries"] == [7], "its sanction revoked: open again"
        assert figures["pacts"]["entries"] == [pacted]
        again = register(registry, "ppk-jabar", follow_up(7), later + 300)
        figures = tallied(registry)
        assert figures["followed_up"]["entries"] == [answered, again]
        assert not index_restored(registry), "every new entry taken without the index"
        assert registry.components.compliance.facts.read < 20, "not the log: what was new"
        assert figures == computed(registry)
    with running(settings, operator) as registry:  # what the worker took was saved at its stop
        assert tallied(registry) == figures
        assert registry.components.compliance.facts.read == 0
        assert not index_restored(registry)


def test_an_edited_entry_the_tally_reads_again_moves_no_figure(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # The follow-up registered after the saved tally makes it read the recommendation
    # it answers (8) from the log: edited in the database, that read is refused with
    # the tamper evidence, never counted as the edited bytes say.
    figures = saved_history(settings, operator)
    with running(settings, operator) as registry:  # answers no figure: saves no tally
        register(registry, "ppk-jabar", follow_up(8), NOW_S + 3 * DAY + 60)
    statement = bytes(stored(settings, 8).statement)
    edited = statement[:-1] + bytes([statement[-1] ^ 1])
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == 8).values(statement=edited))
    with running(settings, operator) as registry:
        assert_tampered(registry.client.get("/api/compliance/national"), 8, "statement")
        assert not index_restored(registry)
        tally = registry.components.compliance.index.tally
        assert tally is not None
        assert tally.row()["pending"]["entries"] == figures["pending"]["entries"] == [8]
    [row] = tally_rows(settings)
    assert row.end_idx == 11, "nothing saved past the edited entry"
    assert stored(settings, 8).statement == edited


def test_a_statement_dated_after_today_counts_from_its_day_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # Issued "tomorrow" (a clock ahead) and registered today: it does not count today;
    # tomorrow it does, and moving the tally there reads it again, not the whole index.
    figures = saved_history(settings, operator)
    tomorrow = NOW_S + 9 * DAY  # 2024-10-06 in WIB, the day after BEFORE_DUE
    with running(settings, operator) as registry:
        pacted = register(registry, "ppk-jabar", pact(place="Bogor"), tomorrow)
        answered = register(registry, "ppk-jabar", follow_up(8), tomorrow + 60)
        assert tallied(registry) == figures
        today("2024-10-06")
        figures = tallied(registry)
        assert figures["pacts"]["entries"] == [9, pacted]
        assert answered in figures["followed_up"]["entries"]
        assert not index_restored(registry)
        assert figures == computed(registry)
