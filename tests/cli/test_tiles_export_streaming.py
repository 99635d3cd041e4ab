"""`registry tiles export` in bounded memory writes the same bytes as the whole-tree export.

A log of 2,004 entries (7 full leaf tiles, a partial one of 212 leaves, a
partial level-1 tile of 7 hashes) is exported by the streaming export and by
the export as it was (``bench/bench_tile_export.py``, the whole tree in
memory): the same files with the same bytes, the same count written; again with
some tiles' packed rows gone (read from ``entries``) and incrementally after
the log grew.  A packed row edited straight in the database makes the export
refuse, naming the root it gives and the signed one, and write no checkpoint.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from registry.config import Settings
from registry.log.integrity import LogContradiction
from registry.records import tile_export
from registry.records.operator import OperatorKeys
from registry.records.tile_export import Exported, export_tiles
from registry.store.repository import Store
from registry.store.tables import LEAF_TILES
from tests.cli.test_tiles_export import cli, files, grow
from tests.records.test_tampering import edit

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_tile_export import export_with_full_tree

PACTS = 2_000


async def _both(settings: Settings, streamed: Path, whole: Path) -> tuple[Exported, Exported]:
    async with Store.open(settings.database_url) as store:
        return (
            await export_tiles(store, streamed, None),
            await export_with_full_tree(store, whole),
        )


def _contents(folder: Path) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in files(folder).items()}


def test_streaming_export_writes_the_bytes_of_the_whole_tree_export(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    grow(settings, operator, range(PACTS))
    first, second = asyncio.run(_both(settings, tmp_path / "a", tmp_path / "b"))
    assert first == second == Exported(PACTS + 4, first.written)
    written = _contents(tmp_path / "a")
    assert written == _contents(tmp_path / "b")
    assert {"tile/0/007.p/212", "tile/1/000.p/7", "tile/entries/007.p/212"} <= set(written)

    # Tiles without their packed row (a log older than leaf_tiles) give the same bytes.
    edit(settings, delete(LEAF_TILES).where(LEAF_TILES.c.tile.in_([0, 3, 4, 6])))
    again, _ = asyncio.run(_both(settings, tmp_path / "c", tmp_path / "d"))
    assert again == first
    assert _contents(tmp_path / "c") == written

    # Incremental, after the log grew: the same as the whole-tree export into the same folder.
    grow(settings, operator, range(PACTS, PACTS + 300))
    more, same = asyncio.run(_both(settings, tmp_path / "a", tmp_path / "b"))
    assert more == same
    assert more.size == PACTS + 304
    assert _contents(tmp_path / "a") == _contents(tmp_path / "b")


def test_export_refuses_a_packed_tile_edited(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    grow(settings, operator, range(300))
    edit(settings, update(LEAF_TILES).where(LEAF_TILES.c.tile == 0).values(hashes=b"\1" * 8192))
    result = cli(settings, "tiles", "export", str(tmp_path / "out"))
    assert result.exit_code != 0
    assert "not to the root" in result.output
    assert not (tmp_path / "out" / "checkpoint").exists()
    assert not (tmp_path / "out" / "tile").exists()


def test_a_tile_changed_after_the_check_stops_the_export(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    grow(settings, operator, range(300))

    async def run() -> None:
        async with Store.open(settings.database_url) as store:
            with pytest.raises(LogContradiction) as refused:
                await tile_export._leaf_tile(store, 0, b"\0" * 32)
            assert refused.value.evidence["expected"] == "00" * 32
            assert refused.value.evidence["first"] == "0"
            assert refused.value.evidence["stored"] != "00" * 32

    asyncio.run(run())
