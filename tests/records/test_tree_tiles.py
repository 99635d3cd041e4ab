"""registry.records.tree_tiles: a registry whose tree keeps one leaf tile in memory.

Proofs, tiles and entries of old tiles are served from tiles read from the
database and checked against the tree's level-8 nodes; a leaf hash edited
straight in the database is refused with ``500 tampered-entry``, never served
inside a proof.
"""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import delete, update

from registry.config import Settings
from registry.log.tiled_store import TiledHashStore
from registry.records.operator import OperatorKeys
from registry.store.tables import ENTRIES, LEAF_TILES
from registry.verify.merkle import (
    leaf_hash,
    root_from_inclusion_proof,
    verify_consistency,
)
from tests.api.helpers import Registry
from tests.records.test_tampering import (
    assert_tampered,
    edit,
    health,
    running,
)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tree_store(registry: Registry) -> TiledHashStore:
    store = registry.service.state.tree.store
    assert isinstance(store, TiledHashStore)
    return store


def _evict_tile_zero(registry: Registry) -> None:
    """Serve a proof from tile 1, so that tile 0 (read at start for the key directory) leaves."""
    answer = registry.client.get(f"/proofs/inclusion?index=300&size={registry.service.size}")
    assert answer.status_code == 200, answer.text
    assert _tree_store(registry).absent([0, 1]) == [0]


def test_proofs_and_tiles_of_tiles_out_of_memory_verify(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    with running(settings, operator) as registry:
        _evict_tile_zero(registry)
        read = registry.service.reads.tiles.tiles_read
        size = registry.service.size
        answer = registry.client.get(f"/proofs/inclusion?index=3&size={size}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        path = [_b64(h) for h in body["path"]]
        root = root_from_inclusion_proof(3, size, _b64(body["leaf_hash"]), path).unwrap()
        assert root == _b64(body["root"])
        answer = registry.client.get(f"/proofs/consistency?old=5&new={size}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        proof = [_b64(h) for h in body["path"]]
        assert verify_consistency(5, size, _b64(body["old_root"]), _b64(body["new_root"]), proof).ok
        _evict_tile_zero(registry)
        receipt = registry.client.get("/entries/5", headers={"accept": "application/cose"})
        assert receipt.status_code == 200, receipt.text
        _evict_tile_zero(registry)
        view = registry.client.get("/entries/6", headers={"accept": "application/json"})
        assert view.status_code == 200, view.text
        _evict_tile_zero(registry)
        tile = registry.client.get("/tile/0/000")
        assert tile.status_code == 200
        leaves = registry.client.get("/tile/entries/000")
        assert leaves.status_code == 200
        assert registry.service.reads.tiles.tiles_read > read


def test_leaf_hash_edited_in_the_database_fails_the_proof_naming_the_mismatch(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    with running(settings, operator) as registry:
        _evict_tile_zero(registry)
        size = registry.service.size
        # Without its packed row (a log older than leaf_tiles), tile 0 is read from entries.
        edit(
            settings,
            update(ENTRIES).where(ENTRIES.c.idx == 3).values(leaf_hash=leaf_hash(b"x")),
            delete(LEAF_TILES).where(LEAF_TILES.c.tile == 0),
        )
        answer = registry.client.get(f"/proofs/inclusion?index=3&size={size}")
        body = assert_tampered(answer, 0, "leaf_hash")
        assert "0..255" in body["evidence"]["expected"]
        assert body["evidence"]["found"] != body["evidence"]["expected"]
        assert health(registry)["status"] == "degraded"
        # The tiles of the other entries still serve.
        answer = registry.client.get(f"/proofs/inclusion?index=300&size={size}")
        assert answer.status_code == 200, answer.text


def test_a_tile_evicted_by_another_request_while_loading_is_read_again(
    settings: Settings, operator: OperatorKeys, big_log: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tile 1 is cached and tile 0 is not; while tile 0 is read, another request's load
    evicts tile 1: the computation needing both reads tile 1 again instead of failing."""
    with running(settings, operator) as registry:
        _evict_tile_zero(registry)
        tiles = registry.service.reads.tiles
        store = registry.service.store
        tree = registry.service.state.tree
        size = registry.service.size
        read = store.packed_tiles
        calls: list[list[int]] = []

        async def evicting(wanted: list[int]) -> dict[int, bytes]:
            calls.append(sorted(wanted))
            if len(calls) == 1:
                _tree_store(registry).forget_cached()  # the other request's load, meanwhile
            return await read(wanted)

        monkeypatch.setattr(store, "packed_tiles", evicting)
        proofs = registry.client.blocking_portal.call(
            tiles.ensure,
            lambda: (tree.inclusion_proof(3, size), tree.inclusion_proof(300, size)),
            [3, 300],
        )
        assert calls == [[0], [1]]
        for index, path in zip((3, 300), proofs, strict=True):
            row = registry.client.get(f"/proofs/inclusion?index={index}&size={size}").json()
            assert [_b64(h) for h in row["path"]] == path
