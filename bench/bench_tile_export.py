"""`registry tiles export` before and after streaming: peak memory and time, in one run.

    python bench/bench_tile_export.py --home /tmp/tiles-bench/100000 [--home ...] [--runs 2]

For each log (built by ``bench/gen_log.py``), each export runs alone in a fresh
process (``sys.executable`` this file ``--one``), into an empty folder, alternating:

- **before**: :func:`export_with_full_tree`, the export as it was until the
  leaf tiles were packed: every leaf hash read at once (``read_log(0)``) and the
  whole tree built in memory (64 bytes an entry);
- **after**: :func:`registry.records.tile_export.export_tiles`: the level-8 nodes
  from the packed leaf tiles, one chunk of tiles at a time.

Printed per export: seconds, the process's peak resident memory (``ru_maxrss``)
and the same just before the export (the interpreter and imports), and their
difference; then after/before ratios.  Both outputs are compared file by file
(they must be the same bytes).  Asserts nothing.  ``tests/cli/test_tiles_export_streaming.py``
uses :func:`export_with_full_tree` as the oracle the streaming export must match.
"""

from __future__ import annotations

import argparse
import asyncio
import filecmp
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry.i18n import Message
from registry.log.audit_sources import write_file
from registry.log.integrity import LogContradiction
from registry.log.tiles import TILE_WIDTH, EntryBundle, tile_bytes, tiles_for
from registry.log.tree import MerkleTree
from registry.records import tile_export
from registry.records.tile_export import Exported, export_tiles
from registry.store.repository import Store

HASH_CHUNK = 1 << 16


async def export_with_full_tree(store: Store, folder: Path) -> Exported:
    """The export before streaming (as signed, no cosignatures): the whole tree in memory."""
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
        written += await tile_export._write_bundle(store, folder, bundle)
    for tile in tiles_for(0, size):
        path = folder / tile.path
        if tile.is_partial or not path.exists():
            write_file(path, tile_bytes(tree, tile))
            written += 1
    write_file(folder / "checkpoint", latest.note.encode())
    return Exported(size, written + 1)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _one(kind: str, url: str, folder: Path) -> dict[str, float]:
    store = Store.open(url)
    try:
        await store.size()
        base = _peak_mb()
        began = time.perf_counter()
        if kind == "before":
            done = await export_with_full_tree(store, folder)
        else:
            done = await export_tiles(store, folder, None)
        seconds = time.perf_counter() - began
    finally:
        await store.close()
    return {"s": seconds, "base_mb": base, "peak_mb": _peak_mb(), "size": done.size}


def _run(kind: str, home: Path, folder: Path) -> dict[str, float]:
    url = f"sqlite+aiosqlite:///{home / 'registry.sqlite3'}"
    command = [sys.executable, __file__, "--one", kind, "--url", url, "--folder", str(folder)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def _same(left: Path, right: Path) -> bool:
    names = {p.relative_to(left) for p in left.rglob("*") if p.is_file()}
    if names != {p.relative_to(right) for p in right.rglob("*") if p.is_file()}:
        return False
    return all(filecmp.cmp(left / n, right / n, shallow=False) for n in names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, action="append", default=[])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--one", choices=["before", "after"])
    parser.add_argument("--url")
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(asyncio.run(_one(args.one, args.url, args.folder))))
        return
    print(f"load average {os.getloadavg()}")
    for home in args.home:
        results: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for run in range(args.runs):
            with tempfile.TemporaryDirectory() as scratch:
                folders = {k: Path(scratch) / k for k in results}
                for kind in ("before", "after") if run % 2 == 0 else ("after", "before"):
                    results[kind].append(_run(kind, home, folders[kind]))
                same = _same(folders["before"], folders["after"])
                shutil.rmtree(scratch, ignore_errors=True)
            print(f"{home} run {run + 1}: outputs byte-identical: {same}")
        for kind, rows in results.items():
            for row in rows:
                print(
                    f"  {kind:6} {int(row['size']):>9,} entries: {row['s']:6.2f} s, peak"
                    f" {row['peak_mb']:6.1f} MB, before the export {row['base_mb']:5.1f} MB,"
                    f" export's own {row['peak_mb'] - row['base_mb']:6.1f} MB"
                )
        own = {k: min(r["peak_mb"] - r["base_mb"] for r in rows) for k, rows in results.items()}
        secs = {k: min(r["s"] for r in rows) for k, rows in results.items()}
        print(
            f"  after/before: memory of the export {own['after']:.1f}/{own['before']:.1f} MB"
            f" = {own['after'] / max(own['before'], 0.1):.2f}, time {secs['after']:.2f}/"
            f"{secs['before']:.2f} s = {secs['after'] / secs['before']:.2f}"
        )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
