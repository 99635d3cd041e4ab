"""A province or an instansi as of a past day (``until`` beside it), on both databases: every
dashboard answer a reader gets (each table's JSON and CSV, the page, a figure's listing and
its page) comes from an index of just that scope's facts (``ScopedAnswers.filtered``: stop 29
answered these tables, stop 32 checks the rest), equal to the whole index's, without
restoring it; a day no national tally was saved for needs none (the scope's index is read
against today's tally).

The history of ``test_saved_tally_filters.revoked_two_days_later``: a Bali ASN's declaration
on 2024-09-30 revoked on 2024-10-02, beside a Pj PPK of Jawa Barat's two recommendations (7
and 8), a follow-up and a pact; served on 2024-10-05, no day saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.compliance.dashboard import TABLES
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry
from tests.compliance.test_saved import running
from tests.compliance.test_saved_day_tallies import day_rows
from tests.compliance.test_saved_tally import index_restored, restore_the_index
from tests.compliance.test_saved_tally_dashboard import page, shown
from tests.compliance.test_saved_tally_filters import OFFICE, revoked_two_days_later
from tests.compliance.test_unsaved_past_days import LISTED

ASKED: list[dict[str, str]] = [
    {"province": "Bali", "until": "2024-10-01"},  # the declaration standing
    {"province": "Bali", "until": "2024-09-29"},  # before it
    {"province": "Jawa Barat", "until": "2024-09-29"},  # before the follow-up of 7
    {"instansi": OFFICE, "until": "2024-10-01"},
    {"instansi": OFFICE, "head_type": "pj", "since": "2024-09-27", "until": "2024-10-03"},
]
FIGURES = ("declarations", "recommendations", "followed_up")


def everything(registry: Registry, flt: dict[str, str]) -> dict[str, Any]:
    """Every dashboard answer of ``flt``: each table (JSON, CSV), the page, and the listing
    of a few national figures (JSON and page)."""
    found: dict[str, Any] = {"page": shown(page(registry, **flt))}
    for table in TABLES:
        for format in ("json", "csv"):
            answer = registry.client.get(
                f"/api/dashboard/{table}", params={**flt, "format": format}
            )
            assert answer.status_code == 200, answer.text
            found[f"{table} {format}"] = answer.json() if format == "json" else answer.text
    for figure in FIGURES:
        params = {**flt, "figure": figure}
        answer = registry.client.get("/api/dashboard/national/entries", params=params)
        assert answer.status_code == 200, answer.text
        shown_page = registry.client.get("/dashboard/national/entries", params=params)
        assert shown_page.status_code == 200, shown_page.text
        found[f"listing {figure}"] = answer.json(), LISTED.findall(shown_page.text)
    return found


def test_a_province_or_an_instansi_as_of_a_past_day_is_answered_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    declared, _ = revoked_two_days_later(settings, operator)
    assert day_rows(settings) == {}, "no day saved: the scope's facts need none"
    with running(settings, operator) as registry:
        ours = [everything(registry, flt) for flt in ASKED]
        assert not index_restored(registry), "each from its scope's own facts, as of its day"
        restore_the_index(registry)
        for flt, answer in zip(ASKED, ours, strict=True):
            assert everything(registry, flt) == answer, flt
    bali = [answer["national json"]["items"][0]["declarations"] for answer in ours[:2]]
    assert bali == [{"value": 1, "entries": [declared]}, {"value": 0, "entries": []}]
    west_java = ours[2]["national json"]["items"][0]
    assert west_java["followed_up"]["value"] == 0, "the follow-up is of 2024-09-30"
    assert west_java["recommendations"]["entries"] == [7, 8]
    assert ours[0]["listing declarations"][1] == [str(declared)], "the page lists it"
