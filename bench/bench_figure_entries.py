"""A page of the entries behind a figure of today's tables: from the tally and the log, against
the compliance index restored.

    python bench/gen_log.py --direct --entries 100000 --home H --workers 1
    python bench/bench_figure_entries.py --log H

The national tally is saved as of the log's end and ``search_records`` written up to it
(as the keeper does behind the log), then for each figure asked two fresh processes open
the registry and answer one page (``--limit``, default 10,000, the API's page) of
``/api/compliance/entries``:

- **tally**: ``ComplianceService.figure_entries`` (``registry/compliance/figure_pages.py``:
  the figure's entries found among ``search_records``' rows of its type after the cursor,
  each round's range counted against ``entries.type``, each entry read checked and counted
  by the tally's own contribution);
- **index**: the compliance index restored from its sealed segments and caught up, then
  ``dashboard.figure_entries`` and the page of it (what the endpoint did before).

Printed per figure: wall time and CPU time of the answer (CPU: ``time.process_time``, less
noisy on a shared machine), the entries read from the log, whether the index was built,
the process's resident memory after and at its peak, and whether both pages are the same
entries (and the same total).  The figures: the national recommendations, follow-ups
(followed up) and declarations (each past the 10,000 a table lists inline), the page after
entry ``--deep`` of the recommendations, the busiest instansi's declarations (listed by the
tally while at most 100), and the busiest named province's recommendations (past the
100 a group lists: scanned among every recommendation, about one in 38 of them that
province's).  Prints
figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import opened, rss_mb, save_tally, searched, write_search

from registry.compliance import dashboard
from registry.compliance.figure_pages import index_page

Asked = tuple[str, str | None, str, int | None]
"""A figure's table, row, name, and the entry its page follows (None: the first page)."""


def busiest(compliance: Any, table: str, figure: str) -> str:
    """The instansi (or province: a named one, not the signers' without one) whose ``figure``
    counts the most entries (from the tally)."""
    tally = compliance.index.tally
    grouping = tally.instansi if table == "instansi" else tally.provinces.figures
    found = grouping.groups.items()
    named = [(g.figures[figure].count, str(name)) for name, g in found if name is not None]
    return max(named)[1]


async def child(mode: str, home: Path, asked: Asked, limit: int) -> dict[str, Any]:
    """One start: one page of the figure, from the tally (``tally``) or the index."""
    service, compliance = await opened(home)
    table, row, figure, after = asked
    out: dict[str, Any] = {"size": service.size}
    try:
        await compliance.national()  # the saved tally restored (no index), as any answer does
        if row == "busiest":
            row = busiest(compliance, table, figure)
        started, cpu = time.perf_counter(), time.process_time()
        if mode == "tally":
            page = await compliance.figure_entries(
                searched(home, service), None, table, row, figure, after, limit
            )
            assert page is not None, "the tally and the search table can say"
            total, entries = page.total, page.entries
        else:
            snap = await compliance.snapshot()
            indexes = dashboard.figure_entries(snap, table, row, figure)
            total, (entries, _) = len(indexes), index_page(indexes, after, limit)
        out["s"], out["cpu s"] = time.perf_counter() - started, time.process_time() - cpu
        out["total"], out["count"] = total, len(entries)
        out["digest"] = hashlib.sha256(json.dumps([total, entries]).encode()).hexdigest()
        out["index entries"] = compliance.index.size
        out["entries read"] = compliance.facts.read
        out["MB"], out["peak MB"] = rss_mb()
    finally:
        await service.close()
    return out


def run_child(mode: str, home: Path, asked: Asked, limit: int) -> dict[str, Any]:
    here = Path(__file__).resolve()
    done = subprocess.run(
        [sys.executable, str(here), "--log", str(home), "--limit", str(limit),
         "--child", mode, json.dumps(asked)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", type=Path, required=True, help="built by gen_log.py --direct")
    parser.add_argument("--limit", type=int, default=10_000, help="entries a page")
    parser.add_argument("--deep", type=int, default=90_000, help="the deep page's cursor")
    parser.add_argument("--rounds", type=int, default=2, help="tally/index pairs, alternated")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        table, row, figure, after = json.loads(args.child[1])
        asked: Asked = (table, row, figure, after)
        print(json.dumps(asyncio.run(child(args.child[0], args.log, asked, args.limit))))
        return
    size = asyncio.run(save_tally(args.log))
    written = asyncio.run(write_search(args.log))
    print(f"tally saved at {size:,} entries; search_records written in {written:.1f} s"
          f" (load {os.getloadavg()[0]:.1f})")  # fmt: skip
    figures: list[Asked] = [
        ("national", None, "recommendations", None),
        ("national", None, "followed_up", None),
        ("national", None, "declarations", None),
        ("national", None, "recommendations", args.deep),
        ("instansi", "busiest", "declarations", None),
        ("provinces", "busiest", "recommendations", None),
    ]
    print(f"{'figure':44} {'from':>5} {'s':>7} {'cpu s':>7} {'read':>7} {'index':>8}"
          f" {'MB':>5} {'peak':>5} {'count':>6} {'total':>7} {'same':>5} {'load':>5}")  # fmt: skip
    for asked in figures:
        name = "/".join(str(a) for a in asked if a is not None)
        for _ in range(args.rounds):
            got = {m: run_child(m, args.log, asked, args.limit) for m in ("tally", "index")}
            same = got["tally"]["digest"] == got["index"]["digest"]
            for mode, r in got.items():
                print(f"{name:44} {mode:>5} {r['s']:>7.3f} {r['cpu s']:>7.3f}"
                      f" {r['entries read']:>7,} {r['index entries']:>8,} {r['MB']:>5.0f}"
                      f" {r['peak MB']:>5.0f} {r['count']:>6,} {r['total']:>7,} {same!s:>5}"
                      f" {os.getloadavg()[0]:>5.1f}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
