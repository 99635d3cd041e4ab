"""revocations_among: which of many entries are revoked, in as few queries as may be."""

from __future__ import annotations

from registry.store import Store
from registry.store.models import RevokedEntryRecord

from .records import checkpoint, entries


async def test_revocations_among_names_only_the_revoked(store: Store) -> None:
    revoked = [
        RevokedEntryRecord(idx=1, revocation_idx=4, reason="salah tulis"),
        RevokedEntryRecord(idx=2, revocation_idx=5, reason="ganda"),
    ]
    await store.append_batch(entries(0, 6), checkpoint(6), revocations=revoked)
    found = await store.revocations_among([0, 1, 2, 3, 1, 99])
    assert found == {1: revoked[0], 2: revoked[1]}


async def test_revocations_among_nothing_asked(store: Store) -> None:
    assert await store.revocations_among([]) == {}


async def test_revocations_among_more_indexes_than_postgres_binds(store: Store) -> None:
    """40,000 indexes: over PostgreSQL's 32,767 parameters, so asked for in chunks."""
    revoked = [RevokedEntryRecord(idx=3, revocation_idx=5, reason="ganda")]
    await store.append_batch(entries(0, 6), checkpoint(6), revocations=revoked)
    asked = [*range(10, 40_010), 3]
    assert await store.revocations_among(asked) == {3: revoked[0]}
    for size in (1, 2, 7):
        assert await store.revocations_among([0, 3, 4, 5], chunk_size=size) == {3: revoked[0]}
