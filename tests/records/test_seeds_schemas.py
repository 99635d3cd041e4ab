"""Records the seeds ask for: sanctions, head types, categories, blocks of ASN, transfers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.records.schemas import RecordError, parse_record, record_payload
from registry.records.vocabulary import CATEGORIES, CODES, category_code, vocabulary

COMMITMENT = b"\x11" * 32


def recommendation(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "recommendation",
        "case_number": "R-1",
        "instansi": "Pemerintah Kota Bogor",
        "ppk_kid": b"\x22" * 32,
        "subject_commitment": COMMITMENT,
        "category": "social-media",
        "sanction": "light",
        "deadline": "2024-10-15",
    }
    return {**payload, **changes}


def staff_block(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "staff-block",
        "recommendation": 7,
        "subject_commitment": COMMITMENT,
        "instansi": "Pemerintah Kota Bogor",
        "action": "block",
        "system": "SIASN",
        "reason": "sanksi tidak dijatuhkan",
    }
    return {**payload, **changes}


def transfer(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "transfer",
        "subject_commitment": COMMITMENT,
        "instansi": "Pemerintah Kota Bogor",
        "decision": "demotion",
        "from_post": "Kepala Seksi",
        "to_post": "Staf Pelaksana",
        "decree_number": "821.2/1/BKPSDM/2024",
        "decree_date": "2024-10-01",
    }
    return {**payload, **changes}


@pytest.mark.parametrize(
    "payload",
    [
        recommendation(),
        recommendation(sanction="moral"),
        staff_block(),
        staff_block(action="unblock", system="SAPK"),
        transfer(),
        {
            "type": "follow-up",
            "recommendation": 3,
            "action": "sanctioned",
            "decree_number": "862/1",
            "decree_date": "2024-10-01",
            "sanction": "light",
            "idis_reference": "IDIS-2024-1",
        },
        {
            "type": "report",
            "case_number": "R-1",
            "reporter": "Bawaslu",
            "instansi": "Pemerintah Kota Bogor",
            "subject_commitment": COMMITMENT,
            "reporter_commitment": b"\x33" * 32,
            "witness_commitments": [b"\x44" * 32],
            "category": "attending-campaign",
            "description": "menghadiri kampanye",
            "place": "Bogor",
            "date": "2024-10-01",
            "evidence": [],
        },
    ],
    ids=lambda p: f"{p['type']}-{p.get('action') or p.get('sanction') or p.get('decision')}",
)
def test_the_seed_records_round_trip(payload: dict[str, Any]) -> None:
    assert record_payload(parse_record(payload)) == payload


@pytest.mark.parametrize(
    ("name", "payload", "field"),
    [
        ("category-free-text", recommendation(category="kampanye di medsos"), "category"),
        ("sanction-ringan-in-the-log", recommendation(sanction="ringan"), "sanction"),
        ("sanction-unknown", recommendation(sanction="dismissal"), "sanction"),
        ("staff-block-other-action", staff_block(action="freeze"), "action"),
        ("staff-block-other-system", staff_block(system="SIMPEG"), "system"),
        ("staff-block-short-commitment", staff_block(subject_commitment=b"\x00"), "subject"),
        ("transfer-other-decision", transfer(decision="promotion"), "decision"),
        ("transfer-without-decree", {**transfer(), "decree_number": None}, "decree_number"),
        (
            "enrolment-head-type-acting",
            {
                "type": "enrolment",
                "public_key": b"\x00" * 32,
                "role": "ppk",
                "name": "A",
                "jabatan": "Pj. Bupati",
                "instansi": "Pemerintah Kabupaten Bogor",
                "head_type": "acting",
                "decree_number": "1",
                "decree_date": "2024-01-01",
                "term_start": "2024-01-01",
                "term_end": "2024-12-31",
            },
            "head_type",
        ),
    ],
)
def test_seed_records_out_of_vocabulary_are_refused(
    name: str, payload: dict[str, Any], field: str
) -> None:
    with pytest.raises(RecordError) as caught:
        parse_record(payload)
    assert any(field in e.field for e in caught.value.errors), caught.value.errors


def test_the_vocabulary_lists_each_code_once_with_both_labels() -> None:
    table = vocabulary()
    assert [row["code"] for row in table] == list(CODES)
    assert all(row["id"] and row["en"] and row["id"] != row["en"] for row in table)


@given(st.sampled_from(CATEGORIES), st.sampled_from(["code", "id", "en", "word"]), st.booleans())
def test_a_category_is_found_by_code_label_or_word_in_any_case_and_spacing(
    category: Any, which: str, shout: bool
) -> None:
    text = {"code": category.code, "id": category.id, "en": category.en}.get(
        which, category.words[0] if category.words else category.code
    )
    text = f"  {text.upper() if shout else text}  ".replace(" ", "  ")
    assert category_code(text) == category.code


@given(st.text(max_size=30))
def test_text_that_names_no_category_finds_none(text: str) -> None:
    code = category_code(text)
    assert code is None or code in CODES
