"""Deterministic CBOR: RFC 8949 §4.2.1 order, strict decoding."""

from __future__ import annotations

import collections
import datetime
import enum

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.verify import cbor as cbor_module
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


# -- the direct encoder against a reference -----------------------------------------------


def _reference_sorted(obj: object) -> object:
    """Every map rebuilt with its items sorted by ``cbor2.dumps(key)``, bytewise."""
    if isinstance(obj, dict):
        items = sorted(obj.items(), key=lambda item: cbor2.dumps(_reference_sorted(item[0])))
        return {key: _reference_sorted(value) for key, value in items}
    if isinstance(obj, list | tuple):
        return [_reference_sorted(item) for item in obj]
    if isinstance(obj, cbor2.CBORTag):
        return cbor2.CBORTag(obj.tag, _reference_sorted(obj.value))
    return obj


def reference_encode(obj: object) -> bytes:
    """RFC 8949 §4.2.1 core deterministic encoding, the straightforward way."""
    return cbor2.dumps(_reference_sorted(obj))


def _has_stringref_tag(obj: object) -> bool:
    if isinstance(obj, dict):
        return any(_has_stringref_tag(k) or _has_stringref_tag(v) for k, v in obj.items())
    if isinstance(obj, list | tuple):
        return any(_has_stringref_tag(item) for item in obj)
    if isinstance(obj, cbor2.CBORTag):
        return obj.tag == 256 or _has_stringref_tag(obj.value)
    return False


# Integers around every head size and the bignum boundary, of both signs.
_edges = [0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1, 2**64, 2**70]
integers = (
    st.integers(-(2**70), 2**70)
    | st.sampled_from(_edges + [-1 - n for n in _edges])
    | st.integers(-30, 30)
)
keys = st.text(max_size=30) | integers | st.integers(-500, 500)
_tag_numbers = [0, 1, 6, 18, 23, 24, 255, 256, 395, 65535, 65536, 2**32, 2**64 - 1]
# Tags cbor2's decoder turns into Python values (datetimes, bignums, sets, shared values...).
_interpreted_tags = {0, 1, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 100, 256, 258, 260, 261}
_interpreted_tags |= {1004, 43000, 55799}


def _record_values(tags: st.SearchStrategy[int]) -> st.SearchStrategy[object]:
    return st.recursive(
        st.none() | st.booleans() | integers | st.text(max_size=30) | st.binary(max_size=30),
        lambda inner: (
            st.lists(inner, max_size=5)
            | st.lists(inner, max_size=5).map(tuple)
            | st.dictionaries(keys, inner, max_size=6)
            | st.builds(cbor2.CBORTag, tags, inner)
        ),
        max_leaves=25,
    )


record_values = _record_values(st.sampled_from(_tag_numbers) | st.integers(0, 2**64 - 1))
"""Nested records of every type the direct encoder writes, and tag 256 which it leaves."""
decodable_values = _record_values(
    st.sampled_from([t for t in _tag_numbers if t not in _interpreted_tags])
    | st.integers(0, 2**64 - 1).filter(lambda t: t not in _interpreted_tags)
)
"""The same, with tags that cbor2 decodes as ``CBORTag`` so that they round-trip."""


@given(record_values)
def test_encoder_equals_the_reference(value: object) -> None:
    expected = reference_encode(value)
    assert encode_deterministic(value) == expected
    if not _has_stringref_tag(value):
        # The direct encoder itself wrote it, not the general path it falls back to.
        assert cbor_module._encode(value) == expected


@given(decodable_values)
def test_decode_deterministic_accepts_exactly_the_reference_encoding(value: object) -> None:
    encoded = reference_encode(value)
    verdict = decode_deterministic(encoded, "item")
    assert verdict.ok, verdict.explain()
    assert encode_deterministic(verdict.value) == encoded


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("mixed-sign-int-keys", {-1: 0, 395: 1, 1: 2, -65537: 3, -65538: 4, 396: 5}),
        ("text-and-int-keys", {"a": 0, 395: 1, -1: 2, "": 3, "bb": 4, 23: 5, 24: 6}),
        ("long-text-keys", {"a" * 24: 0, "b" * 23: 1, "a" * 256: 2, "z": 3}),
        ("bignum-keys", {2**64: 0, -(2**64) - 1: 1, 0: 2}),
        ("long-items", ["x" * 65536, b"y" * 256, list(range(300)), {str(i): i for i in range(30)}]),
        ("nested-tag", cbor2.CBORTag(18, [b"", {396: {-1: [b"p"]}}, None, b"s"])),
        ("bools-are-not-ints", {"t": True, "f": False, "one": 1, "zero": 0}),
        ("tuples-are-arrays", (1, (2, 3), [])),
        ("stringref-namespace", cbor2.CBORTag(256, [{"b": "abc", "a": "abc"}])),
    ],
)
def test_encoder_equals_the_reference_on(name: str, value: object) -> None:
    assert encode_deterministic(value) == reference_encode(value)


class _Label(enum.IntEnum):
    SEVEN = 7


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("bool-and-none-keys", {True: 1, None: 2, "a": 0}),
        ("ordered-dict", collections.OrderedDict([("b", 1), ("a", 2)])),
        ("int-enum", {_Label.SEVEN: _Label.SEVEN, 1: 0}),
        ("bytearray", [bytearray(b"ab")]),
        ("set", {"s": {3, 1, 2}}),
        ("datetime", {"at": datetime.datetime(2024, 9, 27, tzinfo=datetime.UTC)}),
        ("frozenset-key", {frozenset({1}): 2}),
    ],
)
def test_other_types_take_the_general_path_unchanged(name: str, value: object) -> None:
    # Not written by the direct encoder: rebuilt with sorted maps and left to cbor2, as before.
    with pytest.raises(cbor_module._Unsupported):
        cbor_module._encode(value)
    assert encode_deterministic(value) == cbor2.dumps(cbor_module._sortable(value))
    assert encode_deterministic(value) == reference_encode(value)


@pytest.mark.parametrize(
    ("name", "value", "error", "match"),
    [
        ("float-value", {"a": [1, 1.5]}, TypeError, "floating-point values are not allowed"),
        ("float-key", {1.5: 1}, TypeError, "floating-point values are not allowed"),
        ("float-in-tag", cbor2.CBORTag(1, 0.5), TypeError, "floating-point values are not allowed"),
        ("float-deep", {"w": [{"n": "x", "score": 9.5}]}, TypeError, "floating-point"),
        ("infinity", [float("inf")], TypeError, "floating-point values are not allowed"),
        ("array-key", {(1, 2): 3}, TypeError, "unhashable type: 'list'"),
        ("lone-surrogate", {"a": "\ud800"}, UnicodeEncodeError, "surrogates not allowed"),
        ("lone-surrogate-key", {"\ud800": 1}, UnicodeEncodeError, "surrogates not allowed"),
        ("unknown-type", [object()], cbor2.CBOREncodeTypeError, "cannot serialize type"),
        ("naive-datetime", datetime.datetime(2024, 9, 27), cbor2.CBOREncodeValueError, "naive"),
    ],
)
def test_refusals_are_those_of_the_general_path(
    name: str, value: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        encode_deterministic(value)
    with pytest.raises(error, match=match):
        cbor2.dumps(cbor_module._sortable(value))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("half-float", bytes.fromhex("f93c00")),
        ("float-in-map", bytes.fromhex("a16161fb3ff8000000000000")),
        ("rfc7049-canonical-order", cbor2.dumps({-1: 0, 395: 0, 1: 0}, canonical=True)),
        ("text-before-int-key", bytes.fromhex("a2616100182a00")),
        ("non-shortest-negative", bytes.fromhex("3800")),
        ("non-shortest-text-length", bytes.fromhex("780161")),
        ("non-shortest-map-length", bytes.fromhex("b801616100")),
        ("non-shortest-tag", bytes.fromhex("d81200")),
        ("indefinite-text", bytes.fromhex("7f6161ff")),
        ("indefinite-map", bytes.fromhex("bf616100ff")),
        ("bignum-for-small-int", bytes.fromhex("c24101")),
        ("shared-value", bytes.fromhex("82d81c8101d81d00")),
    ],
)
def test_more_non_deterministic_encodings_are_refused(name: str, data: bytes) -> None:
    verdict = decode_deterministic(data, "item")
    assert verdict.reason == Reason.NOT_DETERMINISTIC, verdict.explain()


def test_a_float_is_refused_as_not_allowed() -> None:
    verdict = decode_deterministic(bytes.fromhex("a16161fb3ff8000000000000"), "item")
    assert verdict.reason == Reason.NOT_DETERMINISTIC
    assert "floating-point values are not allowed" in verdict.detail
