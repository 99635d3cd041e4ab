"""Record schemas: each type's payload validated, with the field named on failure."""

from __future__ import annotations

from typing import Any

import pytest

from registry.records.schemas import RecordError, parse_record, record_payload
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
