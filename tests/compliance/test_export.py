"""CSV export: figures become a value column and an entries column."""

from __future__ import annotations

import csv
import io

from registry.compliance.export import to_csv


def test_figures_nested_maps_and_lists_flatten() -> None:
    rows = [
        {
            "kid": "abc",
            "overdue": {"value": 2, "entries": [5, 9]},
            "rate": {"value": None, "entries": []},
            "on_time": True,
            "keys": ["a", "b"],
            "follow_up": {"refused": {"value": 1, "entries": [7]}},
            "pacts": [{"index": 3}],
        },
        {"kid": "def", "extra": "late column"},
    ]
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert parsed[0] == {
        "kid": "abc",
        "overdue": "2",
        "overdue_entries": "5 9",
        "rate": "",
        "rate_entries": "",
        "on_time": "true",
        "keys": "a b",
        "follow_up.refused": "1",
        "follow_up.refused_entries": "7",
        "pacts": '[{"index": 3}]',
        "extra": "",
    }
    assert parsed[1]["extra"] == "late column"
    assert parsed[1]["overdue"] == ""
