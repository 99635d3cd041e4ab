"""A tally figure's members (:class:`registry.compliance.kept.Members`) against a plain model.

The members are kept as a sorted array (not a set) to save memory; these properties hold
it to what a set gave: the count of every add less every remove, the entries listed in
log order, each once, until more than the bound were listed (then only the count)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.compliance.kept import Members, merged

BOUND = 8

operations = st.lists(st.tuples(st.booleans(), st.integers(0, 40)), max_size=60)


def _model(ops: list[tuple[bool, int]], bound: int) -> tuple[int, list[int] | None]:
    count, listed = 0, set[int]()
    overflowed = False
    for adding, idx in ops:
        if adding:
            count += 1
            listed.add(idx)
            overflowed = overflowed or len(listed) > bound
        else:
            count -= 1
            listed.discard(idx)
    return count, None if overflowed else sorted(listed)


@given(operations)
def test_adds_and_removes_in_any_order_list_as_a_set_would(ops: list[tuple[bool, int]]) -> None:
    members = Members()
    for adding, idx in ops:
        if adding:
            members.add(idx, BOUND)
        else:
            members.remove(idx)
    count, listed = _model(ops, BOUND)
    assert (members.count, members.listed()) == (count, listed)
    assert members.figure()["entries"] == listed


@given(st.lists(st.integers(0, 1000), max_size=30), st.lists(st.integers(0, 1000), max_size=30))
def test_merged_parts_list_every_entry_once_in_order(a: list[int], b: list[int]) -> None:
    one, other = Members(len(a), a), Members(len(b), b)
    found = merged((one.entries, other.entries))
    assert found is not None
    assert found.tolist() == sorted({*a, *b})


def test_a_part_counted_only_makes_the_merge_counted_only() -> None:
    assert merged((Members(0).entries, Members(3).entries)) is None


def test_saved_without_entries_stays_counted_only_even_at_zero() -> None:
    assert Members.saved(0, None).listed() is None
    assert Members(0).listed() == []
    assert Members.saved(2, [9, 3]).listed() == [3, 9]


def test_an_out_of_order_duplicate_is_listed_once_and_counted() -> None:
    members = Members()
    for idx in (5, 9, 5, 7):
        members.add(idx, BOUND)
    assert (members.count, members.listed()) == (4, [5, 7, 9])
