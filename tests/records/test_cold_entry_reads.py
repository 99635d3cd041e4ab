"""An entry whose leaf tile is not in memory is read with that tile at once, and checked.

``GET /entries/{i}`` (the receipt) and ``/entries/{i}/statement`` of an entry
whose tile is cold read the entry row and the packed tile rows its check needs
at the same time (``Store.entry_and_tiles``), not one after the other; the rows
read so are checked as any: an edited packed row still fails the request with
``500 tampered-entry``, and the row is never served from.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from registry.config import Settings
from registry.log.tiled_store import TiledHashStore
from registry.records.operator import OperatorKeys
from registry.store.repository import Store
from registry.store.tables import ENTRIES, LEAF_TILES
from registry.verify.receipt import signed_tree_size, verify_receipt
from tests.api.helpers import Registry
from tests.records.conftest import LOG_SIZE
from tests.records.test_packed_tiles import packed
from tests.records.test_tampering import assert_tampered, edit, health, running, stored


def _cold(registry: Registry, index: int) -> None:
    """Entry ``index`` neither among the recent entries nor in a tile in memory."""
    registry.service.recent.clear()
    store = registry.service.state.tree.store
    assert isinstance(store, TiledHashStore)
    store.forget_cached()
    assert store.absent([index // 256]) == [index // 256]


@pytest.mark.parametrize("path", ["/entries/3", "/entries/3/statement"])
def test_a_cold_entry_is_read_with_its_tile_in_one_round(
    settings: Settings,
    operator: OperatorKeys,
    big_log: None,
    path: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    for name in ("packed_tiles", "entry_and_tiles", "get_entry"):
        method = getattr(Store, name)

        async def spy(
            self: Store, *args: object, _name: str = name, _m: object = method, **kw: object
        ) -> object:
            calls.append(_name)
            return await _m(self, *args, **kw)  # type: ignore[operator]

        monkeypatch.setattr(Store, name, spy)
    with running(settings, operator) as registry:
        _cold(registry, 3)
        calls.clear()
        tiles = registry.service.reads.tiles
        read = tiles.tiles_read
        answer = registry.client.get(path)
        assert answer.status_code == 200, answer.text
        # One call for the entry and its tile (two reads at once inside), none after it.
        assert calls == ["entry_and_tiles", "get_entry"]
        assert tiles.tiles_read == read + 1
        if path == "/entries/3":
            keys = registry.service.state.keys
            info = verify_receipt(answer.content, keys.by_kid()).unwrap()
            assert info.index == 3
            assert signed_tree_size(answer.content) == info.tree_size


@pytest.mark.parametrize("path", ["/entries/3", "/entries/3/statement"])
def test_a_cold_entry_whose_packed_tile_was_edited_is_refused(
    settings: Settings, operator: OperatorKeys, big_log: None, path: str
) -> None:
    hashes = bytearray(packed(settings)[0])
    hashes[3 * 32] ^= 1
    with running(settings, operator) as registry:
        _cold(registry, 3)
        edit(settings, update(LEAF_TILES).where(LEAF_TILES.c.tile == 0).values(hashes=hashes))
        body = assert_tampered(registry.client.get(path), 0, "leaf_tiles")
        assert registry.service.state.tree.store.get(8, 0).hex() in body["evidence"]["expected"]
        assert health(registry)["status"] == "degraded"
        # The entries of another tile still answer.
        _cold(registry, 300)
        answer = registry.client.get(f"/entries/{LOG_SIZE - 250}")
        assert answer.status_code == 200, answer.text


def test_a_cold_entry_view_reads_only_its_own_tile_and_refuses_an_edited_one(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    hashes = bytearray(packed(settings)[0])
    hashes[3 * 32] ^= 1
    json = {"Accept": "application/json"}
    with running(settings, operator) as registry:
        _cold(registry, 3)
        read = registry.service.reads.tiles.tiles_read
        answer = registry.client.get("/entries/3", headers=json)
        assert answer.status_code == 200, answer.text
        assert answer.json()["index"] == 3
        assert registry.service.reads.tiles.tiles_read == read + 1
        _cold(registry, 3)
        edit(settings, update(LEAF_TILES).where(LEAF_TILES.c.tile == 0).values(hashes=hashes))
        assert_tampered(registry.client.get("/entries/3", headers=json), 0, "leaf_tiles")


def test_a_cold_entry_given_another_entrys_receipt_in_another_tile_is_refused(
    settings: Settings, operator: OperatorKeys, big_log: None
) -> None:
    # Entry 300's receipt (tree size 301, in tile 1) stored as entry 3's (tile 0): the size
    # read from it sends the reader to tile 1 too, and the receipt check still refuses it.
    other = stored(settings, 300).receipt
    assert signed_tree_size(other) == 301
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == 3).values(receipt=other))
    with running(settings, operator) as registry:
        _cold(registry, 3)
        assert_tampered(registry.client.get("/entries/3"), 3, "receipt")
        assert_tampered(registry.client.get("/entries/3/statement"), 3, "receipt")
