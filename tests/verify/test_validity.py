"""Log key validity: a key signs only the tree sizes announced for it (verify/validity.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.verify.qr import verify_offline
from registry.verify.result import Reason
from registry.verify.trust import KeySourceError, TrustedKeys, b64url
from registry.verify.validity import KeyValidity, outside_validity
from tests.verify.test_qr import KEYS, ORIGIN, RECEIPT_TEXT, REGISTRY, TIMESTAMP_TEXT

sizes = st.integers(min_value=0, max_value=2**64 - 1)


@given(sizes, sizes, sizes)
def test_a_window_covers_exactly_the_sizes_between_its_ends(a: int, b: int, size: int) -> None:
    start, end = min(a, b), max(a, b)
    window = KeyValidity(start, end)
    assert window.covers(size) == (start <= size <= end)
    assert KeyValidity(start).covers(size) == (size >= start)
    refused = outside_validity("c", "it", b"k", size, {b"k": window})
    assert (refused is None) == window.covers(size)
    assert outside_validity("c", "it", b"other", size, {b"k": window}) is None


def _retired_at(end: int) -> dict[bytes, KeyValidity]:
    return {REGISTRY.public_key: KeyValidity(0, end)}


def test_an_entry_timestamp_by_a_key_retired_before_its_leaf_is_refused() -> None:
    # the timestamped leaf is entry 2: a key ending at size 2 never signed a tree holding it
    refused = verify_offline(TIMESTAMP_TEXT, KEYS, ORIGIN, validity=_retired_at(2))
    assert refused.reason == Reason.KEY_OUTSIDE_VALIDITY, refused.explain()
    assert verify_offline(TIMESTAMP_TEXT, KEYS, ORIGIN, validity=_retired_at(3)).ok


def test_an_offline_receipt_by_a_key_retired_before_its_tree_is_refused() -> None:
    refused = verify_offline(RECEIPT_TEXT, KEYS, ORIGIN, validity=_retired_at(4))
    assert refused.reason == Reason.KEY_OUTSIDE_VALIDITY, refused.explain()
    assert verify_offline(RECEIPT_TEXT, KEYS, ORIGIN, validity=_retired_at(5)).ok


def _configuration(**validity: object) -> bytes:
    key = {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(REGISTRY.public_key)}, **validity}
    return json.dumps({"origin": ORIGIN, "keys": [key]}).encode()


@pytest.mark.parametrize(
    "validity",
    [
        {"valid_from_size": -1},
        {"valid_from_size": "0"},
        {"valid_until_size": 1.5},
        {"valid_until_size": True},
        {"valid_from_size": 5, "valid_until_size": 4},
    ],
    ids=["negative", "text", "fraction", "boolean", "end-before-start"],
)
def test_a_configuration_with_bad_validity_sizes_is_refused(validity: dict[str, object]) -> None:
    with pytest.raises(KeySourceError):
        TrustedKeys.build(configurations=[_configuration(**validity)])


def test_a_configuration_reads_each_keys_validity() -> None:
    trusted = TrustedKeys.build(
        configurations=[_configuration(valid_from_size=3, valid_until_size=9)]
    )
    assert trusted.log_validity == {REGISTRY.public_key: KeyValidity(3, 9)}
    assert TrustedKeys.build(configurations=[_configuration()]).log_validity == {}
