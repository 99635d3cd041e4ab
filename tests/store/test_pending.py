"""The pending queue between API processes and the sequencer."""

from __future__ import annotations

import pytest

from registry.store import Store
from registry.store.errors import UnknownPending
from registry.store.models import PendingRecord

from .records import T0


async def test_submit_then_read_the_result(store: Store) -> None:
    pending_id = await store.submit_pending(b"statement", submitted_at=T0)
    assert await store.pending_result(pending_id) == PendingRecord(
        id=pending_id, statement=b"statement", submitted_at=T0, status="pending"
    )
    assert await store.pending_result(pending_id + 1000) is None


async def test_submit_stamps_the_time_when_not_given(store: Store) -> None:
    result = await store.pending_result(await store.submit_pending(b"s"))
    assert result is not None
    assert result.submitted_at > T0


async def test_claim_oldest_first_and_never_twice(store: Store) -> None:
    ids = [await store.submit_pending(b"s%d" % i, submitted_at=T0) for i in range(5)]
    first = await store.claim_pending(3)
    assert [r.id for r in first] == ids[:3]
    assert [r.statement for r in first] == [b"s0", b"s1", b"s2"]
    assert {r.status for r in first} == {"claimed"}
    second = await store.claim_pending(10)
    assert [r.id for r in second] == ids[3:]
    assert await store.claim_pending(10) == []


async def test_finish_done_and_refused(store: Store) -> None:
    done_id = await store.submit_pending(b"good", submitted_at=T0)
    refused_id = await store.submit_pending(b"bad", submitted_at=T0)
    await store.claim_pending(10)
    await store.finish_pending(done_id, idx=42)
    await store.finish_pending(refused_id, error="unknown-key: signer not enrolled")

    done = await store.pending_result(done_id)
    refused = await store.pending_result(refused_id)
    assert done is not None
    assert (done.status, done.result_idx, done.error, done.finished) == ("done", 42, None, True)
    assert refused is not None
    assert (refused.status, refused.result_idx) == ("refused", None)
    assert refused.error == "unknown-key: signer not enrolled"


async def test_finish_twice_or_unknown_is_refused(store: Store) -> None:
    pending_id = await store.submit_pending(b"s", submitted_at=T0)
    await store.finish_pending(pending_id, idx=0)
    with pytest.raises(UnknownPending, match=f"no unfinished submission {pending_id}"):
        await store.finish_pending(pending_id, idx=1)
    with pytest.raises(UnknownPending):
        await store.finish_pending(pending_id + 1000, error="x")


@pytest.mark.parametrize(("idx", "error"), [(None, None), (1, "x")], ids=["neither", "both"])
async def test_finish_needs_exactly_one_outcome(
    store: Store, idx: int | None, error: str | None
) -> None:
    pending_id = await store.submit_pending(b"s", submitted_at=T0)
    with pytest.raises(ValueError, match="exactly one"):
        await store.finish_pending(pending_id, idx=idx, error=error)


async def test_requeue_gives_back_unfinished_claims(store: Store) -> None:
    kept = await store.submit_pending(b"a", submitted_at=T0)
    lost = await store.submit_pending(b"b", submitted_at=T0)
    await store.claim_pending(10)
    await store.finish_pending(kept, idx=0)
    assert await store.requeue_claimed() == 1
    assert [r.id for r in await store.claim_pending(10)] == [lost]


async def test_purge_deletes_only_old_finished_submissions(store: Store) -> None:
    old_done = await store.submit_pending(b"a", submitted_at=T0)
    old_waiting = await store.submit_pending(b"b", submitted_at=T0)
    new_done = await store.submit_pending(b"c", submitted_at=T0 + 10)
    await store.finish_pending(old_done, idx=0)
    await store.finish_pending(new_done, error="refused")
    assert await store.purge_pending(submitted_before=T0 + 5) == 1
    assert await store.pending_result(old_done) is None
    assert await store.pending_result(old_waiting) is not None
    assert await store.pending_result(new_done) is not None


async def test_claim_needs_a_positive_limit(store: Store) -> None:
    with pytest.raises(ValueError, match="limit"):
        await store.claim_pending(0)
