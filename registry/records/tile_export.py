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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.config import Settings
from registry.i18n import Message
from registry.log.audit_sources import encode_statements, statements_path, write_file
from registry.log.integrity import LogContradiction
from registry.log.tiles import TILE_WIDTH, EntryBundle, encode_entry_bundle, tile_bytes, tiles_for
from registry.log.tree import MerkleTree
from registry.records.witnessing import CosignedView
from registry.store.migrate import upgrade
from registry.store.repository import Store

HASH_CHUNK = 1 << 16
"""Leaf hashes added to the tree at once."""


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
    latest checkpoint's root.
    """
    snapshot = await store.read_log(0)
    latest = snapshot.latest
    if latest is None:
        return Exported(0, 0)
    size = latest.size
    tree = MerkleTree()
    hashes = snapshot.leaf_hashes
    step = 32 * HASH_CHUNK
    for offset in range(0, len(hashes), step):
        chunk = hashes[offset : offset + step]
        tree.extend(chunk[i : i + 32] for i in range(0, len(chunk), 32))
    if tree.root(size) != latest.root:
        evidence = {"size": str(size), "stored": tree.root(size).hex(), "signed": latest.root.hex()}
        raise LogContradiction(Message("hosts.export.root-differs", evidence), evidence)
    written = 0
    for start in range(0, size, TILE_WIDTH):
        bundle = EntryBundle(start // TILE_WIDTH, min(TILE_WIDTH, size - start))
        leaves_file = folder / bundle.path
        statements_file = folder / statements_path(bundle)
        if not bundle.is_partial and leaves_file.exists() and statements_file.exists():
            continue
        rows = await store.get_entries(start, start + bundle.width)
        if [r.idx for r in rows] != list(range(start, start + bundle.width)):
            evidence = {"first": str(start), "last": str(start + bundle.width - 1)}
            raise LogContradiction(Message("hosts.export.entries-missing", evidence), evidence)
        write_file(statements_file, encode_statements([r.statement for r in rows]))
        write_file(leaves_file, encode_entry_bundle([r.leaf for r in rows]))
        written += 2
    for tile in tiles_for(0, size):
        path = folder / tile.path
        if tile.is_partial or not path.exists():
            write_file(path, tile_bytes(tree, tile))
            written += 1
    if cosigned is not None:
        await cosigned.load(store, latest)
    note = latest.note if cosigned is None else cosigned.note(latest)
    write_file(folder / "checkpoint", note.encode())
    return Exported(size, written + 1)


async def export_registry(settings: Settings, folder: Path, cosigned: CosignedView) -> Exported:
    """:func:`export_tiles` of the registry ``settings`` name (its database migrated first)."""
    await upgrade(settings.database_url)
    async with Store.open(settings.database_url) as store:
        return await export_tiles(store, folder, cosigned)
