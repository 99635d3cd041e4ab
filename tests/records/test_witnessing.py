"""What a process serves of its witnesses' cosignatures: merged, checked, bounded, reloaded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from registry.log.checkpoint import sign_checkpoint
from registry.log.cosigning import WitnessPeer
from registry.log.log_keys import LogKeys
from registry.records import witnessing
from registry.records.witnessing import WITNESSED_META, CosignedView
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.store import Store, upgrade
from registry.store.models import CheckpointRecord, CosignatureRecord
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.note import parse_note
from tests.factories import fixed_key, forkable_tree
from tests.store.records import entries

ORIGIN = "test.example/pakta"
LOG = NoteSigner(fixed_key("log"), ORIGIN)
WITNESSES = [NoteSigner(fixed_key(f"saksi-{i}"), f"saksi{i}.example/w") for i in range(3)]
PEERS = [
    WitnessPeer(f"http://w{i}.example", w.cosignature_verifier_key) for i, w in enumerate(WITNESSES)
]
TREE = forkable_tree(12)


def checkpoint(size: int) -> CheckpointRecord:
    root = TREE.root(size)
    return CheckpointRecord(size, root, sign_checkpoint(LOG, ORIGIN, size, root), 1000 + size)


def line(witness: NoteSigner, size: int) -> str:
    return witness.cosign(parse_note(checkpoint(size).note).unwrap().text, 1_700_000_000)


def view(required: int = 2) -> CosignedView:
    return CosignedView(PEERS, required, LOG.verifier_key, ORIGIN)


def test_the_latest_is_served_with_its_cosignatures_in_the_witnesses_order() -> None:
    v, latest = view(), checkpoint(5)
    assert v.note(latest) == latest.note
    assert not v.add(latest, PEERS[1].signer, line(WITNESSES[1], 5))
    assert v.add(latest, PEERS[0].signer, line(WITNESSES[0], 5))  # the quorum of 2
    served = v.note(latest)
    assert served == latest.note + line(WITNESSES[0], 5) + line(WITNESSES[1], 5)
    keys = [p.key for p in PEERS]
    assert verify_checkpoint(served, [LOG.verifier_key], keys, 2, ORIGIN).ok
    assert v.witnessed_note(checkpoint(7)) == served


def test_a_smaller_checkpoint_witnessed_later_does_not_replace_a_larger_one() -> None:
    v = view(required=1)
    assert v.add(checkpoint(8), PEERS[0].signer, line(WITNESSES[0], 8))
    assert not v.add(checkpoint(6), PEERS[1].signer, line(WITNESSES[1], 6))
    assert v.witnessed is not None
    assert v.witnessed.size == 8


def test_a_cosignature_that_does_not_verify_is_not_served_as_witnessed() -> None:
    v, latest = view(required=1), checkpoint(5)
    forged = line(WITNESSES[0], 6)  # a cosignature of another checkpoint
    assert not v.add(latest, PEERS[0].signer, forged)
    assert v.witnessed_note(latest) is None


def test_without_a_quorum_to_meet_the_latest_is_the_witnessed_one() -> None:
    v = CosignedView([], 0, LOG.verifier_key, ORIGIN)
    assert v.witnessed_note(checkpoint(3)) == checkpoint(3).note
    assert v.witnessed_note(None) is None


def test_cosignatures_kept_in_memory_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(witnessing, "TRACKED_SIZES", 3)
    v = view(required=3)
    for size in range(1, 9):
        v.add(checkpoint(size), PEERS[0].signer, line(WITNESSES[0], size))
    assert [s for s in range(1, 9) if v.lines(s)] == [6, 7, 8]


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    await upgrade(database_url)
    opened = Store.open(database_url)
    yield opened
    await opened.close()


async def test_another_process_loads_what_the_sequencer_kept(store: Store) -> None:
    for start, size in [(0, 5), (5, 9)]:
        await store.append_batch(entries(start, size), checkpoint(size))
    for witness, peer in zip(WITNESSES[:2], PEERS[:2], strict=True):
        await store.add_cosignature(CosignatureRecord(5, peer.signer, line(witness, 5)))
    await store.add_cosignature(CosignatureRecord(9, PEERS[2].signer, line(WITNESSES[2], 9)))
    await store.put_meta(WITNESSED_META, "5")
    follower = view()
    await follower.load(store, checkpoint(9))
    assert follower.witnessed is not None
    assert follower.witnessed.size == 5
    assert follower.note(checkpoint(9)) == checkpoint(9).note + line(WITNESSES[2], 9)


async def test_a_stored_cosignature_edited_is_not_served(store: Store) -> None:
    await store.append_batch(entries(0, 5), checkpoint(5))
    edited = line(WITNESSES[0], 4)  # a valid line, of another checkpoint, put in the row of 5
    await store.add_cosignature(CosignatureRecord(5, PEERS[0].signer, edited))
    await store.put_meta(WITNESSED_META, "5")
    follower = view(required=1)
    await follower.load(store, checkpoint(5))
    assert follower.witnessed_note(checkpoint(5)) is None
    assert follower.note(checkpoint(5)) == checkpoint(5).note  # nor merged into /checkpoint


def test_a_checkpoint_witnessed_before_a_log_key_rotation_still_counts() -> None:
    """After a rotation (the new key signs from size 7), the view served by a process that
    holds only the new key still accepts the witnessed checkpoint of size 5, signed by the old
    key, and refuses the old key's signature on a tree after its end."""
    new = NoteSigner(fixed_key("log-2"), ORIGIN)
    keys = LogKeys.single(CoseSigner(fixed_key("log-2")), new)
    keys.start_from(LOG.public_key)
    keys.announce(LOG.public_key, new.public_key, 7, 0)
    v = CosignedView(PEERS, 1, new.verifier_key, ORIGIN)
    assert not v.add(checkpoint(5), PEERS[0].signer, line(WITNESSES[0], 5)), "old key unknown"
    v.log_keys = keys
    assert v.add(checkpoint(5), PEERS[0].signer, line(WITNESSES[0], 5))
    assert not v.add(checkpoint(8), PEERS[0].signer, line(WITNESSES[0], 8)), "retired at 6"
