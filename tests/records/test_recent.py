"""The newest-entries cache: bounded in bytes as well as in entries (issue 15)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.records.recent import ENTRY_OVERHEAD, RecentEntries, entry_cost

SIZES = st.lists(st.tuples(st.integers(0, 2_000), st.integers(0, 2_000)), max_size=200)


def test_a_byte_bound_keeps_fewer_entries_than_the_entry_bound() -> None:
    # 1,000 entries of a recommendation's size (1 KiB with the overhead) under 100 KiB:
    # a bound in entries alone kept all of them.
    cache = RecentEntries(limit=100_000, max_bytes=100 * 1024)
    receipt, statement = b"r" * 300, b"s" * (1024 - 300 - ENTRY_OVERHEAD)
    for idx in range(1_000):
        cache.remember(idx, receipt, statement)
    assert len(cache.checked) == 100
    assert list(cache.checked) == list(range(900, 1_000))  # the newest
    assert cache.bytes == 100 * 1024


def test_an_entry_larger_than_the_budget_is_not_kept() -> None:
    cache = RecentEntries(limit=10, max_bytes=1_000)
    cache.remember(0, b"r", b"s")
    cache.remember(1, b"r" * 600, b"s" * 600)
    assert cache.checked == {}
    assert cache.bytes == 0


@given(SIZES, st.integers(0, 20_000), st.integers(1, 50))
def test_kept_bytes_never_exceed_the_budget(
    sizes: list[tuple[int, int]], max_bytes: int, limit: int
) -> None:
    cache = RecentEntries(limit=limit, max_bytes=max_bytes)
    for idx, (receipt, statement) in enumerate(sizes):
        cache.remember(idx % 60, b"r" * receipt, b"s" * statement)  # some remembered twice
        kept = list(cache.checked.values())
        assert cache.bytes == sum(entry_cost(*pair) for pair in kept)
        assert cache.bytes <= max_bytes
        assert len(kept) <= limit
    if sizes:
        newest = (len(sizes) - 1) % 60
        receipt, statement = sizes[-1]
        if entry_cost(b"r" * receipt, b"s" * statement) <= max_bytes:
            assert cache.checked[newest] == (b"r" * receipt, b"s" * statement)


def test_clear_forgets_the_bytes() -> None:
    cache = RecentEntries()
    cache.remember(5, b"receipt", b"statement")
    cache.clear()
    assert cache.checked == {}
    assert cache.bytes == 0
