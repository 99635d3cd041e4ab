"""The bounded tree against the full in-memory tree: memory, building, a start, proofs.

    python bench/bench_tree_memory.py [--sizes 100000 1000000] [--proofs K]
                                      [--home /tmp/tree/100000 ...]

Part one, the tree alone, on synthetic leaf hashes, in one process and one run:

- memory the tree holds (tracemalloc: what building it left allocated), for the
  full tree (``MerkleTree()`` over a ``MemoryHashStore``: every level) and the
  bounded one (``TiledHashStore``: levels 8 and up, the tail, 1,024 cached tiles);
- building it from every leaf hash (what every start did), against restoring the
  bounded one from its level-8 nodes and appending a tail of 1,000 leaves (what a
  start with the snapshot does, leaving out the database reads);
- ``--proofs`` inclusion proofs at random leaves under the full size: from the full
  tree (best of five), and from the bounded one with its cache cold (each tile it asks
  for hashed up from the leaf hashes held in a list here, as the records layer does
  after its read: the database read is left out, one run); and proofs of leaves among
  the last 1,000 (cached tiles), best of five, from both.

Part two, with ``--home`` (logs built by ``bench/gen_log.py``): ``RegistryService.open``
on each, without the tree's snapshot (every leaf hash read and hashed, as every start
did before) and with it, three times each alternately; leaf hashes read and the
tree's memory.  Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import os
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_log import settings_for
from sqlalchemy import delete

from registry.log.tiled_store import TILE_LEAVES, TiledHashStore, TilesNeeded
from registry.log.tree import MerkleTree
from registry.records import tree_snapshot
from registry.records.operator import open_keys
from registry.records.service import RegistryService
from registry.store.engine import create_engine
from registry.store.tables import FACT_SEGMENTS

T = TypeVar("T")
TAIL = 1000


def _leaves(n: int) -> list[bytes]:
    seed = hashlib.sha256(b"bench-tree-memory").digest()
    return [hashlib.sha256(seed + i.to_bytes(8, "big")).digest() for i in range(n)]


def _held(build: Callable[[], T]) -> tuple[T, int, float]:
    """What ``build`` returns, the bytes it left allocated, and its seconds."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    made = build()
    seconds = time.perf_counter() - start
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return made, held, seconds


def _timed(run: Callable[[], object]) -> float:
    gc.collect()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _best(run: Callable[[], object], rounds: int = 5) -> float:
    """The least seconds of ``rounds`` runs (the machine is shared: the least is the least
    disturbed)."""
    return min(_timed(run) for _ in range(rounds))


def _full(leaves: list[bytes]) -> MerkleTree:
    tree = MerkleTree()
    tree.extend(leaves)
    return tree


def _bounded(leaves: list[bytes]) -> MerkleTree:
    tree = MerkleTree(TiledHashStore())
    tree.extend(leaves)
    tree.settle(tree.size)
    return tree


def _restored(full: MerkleTree, leaves: list[bytes]) -> MerkleTree:
    """A start with the snapshot: the level-8 nodes below the tail, then the tail's leaves."""
    tiles = (len(leaves) - TAIL) // TILE_LEAVES
    roots = full.nodes(8, 0, tiles)
    tree = MerkleTree(TiledHashStore.from_tile_roots(roots))
    tree.extend(leaves[tree.size :])
    tree.settle(tree.size)
    return tree


def _prove_all(tree: MerkleTree, leaves: list[bytes], pairs: list[tuple[int, int]]) -> int:
    """Every proof of ``pairs``, loading the tiles asked for; the tiles loaded."""
    store = tree.store
    loaded = 0
    for index, size in pairs:
        while True:
            try:
                tree.inclusion_proof(index, size)
                break
            except TilesNeeded as need:
                assert isinstance(store, TiledHashStore)
                fetched = {
                    t: b"".join(leaves[t * TILE_LEAVES : (t + 1) * TILE_LEAVES])
                    for t in store.absent(need.tiles)
                }
                store.load(fetched, keep=need.tiles)
                loaded += len(fetched)
    return loaded


def tree_part(n: int, proofs: int) -> None:
    leaves = _leaves(n)
    full, full_bytes, full_s = _held(lambda: _full(leaves))
    bounded, bounded_bytes, bounded_s = _held(lambda: _bounded(leaves))
    restored, restored_bytes, restored_s = _held(lambda: _restored(full, leaves))
    assert full.root() == bounded.root() == restored.root()
    rng = random.Random(n)
    pairs = [(rng.randrange(n), n) for _ in range(proofs)]
    full_proofs = _best(lambda: [full.inclusion_proof(i, s) for i, s in pairs])
    loaded: list[int] = []
    cold = _timed(lambda: loaded.append(_prove_all(restored, leaves, pairs)))
    warm_pairs = [(rng.randrange(n - TAIL, n), n) for _ in range(proofs)]
    warm = _best(lambda: _prove_all(restored, leaves, warm_pairs))
    full_warm = _best(lambda: [full.inclusion_proof(i, s) for i, s in warm_pairs])
    mb = 1 / 1e6
    print(f"\n## tree of {n:,} leaves")
    print(
        f"memory   full {full_bytes * mb:9.2f} MB   bounded {bounded_bytes * mb:7.2f} MB"
        f"   restored {restored_bytes * mb:7.2f} MB   ratio {bounded_bytes / full_bytes:.4f}"
    )
    print(
        f"build    full {full_s:9.3f} s    bounded {bounded_s:7.3f} s"
        f"   restored+{TAIL} {restored_s:7.3f} s  ratio {restored_s / full_s:.4f}"
    )
    print(
        f"proofs   full {proofs / full_proofs:9,.0f}/s  bounded cold {proofs / cold:9,.0f}/s"
        f" ({loaded[0]} tiles hashed up)   warm (tail) {proofs / warm:9,.0f}/s"
        f" vs full {proofs / full_warm:9,.0f}/s"
    )


async def _open_once(home: Path, with_snapshot: bool) -> tuple[float, int, int, int]:
    settings = settings_for(home)
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    if not with_snapshot:
        engine = create_engine(settings.database_url)
        async with engine.begin() as connection:
            await connection.execute(
                delete(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format == tree_snapshot.FORMAT)
            )
        await engine.dispose()
    gc.collect()
    start = time.perf_counter()
    service = await RegistryService.open(settings, keys)
    seconds = time.perf_counter() - start
    try:
        store = service.state.tree.store
        held = store.memory() if isinstance(store, TiledHashStore) else 0
        return seconds, service.store.leaf_hashes_read, held, service.size
    finally:
        await service.close()


def start_part(home: Path, rounds: int) -> None:
    without: list[tuple[float, int, int, int]] = []
    with_: list[tuple[float, int, int, int]] = []
    asyncio.run(_open_once(home, True))  # saves the snapshot if there is none
    for _ in range(rounds):
        without.append(asyncio.run(_open_once(home, False)))
        with_.append(asyncio.run(_open_once(home, True)))  # the first saves it again
    size = without[0][3]
    old = statistics.median(r[0] for r in without)
    new = statistics.median(r[0] for r in with_[1:] or with_)
    print(f"\n## RegistryService.open on {home} ({size:,} entries), median of {rounds}")
    print(f"without the tree snapshot {old:7.2f} s, leaf hashes read {without[-1][1]:,}")
    print(
        f"with it                   {new:7.2f} s, leaf hashes read {with_[-1][1]:,}"
        f"   ratio {new / old:.3f}"
    )
    print(
        f"tree memory (bounded) {with_[-1][2] / 1e6:.2f} MB; the full tree would hold about"
        f" {size * 64 / 1e6:.1f} MB (64 bytes a leaf)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--proofs", type=int, default=2000)
    parser.add_argument("--home", type=Path, nargs="*", default=[])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"load: {os.getloadavg()}")
    tree_snapshot.EVERY = TILE_LEAVES  # save the snapshot at any start of these small logs
    for n in args.sizes:
        tree_part(n, args.proofs)
    for home in args.home:
        start_part(home, args.rounds)


if __name__ == "__main__":
    main()
