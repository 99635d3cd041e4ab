"""A leaf's bytes (``Leaf.to_bytes``): the hashed encoding, whichever path makes it."""

from __future__ import annotations

import cbor2
from hypothesis import given
from hypothesis import strategies as st

from registry.verify.cbor import encode_deterministic
from registry.verify.leaf import LEAF_VERSION, Leaf

_EDGES = [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1]
_NUMBERS = st.sampled_from(_EDGES) | st.integers(min_value=0, max_value=2**64 - 1)
_ODD_NUMBERS = st.sampled_from([2**64, 2**70, -1, -(2**64), True, False])
_HASHES = st.binary(min_size=32, max_size=32)


@given(_NUMBERS, _HASHES, _NUMBERS, _HASHES)
def test_a_log_leaf_is_the_deterministic_cbor_of_its_fields(
    index: int, prev: bytes, at: int, digest: bytes
) -> None:
    data = Leaf(index, prev, at, digest).to_bytes()
    assert data == encode_deterministic([LEAF_VERSION, index, prev, at, digest])
    assert data == cbor2.dumps([LEAF_VERSION, index, prev, at, digest])


@given(
    _NUMBERS | _ODD_NUMBERS,
    _HASHES | st.binary(max_size=40),
    _NUMBERS | _ODD_NUMBERS,
    _HASHES | st.binary(max_size=40),
)
def test_any_other_leaf_goes_the_general_way_to_the_same_bytes(
    index: int, prev: bytes, at: int, digest: bytes
) -> None:
    expected = encode_deterministic([LEAF_VERSION, index, prev, at, digest])
    assert Leaf(index, prev, at, digest).to_bytes() == expected


def test_a_published_leaf_keeps_its_bytes() -> None:
    leaf = Leaf(300, bytes(range(32)), 1_727_395_200_000, bytes(range(32, 64)))
    assert leaf.to_bytes() == (
        b"\x85\x01\x19\x01\x2c\x58\x20"
        + bytes(range(32))
        + b"\x1b\x00\x00\x01\x92\x30\xc6\xfc\x00\x58\x20"
        + bytes(range(32, 64))
    )
