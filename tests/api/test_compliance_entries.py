"""Figures over more entries than the bound: the value exact, the entries linked and paged.

The bound is lowered to one entry so the small history of ``test_saved`` has
figures over it; each linked listing, page after page, must give exactly the
entries the figure was computed from (the dashboard's table, which lists
them all), and a figure within the bound keeps its inline list.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.config import Settings
from registry.records.operator import OperatorKeys, create_keys
from tests.api.helpers import Registry
from tests.api.test_registration import assert_problem
from tests.compliance.test_saved import fill, running

AS_OF = "2024-10-31"


@pytest.fixture
def registry(settings: Settings) -> Any:
    operator: OperatorKeys = create_keys(
        settings.data_dir, settings.admin_passphrase, settings.origin
    )
    with running(settings, operator) as served:
        fill(Registry.bootstrapped(served.client, operator), pacts=3)
        yield served


def get(registry: Registry, path: str, **params: Any) -> Any:
    response = registry.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def listed(registry: Registry, url: str, limit: int = 1) -> list[int]:
    """Every entry of a figure's paged listing, ``limit`` a page, following ``next`` (the
    first page numbered 1, the next ones after the last entry of the one before)."""
    found: list[int] = []
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        parts = urlsplit(next_url)
        assert parts.path == "/api/compliance/entries"
        query = {"limit": str(limit), **{k: v[0] for k, v in parse_qs(parts.query).items()}}
        page = get(registry, parts.path, **query)
        pages += 1
        assert page["page"] == (1 if pages == 1 else None)
        assert page["after"] == (found[-1] if found else None)
        assert page["count"] == len(page["entries"]) <= limit
        found += page["entries"]
        assert page["next_after"] == (found[-1] if page["next"] else None)
        next_url = page["next"]
    assert pages == page["pages"]
    assert len(found) == page["total"]
    return found


@pytest.mark.parametrize("today", [False, True], ids=["as-of-a-day", "today"])
def test_a_figure_over_the_bound_links_to_exactly_its_entries(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, today: bool
) -> None:
    full = get(registry, "/api/dashboard/national", until=AS_OF)["items"][0]
    monkeypatch.setattr("registry.api.linked.BOUND", 1)  # links (pages: limit=1)
    if today:
        for where in ("registry.compliance.service.today", "registry.api.dashboard.today"):
            monkeypatch.setattr(where, lambda: AS_OF)
        answer = get(registry, "/api/compliance/national")
    else:
        answer = get(registry, "/api/compliance/national", as_of=AS_OF)
    assert answer["as_of"] == AS_OF
    linked = 0
    for name, figure in full.items():
        if not isinstance(figure, dict):
            continue
        got = answer[name]
        assert got["value"] == figure["value"], name
        if len(figure["entries"]) <= 1:
            assert got == figure, name
            continue
        linked += 1
        assert "entries" not in got
        assert got["entries_total"] == len(figure["entries"])
        assert listed(registry, got["entries_url"]) == figure["entries"], name
    assert linked >= 3  # pacts, recommendations, the follow-up rate, ...


def test_a_table_row_over_the_bound_links_to_its_row(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = get(registry, "/api/compliance/provinces", as_of=AS_OF)["items"]
    monkeypatch.setattr("registry.api.linked.BOUND", 1)  # links (pages: limit=1)
    rows = get(registry, "/api/compliance/provinces", as_of=AS_OF)["items"]
    pacts = [(f["pacts"], r["pacts"]) for f, r in zip(full, rows, strict=True)]
    assert any(len(whole["entries"]) > 1 for whole, _ in pacts)
    for whole, bounded in pacts:
        if len(whole["entries"]) > 1:
            assert listed(registry, bounded["entries_url"]) == whole["entries"]
        else:
            assert bounded == whole


def test_an_unknown_figure_or_table_is_a_problem(registry: Registry) -> None:
    for params in ({"table": "national", "figure": "nope"}, {"table": "no", "figure": "pacts"}):
        response = registry.client.get("/api/compliance/entries", params=params)
        assert_problem(response, 400, "invalid-parameter")
