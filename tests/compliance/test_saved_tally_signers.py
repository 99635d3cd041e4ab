"""Today's pact signers with overdue recommendations from the saved tally: at a restart
without restoring the index (a recommendation turning overdue as the day passes its
deadline), fed with what is registered after it (a successor PPK's pact, the first pact
revoked), and never from a tally the registry did not save for this log as it is (edited
bytes, a broken seal).

The history of ``test_saved`` (eleven entries: a PPK of "Pemerintah Provinsi Jawa Barat",
two recommendations to it, 7 followed up and 8 due on 2024-10-11, its pact 9), served with
"today" fixed; ``/api/dashboard/pact-signers-with-overdue`` computes the same table from
every fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from registry.compliance import tally_bytes
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_compliance import DAY, register
from tests.compliance import test_saved_tally_instansi as instansi
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import fill, running, seal_flipped
from tests.compliance.test_saved_tally import (
    AFTER_DUE,
    edit_tally,
    index_restored,
    revocation,
    tally_rows,
)

tallied, computed, saved_history = instansi.table_of("pact-signers-with-overdue")
"""Today's table from the tally, computed from the facts, and saved with a history."""


def test_a_restart_answers_todays_pact_signers_with_overdue_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    assert saved_history(settings, operator) == [], "nothing overdue before the deadline"
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        [row] = tallied(registry)
        assert not index_restored(registry), "moved to the day from the saved tally alone"
        assert row["overdue"] == {"value": 1, "entries": [8]}
        assert row["overdue_inherited"] == {"value": 0, "entries": []}
        assert row["pacts"] == {"value": 1, "entries": [9]}
        assert (row["role"], row["head_type"], row["enrolment"]) == ("ppk", "pj", 3)
        assert row["elections"] == ["pilkada-2024"]
        assert [row] == computed(registry)


def test_a_successors_pact_inherits_the_overdue_ones_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    later = NOW_S + 3 * DAY
    with running(settings, operator) as registry:  # answers nothing: saves no tally
        # A second PPK of the same instansi whose term began after recommendation 8.
        registry.enrol("ppk-new", term_start="2024-09-28", term_end="2099-12-31")
        pacted = register(registry, "ppk-new", pact(place="Bogor"), later)
        register(registry, "ppk-jabar", revocation(9), later + 60)  # the first pact
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        [row] = tallied(registry)
        assert row["pacts"]["entries"] == [pacted]
        assert row["overdue"] == {"value": 0, "entries": []}
        assert row["overdue_inherited"] == {"value": 1, "entries": [8]}
        assert row["term_start"] == "2024-09-28"
        assert not index_restored(registry), "every new entry taken without the index"
        assert registry.components.compliance.facts.read > 0, "read from the log"
        assert [row] == computed(registry)


def overdue_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with an overdue recommendation counted for its PPK, encoded again (seal
    kept)."""
    tally = tally_bytes.decode(data)
    [kid] = tally.offices.keys
    tally.with_overdue.add(None, "overdue", (99, "Pemerintah Provinsi Jawa Barat", kid, "x"))
    return {"data": tally_bytes.encode(tally)}


def pacts_dropped(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally without its pact signers' pacts, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    tally.with_overdue.pacts.clear()
    return {"data": tally_bytes.encode(tally)}


@pytest.mark.parametrize(
    "mutation",
    [overdue_moved, pacts_dropped, seal_flipped],
    ids=["data-overdue-moved", "data-pacts-dropped", "seal-flipped"],
)
def test_an_edited_tally_moves_no_pact_signer_and_is_saved_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], mutation: Any
) -> None:
    saved_history(settings, operator)  # the tally of the day before the due one
    today(AFTER_DUE)
    with running(settings, operator) as registry:  # moves it to the day (saves nothing)
        rows = tallied(registry)
    assert len(rows) == 1
    row = edit_tally(settings, mutation)
    with running(settings, operator) as registry:
        assert tallied(registry) == rows
        assert index_restored(registry), "computed from the facts"
    [again] = tally_rows(settings)
    assert (again.start_idx, again.end_idx) == (row.start_idx, row.end_idx)
    saved = tally_bytes.decode(bytes(again.data))
    assert saved.day == AFTER_DUE, "made again from the facts and saved"
    assert saved.pact_signers_rows() == rows


def test_an_inexact_table_is_answered_from_the_index_and_the_tally_made_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # The fallback, reached here through a tally saved inexact (as one is once a pact
    # signer is enrolled with another role than a PPK's, which the policy refuses).
    saved_history(settings, operator)
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        compliance = registry.components.compliance
        tally = registry.client.blocking_portal.call(compliance._today, AFTER_DUE)
        tally.with_overdue.exact = False
        tally.with_overdue.pacts.clear()  # what it cannot give
        table = tallied(registry)
        assert len(table) == 1, "answered from the index"
        assert index_restored(registry)
        assert compliance.index.tally is not None
        assert compliance.index.tally.with_overdue.exact, "made again from the index"
    [row] = tally_rows(settings)
    assert tally_bytes.decode(bytes(row.data)).with_overdue.exact, "and saved"
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
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator), pacts=2)
        [row] = tallied(registry)
        assert row["overdue"]["entries"] == [8], "one entry: listed"
        pacts = row["pacts"]
        assert "entries" not in pacts
        assert (pacts["value"], pacts["entries_total"]) == (2, 2)
        listed = registry.client.get(pacts["entries_url"])
        assert listed.status_code == 200, listed.text
        assert listed.json()["entries"] == [9, 10]
        csv = registry.client.get(
            "/api/compliance/pact-signers-with-overdue", params={"format": "csv"}
        )
        assert csv.status_code == 200
        assert row["kid"] in csv.text
    assert BEFORE_DUE < AFTER_DUE
