"""registry.records.tree_snapshot: a start restores the tree's levels 8 and up, reads only the
leaf hashes after them, and never trusts an edited, foreign or too long snapshot."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import update

from registry.config import Settings
from registry.log.tiled_store import TILE_LEAVES, TiledHashStore
from registry.log.tree import MerkleTree
from registry.records import tree_snapshot
from registry.records.operator import OperatorKeys
from registry.records.service import RegistryService
from registry.store.repository import Store
from registry.store.tables import FACT_SEGMENTS
from registry.verify.merkle import leaf_hash
from tests.api.helpers import pact
from tests.records.conftest import LOG_SIZE
from tests.records.test_tampering import edit, edit_async, registered, running

SNAPSHOT = FACT_SEGMENTS.c.format == tree_snapshot.FORMAT


@pytest.fixture
def saved(
    settings: Settings, operator: OperatorKeys, big_log: None, monkeypatch: pytest.MonkeyPatch
) -> int:
    """The log of ``big_log`` restarted once, which read every leaf hash and saved the snapshot;
    the snapshot's end."""
    monkeypatch.setattr(tree_snapshot, "EVERY", TILE_LEAVES)
    reads, _ = asyncio.run(_start(settings, operator))
    assert reads == LOG_SIZE
    return asyncio.run(_snapshot_end(settings))


async def _snapshot_end(settings: Settings) -> int:
    async with Store.open(settings.database_url) as store:
        record = await store.fact_segment(tree_snapshot.FORMAT, 0)
    assert record is not None
    return record.end_idx


async def _start(settings: Settings, operator: OperatorKeys) -> tuple[int, bytes]:
    """Open the registry; the leaf hashes its start read, and the root it serves."""
    service = await RegistryService.open(settings, operator)
    try:
        proof = await service.inclusion_proof(3)
        return service.store.leaf_hashes_read, proof.root
    finally:
        await service.close()


def test_a_start_reads_only_the_leaf_hashes_after_the_snapshot(
    settings: Settings, operator: OperatorKeys, saved: int
) -> None:
    size = LOG_SIZE
    assert saved == size // TILE_LEAVES * TILE_LEAVES
    reads, root = asyncio.run(_start(settings, operator))
    # Every tile's node but the snapshot's last is restored; the rest is read.
    assert reads == size - (saved - TILE_LEAVES)
    assert reads < size
    before = asyncio.run(_root_by_full_read(settings, operator))
    assert root == before


async def _root_by_full_read(settings: Settings, operator: OperatorKeys) -> bytes:
    await edit_async(settings, FACT_SEGMENTS.delete().where(SNAPSHOT))
    service = await RegistryService.open(settings, operator)
    try:
        assert service.store.leaf_hashes_read == LOG_SIZE
        return (await service.inclusion_proof(3)).root
    finally:
        await service.close()


def test_snapshot_bytes_edited_are_not_restored(
    settings: Settings, operator: OperatorKeys, saved: int, caplog: pytest.LogCaptureFixture
) -> None:
    edit(settings, update(FACT_SEGMENTS).where(SNAPSHOT).values(data=b"\1" * 32 * (saved // 256)))
    with caplog.at_level(logging.WARNING):
        reads, _ = asyncio.run(_start(settings, operator))
    assert reads == LOG_SIZE
    assert "its seal does not open" in caplog.text


def test_snapshot_seal_edited_is_not_restored(
    settings: Settings, operator: OperatorKeys, saved: int, caplog: pytest.LogCaptureFixture
) -> None:
    edit(settings, update(FACT_SEGMENTS).where(SNAPSHOT).values(seal=b"\0" * 32))
    with caplog.at_level(logging.WARNING):
        reads, _ = asyncio.run(_start(settings, operator))
    assert reads == LOG_SIZE
    assert "its seal does not open" in caplog.text


async def _seal_other_log(settings: Settings, operator: OperatorKeys, tiles: int) -> None:
    """Save, sealed with this registry's key, the nodes of another log of ``tiles`` tiles."""
    other = MerkleTree(TiledHashStore())
    other.extend([leaf_hash(b"other %d" % i) for i in range(tiles * TILE_LEAVES)])
    async with Store.open(settings.database_url) as store:
        sealer = operator.log.sealer(tree_snapshot.PURPOSE)
        assert await tree_snapshot.save(store, other, other.size, sealer)


def test_snapshot_of_another_log_sealed_by_this_registry_is_refused_by_the_checkpoint(
    settings: Settings, operator: OperatorKeys, saved: int, caplog: pytest.LogCaptureFixture
) -> None:
    asyncio.run(_seal_other_log(settings, operator, saved // TILE_LEAVES))
    with caplog.at_level(logging.WARNING):
        reads, _ = asyncio.run(_start(settings, operator))
    assert "the start with them was refused" in caplog.text
    # The second try read every leaf hash (the first the tail only), and the start stands.
    assert reads == LOG_SIZE + (LOG_SIZE - (saved - TILE_LEAVES))


def test_snapshot_ending_past_the_log_is_not_restored(
    settings: Settings, operator: OperatorKeys, saved: int, caplog: pytest.LogCaptureFixture
) -> None:
    asyncio.run(_seal_other_log(settings, operator, saved // TILE_LEAVES + 2))
    with caplog.at_level(logging.WARNING):
        reads, _ = asyncio.run(_start(settings, operator))
    assert "ends past the log's latest checkpoint" in caplog.text
    assert reads >= LOG_SIZE


def test_an_older_snapshot_of_this_log_is_used_safely(
    settings: Settings, operator: OperatorKeys, saved: int
) -> None:
    async def older() -> None:
        async with Store.open(settings.database_url) as store:
            row = await store.fact_segment(tree_snapshot.FORMAT, 0)
            assert row is not None
        tree = MerkleTree(TiledHashStore.from_tile_roots(row.data[:32]))
        async with Store.open(settings.database_url) as store:
            sealer = operator.log.sealer(tree_snapshot.PURPOSE)
            assert await tree_snapshot.save(store, tree, TILE_LEAVES, sealer)

    asyncio.run(older())
    reads, root = asyncio.run(_start(settings, operator))
    assert reads == LOG_SIZE  # it restores nothing but its last tile: all read
    assert root == asyncio.run(_root_by_full_read(settings, operator))


def test_the_sequencer_saves_the_snapshot_when_it_stops_behind(
    settings: Settings, operator: OperatorKeys, saved: int
) -> None:
    with running(settings, operator) as registry:
        for i in range(TILE_LEAVES + 60):
            registered(registry, "ppk-jabar", pact(place=f"Desa {i}"))
        size = registry.service.size
    assert asyncio.run(_snapshot_end(settings)) == size // TILE_LEAVES * TILE_LEAVES > saved
    reads, _ = asyncio.run(_start(settings, operator))
    assert reads == size - (size // TILE_LEAVES * TILE_LEAVES - TILE_LEAVES)
