"""Personal data kept out of the log: a NIP only behind a commitment, none in free text."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.records.personal import (
    FREE_TEXT_FIELDS,
    commit_enrolment_nip,
    commit_nip,
    found_in_text,
)
from registry.records.schemas import RECORD_TYPES, RecordError, parse_record
from registry.records.text_form import parse_record_fields
from tests.api.helpers import enrolment
from tests.factories import pact_payload

NIP = "199001012015031001"
KEY = b"\x01" * 32


def refusal(payload: dict[str, Any]) -> RecordError:
    with pytest.raises(RecordError) as refused:
        parse_record(payload)
    return refused.value


def test_a_plain_nip_in_an_enrolment_is_refused_in_both_languages() -> None:
    error = refusal(enrolment(KEY, "ppk", nip=NIP))
    assert [(e.field, e.reason) for e in error.errors] == [("nip", "plain-nip")]
    english = error.errors[0].message().render("en")
    indonesian = error.errors[0].message().render("id")
    assert "must not be written in clear" in english
    assert "nip_commitment" in english
    assert "tidak boleh ditulis terang" in indonesian
    assert "nip_commitment" in indonesian
    assert NIP not in english + indonesian


def test_an_enrolment_with_a_nip_commitment_is_admitted() -> None:
    _, commitment = commit_nip(NIP)
    record = parse_record(enrolment(KEY, "ppk", nip_commitment=commitment))
    assert record.nip_commitment == commitment  # type: ignore[union-attr]
    assert record.nip is None  # type: ignore[union-attr]


def test_an_enrolment_logged_with_a_plain_nip_is_still_read() -> None:
    """Entries registered before commitments keep verifying and deriving their keys."""
    record = parse_record(enrolment(KEY, "ppk", nip=NIP), logged=True)
    assert record.nip == NIP  # type: ignore[union-attr]


def test_commitments_use_fresh_random_salts() -> None:
    salts = {commit_nip(NIP)[0] for _ in range(50)}
    assert len(salts) == 50
    assert all(len(s) == 16 for s in salts)
    salt, commitment = commit_nip(NIP)
    assert commitment == hashlib.sha256(salt + NIP.encode()).digest()


def test_an_operator_enrolment_with_a_nip_becomes_a_commitment() -> None:
    written = {**enrolment(KEY.hex(), "ppk"), "nip": NIP}
    data, person = commit_enrolment_nip(written)
    assert person is not None
    assert person.nip == NIP
    assert person.name == "Bey Machmudin"
    assert "nip" not in data
    assert data["nip_commitment"] == hashlib.sha256(person.salt + NIP.encode()).digest()
    assert parse_record_fields(data).nip_commitment == person.commitment  # type: ignore[union-attr]
    pact = pact_payload()
    assert commit_enrolment_nip(pact) == (pact, None)


REFUSED = [
    ("nip", "NIP 199001012015031001 kampanye"),
    ("nip-spaced", "ASN NIP 19900101 201503 1 001 hadir"),
    ("nip-dotted", "ASN 19900101.201503.1.001"),
    ("phone-plus62", "hubungi +62 812-3456-7890"),
    ("phone-62", "wa 6281234567890"),
    ("phone-08", "telepon 081234567890 sore"),
    ("phone-08-spaced", "HP 0812 3456 789"),
]
ALLOWED = [
    "Keputusan Bupati No. 800/1234/BKPSDM/2024",
    "pada 2024-09-27 pukul 10.00",
    "Kasus NET.2024.00001 dan 862/0001/BKD/2024",
    "nomor 12345678901234567",  # 17 digits: no NIP
    "tahun 2020 2021 2022",
]


@pytest.mark.parametrize("field", ["reason", "place"])
@pytest.mark.parametrize(("name", "text"), REFUSED)
def test_free_text_with_personal_data_is_refused_naming_the_field(
    field: str, name: str, text: str
) -> None:
    payload = {
        "reason": {"type": "revocation", "entry": 3, "reason": text},
        "place": pact_payload(place=text),
    }[field]
    error = refusal(payload)
    kind = "nip" if name.startswith("nip") else "phone"
    assert [(e.field, e.reason) for e in error.errors] == [(field, f"{kind}-in-text")]
    shown = error.errors[0].message()
    assert field in shown.render("en")
    assert ("NIP" if kind == "nip" else "phone number") in shown.render("en")
    assert ("NIP" if kind == "nip" else "nomor telepon") in shown.render("id")
    assert "…" in error.errors[0].params["found"]


def test_a_report_description_with_a_nip_is_refused() -> None:
    report = {
        "type": "report",
        "election": "pilkada-2024",
        "case_number": "NET.2024.00001",
        "reporter": "Bawaslu",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "subject_commitment": b"\x02" * 32,
        "category": "declaring-support",
        "description": "ASN dengan NIP 199001012015031001 berkampanye",
        "place": "Bandung",
        "date": "2024-09-27",
    }
    error = refusal(report)
    assert [(e.field, e.reason) for e in error.errors] == [("description", "nip-in-text")]
    assert error.errors[0].params["found"] == "1990…01"


@pytest.mark.parametrize("text", ALLOWED)
def test_ordinary_free_text_is_admitted(text: str) -> None:
    assert found_in_text(text) is None
    parse_record(pact_payload(place=text))


def test_every_free_text_field_of_the_schemas_is_checked() -> None:
    free = {"reason", "description", "place", "title", "text"}
    named = {f for struct in RECORD_TYPES.values() for f in struct.__struct_fields__ if f in free}
    assert named <= set(FREE_TEXT_FIELDS)


@given(
    before=st.text(alphabet="abc ,.", max_size=10),
    digits=st.text(alphabet="0123456789", min_size=18, max_size=18),
    after=st.text(alphabet="abc ,.", max_size=10),
)
def test_any_eighteen_digits_in_text_are_found(before: str, digits: str, after: str) -> None:
    found = found_in_text(f"{before}{digits}{after}")
    assert found is not None
    assert found[0] in ("nip", "phone")
