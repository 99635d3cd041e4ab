"""The dashboard filtered by an election and/or a head type: the scope's own tally against the
whole compliance index restored.

    python bench/gen_log.py --direct --entries 100000 --home H --workers 1
    python bench/bench_scoped_tally.py --log H

The national tally is saved as of the log's end (as any answer does), then for each filter
three fresh processes open the registry and answer every dashboard table the scope's tally
answers (``scoped_tally.answers``):

- **pass**: no saved row of the scope (deleted first): the tally made by one pass over
  the whole log (``ScopedTallies.today`` with the request-time bound lifted, as the
  background pass does it), then saved;
- **saved**: the row the pass saved, checked (seal, root, bytes) and decoded;
- **index**: the compliance index restored from its sealed segments and caught up, then
  the tables of ``filtering.snapshot`` (what the dashboard did before).

Printed per filter and mode: wall and CPU time (``time.process_time``) of the answer, the
entries read from the log, the process's resident memory after and at its peak, and
whether the figures' values are the index's (a figure past the tally's bound lists no
entries: its value and count are compared).  The filters: the election with the most
recommendations, the head type with the most PPK keys, and both.  Prints figures only.

With ``--past`` (stop 31) each filter is also asked as of a past day (``until`` the 15th
of the month by which half the recommendations were issued) and since that day
(``since``): a past day's tally is made as of that day and never moved (it keeps nothing
for the facts dated after it), a since scope's like today's; against the index restored
in the same run.

    python bench/bench_scoped_tally.py --log H --past

With ``--day`` (stop 32) the filter is ``until`` alone, as of that past day, on a log with no
national tally saved as that day ended (a day before the first saved, or a registry restored
from a backup): answered from the tally of every fact made as of that day (a scope of no
election, head type or ``since``: ``ScopedAnswers.day``) through
``ComplianceService.day_tables``, against the index restored in the same run.

    python bench/bench_scoped_tally.py --log H --day
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import child_answer, figure_values, opened, rss_mb, save_tally

from registry.compliance import dashboard, filtering
from registry.compliance.filtering import Filter
from registry.compliance.scoped_tally import Scope, answers, scope_of
from registry.compliance.service import today


def chosen(compliance: Any, asked: dict[str, str]) -> Filter:
    """The filter ``asked`` names (the ``busiest`` election and head type)."""
    tally = compliance.index.tally
    given = dict(asked)
    if given.get("election") == "busiest":
        rows = tally.elections_rows() or []
        counts = {row["election"]: row["recommendations"]["value"] for row in rows}
        given["election"] = max(counts, key=lambda e: (counts[e], str(e)))
    if given.get("head_type") == "busiest":
        counts: dict[str, int] = {}
        for office in tally.offices.keys.values():
            if office.head_type:
                counts[office.head_type] = counts.get(office.head_type, 0) + 1
        given["head_type"] = max(counts, key=lambda h: (counts[h], h))
    if "middle" in (given.get("until"), given.get("since")):
        rows = tally.months_rows()
        total, seen, month = sum(r["recommendations"]["value"] for r in rows), 0, "2024-10"
        for row in rows:  # the month half the recommendations have been issued by
            seen += row["recommendations"]["value"]
            month = row["month"]
            if 2 * seen >= total:
                break
        middle = f"{month}-15"
        given = {k: middle if v == "middle" else v for k, v in given.items()}
    return Filter(**given)


def digest(tables: dict[str, list[dict[str, Any]]]) -> str:
    values = {name: [figure_values(row) for row in rows] for name, rows in tables.items()}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


async def child(mode: str, home: Path, asked: dict[str, str]) -> dict[str, Any]:
    """One start: the tables under the filter, from the scope's tally or the whole index."""
    service, compliance = await opened(home)
    out: dict[str, Any] = {"size": service.size}
    try:
        await compliance.national()  # the saved tally restored (no index), as any answer does
        flt = chosen(compliance, asked)
        scope = scope_of(flt, today())
        day_alone = scope is None and flt.until is not None  # that day's own tally (stop 32)
        scope = Scope(until=flt.until) if day_alone else scope
        assert scope is not None
        names = [name for name in dashboard.TABLES if answers(scope, name)]
        out["filter"] = flt.query()
        scoped = compliance.scoped
        if mode == "pass":
            fmt = scoped.format(scope)
            assert fmt is not None
            assert compliance.saved is not None
            await compliance.saved.segments.forget([fmt])
        scoped.inline_most = 10**12  # measured as the background pass makes it
        started, cpu = time.perf_counter(), time.process_time()
        if mode == "index":
            await compliance.snapshot()
            snap = filtering.snapshot(compliance.index, flt, today())
            tables = {name: dashboard.table(snap, name) for name in names}
        else:
            found = await (
                compliance.day_tables(flt.until, names)
                if day_alone and flt.until is not None
                else compliance.scoped_tables(flt, names)
            )
            assert found is not None, "the scope's tally can say"
            tables = found.tables
        out["s"], out["cpu s"] = time.perf_counter() - started, time.process_time() - cpu
        out["digest"] = digest(tables)
        out["recs"] = tables["national"][0]["recommendations"]["value"]
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
    parser.add_argument("--rounds", type=int, default=1, help="pass/saved/index rounds")
    parser.add_argument("--past", action="store_true", help="also until and since a past day")
    parser.add_argument("--day", action="store_true", help="until alone, a day never saved")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child[0], args.log, json.loads(args.child[1])))))
        return
    size = asyncio.run(save_tally(args.log))
    print(f"tally saved at {size:,} entries (load {os.getloadavg()[0]:.1f})")
    filters = [
        {"election": "busiest"},
        {"head_type": "busiest"},
        {"election": "busiest", "head_type": "busiest"},
    ]
    if args.day:
        filters = [{"until": "middle"}]
    elif args.past:
        filters = [
            *({**f, "until": "middle"} for f in filters),
            *({**f, "since": "middle"} for f in filters[:1]),
        ]
    print(f"{'filter':48} {'from':>6} {'s':>7} {'cpu s':>7} {'read':>8} {'MB':>5} {'peak':>5}"
          f" {'recs':>6} {'same':>5} {'load':>5}")  # fmt: skip
    for asked in filters:
        for _ in range(args.rounds):
            got = {m: run_child(m, args.log, asked) for m in ("pass", "saved", "index")}
            name = json.dumps(got["index"]["filter"], ensure_ascii=False)[:48]
            for mode, r in got.items():
                same = r["digest"] == got["index"]["digest"]
                print(f"{name:48} {mode:>6} {r['s']:>7.3f} {r['cpu s']:>7.3f}"
                      f" {r['entries read']:>8,} {r['MB']:>5.0f} {r['peak MB']:>5.0f}"
                      f" {r['recs']:>6,} {same!s:>5} {os.getloadavg()[0]:>5.1f}",
                      flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
