"""Key enrolments and revocations in batches, entry revocations, custodial keys."""

from __future__ import annotations

import dataclasses

import pytest

from registry.store import Store
from registry.store.errors import (
    EntryAlreadyRevoked,
    KeyAlreadyEnrolled,
    KeyAlreadyRevoked,
    UnknownEntry,
    UnknownKey,
)
from registry.store.models import CustodialKeyRecord, KeyRevocationRecord, RevokedEntryRecord

from .records import T0, checkpoint, entries, entry, sha256, signer_key, stored_key


async def test_enrol_then_revoke_a_key(store: Store) -> None:
    dedi = signer_key("Dedi Supandi", enrolment_idx=0)
    ridwan = signer_key("Ridwan Kamil", enrolment_idx=1, instansi="Provinsi Jawa Barat")
    await store.append_batch(entries(0, 2), checkpoint(2), key_changes=[ridwan, dedi])
    assert await stored_key(store, dedi.kid) == dedi
    assert await store.list_signer_keys() == [dedi, ridwan]

    revocation = KeyRevocationRecord(kid=dedi.kid, revoked_at=T0 + 5, revocation_idx=2)
    await store.append_batch([entry(2)], checkpoint(3), key_changes=[revocation])
    revoked = dataclasses.replace(dedi, revoked_at=T0 + 5, revocation_idx=2)
    assert await stored_key(store, dedi.kid) == revoked
    assert await stored_key(store, sha256(b"unknown")) is None
    # what a follower that had read entries 0 and 1 needs: the key revoked by entry 2
    assert await store.list_signer_keys(changed_since=2) == [revoked]
    assert await store.list_signer_keys(changed_since=1) == [revoked, ridwan]
    assert await store.list_signer_keys(changed_since=3) == []


async def test_enrol_and_revoke_in_one_batch(store: Store) -> None:
    key = signer_key("Dedi Supandi", enrolment_idx=0)
    revocation = KeyRevocationRecord(kid=key.kid, revoked_at=T0, revocation_idx=1)
    await store.append_batch(entries(0, 2), checkpoint(2), key_changes=[key, revocation])
    stored = await stored_key(store, key.kid)
    assert stored is not None
    assert stored.revocation_idx == 1


async def test_enrolling_a_key_twice_leaves_nothing_written(store: Store) -> None:
    key = signer_key("Dedi Supandi", enrolment_idx=0)
    await store.append_batch(entries(0, 1), checkpoint(1), key_changes=[key])
    again = dataclasses.replace(key, enrolment_idx=1)
    with pytest.raises(KeyAlreadyEnrolled, match="already enrolled by entry 0"):
        await store.append_batch(entries(1, 2), checkpoint(2), key_changes=[again])
    assert await store.size() == 1
    assert await stored_key(store, key.kid) == key


async def test_enrolling_a_key_twice_in_one_batch_is_refused(store: Store) -> None:
    key = signer_key("Dedi Supandi", enrolment_idx=0)
    with pytest.raises(KeyAlreadyEnrolled, match="twice in the same batch"):
        await store.append_batch(entries(0, 1), checkpoint(1), key_changes=[key, key])
    assert await store.size() == 0


async def test_revoking_an_unknown_key_leaves_nothing_written(store: Store) -> None:
    revocation = KeyRevocationRecord(kid=sha256(b"nobody"), revoked_at=T0, revocation_idx=0)
    with pytest.raises(UnknownKey, match="not enrolled"):
        await store.append_batch(entries(0, 1), checkpoint(1), key_changes=[revocation])
    assert await store.size() == 0
    assert await store.latest_checkpoint() is None


async def test_revoking_a_key_twice_is_refused(store: Store) -> None:
    key = signer_key("Dedi Supandi", enrolment_idx=0)
    first = KeyRevocationRecord(kid=key.kid, revoked_at=T0, revocation_idx=1)
    await store.append_batch(entries(0, 2), checkpoint(2), key_changes=[key, first])
    second = KeyRevocationRecord(kid=key.kid, revoked_at=T0 + 1, revocation_idx=2)
    with pytest.raises(KeyAlreadyRevoked, match="already revoked by entry 1"):
        await store.append_batch(entries(2, 3), checkpoint(3), key_changes=[second])
    assert await store.size() == 2


async def test_enrolment_citing_a_missing_entry_is_refused(store: Store) -> None:
    key = signer_key("Dedi Supandi", enrolment_idx=9)
    with pytest.raises(UnknownEntry, match="entry 9"):
        await store.append_batch(entries(0, 1), checkpoint(1), key_changes=[key])
    assert await store.size() == 0


async def test_revoke_entries(store: Store) -> None:
    await store.append_batch(entries(0, 2), checkpoint(2))
    revocation = RevokedEntryRecord(idx=0, revocation_idx=2, reason="ditandatangani keliru")
    await store.append_batch([entry(2, type="revocation")], checkpoint(3), [], [revocation])
    assert await store.revocation_of(0) == revocation
    assert await store.revocation_of(1) is None


async def test_revoking_an_entry_twice_leaves_nothing_written(store: Store) -> None:
    first = RevokedEntryRecord(idx=0, revocation_idx=1, reason="first")
    await store.append_batch(entries(0, 2), checkpoint(2), revocations=[first])
    second = RevokedEntryRecord(idx=0, revocation_idx=2, reason="second")
    with pytest.raises(EntryAlreadyRevoked, match="already revoked by entry 1"):
        await store.append_batch(entries(2, 3), checkpoint(3), revocations=[second])
    assert await store.size() == 2
    assert await store.revocation_of(0) == first


async def test_revoking_an_entry_twice_in_one_batch_is_refused(store: Store) -> None:
    twice = [RevokedEntryRecord(idx=0, revocation_idx=1, reason=r) for r in ("a", "b")]
    with pytest.raises(EntryAlreadyRevoked, match="twice in the same batch"):
        await store.append_batch(entries(0, 2), checkpoint(2), revocations=twice)
    assert await store.size() == 0


async def test_revoking_a_missing_entry_is_refused(store: Store) -> None:
    revocation = RevokedEntryRecord(idx=5, revocation_idx=0, reason="no such entry")
    with pytest.raises(UnknownEntry, match="entry 5"):
        await store.append_batch(entries(0, 1), checkpoint(1), revocations=[revocation])
    assert await store.size() == 0


KID = sha256(b"custodial public key")


async def test_custodial_key_put_get_replace(store: Store) -> None:
    assert await store.get_custodial_key(KID) is None
    record = CustodialKeyRecord(kid=KID, encrypted_key=b"sealed-1")
    await store.put_custodial_key(record)
    assert await store.get_custodial_key(KID) == record
    replaced = CustodialKeyRecord(kid=KID, encrypted_key=b"sealed-2")
    await store.put_custodial_key(replaced)
    assert await store.get_custodial_key(KID) == replaced


async def test_custodial_failures_lock_the_key_then_reset(store: Store) -> None:
    await store.put_custodial_key(CustodialKeyRecord(kid=KID, encrypted_key=b"sealed"))
    limits = {"max_failures": 3, "lockout_ms": 900_000}
    first = await store.record_custodial_failure(KID, now_ms=T0, **limits)
    assert (first.failed_attempts, first.locked_until) == (1, None)
    await store.record_custodial_failure(KID, now_ms=T0 + 1, **limits)
    third = await store.record_custodial_failure(KID, now_ms=T0 + 2, **limits)
    assert (third.failed_attempts, third.locked_until) == (0, T0 + 2 + 900_000)
    assert third.is_locked(T0 + 900_001)
    assert not third.is_locked(T0 + 2 + 900_000)
    assert await store.get_custodial_key(KID) == third

    await store.reset_custodial_failures(KID)
    reset = await store.get_custodial_key(KID)
    assert reset == CustodialKeyRecord(kid=KID, encrypted_key=b"sealed")


async def test_custodial_failure_on_unknown_key(store: Store) -> None:
    with pytest.raises(UnknownKey, match="no custodial key"):
        await store.record_custodial_failure(KID, now_ms=T0, max_failures=5, lockout_ms=1)
    with pytest.raises(UnknownKey, match="no custodial key"):
        await store.reset_custodial_failures(KID)
    with pytest.raises(ValueError, match="max_failures"):
        await store.record_custodial_failure(KID, now_ms=T0, max_failures=0, lockout_ms=1)
