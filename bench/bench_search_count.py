"""A search's count with criteria: every match counted, against counted up to the cap.

    python bench/gen_log.py --direct --entries 100000 --home /tmp/search-bench/100k --workers 2
    python bench/bench_search_count.py --log /tmp/search-bench/100k [--runs 5]

Opens the registry as a worker does, writes ``search_records`` up to the log if it is
behind (timed apart), then answers broad searches (the first page of 20, newest first, and
the count) with ``count_cap=None`` (every match counted, as before stop 26) and with
``count_cap=COUNT_CAP`` (10,000: what the home page and ``/api/records`` ask now),
alternated ``--runs`` times; prints the medians, the matches and the ratio; then the PPK
rows the suggestions look up by words (``Store.search_ppks``), best of ``--runs``.  The page is
checked equal in both; nothing is asserted.  A count grows with the matches, so the
uncounted part of the time grows with the log while the capped one stops at the cap.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_home import opened, search_of

from registry.api.search import COUNT_CAP
from registry.compliance import finder

SEARCHES = (
    {"type": "declaration"},
    {"type": "declaration", "province": "Jawa Barat"},
    {"province": "Jawa Timur"},
    {"name": "ridwan"},
    {"name": "ridwan", "type": "pact"},
)
"""Broad searches: many matches each in a log of the demo's proportions."""


async def run(home: Path, url: str | None, runs: int) -> None:
    service, _ = await opened(home, url)
    records = search_of(service)
    try:
        started = time.perf_counter()
        await records.catch_up()
        print(
            f"{service.size:,} entries; search_records up to the log in"
            f" {time.perf_counter() - started:.1f} s (load {os.getloadavg()[0]:.1f})"
        )
        provinces = await records.provinces()
        print(f"{'search':<44} {'matches':>8} {'every s':>8} {'capped s':>9} {'ratio':>6}")
        for raw in SEARCHES:
            given = dict.fromkeys(
                ("name", "instansi", "province", "type", "claimed_since", "claimed_until")
            )
            query = finder.checked_query(provinces, {**given, **raw})
            times: dict[str, list[float]] = {"every": [], "capped": []}
            pages = {}
            for _ in range(runs):
                for mode, cap in (("every", None), ("capped", COUNT_CAP)):
                    started = time.perf_counter()
                    found, total = await records.find(query, 0, 20, cap)
                    times[mode].append(time.perf_counter() - started)
                    pages[mode] = ([f.index for f in found], total)
            every, capped = (statistics.median(times[m]) for m in ("every", "capped"))
            same = pages["every"][0] == pages["capped"][0]
            print(
                f"{raw!s:<44} {pages['every'][1]:>8,} {every:>8.3f} {capped:>9.3f}"
                f" {capped / every:>6.2f}{'' if same else '  PAGES DIFFER'}"
            )
        for words in (["ridw"], ["bupati"]):
            took = []
            for _ in range(runs):
                started = time.perf_counter()
                found = await service.store.search_ppks(words)
                took.append(time.perf_counter() - started)
            print(f"suggestions' PPKs for {words}: {len(found):,} in {min(took):.4f} s (best)")
    finally:
        await records.close()
        await service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", type=Path, required=True, help="built by gen_log.py --direct")
    parser.add_argument("--database-url", help="the log's database, if not the home's SQLite")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.log, args.database_url, args.runs))


if __name__ == "__main__":
    main()
