"""The mirror's statement bundles: what is written is read back, and nothing else is."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from registry.log.audit_sources import encode_statements, parse_statements

STATEMENTS = st.lists(st.binary(max_size=300), min_size=1, max_size=20)


@given(STATEMENTS)
def test_statements_read_back_as_written(statements: list[bytes]) -> None:
    assert parse_statements(encode_statements(statements), len(statements)) == statements


@given(STATEMENTS, st.integers(min_value=1, max_value=50))
def test_a_cut_bundle_is_refused(statements: list[bytes], cut: int) -> None:
    data = encode_statements(statements)
    assume(cut < len(data))
    with pytest.raises(ValueError, match=r"cut short|statements, expected"):
        parse_statements(data[:-cut], len(statements))


@given(STATEMENTS)
def test_another_count_is_refused(statements: list[bytes]) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_statements(encode_statements(statements), len(statements) + 1)
