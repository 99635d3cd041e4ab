"""search_entries: each filter, their combination, paging and the total."""

from __future__ import annotations

import pytest

from registry.store import Store
from registry.store.models import EntryRecord

from .records import T0, checkpoint, entry, sha256

PPK = sha256(b"ppk key")
BKN = sha256(b"bkn key")
JABAR = "Provinsi Jawa Barat"
BANDUNG = "Kabupaten Bandung"

LOG = [
    entry(0, type="enrolment", instansi=None),
    entry(1, type="pact", signer_kid=PPK, instansi=JABAR),
    entry(2, type="declaration", signer_kid=PPK, instansi=JABAR),
    entry(3, type="declaration", signer_kid=PPK, instansi=BANDUNG),
    entry(4, type="enforcement", signer_kid=BKN, instansi=BANDUNG),
    entry(5, type="declaration", signer_kid=BKN, instansi=JABAR),
]


@pytest.fixture
async def filled(store: Store) -> Store:
    await store.append_batch(LOG, checkpoint(len(LOG)))
    return store


def idxs(records: tuple[EntryRecord, ...]) -> list[int]:
    return [r.idx for r in records]


async def test_no_filter_returns_everything_in_order(filled: Store) -> None:
    records, total = await filled.search_entries()
    assert list(records) == LOG
    assert total == 6


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"type": "declaration"}, [2, 3, 5]),
        ({"signer_kid": PPK}, [1, 2, 3]),
        ({"instansi": BANDUNG}, [3, 4]),
        ({"since_ms": T0 + 4000}, [4, 5]),
        ({"until_ms": T0 + 2000}, [0, 1]),
        ({"since_ms": T0 + 2000, "until_ms": T0 + 4000}, [2, 3]),
        ({"type": "declaration", "instansi": JABAR}, [2, 5]),
        ({"type": "declaration", "signer_kid": BKN, "instansi": JABAR}, [5]),
        ({"type": "follow-up"}, []),
    ],
    ids=[
        "type",
        "signer",
        "instansi",
        "since-inclusive",
        "until-exclusive",
        "time-window",
        "type-and-instansi",
        "all-three",
        "no-match",
    ],
)
async def test_filters(filled: Store, filters: dict[str, object], expected: list[int]) -> None:
    page = await filled.search_entries(**filters)  # type: ignore[arg-type]
    assert idxs(page.records) == expected
    assert page.total == len(expected)


async def test_paging_keeps_the_total(filled: Store) -> None:
    first = await filled.search_entries(type="declaration", limit=2)
    second = await filled.search_entries(type="declaration", limit=2, offset=2)
    beyond = await filled.search_entries(type="declaration", limit=2, offset=4)
    assert (idxs(first.records), first.total) == ([2, 3], 3)
    assert (idxs(second.records), second.total) == ([5], 3)
    assert (idxs(beyond.records), beyond.total) == ([], 3)


async def test_after_pages_by_index_and_keeps_the_total(filled: Store) -> None:
    first = await filled.search_entries(type="declaration", limit=2)
    second = await filled.search_entries(type="declaration", limit=2, after=first.records[-1].idx)
    beyond = await filled.search_entries(type="declaration", limit=2, after=5)
    assert (idxs(first.records), first.total) == ([2, 3], 3)
    assert (idxs(second.records), second.total) == ([5], 3)
    assert (idxs(beyond.records), beyond.total) == ([], 3)


async def test_after_counts_back_when_newest_first(filled: Store) -> None:
    page = await filled.search_entries(signer_kid=PPK, newest_first=True, after=3)
    assert idxs(page.records) == [2, 1]


@pytest.mark.parametrize(("cap", "total"), [(0, 1), (2, 3), (3, 3), (10, 3)])
async def test_count_cap_stops_counting_one_past_the_cap(
    filled: Store, cap: int, total: int
) -> None:
    page = await filled.search_entries(type="declaration", count_cap=cap, limit=1)
    assert page.total == total
    assert idxs(page.records) == [2]


async def test_newest_first(filled: Store) -> None:
    page = await filled.search_entries(signer_kid=PPK, newest_first=True, limit=2)
    assert idxs(page.records) == [3, 2]


async def test_negative_count_cap_is_refused(filled: Store) -> None:
    with pytest.raises(ValueError, match="count_cap"):
        await filled.search_entries(count_cap=-1)


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (10, -1)], ids=["limit-0", "offset-neg"])
async def test_bad_paging_is_refused(filled: Store, limit: int, offset: int) -> None:
    with pytest.raises(ValueError, match="limit must be at least 1"):
        await filled.search_entries(limit=limit, offset=offset)
