"""Receipt numbers and the report a complaint becomes, without a server."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.records.complaint_form import (
    ALPHABET,
    NUMBER_SYMBOLS,
    REPORTER,
    file_complaint,
    new_number,
    read_number,
    report_payload,
)
from registry.records.schemas import RecordError

numbers = st.text(alphabet=ALPHABET, min_size=NUMBER_SYMBOLS, max_size=NUMBER_SYMBOLS).map(
    lambda symbols: read_number(symbols + _check(symbols))
)


def _check(symbols: str) -> str:
    """The check symbol that makes ``symbols`` a number (found by trying each)."""
    return next(c for c in ALPHABET if read_number(symbols + c) is not None)


def test_a_new_number_reads_back_as_itself() -> None:
    number = new_number()
    assert read_number(number) == number
    assert len(number.replace("-", "")) == NUMBER_SYMBOLS + 1


@given(numbers, st.integers(0, NUMBER_SYMBOLS), st.integers(1, 31))
def test_one_symbol_changed_is_no_number(number: str | None, at: int, shift: int) -> None:
    assert number is not None
    plain = number.replace("-", "")
    changed = ALPHABET[(ALPHABET.index(plain[at]) + shift) % 32]
    assert read_number(plain[:at] + changed + plain[at + 1 :]) is None


@given(numbers, st.integers(0, NUMBER_SYMBOLS - 1))
def test_two_neighbours_swapped_are_mostly_no_number(number: str | None, at: int) -> None:
    assert number is not None
    plain = number.replace("-", "")
    swapped = plain[:at] + plain[at + 1] + plain[at] + plain[at + 2 :]
    if plain[at] != plain[at + 1] and {plain[at], plain[at + 1]} != {"0", "Z"}:
        assert read_number(swapped) is None


@pytest.mark.parametrize(
    "typed", ["", "ABCD", "7KQ2-M9XD-4RTA-H3VB-PP", "7KQ2-M9XD-4RTA-H3VB-U", "x" * 100]
)
def test_what_is_no_number_is_none(typed: str) -> None:
    assert read_number(typed) is None


def test_a_number_is_read_as_people_type_it() -> None:
    number = new_number()
    typed = number.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert read_number(typed) == number


FILED = {
    "instansi": "Pemerintah Kabupaten Garut",
    "category": "attending-campaign",
    "description": "Hadir di kampanye terbuka memakai seragam dinas",
    "place": "Lapangan Otto Iskandar Dinata",
    "date": "2024-11-10",
    "election": "pilkada-2024",
    "subject_name": "Dedi Supriadi",
    "complainant_name": "Rina Kartika",
    "complainant_phone": "+6281298765432",
}
REGISTERED = ("pilkada-2024",)
"""The elections the registry registers, as the API passes them on."""


def test_the_report_names_no_one_in_clear() -> None:
    number = new_number()
    filed = file_complaint(FILED, number, REGISTERED)
    report = report_payload(filed.fields)
    assert report["reporter"] == REPORTER
    assert report["case_number"] == f"SIAPNET-{number}"
    assert report["election"] == "pilkada-2024"
    assert "Rina" not in repr(report)
    assert "6281298765432" not in repr(report)
    assert "Dedi" not in repr(report)
    subject, complainant = filed.people
    assert (subject.nip, subject.name) == (None, "Dedi Supriadi")
    assert (complainant.nip, complainant.name) == (None, "Rina Kartika")


def test_the_same_complaint_twice_has_other_commitments() -> None:
    first = file_complaint(FILED, new_number(), REGISTERED).fields
    second = file_complaint(FILED, new_number(), REGISTERED).fields
    assert first["subject_commitment"] != second["subject_commitment"]
    assert first["reporter_commitment"] != second["reporter_commitment"]


def test_phone_in_place_is_refused() -> None:
    with pytest.raises(RecordError) as refused:
        file_complaint(FILED | {"place": "rumah 0812-9876-5432"}, new_number(), REGISTERED)
    assert [(e.field, e.reason) for e in refused.value.errors] == [("place", "phone-in-text")]


def test_not_a_map_is_refused() -> None:
    with pytest.raises(RecordError) as refused:
        file_complaint(["a"], new_number(), REGISTERED)
    assert refused.value.errors[0].reason == "not-a-map"


def test_an_election_the_registry_does_not_register_is_refused() -> None:
    with pytest.raises(RecordError) as refused:
        file_complaint(FILED | {"election": "pemilu-1955"}, new_number(), REGISTERED)
    assert [(e.field, e.reason) for e in refused.value.errors] == [("election", "unknown-election")]
    assert refused.value.errors[0].params["known"] == "pilkada-2024"


def test_no_election_is_refused() -> None:
    data = {k: v for k, v in FILED.items() if k != "election"}
    with pytest.raises(RecordError) as refused:
        file_complaint(data, new_number(), REGISTERED)
    assert [(e.field, e.reason) for e in refused.value.errors] == [("election", "missing")]
