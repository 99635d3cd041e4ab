"""Deterministic CBOR: RFC 8949 §4.2.1 order, strict decoding."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.verify.cbor import decode, decode_deterministic, encode_deterministic
from registry.verify.result import Reason


def test_map_keys_sort_by_encoded_bytes_not_length_first() -> None:
    # RFC 8949 §4.2.1: 395 (0x19018b) sorts before -1 (0x20); RFC 7049 canonical puts -1 first.
    encoded = encode_deterministic({-1: 0, 395: 0, 1: 0})
    assert encoded == bytes.fromhex("a3010019018b002000")
    assert cbor2.dumps({-1: 0, 395: 0, 1: 0}, canonical=True) != encoded


def test_nested_maps_are_sorted() -> None:
    assert encode_deterministic({"b": {"z": 1, "a": 2}, "a": [{"y": 1, "x": 2}]}) == cbor2.dumps(
        {"a": [{"x": 2, "y": 1}], "b": {"a": 2, "z": 1}}
    )


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="floating-point"):
        encode_deterministic({"a": 1.5})


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty", b"", Reason.EMPTY),
        ("truncated-array", bytes.fromhex("83 01 02".replace(" ", "")), Reason.TRUNCATED),
        ("trailing-garbage", bytes.fromhex("0100"), Reason.TRAILING_DATA),
        ("reserved-additional-info", b"\x1c", Reason.MALFORMED),
    ],
)
def test_strict_decode_refuses(name: str, data: bytes, reason: Reason) -> None:
    assert decode(data, "item").reason == reason


def test_oversized_is_refused_before_decoding() -> None:
    assert decode(b"\x00" * 11, "item", max_size=10).reason == Reason.OVERSIZED


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("non-shortest-integer", bytes.fromhex("1801")),
        ("indefinite-length-array", bytes.fromhex("9f01ff")),
        ("unsorted-map", bytes.fromhex("a2616201616101")),
        ("duplicate-key", bytes.fromhex("a2616101616102")),
    ],
)
def test_non_deterministic_encodings_are_refused(name: str, data: bytes) -> None:
    assert decode_deterministic(data, "item").reason == Reason.NOT_DETERMINISTIC


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text(max_size=10)
    | st.binary(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(-100, 1000), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(values)
def test_deterministic_round_trip(value: object) -> None:
    encoded = encode_deterministic(value)
    verdict = decode_deterministic(encoded, "item")
    assert verdict.ok, verdict.explain()
    assert encode_deterministic(verdict.value) == encoded
