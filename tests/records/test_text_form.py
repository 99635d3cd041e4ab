"""Records as YAML and JSON write them: hashes as hex or base64url text, every bad field named."""

from __future__ import annotations

import pytest

from registry.records.schemas import RecordError, parse_record
from registry.records.text_form import parse_record_fields
from tests.factories import pact_payload


def test_hex_and_base64url_text_with_every_bad_field_from_yaml() -> None:
    data = pact_payload(template="zz!!", date="kemarin")
    data["witnesses"] = [{"name": "A", "jabatan": "B", "instansi": 3}]
    with pytest.raises(RecordError) as caught:
        parse_record_fields(data)
    assert [(e.field, e.reason) for e in caught.value.errors] == [
        ("template", "not-a-hash"),
        ("date", "not-a-date"),
        ("witnesses[0].instansi", "not-text"),
    ]
    hexed = pact_payload(template=pact_payload()["template"].hex())
    assert parse_record_fields(hexed) == parse_record(pact_payload())


def test_base64url_text_must_be_base64url() -> None:
    # urlsafe_b64decode alone drops the '!' and reads 32 bytes out of this
    sloppy = "A" * 21 + "!" + "A" * 22
    with pytest.raises(RecordError) as caught:
        parse_record_fields(pact_payload(template=sloppy))
    assert [(e.field, e.reason) for e in caught.value.errors] == [("template", "not-a-hash")]
