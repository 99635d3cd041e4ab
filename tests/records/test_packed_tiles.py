"""Leaf tiles read as one packed row of ``leaf_tiles``, checked like the entries they come from.

A registry whose tree keeps one leaf tile in memory serves a proof in tile 0
from its packed row.  Each edit of that row made straight in the database
(changed, cut short, swapped with another tile's, copied from another log's
table) fails the request with ``500 tampered-entry`` naming the tree's node and
what the row hashes to, and never answers a proof from it; a missing row is
read from ``entries`` again and written back.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from registry.config import Settings
from registry.log.tiled_store import TILE_BYTES, TiledHashStore
from registry.records.operator import OperatorKeys, create_keys
from registry.store.engine import create_engine
from registry.store.tables import LEAF_TILES
from registry.verify.merkle import root_from_inclusion_proof
from tests.api.helpers import Registry, pact
from tests.records.conftest import LOG_SIZE
from tests.records.test_tampering import (
    assert_tampered,
    edit,
    health,
    registered,
    running,
)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def _rows(settings: Settings) -> dict[int, bytes]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(LEAF_TILES.c.tile, LEAF_TILES.c.hashes))
            return {int(t): bytes(h) for t, h in rows}
    finally:
        await engine.dispose()


def packed(settings: Settings) -> dict[int, bytes]:
    """The rows of ``leaf_tiles``, by tile."""
    return asyncio.run(_rows(settings))


def _cold_tile_zero(registry: Registry) -> None:
    """A proof from tile 1 first, so that tile 0 is not in memory."""
    answer = registry.client.get(f"/proofs/inclusion?index=300&size={registry.service.size}")
    assert answer.status_code == 200, answer.text
    store = registry.service.state.tree.store
    assert isinstance(store, TiledHashStore)
    assert store.absent([0, 1]) == [0]


def _proof_of_three(registry: Registry) -> Any:
    return registry.client.get(f"/proofs/inclusion?index=3&size={registry.service.size}")


def _assert_refused(settings: Settings, operator: OperatorKeys, hashes: bytes) -> dict[str, Any]:
    """Tile 0's row set to ``hashes``: the proof of entry 3 is refused with the evidence."""
    with running(settings, operator) as registry:
        _cold_tile_zero(registry)
        node = registry.service.state.tree.store.get(8, 0)
        edit(settings, update(LEAF_TILES).where(LEAF_TILES.c.tile == 0).values(hashes=hashes))
        body = assert_tampered(_proof_of_three(registry), 0, "leaf_tiles")
        assert node.hex() in body["evidence"]["expected"]
        assert "0..255" in body["evidence"]["expected"]
        assert node.hex() not in body["evidence"]["found"]
        assert health(registry)["status"] == "degraded"
        # Another tile still serves; this one keeps failing, never answered from the row.
        answer = registry.client.get(f"/proofs/inclusion?index=300&size={LOG_SIZE}")
        assert answer.status_code == 200, answer.text
        assert_tampered(registry.client.get("/tile/0/000"), 0, "leaf_tiles")
        assert_tampered(_proof_of_three(registry), 0, "leaf_tiles")
        return body


def test_every_full_tile_of_the_log_is_packed_as_its_leaf_hashes(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    rows = packed(settings)
    assert sorted(rows) == [0, 1]
    with running(settings, operator) as registry:
        assert rows[0] == registry.client.get("/tile/0/000").content
        assert rows[1] == registry.client.get("/tile/0/001").content


def test_a_cold_tile_is_read_from_its_packed_row(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    with running(settings, operator) as registry:
        _cold_tile_zero(registry)
        tiles = registry.service.reads.tiles
        read, filled = tiles.tiles_read, tiles.tiles_packed
        answer = _proof_of_three(registry)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        path = [_b64(h) for h in body["path"]]
        root = root_from_inclusion_proof(3, body["size"], _b64(body["leaf_hash"]), path).unwrap()
        assert root == _b64(body["root"])
        assert (tiles.tiles_read, tiles.tiles_packed) == (read + 1, filled)


def test_packed_tile_missing_is_read_from_entries_and_packed_again(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    written = packed(settings)[0]
    with running(settings, operator) as registry:
        _cold_tile_zero(registry)
        edit(settings, delete(LEAF_TILES).where(LEAF_TILES.c.tile == 0))
        filled = registry.service.reads.tiles.tiles_packed
        answer = _proof_of_three(registry)
        assert answer.status_code == 200, answer.text
        assert registry.service.reads.tiles.tiles_packed == filled + 1
    assert packed(settings)[0] == written


def test_packed_tile_edited_fails_naming_both_hashes(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    hashes = bytearray(packed(settings)[0])
    hashes[3 * 32] ^= 1
    _assert_refused(settings, operator, bytes(hashes))


def test_packed_tile_truncated_fails_naming_its_length(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    body = _assert_refused(settings, operator, packed(settings)[0][:-32])
    assert body["evidence"]["found"].startswith(f"{TILE_BYTES - 32} bytes")


def test_packed_tile_swapped_with_another_tile_fails(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    _assert_refused(settings, operator, packed(settings)[1])


def test_packed_tile_copied_from_another_log_fails(
    settings: Settings,
    operator: OperatorKeys,
    big_log: None,
    make_database_url: Callable[[str], str],
    tmp_path: Path,
) -> None:
    backend = "postgres" if settings.database_url.startswith("postgresql") else "sqlite"
    other = replace(settings, database_url=make_database_url(backend), data_dir=tmp_path / "b")
    other_operator = create_keys(other.data_dir, other.admin_passphrase, other.origin)
    with running(other, other_operator) as first:
        registry = Registry.bootstrapped(first.client, other_operator)
        registry.enrol("ppk-jabar", "ppk", term_end="2099-12-31")
        for i in range(256):
            registered(registry, "ppk-jabar", pact(place=f"Kota {i}"))
    copied = packed(other)[0]
    assert copied != packed(settings)[0]
    _assert_refused(settings, operator, copied)
