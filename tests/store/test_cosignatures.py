"""Witnesses' cosignatures: kept once per witness and size, read by size, counted for a quorum."""

from __future__ import annotations

import pytest

from registry.store import Store
from registry.store.errors import UnknownCheckpoint
from registry.store.models import CosignatureRecord
from tests.store.records import checkpoint, entries

W1, W2, W3 = "w1.example/w+00000001", "w2.example/w+00000002", "w3.example/w+00000003"


async def logged(store: Store, *sizes: int) -> None:
    start = 0
    for size in sizes:
        await store.append_batch(entries(start, size), checkpoint(size))
        start = size


def line(witness: str, size: int, n: int = 0) -> CosignatureRecord:
    return CosignatureRecord(size, witness, f"\u2014 {witness} sig-{size}-{n}\n")


async def test_first_cosignature_of_a_witness_for_a_size_is_kept(store: Store) -> None:
    await logged(store, 3)
    assert await store.add_cosignature(line(W1, 3))
    assert not await store.add_cosignature(line(W1, 3, 1))
    assert await store.cosignatures(3) == [line(W1, 3)]


async def test_cosignature_of_a_size_never_signed_is_refused(store: Store) -> None:
    await logged(store, 3)
    with pytest.raises(UnknownCheckpoint):
        await store.add_cosignature(line(W1, 4))


async def test_quorum_sizes_count_only_the_witnesses_named(store: Store) -> None:
    await logged(store, 2, 4, 7, 9)
    for witness, size in [(W1, 2), (W1, 4), (W2, 4), (W1, 7), (W3, 7), (W1, 9)]:
        await store.add_cosignature(line(witness, size))
    assert await store.cosigned_size([W1, W2], 2) == 4
    assert await store.cosigned_size([W1, W2, W3], 2) == 7
    assert await store.cosigned_size([W1], 1) == 9
    assert await store.cosigned_size([W2, W3], 2) is None
    assert await store.cosigned_size([], 1) is None
    # the first witnessed checkpoint that covers entry 4 (index 4 needs a size above 4)
    assert await store.cosigned_size([W1, W3], 2, above=4) == 7
    assert await store.cosigned_size([W1, W2], 2, above=1) == 4
    assert await store.cosigned_size([W1, W2], 2, above=4) is None


async def test_cosignatures_from_a_size_by_the_witnesses_named(store: Store) -> None:
    await logged(store, 2, 4, 7)
    for witness, size in [(W1, 2), (W2, 4), (W1, 7), (W3, 7)]:
        await store.add_cosignature(line(witness, size))
    found = await store.cosignatures_from(4, [W1, W2])
    assert [(c.size, c.witness) for c in found] == [(4, W2), (7, W1)]
    assert await store.cosignatures_from(0, []) == []
    pair = await store.checkpoint_with_cosignatures(7, [W3])
    assert pair is not None
    assert (pair[0].size, [c.witness for c in pair[1]]) == (7, [W3])
    assert await store.checkpoint_with_cosignatures(5, [W1]) is None
