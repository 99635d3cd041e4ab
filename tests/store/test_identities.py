"""Identities: personal data kept out of the log behind a salted commitment, erasable."""

from __future__ import annotations

import random

import pytest

from registry.store import Store
from registry.store.models import IdentityRecord

from .records import T0, sha256

SALT = b"s" * 16
NIP = "199003152015041002"
COMMITMENT = sha256(SALT + NIP.encode())
PERSON = IdentityRecord(commitment=COMMITMENT, salt=SALT, nip=NIP, name="Siti Rahmawati")


def identity(salt: bytes) -> IdentityRecord:
    """Another person's identity, told apart by its salt."""
    return IdentityRecord(commitment=sha256(salt + NIP.encode()), salt=salt, nip=NIP, name=None)


async def test_put_and_get(store: Store) -> None:
    assert await store.get_identity(COMMITMENT) is None
    assert await store.put_identities([PERSON]) == 1
    assert await store.get_identity(COMMITMENT) == PERSON


async def test_put_again_leaves_the_kept_identity_as_it_was(store: Store) -> None:
    await store.put_identities([PERSON])
    renamed = IdentityRecord(commitment=COMMITMENT, salt=SALT, nip=NIP, name="Siti R.")
    assert await store.put_identities([renamed]) == 0
    assert await store.get_identity(COMMITMENT) == PERSON


async def test_erase_keeps_only_a_tombstone(store: Store) -> None:
    await store.put_identities([PERSON])
    assert await store.erase_identity(COMMITMENT, now_ms=T0) is True
    erased = await store.get_identity(COMMITMENT)
    assert erased == IdentityRecord(commitment=COMMITMENT, salt=None, nip=None, erased_at=T0)
    assert erased.erased
    assert await store.erase_identity(COMMITMENT, now_ms=T0 + 1) is False
    assert await store.erase_identity(sha256(b"unknown"), now_ms=T0) is False


async def test_erasure_is_final(store: Store) -> None:
    await store.put_identities([PERSON])
    await store.erase_identity(COMMITMENT, now_ms=T0)
    assert await store.put_identities([PERSON]) == 0
    erased = await store.get_identity(COMMITMENT)
    assert erased is not None
    assert (erased.nip, erased.salt, erased.name, erased.erased_at) == (None, None, None, T0)


@pytest.mark.parametrize(
    "record",
    [
        IdentityRecord(commitment=COMMITMENT, salt=None, nip=NIP),
        IdentityRecord(commitment=COMMITMENT, salt=SALT, nip=None),
        IdentityRecord(commitment=COMMITMENT, salt=SALT, nip=NIP, erased_at=T0),
    ],
    ids=["no-salt", "no-nip", "already-erased"],
)
async def test_put_refuses_an_incomplete_identity(store: Store, record: IdentityRecord) -> None:
    with pytest.raises(ValueError, match="needs a salt and a NIP"):
        await store.put_identities([record])


async def test_put_many_in_one_transaction_skips_known_ones(store: Store) -> None:
    first = identity(b"a")
    await store.put_identities([first])
    batch = [first, identity(b"b"), identity(b"c")]
    assert await store.put_identities(batch) == 2
    assert await store.get_identity(batch[2].commitment) == batch[2]
    assert await store.put_identities([]) == 0


async def test_erase_many_in_one_transaction(store: Store) -> None:
    kept = [identity(b"a"), identity(b"b"), identity(b"c"), identity(b"d")]
    await store.put_identities(kept)
    await store.erase_identity(kept[3].commitment, now_ms=T0)
    # More commitments than PostgreSQL binds in one statement, a few of them known.
    rng = random.Random(7)
    asked = [rng.randbytes(32) for _ in range(40_000)]
    asked[0], asked[20_000], asked[-1] = (k.commitment for k in kept[:3])
    asked += [kept[0].commitment, kept[3].commitment]  # again, and one already erased
    assert await store.erase_identities(asked, now_ms=T0 + 5) == 3
    for record in kept[:3]:
        erased = await store.get_identity(record.commitment)
        assert erased == IdentityRecord(record.commitment, salt=None, nip=None, erased_at=T0 + 5)
    assert await store.get_identity(kept[3].commitment) == IdentityRecord(
        kept[3].commitment, salt=None, nip=None, erased_at=T0
    )
    assert await store.get_identity(asked[1]) is None  # unknown ones are not made up
    assert await store.erase_identities(asked, now_ms=T0 + 6) == 0
    assert await store.erase_identities([], now_ms=T0) == 0
