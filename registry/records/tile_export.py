"""The log as plain files: C2SP tlog-tiles that any web server or CDN can serve.

:func:`export_tiles` writes, into a folder, what ``registry serve`` answers at
the same paths, byte for byte:

- ``tile/<L>/<N>`` and ``tile/<L>/<N>.p/<W>``: the hash tiles;
- ``tile/entries/<N>`` and ``tile/entries/<N>.p/<W>``: the entry bundles (the leaves);
- ``checkpoint``: the latest signed checkpoint, with the witnesses' cosignatures;

and beside them ``statements/<N>[.p/<W>]``, the signed statements of each
bundle, so that ``registry audit FOLDER`` checks the copy offline (the layout
``registry mirror`` writes, ``registry/log/audit_sources.py``).

It is incremental: a full tile or bundle never changes, so one already in the
folder is not written again; only new full ones and the partial ones at the
log's right edge are.  Every file is written under a temporary name and
renamed, and the checkpoint last, so a web server serving the folder never
names entries whose files are not there yet.  The stored leaves are checked
against the checkpoint's root before anything is written: a log that
contradicts its checkpoint is not published.

It runs in memory bounded by the log's level-8 nodes (32 bytes per 256
entries: 1.25 MB at ten million), not the whole tree: full leaf tiles are read
as their packed rows (``leaf_tiles``, else from ``entries``), hashed into their
level-8 nodes to check the root, and read again one by one as they are written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.config import Settings
from registry.i18n import Message
from registry.log.audit_sources import encode_statements, statements_path, write_file
from registry.log.integrity import LogContradiction
from registry.log.tiled_store import TiledHashStore, tile_levels
from registry.log.tiles import (
    TILE_WIDTH,
    EntryBundle,
    Tile,
    encode_entry_bundle,
    tile_bytes,
    tiles_for,
)
from registry.log.tree import MerkleTree
from registry.records.tree_tiles import LeavesMissing, full_tiles
from registry.records.witnessing import CosignedView
from registry.store.errors import DamagedLog
from registry.store.migrate import upgrade
from registry.store.repository import Store
from registry.verify.merkle import HASH_SIZE

CHUNK_TILES = 64
"""Full leaf tiles read at once while the log is checked (512 KiB of leaf hashes)."""


@dataclass(frozen=True)
class Exported:
    """What one export did."""

    size: int
    """The size of the checkpoint written (0: the log is empty, nothing written)."""
    written: int
    """Files written (full tiles already there are not counted: they were kept)."""


async def export_tiles(store: Store, folder: Path, cosigned: CosignedView | None) -> Exported:
    """Write the log's tiles, bundles, statements and checkpoint into ``folder``.

    ``cosigned`` gives the witnesses' cosignatures merged into the checkpoint
    (as ``GET /checkpoint`` serves it); ``None`` writes the note as signed.
    Raises :class:`LogContradiction` if the stored leaves do not hash to the
    latest checkpoint's root, or change while they are written.

    Memory is the tree's level-8 nodes (32 bytes per 256 entries) and one chunk
    of tiles, not the log: the leaf tiles are read twice, :data:`CHUNK_TILES` at
    a time to check the log, then one at a time to write them (each checked
    again against its node), and the tiles of levels 1 and up are read from the
    level-8 nodes.
    """
    latest = await store.latest_checkpoint()
    if latest is None:
        return Exported(0, 0)
    size = latest.size
    tree, nodes = await _checked_tree(store, latest.size, latest.root)
    written = 0
    for start in range(0, size, TILE_WIDTH):
        bundle = EntryBundle(start // TILE_WIDTH, min(TILE_WIDTH, size - start))
        written += await _write_bundle(store, folder, bundle)
        tile = Tile(0, bundle.index, bundle.width)
        path = folder / tile.path
        if tile.is_partial:
            write_file(path, tile_bytes(tree, tile))
            written += 1
        elif not path.exists():
            write_file(path, await _leaf_tile(store, tile.index, nodes))
            written += 1
    for tile in tiles_for(0, size):
        path = folder / tile.path
        if tile.level > 0 and (tile.is_partial or not path.exists()):
            write_file(path, tile_bytes(tree, tile))
            written += 1
    if cosigned is not None:
        await cosigned.load(store, latest)
    note = latest.note if cosigned is None else cosigned.note(latest)
    write_file(folder / "checkpoint", note.encode())
    return Exported(size, written + 1)


async def _checked_tree(store: Store, size: int, root: bytes) -> tuple[MerkleTree, bytes]:
    """The tree of the first ``size`` leaves as its level-8 nodes and its last, partial
    tile's leaves, and those nodes; :class:`LogContradiction` unless its root is ``root``."""
    full = size // TILE_WIDTH
    nodes = bytearray()
    for first in range(0, full, CHUNK_TILES):
        end = min(full, first + CHUNK_TILES)
        tiles = await _read_tiles(store, first, end)
        for tile in range(first, end):
            nodes += tile_levels(tiles[tile])[1]
    try:
        tail = await store.leaf_hashes_between(full * TILE_WIDTH, size)
    except DamagedLog as exc:
        raise _missing(full * TILE_WIDTH, size) from exc
    tree = MerkleTree(TiledHashStore.from_tile_roots(bytes(nodes), cached_tiles=1))
    tree.extend([tail[i : i + HASH_SIZE] for i in range(0, len(tail), HASH_SIZE)])
    if tree.root(size) != root:
        evidence = {"size": str(size), "stored": tree.root(size).hex(), "signed": root.hex()}
        raise LogContradiction(Message("hosts.export.root-differs", evidence), evidence)
    return tree, bytes(nodes)


async def _read_tiles(store: Store, first: int, end: int) -> dict[int, bytes]:
    try:
        return await full_tiles(store, first, end)
    except LeavesMissing as exc:
        raise _missing(exc.first, exc.end) from exc


def _missing(first: int, end: int) -> LogContradiction:
    evidence = {"first": str(first), "last": str(end - 1)}
    return LogContradiction(Message("hosts.export.entries-missing", evidence), evidence)


async def _leaf_tile(store: Store, index: int, nodes: bytes) -> bytes:
    """Full leaf tile ``index`` read again, if it still hashes to its checked node."""
    data = (await _read_tiles(store, index, index + 1))[index]
    found, expected = tile_levels(data)[1], nodes[index * HASH_SIZE : (index + 1) * HASH_SIZE]
    if found != expected:
        first = index * TILE_WIDTH
        evidence = {
            "first": str(first),
            "last": str(first + TILE_WIDTH - 1),
            "stored": found.hex(),
            "expected": expected.hex(),
        }
        raise LogContradiction(Message("tiles.export.tile-differs", evidence), evidence)
    return data


async def _write_bundle(store: Store, folder: Path, bundle: EntryBundle) -> int:
    """Write ``bundle``'s leaves and statements unless both are there and full; files written."""
    leaves_file = folder / bundle.path
    statements_file = folder / statements_path(bundle)
    if not bundle.is_partial and leaves_file.exists() and statements_file.exists():
        return 0
    start = bundle.index * TILE_WIDTH
    rows = await store.get_entries(start, start + bundle.width)
    if [r.idx for r in rows] != list(range(start, start + bundle.width)):
        raise _missing(start, start + bundle.width)
    write_file(statements_file, encode_statements([r.statement for r in rows]))
    write_file(leaves_file, encode_entry_bundle([r.leaf for r in rows]))
    return 2


async def export_registry(settings: Settings, folder: Path, cosigned: CosignedView) -> Exported:
    """:func:`export_tiles` of the registry ``settings`` name (its database migrated first)."""
    await upgrade(settings.database_url)
    async with Store.open(settings.database_url) as store:
        return await export_tiles(store, folder, cosigned)
