"""Receipt, statement and inclusion-proof GETs of entries not in memory, with the page cache
really cold, before and after a change, at each log size, in one run (SQLite).

    python bench/bench_cold_reads.py --home /tmp/coldreads/10000 --home /tmp/coldreads/1000000
        [--before main] [--samples 60] [--rounds 2] [--mmap-mb 256] [--cache-mb 64]
        [--keep-connections]

For each log (built by ``python bench/gen_log.py --direct --entries N --home DIR``), a
child process serves the registry in process (Litestar's test client over
``create_app``, no network), once with the code of ``--before`` (a git ref, copied
out with ``git archive`` and imported ahead of this checkout: the code before) and
once with this checkout (after), alternating the order each round; ``--mmap-mb``
adds a code, this checkout with SQLite ``PRAGMA mmap_size`` on every connection,
and ``--cache-mb`` one with ``PRAGMA cache_size`` (SQLite's own page cache per
connection, 2 MB by default).  Each child asks the same ``--samples``
random entries.  Before every timed GET the child empties what it keeps in
memory (the leaf tiles cached, the recent receipts and statements), closes its
database connections (so SQLite's own page cache and any memory map are gone),
opens two again (their schema read, as a running server's are), then flushes the
OS page cache (``sync; echo 3 > /proc/sys/vm/drop_caches``: needs root; without
it the figures are of a warm cache and say so).  Timed: ``GET /entries/{i}`` (the
receipt), ``GET /entries/{i}/statement``, ``GET /proofs/inclusion?index=i``, each
for its own cold start, and, as the physical floor in the same conditions, one
4 KiB read of the database file at a random offset (``os.pread``) after a flush.

Printed per size and code: medians and p90 (ms), the leaf tiles and store queries per GET
(entry, packed tiles, leaf hashes; the first two of "after" run at the same time),
each size's median over the smallest size's beside log2(size)/log2(smallest)
(the growth issue 15 allows), and after/before per size.  Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DROP = Path("/proc/sys/vm/drop_caches")
KINDS = ("receipt", "statement", "proof", "entry row", "tile row", "disk read")


def drop_caches() -> bool:
    """Flush the OS page cache; False if this process may not."""
    os.sync()
    try:
        DROP.write_text("3\n")
    except OSError:
        return False
    return True


def child(args: argparse.Namespace) -> None:
    """Serve ``args.home`` with the registry/ first on sys.path; print the timings as JSON."""
    sys.path[:0] = [args.code, str(BENCH)]
    # registry/ first, from ``args.code``: gen_log puts this checkout on sys.path
    registry = importlib.import_module("registry")
    from gen_log import settings_for  # noqa: PLC0415
    from litestar.testing import TestClient  # noqa: PLC0415
    from sqlalchemy import event, text  # noqa: PLC0415

    from registry.api.app import create_app  # noqa: PLC0415
    from registry.log.tiled_store import TiledHashStore  # noqa: PLC0415
    from registry.records.operator import open_keys  # noqa: PLC0415
    from registry.store import engine as engines  # noqa: PLC0415

    if not registry.__file__ or not registry.__file__.startswith(args.code):
        raise SystemExit(f"imported {registry.__file__}, not the code under {args.code}")
    if args.pragma:
        pragmas = engines._set_pragmas

        def with_pragma(connection: Any, record: Any) -> None:
            pragmas(connection, record)
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA {args.pragma}")
            cursor.close()

        engines._set_pragmas = with_pragma
    from registry.store.repository import Store  # noqa: PLC0415

    calls = [0]
    for name in ("get_entry", "packed_tiles", "packed_tiles_of_entry", "leaf_hashes_between"):
        method = getattr(Store, name, None)
        if method is not None:

            async def counted(self: Any, *a: Any, _m: Any = method, **k: Any) -> Any:
                calls[0] += 1
                return await _m(self, *a, **k)

            setattr(Store, name, counted)
    home = args.home[0]
    settings = settings_for(home)
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    database = home / "registry.sqlite3"
    rng = random.Random(args.seed)
    times: dict[str, list[float]] = {kind: [] for kind in KINDS}
    tiles: dict[str, list[int]] = {kind: [] for kind in KINDS}
    queries: dict[str, list[int]] = {kind: [] for kind in KINDS}
    dropped = True
    with TestClient(create_app(settings, keys)) as client:
        service = client.app.state.components.service
        size = service.size
        store = service.state.tree.store
        assert isinstance(store, TiledHashStore)
        engine = service.store._engine
        if args.pragma:
            assert event.contains(engine.sync_engine, "connect", engines._set_pragmas)

        async def reopen() -> None:
            await engine.dispose()
            connections = [await engine.connect() for _ in range(2)]
            for connection in connections:
                await connection.execute(text("SELECT count(*) FROM sqlite_master"))
            for connection in connections:
                await connection.close()

        def get(url: str) -> None:
            answer = client.get(url)
            if answer.status_code != 200:
                raise SystemExit(f"{url}: {answer.status_code} {answer.text}")

        steps: dict[str, Callable[[int], object]] = {
            "receipt": lambda i: get(f"/entries/{i}"),
            "statement": lambda i: get(f"/entries/{i}/statement"),
            "proof": lambda i: get(f"/proofs/inclusion?index={i}"),
            "entry row": lambda i: client.blocking_portal.call(service.store.get_entry, i),
            "tile row": lambda i: client.blocking_portal.call(
                service.store.packed_tiles, [i // 256]
            ),
        }

        async def warm(indexes: list[int]) -> None:
            """Read entries and tiles two at a time: both pooled connections' caches warm."""
            for index in indexes:
                await asyncio.gather(
                    service.store.get_entry(index), service.store.packed_tiles([index // 256])
                )

        if args.keep_connections:  # as a serving process's connections are
            client.blocking_portal.call(warm, [rng.randrange(size) for _ in range(args.warm)])
        for _ in range(args.samples):
            for kind, step in steps.items():
                index = rng.randrange(size)
                service.recent.clear()
                store.forget_cached()
                service.state.tree._folds.clear()  # the right folds kept per tree size
                service.state.tree._fold_asked.clear()
                if not args.keep_connections:
                    client.blocking_portal.call(reopen)
                dropped = drop_caches() and dropped
                read_before, calls[0] = service.reads.tiles.tiles_read, 0
                began = time.perf_counter()
                step(index)
                times[kind].append((time.perf_counter() - began) * 1000)
                tiles[kind].append(service.reads.tiles.tiles_read - read_before)
                queries[kind].append(calls[0])
    with database.open("rb") as file:
        length = database.stat().st_size
        for _ in range(args.samples):
            offset = rng.randrange(length // 4096) * 4096
            drop_caches()
            began = time.perf_counter()
            os.pread(file.fileno(), 4096, offset)
            times["disk read"].append((time.perf_counter() - began) * 1000)
            tiles["disk read"].append(0)
            queries["disk read"].append(0)
    found = {"size": size, "times": times, "tiles": tiles, "queries": queries, "dropped": dropped}
    print(json.dumps(found))


def _run(code: str, home: Path, seed: int, args: argparse.Namespace, pragma: str) -> Any:
    command = [sys.executable, __file__, "--child", "--code", code, "--home", str(home)]
    command += ["--seed", str(seed), "--samples", str(args.samples), "--pragma", pragma]
    command += ["--keep-connections", "--warm", str(args.warm)] if args.keep_connections else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([code, str(BENCH)])}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{home} ({code}): {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[8] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, action="append")
    parser.add_argument("--before", default="main", help="git ref of the code before")
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--mmap-mb", type=int, default=0, help="also time after + mmap_size")
    parser.add_argument("--cache-mb", type=int, default=0, help="also time after + cache_size")
    parser.add_argument(
        "--keep-connections",
        action="store_true",
        help="keep the connections (SQLite's page caches) warm: only the OS cache is flushed",
    )
    parser.add_argument("--pragma", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--warm", type=int, default=2000, help="with --keep-connections: reads before timing"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=15, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if not args.home:
        parser.error("--home is required")
    commit = [
        subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", ref],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for ref in ("HEAD", args.before)
    ]
    print(f"after: {commit[0]} (+ working tree), before: {args.before} at {commit[1]}")
    print(f"load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="cold-reads-") as copy:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before, "registry"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", copy], input=archive, check=True)
        codes = {"before": (copy, ""), "after": (str(ROOT), "")}
        if args.mmap_mb:
            codes["after+mmap"] = (str(ROOT), f"mmap_size={args.mmap_mb * 1024 * 1024}")
        if args.cache_mb:
            codes["after+cache"] = (str(ROOT), f"cache_size={-args.cache_mb * 1024}")
        figures: dict[tuple[int, str], dict[str, list[float]]] = {}
        counts: dict[tuple[int, str], dict[str, list[int]]] = {}
        asked: dict[tuple[int, str], dict[str, list[int]]] = {}
        sizes: list[int] = []
        cold = True
        for number, home in enumerate(args.home):
            for round_ in range(args.rounds):
                order = list(codes) if round_ % 2 == 0 else list(codes)[::-1]
                for name in order:
                    code, pragma = codes[name]
                    result = _run(code, home, 15 + round_, args, pragma)
                    cold = cold and result["dropped"]
                    for kind in KINDS:
                        figures.setdefault((number, name), {}).setdefault(kind, [])
                        figures[(number, name)][kind] += result["times"][kind]
                        counts.setdefault((number, name), {}).setdefault(kind, [])
                        counts[(number, name)][kind] += result["tiles"][kind]
                        asked.setdefault((number, name), {}).setdefault(kind, [])
                        asked[(number, name)][kind] += result["queries"][kind]
            sizes.append(result["size"])
    print(f"load average {os.getloadavg()}")
    print("page cache flushed before each GET" if cold else "NOT flushed (not root): warm cache")
    for kind in KINDS:
        for name in codes:
            base = statistics.median(figures[(0, name)][kind])
            for number, size in enumerate(sizes):
                values = figures[(number, name)][kind]
                median = statistics.median(values)
                read = statistics.mean(counts[(number, name)][kind])
                reads = statistics.mean(asked[(number, name)][kind])
                allowed = math.log2(size) / math.log2(sizes[0])
                print(
                    f"{kind:9} {name:10} {size:>10,} entries: median {median:7.2f} ms,"
                    f" p90 {_p90(values):7.2f} ms, {read:4.2f} tiles in {reads:4.2f} queries"
                    f" ({len(values)} GETs);"
                    f" /smallest {median / base:5.2f}, log2 allows {allowed:4.2f}"
                )
    for number, size in enumerate(sizes):
        for kind in KINDS[:3]:
            before = statistics.median(figures[(number, "before")][kind])
            for name in list(codes)[1:]:
                after = statistics.median(figures[(number, name)][kind])
                print(
                    f"{kind:9} {size:>10,} entries: {name}/before {after:.2f}/{before:.2f} ms"
                    f" = {after / before:.2f}"
                )


if __name__ == "__main__":
    main()
