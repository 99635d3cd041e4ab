"""No text of a record holds a control character (docs/guarantees.md, edges-2)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.records.errors import FieldError
from registry.records.fields import control_errors, may_hold_control, typed_control_errors
from registry.records.schemas import RECORD_TYPES, RecordError, parse_record
from tests.factories import TEMPLATE_SHA256, declaration_payload, pact_payload, template_payload


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


# The fast path (one search over the payload as JSON) against the typed walk alone.

_CONTROLS = (
    [chr(c) for c in range(0x20)]  # C0, tab and newline among them
    + [chr(c) for c in range(0x7F, 0xA0)]  # DEL and C1
    + ["\u2028", "\u2029", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
)
_TRICKY = [
    *_CONTROLS,
    *["\\", '"', "/", "u", "n", "é", "\u00a0", "\u2027", "\u202f", "\u2065", "\u206a"],
    "\U0001d538",  # outside the BMP: four bytes of UTF-8
]
_TEXTS = st.text(
    alphabet=st.one_of(st.sampled_from(_TRICKY), st.characters(codec="utf-8")), max_size=12
)


def _variants(value: Any) -> st.SearchStrategy[Any]:
    """``value`` with some of its texts (nested ones too) replaced by random ones."""
    if isinstance(value, dict):
        fields = st.fixed_dictionaries({k: _variants(v) for k, v in value.items()})
        extra = st.none() | st.tuples(_TEXTS, _TEXTS)  # a field of no Struct: not walked
        return st.tuples(fields, extra).map(
            lambda p: p[0] if p[1] is None else {**p[0], p[1][0]: p[1][1]}
        )
    if isinstance(value, list):
        return st.tuples(*map(_variants, value)).map(list)
    if isinstance(value, str) and value not in RECORD_TYPES:
        return st.just(value) | _TEXTS | st.integers() | st.lists(_TEXTS, max_size=2)
    return st.just(value)


_BASES = {
    "pact": pact_payload(),
    "pact-two-witnesses": pact_payload(
        witnesses=[
            {"name": "Rahmat Bagja", "jabatan": "Ketua", "instansi": "Bawaslu RI"},
            {"name": "Lolly Suhenty", "jabatan": "Anggota", "instansi": "Bawaslu RI"},
        ]
    ),
    "report-multiline": _report(),
    "template-multiline": template_payload(),
}


def _rendered(errors: list[FieldError]) -> list[tuple[str, str, str, str]]:
    return [(e.field, e.reason, e.message().render("en"), e.message().render("id")) for e in errors]


@given(st.one_of(*map(_variants, _BASES.values())))
def test_the_fast_path_finds_what_the_typed_walk_finds(payload: dict[str, Any]) -> None:
    struct = RECORD_TYPES[payload["type"]]
    walked = typed_control_errors(struct, payload)
    assert control_errors(struct, payload) == walked
    assert _rendered(control_errors(struct, payload)) == _rendered(walked)
    if walked:
        assert may_hold_control(payload)


@pytest.mark.parametrize("control", _CONTROLS, ids=[f"U+{ord(c):04X}" for c in _CONTROLS])
@settings(max_examples=10)
@given(data=st.data())
def test_every_control_anywhere_sends_the_payload_to_the_walk(
    control: str, data: st.DataObject
) -> None:
    payload = data.draw(_variants(pact_payload()))
    witness = data.draw(st.sampled_from(["name", "jabatan", "instansi"]))
    at = data.draw(st.integers(0, 5))
    payload["witnesses"] = [{**pact_payload()["witnesses"][0]}]
    text = "Rahmat Bagja"
    payload["witnesses"][0][witness] = text[:at] + control + text[at:]
    assert may_hold_control(payload)
    found = control_errors(RECORD_TYPES["pact"], payload)
    assert (
        FieldError(
            f"witnesses[0].{witness}",
            "control-character",
            {"character": f"U+{ord(control):04X}", "position": at + 1, "allowed": ""},
        )
        in found
    )


def test_a_payload_without_controls_is_not_walked() -> None:
    # what makes the fast path fast: the common pact is decided by the search alone
    assert not may_hold_control(pact_payload())
    assert not may_hold_control(declaration_payload())
    # bytes that begin a hit's UTF-8, in characters that are none: looked at closer, passed
    assert not may_hold_control(pact_payload(place="Bandung \u2013 Jawa\u00a0Barat"))
    assert may_hold_control(_report())  # a newline: the walk decides (the description may)
    assert may_hold_control(pact_payload(place="C:\\new"))  # a backslash: the walk decides
    assert control_errors(RECORD_TYPES["pact"], pact_payload(place="C:\\new")) == []


def test_a_payload_json_cannot_write_is_walked() -> None:
    payload = pact_payload(place="Band\ud800ung", election="pilkada\x072024")
    assert may_hold_control(payload)
    assert [e.field for e in control_errors(RECORD_TYPES["pact"], payload)] == ["election"]
