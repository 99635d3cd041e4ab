"""Record schemas: each type's payload validated, with the field named on failure."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.i18n import catalog
from registry.records.schemas import RECORD_TYPES, RecordError, parse_record, record_payload
from tests.factories import pact_payload


def test_valid_pact_round_trips() -> None:
    assert record_payload(parse_record(pact_payload())) == pact_payload()


@pytest.mark.parametrize(
    ("name", "payload", "match"),
    [
        ("type-not-text", {"type": {"x": 1}}, "unknown statement type"),
        ("type-list", {"type": ["pact"]}, "unknown statement type"),
        ("type-missing", {"place": "Bandung"}, "unknown statement type"),
        ("unknown-field", pact_payload(mood="happy"), "unknown field"),
        ("missing-field", {k: v for k, v in pact_payload().items() if k != "place"}, "place"),
        ("bad-date", pact_payload(date="27-09-2024"), "date"),
        ("short-hash", pact_payload(template=b"\x00" * 31), "template"),
        ("text-too-long", pact_payload(place="x" * 501), "place"),
        ("bad-witness", pact_payload(witnesses=[{"name": "A"}]), "witnesses"),
        (
            "follow-up-sanction-without-decree",
            {"type": "follow-up", "recommendation": 3, "action": "sanctioned"},
            "decree",
        ),
        (
            "follow-up-refusal-without-reason",
            {"type": "follow-up", "recommendation": 3, "action": "refused"},
            "reason",
        ),
        ("negative-entry", {"type": "revocation", "entry": -1, "reason": "x"}, "entry"),
    ],
)
def test_invalid_records_name_the_problem(name: str, payload: dict[str, Any], match: str) -> None:
    with pytest.raises(RecordError, match=match):
        parse_record(payload)


def test_every_bad_field_is_listed_not_only_the_first() -> None:
    bad = pact_payload(date="27-09-2024", place="x" * 501, mood="happy", template=b"\x00" * 31)
    del bad["election"]
    with pytest.raises(RecordError) as caught:
        parse_record(bad)
    assert [(e.field, e.reason) for e in caught.value.errors] == [
        ("mood", "unknown-field"),
        ("template", "wrong-hash-length"),
        ("election", "missing"),
        ("place", "too-long"),
        ("date", "not-a-date"),
    ]
    assert "regex" not in str(caught.value)
    assert "Expected" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "changes", "field", "english", "indonesian"),
    [
        (
            "date-written-dd-mm-yyyy",
            {"date": "14-02-2024"},
            "date",
            "date: must be a date written YYYY-MM-DD, e.g. 2024-02-14",
            "tanggal (date): harus berupa tanggal YYYY-MM-DD, misalnya 2024-02-14",
        ),
        (
            "date-not-in-the-calendar",
            {"date": "2024-02-30"},
            "date",
            "date: must be a date written YYYY-MM-DD, e.g. 2024-02-14",
            "tanggal (date): harus berupa tanggal YYYY-MM-DD, misalnya 2024-02-14",
        ),
        (
            "hash-of-31-bytes",
            {"template": b"\x00" * 31},
            "template",
            "template: must be 32 bytes (64 hex digits or base64url), not 31 bytes",
            "templat naskah (template): harus 32 byte (64 digit heksadesimal atau base64url),"
            " bukan 31 byte",
        ),
        (
            "hash-as-text",
            {"template": "ab" * 32},
            "template",
            "template: must be 32 bytes written as 64 hex digits or base64url",
            "templat naskah (template): harus berupa 32 byte yang ditulis sebagai 64 digit"
            " heksadesimal atau base64url",
        ),
        (
            "place-as-a-number",
            {"place": 42},
            "place",
            "place: must be text",
            "tempat (place): harus berupa teks",
        ),
        (
            "empty-place",
            {"place": ""},
            "place",
            "place: must not be empty",
            "tempat (place): tidak boleh kosong",
        ),
        (
            "witness-without-jabatan",
            {"witnesses": [{"name": "A", "instansi": "Bawaslu"}]},
            "witnesses[0].jabatan",
            "witnesses[0].jabatan: is required",
            "witnesses[0].jabatan: wajib diisi",
        ),
    ],
)
def test_each_problem_is_said_in_both_languages(
    name: str, changes: dict[str, Any], field: str, english: str, indonesian: str
) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(pact_payload(**changes))
    [error] = caught.value.errors
    assert error.field == field
    assert error.message().render("en") == english
    assert error.message().render("id") == indonesian


def test_an_enum_value_lists_the_allowed_ones() -> None:
    with pytest.raises(RecordError) as caught:
        parse_record({"type": "template", "kind": "petisi", "title": "T", "text": "x"})
    [error] = caught.value.errors
    assert error.message().render("en") == "kind: must be one of: declaration, pact (not 'petisi')"
    assert error.message().render("id") == (
        "jenis naskah (kind): harus salah satu dari: declaration, pact (bukan 'petisi')"
    )


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(sorted(RECORD_TYPES)),
    fields=st.dictionaries(
        st.sampled_from(
            ["date", "place", "template", "role", "entry", "witnesses", "action", "step", "x"]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-5, 5),
            st.text(max_size=8),
            st.binary(max_size=40),
            st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        ),
        max_size=6,
    ),
)
def test_any_bad_record_is_said_from_the_catalogs_in_both_languages(
    kind: str, fields: dict[str, Any]
) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record({"type": kind, **fields})
    assert caught.value.errors
    for error in caught.value.errors:
        assert f"schema.{error.reason}" in catalog("en")
        for lang in ("en", "id"):
            text = error.message().render(lang)
            assert not re.search(r"\{[a-z_]+\}", text), text  # every field filled
            assert "schema." not in text, text


def test_each_record_type_parses_to_its_own_struct_not_another_of_the_union() -> None:
    # parse_record converts to the Struct its "type" names (not the union of every record):
    # every type still comes back as its own class, and a payload of one type with another's
    # fields is refused, not read as the other
    pact = parse_record(pact_payload())
    assert type(pact) is RECORD_TYPES["pact"]
    with pytest.raises(RecordError, match="unknown field"):
        parse_record({**pact_payload(), "type": "recommendation"})


def test_a_day_not_in_the_calendar_is_refused_every_time_not_only_the_first() -> None:
    # the date fields of a Struct are worked out once, then remembered: the second and later
    # payloads of that type are checked against the calendar all the same
    for _ in range(3):
        with pytest.raises(RecordError, match="date"):
            parse_record(pact_payload(date="2024-02-30"))
    assert parse_record(pact_payload(date="2024-02-29"))
