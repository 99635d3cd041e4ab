"""Signed statements: valid ones verify, each mutation fails with its reason."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.signing.cose import CoseSigner
from registry.verify.cbor import encode_deterministic
from registry.verify.cose import key_id
from registry.verify.result import Reason, VerificationError
from registry.verify.statement import verify_statement
from tests.factories import fixed_key, pact_payload, signed_pact

PPK = fixed_key("ppk-jabar")
PPK_PUBLIC = CoseSigner(PPK).public_key
TRUSTED = {key_id(PPK_PUBLIC): PPK_PUBLIC}


def test_valid_statement_verifies_and_carries_its_payload() -> None:
    verdict = verify_statement(signed_pact(), TRUSTED)
    assert verdict.ok, verdict.explain()
    statement = verdict.unwrap()
    assert statement.statement_type == "pact"
    assert statement.payload == pact_payload()
    assert statement.issuer == "ppk-jabar"
    assert statement.kid == key_id(PPK_PUBLIC)


def test_lookup_function_is_accepted() -> None:
    assert verify_statement(signed_pact(), TRUSTED.get).ok


def _mutated(mutate: object) -> bytes:
    item = cbor2.loads(signed_pact())
    mutate(item.value)  # type: ignore[operator]
    return cbor2.dumps(item)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty", b"", Reason.EMPTY),
        ("truncated", signed_pact()[:-10], Reason.TRUNCATED),
        ("trailing-garbage", signed_pact() + b"\x00", Reason.TRAILING_DATA),
        ("oversized", b"\x58" + b"\x00" * 70_000, Reason.OVERSIZED),
        ("reserved-cbor-byte", b"\x1c", Reason.MALFORMED),
        ("wrong-cbor-type-map", cbor2.dumps({"a": 1}), Reason.WRONG_TYPE),
        ("wrong-tag", cbor2.dumps(cbor2.CBORTag(98, [])), Reason.MALFORMED),
        ("three-items", cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b""])), Reason.WRONG_TYPE),
    ],
)
def test_bad_input_is_refused_with_its_reason(name: str, data: bytes, reason: Reason) -> None:
    verdict = verify_statement(data, TRUSTED)
    assert not verdict.ok
    assert verdict.reason == reason, verdict.explain()


def test_wrong_algorithm_is_refused() -> None:
    def set_es256(body: list[object]) -> None:
        protected = cbor2.loads(body[0])  # type: ignore[arg-type]
        protected[1] = -7
        body[0] = cbor2.dumps(protected)

    verdict = verify_statement(_mutated(set_es256), TRUSTED)
    assert verdict.reason == Reason.WRONG_ALGORITHM
    assert "-7" in verdict.detail


def test_unknown_key_is_refused_with_the_kid() -> None:
    other = CoseSigner(fixed_key("someone-else"))
    verdict = verify_statement(other.sign_statement(pact_payload(), "x", 1), TRUSTED)
    assert verdict.reason == Reason.UNKNOWN_KEY
    assert verdict.evidence["kid"] == other.kid.hex()


def test_kid_that_is_not_the_keys_hash_is_refused() -> None:
    other = CoseSigner(fixed_key("someone-else"))
    data = other.sign_statement(pact_payload(), "x", 1)
    verdict = verify_statement(data, {other.kid: PPK_PUBLIC})
    assert verdict.reason == Reason.UNKNOWN_KEY


def test_payload_swapped_after_signing_is_a_bad_signature() -> None:
    def swap(body: list[object]) -> None:
        body[2] = encode_deterministic(pact_payload(place="Jakarta"))

    verdict = verify_statement(_mutated(swap), TRUSTED)
    assert verdict.reason == Reason.BAD_SIGNATURE


def test_payload_not_deterministic_is_refused() -> None:
    signer = CoseSigner(PPK)
    # keys in insertion order (b before a), not sorted: valid CBOR, not deterministic
    payload = cbor2.dumps({"type": "pact", "b": 1, "a": 2})
    data = signer.sign1({3: "application/cbor", 15: {1: "x", 2: "pact", 6: 1}}, {}, payload)
    verdict = verify_statement(data, TRUSTED)
    assert verdict.reason == Reason.NOT_DETERMINISTIC


def test_payload_without_type_is_refused() -> None:
    signer = CoseSigner(PPK)
    data = signer.sign1(
        {3: "application/cbor", 15: {1: "x", 2: "pact", 6: 1}}, {}, encode_deterministic({"a": 1})
    )
    assert verify_statement(data, TRUSTED).reason == Reason.MALFORMED


def test_subject_claim_must_match_type() -> None:
    signer = CoseSigner(PPK)
    data = signer.sign1(
        {3: "application/cbor", 15: {1: "x", 2: "declaration", 6: 1}},
        {},
        encode_deterministic(pact_payload()),
    )
    verdict = verify_statement(data, TRUSTED)
    assert verdict.reason == Reason.MALFORMED
    assert "sub" in verdict.detail


def test_raise_for_failure_carries_the_verdict() -> None:
    with pytest.raises(VerificationError, match="bad-signature") as caught:
        verify_statement(
            _mutated(lambda body: body.__setitem__(3, bytes(64))), TRUSTED
        ).raise_for_failure()
    assert caught.value.reason == Reason.BAD_SIGNATURE


STATEMENT = signed_pact()


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(STATEMENT) * 8 - 1))
def test_every_single_bit_flip_is_rejected(bit: int) -> None:
    data = bytearray(STATEMENT)
    data[bit // 8] ^= 1 << (bit % 8)
    verdict = verify_statement(bytes(data), TRUSTED)
    assert not verdict.ok


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    verdict = verify_statement(data, TRUSTED)
    assert not verdict.ok
    assert verdict.reason is not None
