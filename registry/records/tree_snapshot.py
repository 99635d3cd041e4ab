"""The tree's level-8 nodes saved sealed, so a start reads only the leaf hashes after them.

A start used to read every leaf hash from the database and hash them all into
the tree (6.2 s reading and 5.5 s hashing at a million entries).  The tree now
keeps only its levels 8 and up in memory (:mod:`registry.log.tiled_store`), and
those are saved as one **snapshot** (a row of ``fact_segments`` of format
:data:`FORMAT`, one 32-byte node per full 256-leaf tile: 1.25 MB at ten million
entries).  A start restores the nodes of every tile but the snapshot's last,
reads the leaf hashes from there on (:meth:`Store.read_log`'s ``leaves_from``),
and checks the resulting root against the log's signed checkpoint exactly as
before.  What protects it:

- the **seal** (:mod:`registry.signing.seal`, for :data:`PURPOSE`, a key derived
  from the log key, which never lives in the database) covers the format, end,
  root and the SHA-256 of the nodes: an edited snapshot is not restored;
- the nodes must hash up to the **root** the snapshot names at its end;
- above all, the restored nodes and the leaf hashes read after them must give
  the **root of the signed latest checkpoint** (and of the pinned one): a
  snapshot of another log, or of this log before a rollback, cannot pass, and
  the start then reads every leaf hash as before (:func:`registry.records.startup.load_log`
  says why in a warning).  An older snapshot of this very log is harmless: its
  nodes are true of the entries below its end, and more leaf hashes are read.

The leaf hashes below the snapshot are no longer hashed at every start: each is
checked when its tile is read (:mod:`registry.records.tree_tiles`), and
``registry audit`` still checks them all.
"""

from __future__ import annotations

import hashlib
import logging
import struct

from registry.log.tiled_store import TILE_LEAVES, TiledHashStore
from registry.log.tree import MerkleTree
from registry.signing.seal import Sealer
from registry.store.models import FactSegmentRecord
from registry.store.repository import Store
from registry.verify.merkle import HASH_SIZE

log = logging.getLogger(__name__)

PURPOSE = "tree levels snapshot"
FORMAT = "tree-level8/v1"
"""Starts with ``tree-``, a kind :mod:`registry.records.saved_state` keeps beside the compliance
segments."""
EVERY = 16_384
"""A start that read at least this many leaf hashes saves a new snapshot."""


def sealed_message(end: int, root: bytes, data: bytes) -> bytes:
    """What the seal covers: format, end, root and the SHA-256 of the nodes."""
    head = b"tree-levels\n" + FORMAT.encode() + b"\n" + struct.pack(">Q", end)
    return head + root + hashlib.sha256(data).digest()


async def restore(store: Store, sealer: Sealer) -> MerkleTree | None:
    """The tree of the saved nodes, but the last tile's (so at least one leaf hash is read
    and the chain's head with it), if the snapshot's seal opens and its nodes give its root;
    else ``None`` and a warning.  Not yet checked against the log: the caller does that."""
    record = await store.fact_segment(FORMAT, 0)
    if record is None:
        return None
    end, data = record.end_idx, record.data
    problem = None
    if not sealer.opens(sealed_message(end, record.root, data), record.seal):
        problem = "its seal does not open: it was not saved as it is by this registry"
    elif end <= 0 or end % TILE_LEAVES or len(data) != end // TILE_LEAVES * HASH_SIZE:
        problem = f"{len(data)} bytes of nodes do not fit an end of {end}"
    else:
        tree = MerkleTree(TiledHashStore.from_tile_roots(data))
        if tree.root() != record.root:
            problem = f"its nodes hash to {tree.root().hex()}, not to its root {record.root.hex()}"
    if problem is not None:
        not_used(end, problem)
        return None
    return MerkleTree(TiledHashStore.from_tile_roots(data[:-HASH_SIZE]))


def not_used(end: int, problem: str) -> None:
    """Say why the snapshot of the tree below ``end`` is not used."""
    log.warning(
        "tree: saved nodes of entries below %d not used, %s; every leaf hash is read", end, problem
    )


async def save_if_behind(store: Store, tree: MerkleTree, committed: int, sealer: Sealer) -> bool:
    """:func:`save`, if the saved snapshot ends at least :data:`EVERY` entries before
    ``committed`` (at a stop: the next start then reads fewer); whether it saved.  Never
    raises: a snapshot not saved only makes the next start read more."""
    try:
        record = await store.fact_segment(FORMAT, 0)
    except Exception:
        log.exception("could not read the tree's saved nodes")
        return False
    saved = 0 if record is None else record.end_idx
    if committed // TILE_LEAVES * TILE_LEAVES - saved < EVERY:
        return False
    return await save(store, tree, committed, sealer)


async def save(store: Store, tree: MerkleTree, committed: int, sealer: Sealer) -> bool:
    """Save the level-8 nodes of ``tree``'s full tiles below ``committed``; whether it was."""
    tiled = tree.store
    if not isinstance(tiled, TiledHashStore):
        return False
    tiles = min(tiled.full_tiles, committed // TILE_LEAVES)
    if tiles == 0:
        return False
    end = tiles * TILE_LEAVES
    data = tiled.upper.get_range(0, 0, tiles)
    root = tree.root(end)  # a whole number of tiles: read from the levels above 8
    seal = sealer.seal(sealed_message(end, root, data))
    try:
        await store.put_fact_segment(FactSegmentRecord(FORMAT, 0, end, root, data, seal))
    except Exception:
        log.exception("could not save the tree's nodes at %d entries", end)
        return False
    return True
