"""Receipt and inclusion-proof GETs of entries whose leaf tile is cold: packed rows against
the 256 ``entries`` rows they replace, at each log size, in one run.

    python bench/bench_cold_tiles.py --home /tmp/tiles-bench/10000 --home /tmp/tiles-bench/100000
        [--database-url URL --database-url URL]   # the logs gen_log.py built on PostgreSQL

For each log (built by ``bench/gen_log.py``), the registry is served in process
(Litestar's test client over ``create_app``, no network) and started afresh for
each round and mode, alternating:

- **entries** (before): a tile not in memory is read as its 256 leaf hashes from
  ``entries`` (``Store.packed_tiles`` and ``packed_tiles_of_entry`` answer nothing and
  nothing is written back:
  the code path before ``leaf_tiles``);
- **packed** (after): a tile is read as its one ``leaf_tiles`` row.

The process caches ``--cache`` leaf tiles (the registry's 1,024 by default) and
empties that cache once started (``TiledHashStore.forget_cached``), so that tiles
are cold at ten thousand entries too (a start that read every leaf hash holds
every tile of a log under 262,144 entries).  Then every leaf tile not in memory
is asked once: ``GET /entries/{i}`` for half of them and
``GET /proofs/inclusion?index=i`` for the other half (``i`` at random in the
tile), each timed, and the same GET at once again (its tile now cached: the
floor the cold read adds to).  Then, in process without HTTP, each cold tile is
read alone (``TreeTiles.load``: the read and the check against its level-8
node).  Printed: medians and p90 per mode and size, each size's figure over the
smallest size's, beside log2(size) over log2(smallest), the growth the issue
allows.  Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_log import settings_for
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.log import tiled_store
from registry.log.tiled_store import TILE_LEAVES, TiledHashStore
from registry.records.operator import open_keys
from registry.records.service import RegistryService
from registry.store.repository import Store

MODES = ("entries", "packed")


@contextmanager
def mode(name: str) -> Iterator[None]:
    """``entries``: the store has no packed rows to give and keeps none (as before)."""
    if name == "packed":
        yield
        return
    packed, fill = Store.packed_tiles, Store.fill_packed_tiles
    of_entry = Store.packed_tiles_of_entry

    async def none(self: Store, tiles: object, **_: object) -> dict[int, bytes]:
        return {}

    async def keep_none(self: Store, tiles: object) -> None:
        return None

    Store.packed_tiles = none  # type: ignore[method-assign,assignment]
    Store.packed_tiles_of_entry = none  # type: ignore[method-assign,assignment]
    Store.fill_packed_tiles = keep_none  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Store.packed_tiles = packed  # type: ignore[method-assign]
        Store.packed_tiles_of_entry = of_entry  # type: ignore[method-assign]
        Store.fill_packed_tiles = fill  # type: ignore[method-assign]


async def tile_reads(home: Path, url: str | None, name: str, cache: int) -> list[float]:
    """ms to read and check each cold leaf tile alone (``TreeTiles.load``), in process."""
    settings = settings_for(home, url)
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    tiled_store.DEFAULT_CACHED_TILES = cache
    times: list[float] = []
    with mode(name):
        service = await RegistryService.open(settings, keys)
        try:
            store = service.state.tree.store
            assert isinstance(store, TiledHashStore)
            store.forget_cached()
            for tile in store.absent(range(service.size // TILE_LEAVES)):
                began = time.perf_counter()
                await service.reads.tiles.load([tile])
                times.append((time.perf_counter() - began) * 1000)
        finally:
            await service.close()
    return times


def _ms(client: TestClient, url: str) -> float:  # type: ignore[type-arg]
    began = time.perf_counter()
    answer = client.get(url)
    elapsed = (time.perf_counter() - began) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")
    return elapsed


def one_start(
    home: Path, url: str | None, name: str, rng: random.Random, cache: int
) -> dict[str, list[float]]:
    """Start the registry of ``home`` in mode ``name``; time a GET in every cold tile."""
    settings = settings_for(home, url)
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    times: dict[str, list[float]] = {k: [] for k in ("receipt", "proof", "receipt again")}
    times["proof again"] = []
    tiled_store.DEFAULT_CACHED_TILES = cache
    with mode(name), TestClient(create_app(settings, keys)) as client:
        service = client.app.state.components.service
        size = service.size
        full = size // TILE_LEAVES
        tiles = list(range(full))
        rng.shuffle(tiles)
        asked: list[tuple[str, str]] = []
        for n, tile in enumerate(tiles):
            index = tile * TILE_LEAVES + rng.randrange(TILE_LEAVES)
            kind = "receipt" if n % 2 == 0 else "proof"
            url = f"/entries/{index}" if kind == "receipt" else f"/proofs/inclusion?index={index}"
            asked.append((kind, url))
        store = service.state.tree.store
        assert isinstance(store, TiledHashStore)
        store.forget_cached()
        cold = set(store.absent(tiles))
        for (kind, url), tile in zip(asked, tiles, strict=True):
            if tile in cold:
                times[kind].append(_ms(client, url))
                times[f"{kind} again"].append(_ms(client, url))
    return times


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=10)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, action="append", required=True)
    parser.add_argument(
        "--database-url", action="append", help="the database of each --home (default: its SQLite)"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--cache", type=int, default=1024, help="leaf tiles a process caches (the registry's)"
    )
    args = parser.parse_args()
    rng = random.Random(15)
    print(f"load average {os.getloadavg()}")
    figures: dict[tuple[int, str, str], list[float]] = {}
    sizes: dict[Path, int] = {}
    urls = args.database_url or [None] * len(args.home)
    for home, url in zip(args.home, urls, strict=True):
        for round_ in range(args.rounds):
            for name in MODES if round_ % 2 == 0 else MODES[::-1]:
                times = one_start(home, url, name, rng, args.cache)
                times["tile read"] = asyncio.run(tile_reads(home, url, name, args.cache))
                for kind, values in times.items():
                    figures.setdefault((len(sizes), name, kind), []).extend(values)
        sizes[home] = asyncio.run(_size(settings_for(home, url).database_url))
    print(f"load average {os.getloadavg()}")
    homes = list(sizes)
    smallest = sizes[homes[0]]
    for kind in ("tile read", "receipt", "proof", "receipt again", "proof again"):
        for name in MODES:
            base = statistics.median(figures[(0, name, kind)])
            for number, home in enumerate(homes):
                values = figures[(number, name, kind)]
                median = statistics.median(values)
                allowed = math.log2(sizes[home]) / math.log2(smallest)
                print(
                    f"{kind:14} {name:7} {sizes[home]:>9,} entries: median {median:6.2f} ms,"
                    f" p90 {_p(values, 9):6.2f} ms ({len(values)} GETs); /smallest"
                    f" {median / base:5.2f}, log2 allows {allowed:4.2f}"
                )
    for number, home in enumerate(homes):
        for kind in ("tile read", "receipt", "proof"):
            before = statistics.median(figures[(number, "entries", kind)])
            after = statistics.median(figures[(number, "packed", kind)])
            print(
                f"{kind:7} {sizes[home]:>9,} entries: packed/entries {after:.2f}/{before:.2f} ms"
                f" = {after / before:.2f}"
            )


async def _size(url: str) -> int:
    async with Store.open(url) as store:
        return await store.size()


if __name__ == "__main__":
    main()
