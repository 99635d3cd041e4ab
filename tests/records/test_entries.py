"""The payload's JSON text as stored with each entry (``entries.payload_json``)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.records.entries import payload_json
from tests.factories import TEMPLATE_SHA256, pact_payload


def _reference(value: Any) -> Any:
    """The payload with its bytes as base64url, made as a copy (how it was written before)."""
    if isinstance(value, bytes):
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()
    if isinstance(value, dict):
        return {k: _reference(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_reference(v) for v in value]
    return value


_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text()
    | st.binary(max_size=40)
)
_PAYLOADS = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), _PAYLOADS, max_size=8))
def test_the_stored_text_is_the_one_written_before(payload: dict[str, Any]) -> None:
    assert payload_json(payload) == json.dumps(
        _reference(payload), ensure_ascii=False, sort_keys=True
    )


def test_a_pact_is_written_as_it_is_stored() -> None:
    payload = pact_payload(place="Bandung é\n\x7f")
    text = payload_json(payload)
    template = base64.urlsafe_b64encode(TEMPLATE_SHA256).rstrip(b"=").decode()
    assert text.startswith('{"date": "2024-09-27", "election": "pilkada-2024", ')
    assert f'"template": "{template}"' in text
    assert '"place": "Bandung é\\n\x7f"' in text
    assert json.loads(text)["witnesses"] == payload["witnesses"]


def test_a_value_json_cannot_write_is_still_refused() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        payload_json({"type": "pact", "place": {1.5j}})
