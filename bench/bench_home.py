"""The home page's first answer after a start, and what a worker holds for it: the record
search without the compliance index against the index's finder, in the same run.

    python bench/gen_log.py --direct --entries 100000 --home /tmp/search-bench/100k --workers 2
    python bench/bench_home.py --log /tmp/search-bench/100k

First one process writes ``search_records`` for the whole log (what the first search
after the upgrade to migration 0010 does once: :meth:`RecordSearch.catch_up`; timed, and
the database's growth per entry measured) and saves the compliance index's sealed
segments (what a worker that answered any figure leaves), then stops (a child process,
as every measurement: a process reports at least the peak memory of the one that
started it, since ``ru_maxrss`` is kept across fork and exec).  Then, for each
mode, ``--runs`` fresh processes open the registry as a worker does and measure its first
answer after the start, and their resident memory (after the answer, and the peak):

- **search**: the home page's browser (``registry.api.record_search.browse``: the form's
  provinces, the first page of 20 records, newest first, each read from its checked
  entry: ``registry/compliance/browsing.py``), then a search with criteria (a province
  and a type) and one by a PPK's name;
- **index**: what the home page did before: the compliance index restored from its
  segments and caught up, its provinces, and ``finder.find`` of an empty query (then the
  same two searches).

Both modes' pages are checked equal (the records' dicts).  Prints figures only; nothing
is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_compliance import rss_mb
from gen_log import ORIGIN, PASSPHRASE, settings_for
from sqlalchemy import text

from registry.api.record_search import browse
from registry.compliance import filtering, finder
from registry.compliance.browsing import RecordSearch
from registry.compliance.service import ComplianceService
from registry.records.operator import open_keys
from registry.records.schemas import RECORD_TYPES
from registry.records.service import RegistryService

SEARCHES = (
    {"type": "declaration", "province": "Jawa Barat"},
    {"name": "ridwan kamil"},
)
"""The searches with criteria timed after the first page (the demo's part of the log)."""


async def opened(home: Path, url: str | None) -> tuple[RegistryService, ComplianceService]:
    """The registry of ``home`` opened as a worker opens it, and its compliance service."""
    settings = settings_for(home, url)
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    service = await RegistryService.open(settings, keys)
    compliance = ComplianceService(
        service, service.identities, settings.follow_up_days, service.segments
    )
    return service, compliance


def search_of(service: RegistryService) -> RecordSearch:
    return RecordSearch(
        service, service.search_table, list(RECORD_TYPES), service.settings.follow_up_days
    )


async def prepare(home: Path, url: str | None) -> dict[str, Any]:
    """Write ``search_records`` for the whole log and save the index's segments."""
    db = home / "registry.sqlite3"
    before = db.stat().st_size if url is None else 0
    service, compliance = await opened(home, url)
    try:
        records = search_of(service)
        started = time.perf_counter()
        await records.catch_up()
        out: dict[str, Any] = {"size": service.size, "backfill s": time.perf_counter() - started}
        out["backfilled"] = records.caught_up
        if url is None:
            grown = db.stat().st_size - before
        else:  # the table and its indexes
            async with service.store._engine.connect() as connection:
                size = text("SELECT pg_total_relation_size('search_records')")
                grown = int((await connection.execute(size)).scalar_one())
        out["table bytes/entry"] = grown / max(service.size, 1)
        await compliance.snapshot()
        await compliance.close()
        return out
    finally:
        await service.close()


async def child(mode: str, home: Path, url: str | None) -> dict[str, Any]:
    """One start: the home page's first answer (``search``) or the index's (``index``)."""
    started = time.perf_counter()
    service, compliance = await opened(home, url)
    out: dict[str, Any] = {"open s": time.perf_counter() - started, "size": service.size}
    out["open MB"], out["open peak MB"] = rss_mb()
    empty = dict.fromkeys(("name", "instansi", "province", "type", "claimed_since",
                           "claimed_until"))  # fmt: skip
    try:
        started = time.perf_counter()
        if mode == "search":
            records = search_of(service)
            page = await browse(records, empty, 1, "id")
            items, total, provinces = page["items"], page["total"], page["form"]["provinces"]
        else:
            await compliance.snapshot()
            provinces = filtering.choices(compliance.index).provinces
            found, total = finder.find(compliance.index, finder.Query(), 0, 20)
            items = [f.to_dict() for f in found]
        out["first s"] = time.perf_counter() - started
        out["page"] = [items, total, provinces]
        for n, raw in enumerate(SEARCHES):
            query = finder.checked_query(provinces, raw)
            started = time.perf_counter()
            if mode == "search":
                found, total = await records.find(query, 0, 20)
            else:
                found, total = finder.find(compliance.index, query, 0, 20)
            out[f"search {n} s"] = time.perf_counter() - started
            out[f"search {n}"] = [[f.to_dict() for f in found], total]
        out["index entries"] = compliance.index.size
        out["MB"], out["peak MB"] = rss_mb()
    finally:
        if mode == "search":
            await records.close()
        await service.close()  # the compliance service is not closed: it saves nothing
    return out


def run_child(mode: str, home: Path, url: str | None) -> dict[str, Any]:
    here = Path(__file__).resolve()
    args = [sys.executable, str(here), "--child", mode, "--log", str(home)]
    if url is not None:
        args += ["--database-url", url]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", type=Path, required=True, help="built by gen_log.py --direct")
    parser.add_argument("--database-url", help="the log's database, if not the home's SQLite")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=["prepare", "search", "index"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        print(json.dumps(asyncio.run(prepare(args.log, args.database_url))))
        return
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.log, args.database_url))))
        return
    # In a child too: a process started by this one reports at least this one's peak
    # (ru_maxrss is kept across fork and exec), so this one stays small.
    ready = run_child("prepare", args.log, args.database_url)
    print(
        f"{ready['size']:,} entries; search_records written for {ready['backfilled']:,} in"
        f" {ready['backfill s']:.1f} s"
        + f", {ready['table bytes/entry']:.0f} bytes/entry on disk (load {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    runs: dict[str, list[dict[str, Any]]] = {"search": [], "index": []}
    for _ in range(args.runs):
        for mode in ("search", "index"):
            runs[mode].append(run_child(mode, args.log, args.database_url))
    first = {mode: runs[mode][0] for mode in runs}
    same = all(
        first["search"][k] == first["index"][k]
        for k in ("page", *(f"search {n}" for n in range(len(SEARCHES))))
    )
    print(f"pages and searches equal in both modes: {same}")
    print(
        f"{'mode':>7} {'first s':>9} {'search0 s':>10} {'search1 s':>10} {'MB':>6}"
        f" {'peak MB':>8} {'open MB':>8} {'open peak':>9} {'index':>9}"
    )
    for mode, found in runs.items():
        print(
            f"{mode:>7} {statistics.median(r['first s'] for r in found):>9.3f}"
            f" {statistics.median(r['search 0 s'] for r in found):>10.3f}"
            f" {statistics.median(r['search 1 s'] for r in found):>10.3f}"
            f" {statistics.median(r['MB'] for r in found):>6.0f}"
            f" {statistics.median(r['peak MB'] for r in found):>8.0f}"
            f" {statistics.median(r['open MB'] for r in found):>8.0f}"
            f" {statistics.median(r['open peak MB'] for r in found):>9.0f}"
            f" {found[0]['index entries']:>9,}"
        )
    s, i = (statistics.median(r["first s"] for r in runs[m]) for m in ("search", "index"))
    grew = [statistics.median(r["MB"] - r["open MB"] for r in runs[m]) for m in runs]
    print(
        f"first home page: {s * 1e3:.0f} ms against {i:.2f} s ({s / i:.3f} of the index's);"
        f" the worker grew by {grew[0]:.0f} MB against {grew[1]:.0f} MB"
        f" (medians of {args.runs} starts each, load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
