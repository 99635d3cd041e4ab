"""The signer writes each statement in its one accepted encoding, and nothing a verifier refuses."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.signing.cose import CoseSigner
from registry.verify.canonical import MAX_SAFE_INTEGER
from registry.verify.cbor import encode_deterministic
from registry.verify.cose import key_id
from registry.verify.statement import verify_statement
from tests.factories import fixed_key, pact_payload

SIGNER = CoseSigner(fixed_key("ppk-jabar"))
TRUSTED = {key_id(SIGNER.public_key): SIGNER.public_key}

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_SAFE_INTEGER - 1, MAX_SAFE_INTEGER)
    | st.text(max_size=12)
    | st.binary(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=6))
def test_every_statement_is_in_its_one_encoding_and_verifies(fields: dict[str, Any]) -> None:
    payload = {**fields, "type": "pact"}
    statement = SIGNER.sign_statement(payload, "ppk-jabar", 1_727_395_200)
    item = cbor2.loads(statement)
    assert isinstance(item, cbor2.CBORTag)
    assert item.tag == 18
    assert item.value[1] == {}
    assert encode_deterministic(item) == statement
    assert encode_deterministic(cbor2.loads(item.value[0])) == item.value[0]
    verdict = verify_statement(statement, TRUSTED)
    assert verdict.ok, verdict.explain()
    assert verdict.unwrap().payload == payload


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("integer-2^53", 2**53),
        ("integer-below-minus-2^53", -(2**53) - 1),
        ("another-tag", cbor2.CBORTag(1, 0)),
        ("float-behind-a-list", [[1.5]]),
        ("nested-too-deep", [[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]),
    ],
)
def test_a_payload_no_verifier_reads_is_not_signed(name: str, value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        SIGNER.sign_statement(pact_payload(extra=value), "ppk-jabar", 1_727_395_200)
