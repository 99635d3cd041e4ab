"""No text of a record holds a control character (docs/guarantees.md, edges-2)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.records.schemas import RecordError, parse_record
from tests.factories import TEMPLATE_SHA256, pact_payload


def _report(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "report",
        "election": "pilkada-2024",
        "case_number": "001/LP/PB/2024",
        "reporter": "Bawaslu RI",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "subject_commitment": TEMPLATE_SHA256,
        "category": "social-media",
        "description": "Line one.\n\tLine two.",
        "place": "Bandung",
        "date": "2024-09-27",
    }
    payload.update(changes)
    return payload


def _refusal(payload: dict[str, Any]) -> RecordError:
    with pytest.raises(RecordError) as raised:
        parse_record(payload)
    return raised.value


MUTATIONS = {
    "nul-in-place": ({"place": "Band\x00ung"}, "place", "U+0000", 5),
    "bell-in-instansi": ({"instansi": "Pemprov\x07 Jabar"}, "instansi", "U+0007", 8),
    "newline-in-place": ({"place": "Bandung\n"}, "place", "U+000A", 8),
    "carriage-return-in-election": ({"election": "pilkada\r2024"}, "election", "U+000D", 8),
    "escape-in-place": ({"place": "\x1b[31mBandung"}, "place", "U+001B", 1),
    "delete-in-place": ({"place": "Bandung\x7f"}, "place", "U+007F", 8),
    "c1-control-in-place": ({"place": "Band\x85ung"}, "place", "U+0085", 5),
    "right-to-left-override-in-place": ({"place": "\u202egnudnaB"}, "place", "U+202E", 1),
    "line-separator-in-place": ({"place": "Band\u2028ung"}, "place", "U+2028", 5),
    "tab-in-witness-name": (
        {"witnesses": [{"name": "Rahmat\tBagja", "jabatan": "Ketua", "instansi": "Bawaslu RI"}]},
        "witnesses[0].name",
        "U+0009",
        7,
    ),
}


@pytest.mark.parametrize(
    ("changes", "field", "character", "position"), MUTATIONS.values(), ids=MUTATIONS.keys()
)
def test_a_control_character_in_a_pact_is_refused(
    changes: dict[str, Any], field: str, character: str, position: int
) -> None:
    error = _refusal(pact_payload(**changes))
    (found,) = [e for e in error.errors if e.field == field]
    assert found.reason == "control-character"
    english = found.message().render("en")
    indonesian = found.message().render("id")
    assert f"{character} at position {position}" in english
    assert "control character" in english
    assert f"{character} pada posisi {position}" in indonesian
    assert "karakter kendali" in indonesian


def test_every_bad_text_is_named_with_the_other_errors() -> None:
    signer = pact_payload()["signer"]
    error = _refusal(
        pact_payload(place="a\x00", instansi="b\x01", date="2024-02-30", signer=signer)
    )
    assert {(e.field, e.reason) for e in error.errors} == {
        ("place", "control-character"),
        ("instansi", "control-character"),
        ("date", "not-a-date"),
    }


def test_a_long_text_may_break_lines_and_hold_tabs() -> None:
    assert parse_record(_report())


@pytest.mark.parametrize(
    ("text", "character"),
    [("Line one.\r\nLine two.", "U+000D"), ("Bell\x07", "U+0007"), ("\u2066isolate", "U+2066")],
    ids=["carriage-return-in-description", "bell-in-description", "isolate-in-description"],
)
def test_a_long_text_holds_no_other_control(text: str, character: str) -> None:
    error = _refusal(_report(description=text))
    (found,) = error.errors
    assert (found.field, found.reason) == ("description", "control-character")
    assert character in found.message().render("en")
    assert "except tab and newline" in found.message().render("en")


def test_an_impossible_date_is_refused_in_words() -> None:
    error = _refusal(pact_payload(date="2024-02-30"))
    (found,) = error.errors
    assert (found.field, found.reason) == ("date", "not-a-date")
    assert "YYYY-MM-DD" in found.message().render("en")
    assert "tanggal" in found.message().render("id")


@given(st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=3))
def test_no_c0_or_c1_control_passes_in_a_name(controls: str) -> None:
    error = _refusal(pact_payload(place=f"Ban{controls}dung"))
    assert [e.reason for e in error.errors] == ["control-character"]


@given(
    st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "Zs"]), min_size=1, max_size=40)
)
def test_printable_text_passes(text: str) -> None:
    assert parse_record(pact_payload(place=text))
