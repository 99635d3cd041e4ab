"""Reading spreadsheet cells without openpyxl: column names and Excel date serials.

The ``xlsx`` extra (openpyxl) is only needed to open a workbook; validating
rows must not need it.  Both readings agree with openpyxl's own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from registry.records.spreadsheet import column_letter, parse_date

FIRST_SERIAL_1990 = 32_874  # 1990-01-01
LAST_SERIAL_2100 = 73_415  # 2100-12-31


@given(st.integers(min_value=1, max_value=18_278))  # A .. ZZZ, openpyxl's range
def test_column_letters_are_openpyxls(number: int) -> None:
    assert column_letter(number) == get_column_letter(number)


@given(st.floats(min_value=FIRST_SERIAL_1990, max_value=LAST_SERIAL_2100 + 0.99))
def test_an_excel_date_serial_reads_as_openpyxl_reads_it(serial: float) -> None:
    day = from_excel(serial)
    assert isinstance(day, dt.datetime)
    assert parse_date(serial) == day.date().isoformat()


@pytest.mark.parametrize(
    "serial",
    [FIRST_SERIAL_1990 - 1, LAST_SERIAL_2100 + 1, 1e300, float("nan")],
    ids=["before-1990", "after-2100", "huge", "nan"],
)
def test_serials_outside_1990_to_2100_are_not_dates(serial: float) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(serial)
