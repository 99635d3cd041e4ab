"""Signed requests used once across every process on the database, until they expire."""

from __future__ import annotations

from hashlib import sha256

from registry.store import Store

T = 1_727_395_200_000


async def test_a_request_is_used_once(store: Store) -> None:
    digest = sha256(b"GET /api/identities/ab").digest()
    assert await store.use_request(digest, now_ms=T, expires_at=T + 600_000)
    assert not await store.use_request(digest, now_ms=T + 1, expires_at=T + 600_001)
    other = sha256(b"GET /api/identities/cd").digest()
    assert await store.use_request(other, now_ms=T + 2, expires_at=T + 600_002)


async def test_an_expired_record_is_dropped(store: Store) -> None:
    digest = sha256(b"DELETE /api/identities/ab").digest()
    assert await store.use_request(digest, now_ms=T, expires_at=T + 600_000)
    # past its expiry nobody could replay it (its iat is stale): the row goes
    assert await store.use_request(digest, now_ms=T + 600_001, expires_at=T + 1_200_001)


async def test_two_stores_on_one_database_share_the_record(store: Store, database_url: str) -> None:
    digest = sha256(b"GET /api/identities/ef").digest()
    assert await store.use_request(digest, now_ms=T, expires_at=T + 600_000)
    async with Store.open(database_url) as other_process:
        assert not await other_process.use_request(digest, now_ms=T, expires_at=T + 600_000)
