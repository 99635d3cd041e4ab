"""The dashboard filtered by a province or an instansi: an index of the scope's facts against
the whole compliance index restored.

    python bench/gen_log.py --direct --entries 100000 --home H --workers 1
    python bench/bench_filters.py --log H

The national tally is saved as of the log's end and ``search_records`` written up to it
(as the keeper does behind the log), then for each filter two fresh processes open the
registry and answer every dashboard table under it (``dashboard.TABLES``):

- **scoped**: ``ComplianceService.filtered`` (``registry/compliance/scoped_filter.py``: the
  scope's facts found through ``search_records``, the key directory and the tally, read
  checked, given to an index of their own, cross-checked against the tally's rows of the
  scope), then the tables of ``filtering.snapshot`` of it;
- **index**: the compliance index restored from its sealed segments and caught up, then the
  tables of ``filtering.snapshot`` of it (what the dashboard did before).

Printed per filter: wall and CPU time (``time.process_time``) of the answer, the entries
read from the log, the entries the answering index holds, the process's resident memory
after and at its peak, and whether both answers are the same tables.  The filters: the
province with the most recommendations and one in the middle, the instansi with the most
recommendations and one in the middle (each named by the tally), the busiest province
with an election added, and the middle province as of 30 days before the tally's day
(``--only``: some of them, by number).  Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import child_answer, opened, rss_mb, save_tally, searched, write_search

from registry.compliance import dashboard, filtering
from registry.compliance.filtering import Filter
from registry.compliance.service import today


def ranked(compliance: Any, by: str) -> list[str]:
    """The named provinces (or instansi) by their recommendations, most first (the tally's)."""
    tally = compliance.index.tally
    grouping = tally.instansi if by == "instansi" else tally.provinces.figures
    counts = [(g.figures["recommendations"].count, str(n)) for n, g in grouping.groups.items()]
    return [name for _, name in sorted((c for c in counts if c[1] != "None"), reverse=True)]


def chosen(compliance: Any, asked: dict[str, str]) -> Filter:
    """The filter ``asked`` names (``busiest``/``middle`` of the provinces or instansi)."""
    given = dict(asked)
    for field in ("province", "instansi"):
        if field in given:
            names = ranked(compliance, field)
            given[field] = names[0] if given[field] == "busiest" else names[len(names) // 2]
    if given.get("election") == "first":
        given["election"] = compliance.index.tally.choices().elections[0]
    if given.get("until") == "month-before":  # revoked since then: read from the tally's list
        day = dt.date.fromisoformat(compliance.index.tally.day) - dt.timedelta(days=30)
        given["until"] = day.isoformat()
    return Filter(**given)


async def child(mode: str, home: Path, asked: dict[str, str]) -> dict[str, Any]:
    """One start: every table under the filter, from the scope's index or the whole one."""
    service, compliance = await opened(home)
    out: dict[str, Any] = {"size": service.size}
    try:
        await compliance.national()  # the saved tally restored (no index), as any answer does
        flt = chosen(compliance, asked)
        out["filter"] = flt.query()
        started, cpu = time.perf_counter(), time.process_time()
        if mode == "scoped":
            snap = await compliance.filtered(flt, searched(home, service).indexes)
            assert snap is not None, "the scope's index can say"
        else:
            await compliance.snapshot()
            snap = filtering.snapshot(compliance.index, flt, today())
        tables = {name: dashboard.table(snap, name) for name in dashboard.TABLES}
        out["s"], out["cpu s"] = time.perf_counter() - started, time.process_time() - cpu
        out["digest"] = hashlib.sha256(json.dumps(tables, sort_keys=True).encode()).hexdigest()
        out["recs"] = tables["national"][0]["recommendations"]["value"]
        out["revoked"] = len(compliance.index.tally.revoked)
        out["index entries"] = (
            len(snap.index.recs) + len(snap.index.signed) + len(snap.index.follow_ups)
        )
        out["entries read"] = compliance.facts.read
        out["MB"], out["peak MB"] = rss_mb()
    finally:
        await service.close()
    return out


def run_child(mode: str, home: Path, asked: dict[str, str]) -> dict[str, Any]:
    return child_answer(__file__, "--log", str(home), "--child", mode, json.dumps(asked))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", type=Path, required=True, help="built by gen_log.py --direct")
    parser.add_argument("--rounds", type=int, default=2, help="scoped/index pairs, alternated")
    parser.add_argument("--only", type=int, nargs="*", help="the filters to run, by number")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child[0], args.log, json.loads(args.child[1])))))
        return
    size = asyncio.run(save_tally(args.log))
    written = asyncio.run(write_search(args.log))
    print(f"tally saved at {size:,} entries; search_records written in {written:.1f} s"
          f" (load {os.getloadavg()[0]:.1f})")  # fmt: skip
    filters = [
        {"province": "busiest"},
        {"province": "middle"},
        {"instansi": "busiest"},
        {"instansi": "middle"},
        {"province": "busiest", "election": "first"},
        {"province": "middle", "until": "month-before"},
    ]
    print(f"{'filter':52} {'from':>6} {'s':>7} {'cpu s':>7} {'read':>7} {'facts':>7}"
          f" {'MB':>5} {'peak':>5} {'recs':>6} {'same':>5} {'load':>5} {'revoked':>7}")  # fmt: skip
    for number, asked in enumerate(filters):
        if args.only and number not in args.only:
            continue
        for _ in range(args.rounds):
            got = {m: run_child(m, args.log, asked) for m in ("scoped", "index")}
            same = got["scoped"]["digest"] == got["index"]["digest"]
            name = json.dumps(got["scoped"]["filter"], ensure_ascii=False)[:52]
            for mode, r in got.items():
                print(f"{name:52} {mode:>6} {r['s']:>7.3f} {r['cpu s']:>7.3f}"
                      f" {r['entries read']:>7,} {r['index entries']:>7,} {r['MB']:>5.0f}"
                      f" {r['peak MB']:>5.0f} {r['recs']:>6,} {same!s:>5}"
                      f" {os.getloadavg()[0]:>5.1f} {r['revoked']:>7,}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
