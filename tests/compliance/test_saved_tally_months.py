"""Today's months table from the saved tally: at a restart without restoring the index, fed
with what is registered after it and moved past a deadline, and never from a tally the
registry did not save for this log as it is (edited bytes, a broken seal).

The history of ``test_saved`` (eleven entries of 2024-09: two recommendations due on
2024-10-11, one followed up on 2024-09-30), served with "today" fixed;
``/api/dashboard/months`` computes the same table from every fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registry.compliance import tally_bytes
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import NOW_S
from tests.api.test_compliance import DAY, recommendation, register
from tests.compliance import test_saved_tally_instansi as instansi
from tests.compliance.test_saved import running, seal_flipped
from tests.compliance.test_saved_tally import AFTER_DUE, edit_tally, index_restored, tally_rows

tallied, computed, saved_history = instansi.table_of("months")
"""Today's months table from the tally, computed from the facts, and saved with a history."""


def test_a_restart_answers_todays_months_table_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    table = saved_history(settings, operator)
    [row] = table
    assert row["month"] == "2024-09"
    assert row["recommendations"]["entries"] == [7, 8]
    assert row["followed_up"]["entries"] == [10]
    assert row["overdue_at_month_end"] == {"value": 0, "entries": []}, "due in October"
    with running(settings, operator) as registry:
        assert tallied(registry) == table
        assert not index_restored(registry), "answered from the saved tally alone"
        assert computed(registry) == table


def test_a_recommendation_past_its_deadline_counts_at_this_months_end_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    with running(settings, operator) as registry:  # answers nothing: saves no tally
        ppk = registry.signer("ppk-jabar").kid
        october = register(registry, "recommender", recommendation(ppk_kid=ppk), NOW_S + 10 * DAY)
    today(AFTER_DUE)  # both open recommendations (due 2024-10-11) are now overdue
    with running(settings, operator) as registry:
        september, this_month = tallied(registry)
        assert september["overdue_at_month_end"]["entries"] == [], "not due by its end"
        assert this_month["month"] == "2024-10"
        assert this_month["recommendations"]["entries"] == [october]
        assert this_month["overdue_at_month_end"]["entries"] == [8, october]
        assert not index_restored(registry), "fed from the log and moved to today"
        assert [september, this_month] == computed(registry)


def month_counts_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with a recommendation counted in another month, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    tally.months.figures.add("2024-08", "recommendations", 99)
    return {"data": tally_bytes.encode(tally)}


@pytest.mark.parametrize(
    "mutation", [month_counts_moved, seal_flipped], ids=["data-month-counts-moved", "seal-flipped"]
)
def test_an_edited_tally_moves_no_month_figure_and_is_saved_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    rows = saved_history(settings, operator)
    row = edit_tally(settings, mutation)
    with running(settings, operator) as registry:
        assert tallied(registry) == rows
        assert index_restored(registry), "computed from the facts"
    assert tally_rows(settings) == [row], "made again from the facts and saved as it was"
