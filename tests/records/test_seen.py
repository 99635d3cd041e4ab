"""The Bloom filter of statements seen: never "certainly new" for one it was given."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from registry.records.seen import BITS_PER_ENTRY, SeenStatements

digests = st.binary(min_size=32, max_size=32)


@given(st.lists(digests, max_size=300), st.integers(min_value=1, max_value=64))
def test_every_added_digest_may_be_contained(added: list[bytes], capacity: int) -> None:
    seen = SeenStatements(capacity=capacity)
    for digest in added:
        seen.add(digest)
    assert all(seen.may_contain(d) for d in added)


def test_an_empty_filter_has_seen_nothing() -> None:
    seen = SeenStatements()
    assert not seen.may_contain(hashlib.sha256(b"pakta").digest())


def test_new_statements_are_rarely_taken_for_seen_ones() -> None:
    seen = SeenStatements((hashlib.sha256(b"lama %d" % i).digest() for i in range(20_000)), 1024)
    fresh = [hashlib.sha256(b"baru %d" % i).digest() for i in range(20_000)]
    false_maybes = sum(seen.may_contain(d) for d in fresh)
    assert false_maybes < len(fresh) * 0.02  # about 0.3 % by design


def test_the_filter_grows_by_doubling_and_stays_small() -> None:
    seen = SeenStatements((hashlib.sha256(b"%d" % i).digest() for i in range(5_000)), 1024)
    # 1024 + 2048 + 4096 entries of room: at most twice the bits 5,000 entries need
    assert seen.size_bytes <= 2 * 2 * 7168 * BITS_PER_ENTRY // 8
    assert all(seen.may_contain(hashlib.sha256(b"%d" % i).digest()) for i in range(5_000))
