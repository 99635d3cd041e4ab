"""``search_records`` found by any of several keys (``SearchCriteria.kids``): what a province's
filter reads its records by (the keys enrolled there, :mod:`registry.compliance.scoped_filter`)."""

from __future__ import annotations

from registry.store import Store
from registry.store.models import SearchCriteria, SearchRecordRow

from .records import sha256

A, B, C = (sha256(name) for name in (b"a", b"b", b"c"))
ROWS = [
    SearchRecordRow(0, "enrolment", "2024-01-01", "I", "Bali", A, "n", "n"),
    SearchRecordRow(1, "declaration", "2024-01-02", "I", None, A, None, None),
    SearchRecordRow(2, "declaration", "2024-01-02", "I", None, B, None, None),
    SearchRecordRow(3, "recommendation", "2024-01-03", "I", None, A, None, None),
    SearchRecordRow(4, "declaration", "2024-01-04", "J", None, C, None, None),
    SearchRecordRow(5, "declaration", "2024-01-05", "I", None, C, None, None),
]


async def test_rows_of_any_of_the_keys_of_a_type_are_found(store: Store) -> None:
    await store.write_search_records(ROWS, "search-records", "6:00")
    found, total = await store.search_records(
        SearchCriteria(type="declaration", kids=(A, C)), 6, 0, 10
    )
    assert (sorted(found), total) == ([1, 4, 5], 3), "not B's, not A's recommendation"
    found, _ = await store.search_records(SearchCriteria(type="declaration", kids=(B,)), 6, 0, 10)
    assert found == [2]
    found, _ = await store.search_records(SearchCriteria(type="declaration", kids=(C,)), 5, 0, 10)
    assert found == [4], "below the size asked"
    found, _ = await store.search_records(SearchCriteria(kids=()), 6, 0, 10)
    assert found == []
