"""Today's elections table from the saved tally: at a restart without restoring the index,
fed with what is registered after it (a pact revoked, an election registered), and never
from a tally the registry did not save for this log as it is (edited bytes, a broken seal).

The history of ``test_saved`` (eleven entries: the election ``pilkada-2024`` registered, a
report, two recommendations to one PPK, one followed up, the PPK's pact for the election the
same day), served with "today" fixed; ``/api/dashboard/elections`` computes the same table
from every fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registry.compliance import tally_bytes
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, follow_up, recommendation, register
from tests.compliance import test_saved_tally_instansi as instansi
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import fill, running, seal_flipped
from tests.compliance.test_saved_tally import edit_tally, index_restored, revocation, tally_rows
from tests.factories import election_payload

tallied, computed, saved_history = instansi.table_of("elections")
"""Today's elections table from the tally, computed from the facts, and saved with a history."""


def test_a_restart_answers_todays_elections_table_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    table = saved_history(settings, operator)
    [row] = table
    assert row["election"] == "pilkada-2024"
    assert row["reports"]["entries"] == [6]
    assert (row["recommendations"]["entries"], row["pending"]["entries"]) == ([7, 8], [8])
    assert row["pact_signers"] == {"value": 1, "entries": [9]}
    assert row["pact_signers_recommendations"]["entries"] == [7, 8], "issued the day it signed"
    assert row["pact_signers_followed_up"]["entries"] == [10]
    with running(settings, operator) as registry:
        assert tallied(registry) == table
        assert not index_restored(registry), "answered from the saved tally alone"
        assert computed(registry) == table


def test_entries_registered_after_the_save_count_in_their_elections_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    later = NOW_S + 3 * DAY
    with running(settings, operator) as registry:  # answers nothing: saves no tally
        # An election registered later moves nothing: every record names its election.
        statement = operator.admin.sign_statement(
            election_payload("pemilu-2024"), "operator", later
        )
        assert registry.post(statement).status_code == 201
        register(registry, "ppk-jabar", revocation(9), later + 60)  # the pact
        answered = register(registry, "ppk-jabar", follow_up(8), later + 120)
        ppk = registry.signer("ppk-jabar").kid
        third = register(registry, "recommender", recommendation(ppk_kid=ppk), later + 180)
    with running(settings, operator) as registry:
        [row] = tallied(registry)
        assert row["recommendations"]["entries"] == [7, 8, third]
        assert answered in row["followed_up"]["entries"]
        assert row["pact_signers"] == {"value": 0, "entries": []}, "its only pact revoked"
        assert row["pact_signers_recommendations"] == {"value": 0, "entries": []}
        assert not index_restored(registry), "every new entry taken without the index"
        assert registry.components.compliance.facts.read > 0, "read from the log"
        table = tallied(registry)
        assert table == computed(registry)
    with running(settings, operator) as registry:  # saved at the stop
        assert tallied(registry) == table
        assert registry.components.compliance.facts.read == 0


def pact_signers_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with a recommendation counted for the pact signers, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    tally.elections.kept.add("pilkada-2024", "recommendations", 99)
    return {"data": tally_bytes.encode(tally)}


def signer_dropped(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally without its pact signers' pacts, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    tally.elections.figures.signed.clear()
    return {"data": tally_bytes.encode(tally)}


@pytest.mark.parametrize(
    "mutation",
    [pact_signers_moved, signer_dropped, seal_flipped],
    ids=["data-pact-signers-moved", "data-signer-dropped", "seal-flipped"],
)
def test_an_edited_tally_moves_no_election_figure_and_is_saved_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    rows = saved_history(settings, operator)
    row = edit_tally(settings, mutation)
    with running(settings, operator) as registry:
        assert tallied(registry) == rows
        assert index_restored(registry), "computed from the facts"
    assert tally_rows(settings) == [row], "made again from the facts and saved as it was"


def test_an_inexact_elections_table_is_answered_from_the_index_and_the_tally_made_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # The fallback, reached here through a tally saved inexact (as one is once the calendar
    # changes after a record naming no election was counted: every record here names one).
    table = saved_history(settings, operator)
    with running(settings, operator) as registry:
        compliance = registry.components.compliance
        tally = registry.client.blocking_portal.call(compliance._today, BEFORE_DUE)
        tally.elections.exact = False
        tally.elections.figures.add("pemilu-2019", "recommendations", 99)  # what it cannot move
        assert tallied(registry) == table, "answered from the index"
        assert index_restored(registry)
        assert compliance.index.tally is not None
        assert compliance.index.tally.elections.exact, "made again from the index"
    [row] = tally_rows(settings)
    assert tally_bytes.decode(bytes(row.data)).elections.exact, "and saved"
    with running(settings, operator) as registry:
        assert tallied(registry) == table
        assert not index_restored(registry)


def test_a_pact_signers_figure_past_the_group_bound_links_its_entries(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        [row] = tallied(registry)
        assert row["pact_signers_followed_up"]["entries"] == [10], "one entry: listed"
        for name in ("recommendations", "pact_signers_recommendations"):
            figure = row[name]
            assert "entries" not in figure
            assert (figure["value"], figure["entries_total"]) == (2, 2)
            listed = registry.client.get(figure["entries_url"])
            assert listed.status_code == 200, listed.text
            assert listed.json()["entries"] == [7, 8]
        csv = registry.client.get("/api/compliance/elections", params={"format": "csv"})
        assert csv.status_code == 200
        assert "pilkada-2024" in csv.text
