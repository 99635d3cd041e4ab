"""Today's tables as CSV from the saved tally: the rows the JSON gives, without the index.

``?format=csv`` of ``/api/compliance/<table>`` and of the unfiltered ``/api/dashboard/<table>``
is the JSON answer's items, flattened (:mod:`registry.compliance.export`): a figure too
large to list inline keeps its two columns, ``<figure>_entries`` holding the link to its
paged entries.  Before, every CSV restored the whole compliance index (about 320 bytes an
entry) and listed every entry of every figure in one cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from registry.compliance import dashboard
from registry.compliance.export import to_csv
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import fill, running
from tests.compliance.test_saved_tally import AFTER_DUE, index_restored

TABLES = tuple(t for t in dashboard.TABLES if t != "national")
"""Every compliance table but the national row (its JSON is one object, not items)."""


def _json(registry: Registry, path: str, **params: str) -> Any:
    response = registry.client.get(path, params=params or None)
    assert response.status_code == 200, response.text
    return response.json()


def _csv(registry: Registry, path: str, **params: str) -> str:
    response = registry.client.get(path, params={**params, "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return response.text


def _saved(settings: Settings, operator: OperatorKeys) -> None:
    """Fill a registry and answer today's national figures (which saves the tally)."""
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        _json(registry, "/api/compliance/national")


def test_a_restart_answers_todays_csv_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    today(AFTER_DUE)  # one recommendation overdue: a row in every table
    _saved(settings, operator)
    with running(settings, operator) as registry:
        for table in TABLES:
            items = _json(registry, f"/api/compliance/{table}")["items"]
            assert items, table
            assert _csv(registry, f"/api/compliance/{table}") == to_csv(items), table
        national = _json(registry, "/api/compliance/national")
        del national["as_of"]
        assert _csv(registry, "/api/compliance/national") == to_csv([national])
        for table in dashboard.TABLES:
            items = _json(registry, f"/api/dashboard/{table}")["items"]
            assert _csv(registry, f"/api/dashboard/{table}") == dashboard.excel_csv(items), table
        assert not index_restored(registry), "every CSV answered from the saved tally"


@pytest.mark.parametrize("table", ["instansi", "provinces"])
def test_a_figure_past_the_group_bound_links_its_entries_in_the_csv(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    table: str,
) -> None:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        [row] = csv.DictReader(io.StringIO(_csv(registry, f"/api/compliance/{table}")))
        assert (row["pending"], row["pending_entries"]) == ("1", "8"), "one entry: listed"
        assert row["recommendations"] == "2"
        link = row["recommendations_entries"]
        assert link.startswith("/api/compliance/entries?"), "two entries: linked, not listed"
        assert _json(registry, link)["entries"] == [7, 8]


def test_another_days_csv_is_its_json_flattened(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        for table in TABLES:
            items = _json(registry, f"/api/compliance/{table}", as_of=BEFORE_DUE)["items"]
            expected = to_csv(items)
            assert _csv(registry, f"/api/compliance/{table}", as_of=BEFORE_DUE) == expected
