"""Today's instansi table from the saved tally: at a restart without restoring the index,
fed with what is registered after it, and never from a tally the registry did not save for
this log as it is (edited bytes, a broken seal, a tally ahead of the log).

The history of ``test_saved`` (eleven entries: one PPK of "Pemerintah Provinsi Jawa
Barat", two recommendations to it, one followed up, a pact), served with "today" fixed;
``/api/dashboard/instansi`` computes the same table from every fact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert

from registry.compliance import service, tally_bytes
from registry.compliance.saved import TALLY
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import FACT_SEGMENTS
from tests.api.helpers import NOW_S, Registry, pact
from tests.api.test_compliance import DAY, follow_up, register
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import another_log, fill, running, seal_flipped
from tests.compliance.test_saved_tally import (
    AFTER_DUE,
    edit_tally,
    index_restored,
    revocation,
    tally_rows,
)
from tests.databases import copied
from tests.records.test_tampering import edit

OFFICE = "Pemerintah Provinsi Jawa Barat"


def tallied(registry: Registry, table: str = "instansi", **params: str) -> list[dict[str, Any]]:
    """Today's instansi (or other) table as ``/api/compliance/<table>`` answers it (from the
    tally)."""
    response = registry.client.get(f"/api/compliance/{table}", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def computed(registry: Registry, table: str = "instansi") -> list[dict[str, Any]]:
    """Today's instansi (or other) table computed from every fact (the dashboard's table,
    counted until today: a filter, which the tally does not answer)."""
    until = {"until": service.today()}
    response = registry.client.get(f"/api/dashboard/{table}", params=until)
    assert response.status_code == 200, response.text
    return [{k: v for k, v in row.items() if k != "id"} for row in response.json()["items"]]


def saved_history(
    settings: Settings, operator: OperatorKeys, table: str = "instansi"
) -> list[dict[str, Any]]:
    """Fill a registry, answer today's instansi (or other) table (which saves the tally);
    the table.  Built once a session per backend, table and what its building reads, then
    copied (:func:`tests.databases.copied`)."""
    build = partial(_fill_and_tally, operator=operator, table=table)
    rows: list[dict[str, Any]] = copied(
        f"saved-history {table}", settings, build, operator.admin.kid
    )
    [row] = tally_rows(settings)
    assert (row.start_idx, row.end_idx) == (0, 11)
    return rows


def _fill_and_tally(settings: Settings, operator: OperatorKeys, table: str) -> list[dict[str, Any]]:
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        rows = tallied(registry, table)
        assert rows == computed(registry, table)
    return rows


def table_of(table: str) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """:func:`tallied`, :func:`computed` and :func:`saved_history` of another table."""
    return (
        partial(tallied, table=table),
        partial(computed, table=table),
        partial(saved_history, table=table),
    )


def test_a_restart_answers_todays_instansi_table_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    table = saved_history(settings, operator)
    [row] = table
    assert row["instansi"] == OFFICE
    assert (row["recommendations"]["entries"], row["pending"]["entries"]) == ([7, 8], [8])
    assert row["pacts"]["entries"] == [9]
    assert row["province"] == "Jawa Barat"
    assert len(row["ppk_keys"]) == len(row["ppk_in_office"]) == 1
    with running(settings, operator) as registry:
        assert tallied(registry) == table
        assert tallied(registry, province="Bali") == []
        assert tallied(registry, name=OFFICE) == table
        assert not index_restored(registry), "answered from the saved tally alone"
        assert computed(registry) == table
    today(AFTER_DUE)  # the open recommendation is now overdue
    with running(settings, operator) as registry:
        [later] = tallied(registry)
        assert not index_restored(registry)
        assert later["overdue"]["entries"] == [8]
        assert later["pending"]["value"] == 0
        assert [later] == computed(registry)


def test_entries_registered_after_the_tally_was_saved_are_counted_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    later = NOW_S + 3 * DAY
    with running(settings, operator) as registry:  # answers nothing: saves no tally
        answered = register(registry, "ppk-jabar", follow_up(8), later + 60)
    with running(settings, operator) as registry:
        [row] = tallied(registry)
        assert answered in row["followed_up"]["entries"]
        assert row["pending"]["value"] == 0
        register(registry, "ppk-jabar", revocation(9), later + 120)  # the pact
        pacted = register(registry, "ppk-jabar", pact(place="Bogor"), later + 180)
        [row] = tallied(registry)
        assert row["pacts"]["entries"] == [pacted]
        bali = "Pemerintah Provinsi Bali"
        registry.enrol("ppk-bali", instansi=bali, province="Bali", term_end="2099-12-31")
        bali_pact = register(
            registry, "ppk-bali", pact(place="Denpasar", instansi=bali), later + 240
        )
        table = tallied(registry)
        assert [r["instansi"] for r in table] == [bali, OFFICE]
        assert table[0]["pacts"]["entries"] == [bali_pact]
        assert table[0]["province"] == "Bali"
        assert table[0]["ppk_in_office"] == table[0]["ppk_keys"] != row["ppk_keys"]
        assert tallied(registry, province="Bali") == [table[0]]
        assert not index_restored(registry), "every new entry taken without the index"
        assert table == computed(registry)
    with running(settings, operator) as registry:  # saved at the stop
        assert tallied(registry) == table
        assert registry.components.compliance.facts.read == 0


def group_counts_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with its instansi's recommendation followed up, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    tally.instansi.add(OFFICE, "followed_up", 99)
    return {"data": tally_bytes.encode(tally)}


def office_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with the PPK key moved to another province, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    for kid, key in list(tally.offices.keys.items()):
        tally.offices.keys[kid] = dataclasses.replace(key, province="Bali")
    return {"data": tally_bytes.encode(tally)}


def province_counts_moved(data: bytes, _: bytes) -> dict[str, bytes]:
    """The tally with a recommendation counted in Bali, encoded again (seal kept)."""
    tally = tally_bytes.decode(data)
    tally.provinces.figures.add("Bali", "recommendations", 99)
    return {"data": tally_bytes.encode(tally)}


@pytest.mark.parametrize(
    ("mutation", "table"),
    [
        (group_counts_moved, "instansi"),
        (office_moved, "instansi"),
        (seal_flipped, "instansi"),
        (province_counts_moved, "provinces"),
        (seal_flipped, "provinces"),
    ],
    ids=[
        "data-group-counts-moved",
        "data-office-moved",
        "seal-flipped",
        "data-province-counts-moved",
        "seal-flipped-provinces",
    ],
)
def test_an_edited_tally_moves_no_instansi_or_province_figure_and_is_saved_again(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    mutation: Any,
    table: str,
) -> None:
    rows = saved_history(settings, operator, table)
    row = edit_tally(settings, mutation)
    with running(settings, operator) as registry:
        assert tallied(registry, table) == rows
        assert index_restored(registry), "computed from the facts"
    assert tally_rows(settings) == [row], "made again from the facts and saved as it was"


def test_a_tally_ahead_of_the_log_is_made_again(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    make_database_url: Any,
    tmp_path: Path,
) -> None:
    # A backup of this log restored beside the tally of a longer log of the same operator
    # (same seal key: it opens): it holds twelve entries where this log has eleven.
    table = saved_history(settings, operator)
    other, other_keys = another_log(settings, make_database_url, tmp_path)
    with running(other, other_keys) as registry:
        fill(Registry.bootstrapped(registry.client, other_keys), pacts=2, deadline="2024-09-28")
        assert tallied(registry) != table
    [ahead] = tally_rows(other)
    assert ahead.end_idx == 12
    edit(
        settings,
        delete(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format.startswith(TALLY)),
        insert(FACT_SEGMENTS).values(ahead._asdict()),
    )
    with running(settings, operator) as registry:
        assert tallied(registry) == table
        assert index_restored(registry), "made again from the facts"
    [row] = tally_rows(settings)
    assert row.end_idx == 11


@pytest.mark.parametrize(("table", "named"), [("instansi", OFFICE), ("provinces", "Jawa Barat")])
def test_a_figure_past_the_group_bound_links_its_entries(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    named: str,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        [row] = tallied(registry, table)
        assert row["pending"]["entries"] == [8], "one entry: listed"
        recs = row["recommendations"]
        assert "entries" not in recs
        assert (recs["value"], recs["entries_total"]) == (2, 2)
        listed = registry.client.get(recs["entries_url"])
        assert listed.status_code == 200, listed.text
        assert listed.json()["entries"] == [7, 8]
        csv = registry.client.get(f"/api/compliance/{table}", params={"format": "csv"})
        assert csv.status_code == 200
        assert named in csv.text


def edited_and_made_again(
    settings: Settings, operator: OperatorKeys, table: str, mutation: Any
) -> None:
    """Today's ``table`` saved, the saved tally edited by ``mutation``: a restart answers
    the same rows from the facts, and saves the tally made again as it was."""
    rows = saved_history(settings, operator, table)
    row = edit_tally(settings, mutation)
    with running(settings, operator) as registry:
        assert tallied(registry, table) == rows
        assert index_restored(registry), "computed from the facts"
    assert tally_rows(settings) == [row], "made again from the facts and saved as it was"


def inexact_and_made_again(
    settings: Settings,
    operator: OperatorKeys,
    table: str,
    spoil: Callable[[Any], None],
    exact: Callable[[Any], bool],
) -> None:
    """Today's ``table`` saved; the tally a restart holds ``spoil``-ed (made inexact, and a
    figure moved that it could not move): the rows are the index's, the tally is made again
    (``exact``) and saved, and the next restart answers from it without the index."""
    rows = saved_history(settings, operator, table)
    with running(settings, operator) as registry:
        compliance = registry.components.compliance
        spoil(registry.client.blocking_portal.call(compliance._today, BEFORE_DUE))
        assert tallied(registry, table) == rows, "answered from the index"
        assert index_restored(registry)
        assert compliance.index.tally is not None
        assert exact(compliance.index.tally), "made again from the index"
    [row] = tally_rows(settings)
    assert exact(tally_bytes.decode(bytes(row.data))), "and saved"
    with running(settings, operator) as registry:
        assert tallied(registry, table) == rows
        assert not index_restored(registry)
