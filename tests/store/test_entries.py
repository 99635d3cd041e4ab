"""Entries, batches and their atomicity, checkpoints and cosignatures."""

from __future__ import annotations

import dataclasses
import random

import pytest

from registry.store import Store
from registry.store.errors import (
    CheckpointConflict,
    DuplicateStatement,
    NotContiguous,
    UnknownCheckpoint,
)
from registry.store.models import CosignatureRecord

from .records import checkpoint, entries, entry, sha256, signer_key, stored_key


async def assert_untouched(store: Store, size: int) -> None:
    """The log still has ``size`` entries and no checkpoint beyond it."""
    assert await store.size() == size
    latest = await store.latest_checkpoint()
    assert (latest.size if latest else 0) == size
    assert len(await store.leaf_hashes()) == 32 * size


async def test_empty_store(store: Store) -> None:
    assert await store.size() == 0
    assert await store.get_entry(0) is None
    assert await store.get_entries(0, 10) == []
    assert await store.leaf_hashes() == b""
    assert await store.latest_checkpoint() is None
    assert await store.checkpoint_at(0) is None


async def test_append_and_read_back(store: Store) -> None:
    first = entries(0, 3)
    await store.append_batch(first, checkpoint(3))
    second = entries(3, 5)
    await store.append_batch(second, checkpoint(5))

    assert await store.size() == 5
    assert await store.get_entry(4) == second[1]
    assert await store.get_entry(5) is None
    assert await store.get_entries(1, 4) == [*first[1:], second[0]]
    assert await store.get_entries(4, 100) == [second[1]]
    assert await store.leaf_hashes() == b"".join(e.leaf_hash for e in first + second)
    assert await store.leaf_hashes(3) == b"".join(e.leaf_hash for e in second)
    assert await store.latest_checkpoint() == checkpoint(5)
    assert await store.checkpoint_at(3) == checkpoint(3)
    assert await store.checkpoint_at(4) is None


async def test_entry_without_instansi_round_trips(store: Store) -> None:
    record = entry(0, instansi=None, type="enrolment")
    await store.append_batch([record], checkpoint(1))
    assert await store.get_entry(0) == record


async def test_find_indexes_by_statement_sha256_is_the_idempotency_lookup(store: Store) -> None:
    batch = entries(0, 2)
    await store.append_batch(batch, checkpoint(2))
    wanted = [batch[1].statement_sha256, sha256(b"never registered")]
    assert await store.find_indexes_by_statement_sha256(wanted) == {wanted[0]: 1}


async def test_get_entries_refuses_a_reversed_range(store: Store) -> None:
    with pytest.raises(ValueError, match="bad entry range"):
        await store.get_entries(5, 4)


async def test_duplicate_statement_in_log_leaves_nothing_written(store: Store) -> None:
    await store.append_batch(entries(0, 2), checkpoint(2))
    batch = [entry(2), entry(3, statement=entry(1).statement)]
    key = signer_key("Dedi Supandi", enrolment_idx=2)
    with pytest.raises(DuplicateStatement, match="already registered as entry 1") as caught:
        await store.append_batch(batch, checkpoint(4), key_changes=[key])
    assert caught.value.existing_idx == 1
    assert caught.value.statement_sha256 == entry(1).statement_sha256
    await assert_untouched(store, 2)
    assert await stored_key(store, key.kid) is None


async def test_duplicate_statement_within_batch_is_refused(store: Store) -> None:
    batch = [entry(0), entry(1, statement=entry(0).statement)]
    with pytest.raises(DuplicateStatement, match="twice in the same batch"):
        await store.append_batch(batch, checkpoint(2))
    await assert_untouched(store, 0)


async def test_same_content_in_other_bytes_leaves_nothing_written(store: Store) -> None:
    # Another signature of entry 1's content (other statement bytes, same content hash).
    await store.append_batch(entries(0, 2), checkpoint(2))
    again = dataclasses.replace(entry(2), content_sha256=entry(1).content_sha256)
    with pytest.raises(DuplicateStatement, match="already registered as entry 1") as caught:
        await store.append_batch([again], checkpoint(3))
    assert caught.value.existing_idx == 1
    await assert_untouched(store, 2)


async def test_same_content_twice_within_batch_is_refused(store: Store) -> None:
    again = dataclasses.replace(entry(1), content_sha256=entry(0).content_sha256)
    with pytest.raises(DuplicateStatement, match="twice in the same batch"):
        await store.append_batch([entry(0), again], checkpoint(2))
    await assert_untouched(store, 0)


async def test_entries_without_content_hash_may_be_several(store: Store) -> None:
    # What migration 0004 leaves on replays logged before contents were unique.
    batch = [dataclasses.replace(e, content_sha256=None) for e in entries(0, 3)]
    await store.append_batch(batch, checkpoint(3))
    assert await store.get_entries(0, 3) == batch


async def test_entries_by_content_sha256(store: Store) -> None:
    batch = entries(0, 4)
    await store.append_batch(batch, checkpoint(4))
    contents = [e.content_sha256 for e in batch if e.content_sha256 is not None]
    wanted = [contents[3], sha256(b"never signed"), contents[0], contents[3]]
    assert await store.find_by_content_sha256(wanted) == {
        contents[3]: (3, batch[3].statement_sha256),
        contents[0]: (0, batch[0].statement_sha256),
    }
    assert await store.find_by_content_sha256([]) == {}


async def test_batch_must_start_at_the_end_of_the_log(store: Store) -> None:
    await store.append_batch(entries(0, 2), checkpoint(2))
    with pytest.raises(NotContiguous, match="starts at index 3 but the log has 2"):
        await store.append_batch(entries(3, 4), checkpoint(4))
    with pytest.raises(NotContiguous, match="starts at index 1 but the log has 2"):
        await store.append_batch([entry(1, statement=b"other")], checkpoint(2))
    await assert_untouched(store, 2)


async def test_batch_entries_must_be_consecutive(store: Store) -> None:
    with pytest.raises(NotContiguous, match="jump from index 0 to 2"):
        await store.append_batch([entry(0), entry(2)], checkpoint(3))
    await assert_untouched(store, 0)


async def test_checkpoint_must_cover_the_batch(store: Store) -> None:
    with pytest.raises(NotContiguous, match="checkpoint size 3 does not match"):
        await store.append_batch(entries(0, 2), checkpoint(3))
    with pytest.raises(NotContiguous, match="checkpoint size 1 but the log has 0"):
        await store.append_batch([], checkpoint(1))
    await assert_untouched(store, 0)


async def test_checkpoint_of_the_empty_log(store: Store) -> None:
    await store.append_batch([], checkpoint(0))
    assert await store.latest_checkpoint() == checkpoint(0)


async def test_never_two_checkpoints_for_one_size(store: Store) -> None:
    await store.append_batch(entries(0, 2), checkpoint(2))
    other = checkpoint(2, root=sha256(b"another root"))
    with pytest.raises(CheckpointConflict, match="size 2 already exists") as caught:
        await store.append_batch([], other)
    assert caught.value.existing_root == checkpoint(2).root
    assert caught.value.new_root == other.root
    assert await store.checkpoint_at(2) == checkpoint(2)


async def test_cosignatures(store: Store) -> None:
    await store.append_batch(entries(0, 1), checkpoint(1))
    bawaslu = CosignatureRecord(size=1, witness="bawaslu.go.id/witness", line="— bawaslu a\n")
    bkn = CosignatureRecord(size=1, witness="bkn.go.id/witness", line="— bkn b\n")
    assert await store.add_cosignature(bkn) is True
    assert await store.add_cosignature(bawaslu) is True
    later = dataclasses.replace(bawaslu, line="— bawaslu c\n")
    assert await store.add_cosignature(later) is False
    assert await store.cosignatures(1) == [bawaslu, bkn]
    assert await store.cosignatures(2) == []


async def test_cosignature_needs_a_checkpoint(store: Store) -> None:
    with pytest.raises(UnknownCheckpoint, match="no checkpoint of size 7"):
        await store.add_cosignature(CosignatureRecord(size=7, witness="w", line="— w x\n"))


async def test_indexes_of_registered_statements_in_one_query(store: Store) -> None:
    batch = entries(0, 4)
    await store.append_batch(batch, checkpoint(4))
    wanted = [batch[3].statement_sha256, sha256(b"never registered"), batch[1].statement_sha256]
    assert await store.find_indexes_by_statement_sha256(wanted) == {
        batch[3].statement_sha256: 3,
        batch[1].statement_sha256: 1,
    }
    assert await store.find_indexes_by_statement_sha256([]) == {}


async def test_indexes_of_more_statements_than_a_query_can_bind(store: Store) -> None:
    # PostgreSQL binds at most 32,767 parameters per statement (SQLite, as built, maybe fewer).
    batch = entries(0, 5)
    await store.append_batch(batch, checkpoint(5))
    rng = random.Random(2024)
    wanted = [rng.randbytes(32) for _ in range(40_000)]
    for position, record in zip((0, 9_999, 10_000, 25_000, 39_999), batch, strict=True):
        wanted[position] = record.statement_sha256
    wanted.append(batch[2].statement_sha256)  # asked twice, in different chunks
    assert await store.find_indexes_by_statement_sha256(wanted) == {
        record.statement_sha256: record.idx for record in batch
    }


async def test_indexes_are_the_same_whatever_the_chunk_size(store: Store) -> None:
    batch = entries(0, 7)
    await store.append_batch(batch, checkpoint(7))
    wanted = [e.statement_sha256 for e in batch] + [sha256(b"x%d" % i) for i in range(5)]
    expected = {e.statement_sha256: e.idx for e in batch}
    for size in (1, 2, 3, 12, 100):
        found = await store.find_indexes_by_statement_sha256(wanted[::-1], chunk_size=size)
        assert found == expected
    with pytest.raises(ValueError, match="chunk_size"):
        await store.find_indexes_by_statement_sha256(wanted, chunk_size=0)


async def test_checkpoints_are_listed_smallest_first(store: Store) -> None:
    await store.append_batch(entries(0, 2), checkpoint(2))
    await store.append_batch(entries(2, 5), checkpoint(5))
    assert [c.size for c in await store.checkpoints()] == [2, 5]
    assert (await store.checkpoints())[1] == checkpoint(5)
    assert [c.size for c in await store.checkpoints(after_size=2)] == [5]


async def test_receipt_is_stored_with_its_entry(store: Store) -> None:
    record = entry(0)
    await store.append_batch([record], checkpoint(1))
    fetched = await store.get_entry(0)
    assert fetched is not None
    assert fetched.receipt == record.receipt


async def test_several_batches_in_one_transaction_each_with_its_checkpoint(store: Store) -> None:
    await store.append_batch(entries(0, 2), checkpoint(2))
    called: list[int] = []
    await store.append_batches(
        [
            (entries(2, 4), checkpoint(4), [], []),
            (entries(4, 5), checkpoint(5), [signer_key("Dedi Supandi", enrolment_idx=4)], []),
        ],
        then=lambda: called.append(1),
    )
    assert called == [1]  # once, after the commit
    assert await store.size() == 5
    assert await store.checkpoint_at(4) == checkpoint(4)
    assert await store.latest_checkpoint() == checkpoint(5)
    assert await store.get_entries(2, 5) == entries(2, 5)


async def test_a_refused_batch_among_several_leaves_none_of_them_written(store: Store) -> None:
    await store.append_batch(entries(0, 2), checkpoint(2))
    called: list[int] = []
    duplicate = [entry(3), entry(4, statement=entry(1).statement)]
    with pytest.raises(DuplicateStatement, match="already registered as entry 1"):
        await store.append_batches(
            [(entries(2, 3), checkpoint(3), [], []), (duplicate, checkpoint(5), [], [])],
            then=lambda: called.append(1),
        )
    assert called == []  # nothing committed: nothing pinned
    await assert_untouched(store, 2)


async def test_several_batches_must_follow_each_other(store: Store) -> None:
    with pytest.raises(NotContiguous):
        await store.append_batches(
            [(entries(0, 2), checkpoint(2), [], []), (entries(3, 4), checkpoint(4), [], [])]
        )
    await assert_untouched(store, 0)
