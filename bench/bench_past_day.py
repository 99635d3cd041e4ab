"""Another day's figures (``?as_of=``) from the tally saved as that day ended, against the
compliance index restored.

    python bench/gen_log.py --direct --entries 100000 --home H --workers 1
    python bench/bench_past_day.py --log H --day 2024-06-30 --after 0 10000

Setup (once, in a process whose "today" is ``--day``, then the day after): the national
tally is made as of ``--day`` and moved to the next day, which saves it as that day's
(``registry/compliance/day_tallies.py``).  Then for each K the log is grown by K entries
(``gen_log.py --direct``: statements dated after the day, so the saved day's tally is fed
them and keeps them waiting), and two fresh processes, whose "today" is a later day,
answer every compliance table of ``--day`` (national, instansi, provinces, elections,
months, pact signers with overdue, signers, head-types):

- **tally**: ``ComplianceService`` as the API calls it (the day's saved tally loaded,
  checked, moved to the day and fed the K entries: ``_past_tally``);
- **index**: the compliance index restored from its sealed segments and caught up, the
  tables computed from its snapshot of the day (what every past day cost before).

Printed: wall and CPU time, the process's resident memory after and at its peak, the
entries read from the log, whether the tally answered without the index, and whether both
answers are the same tables (a digest).
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_compliance import GROW, child_answer, opened, rss_mb

from registry.compliance import heads, service, views

TABLES = ("instansi", "provinces", "elections", "months", "pact_signers_with_overdue", "signers")


def next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def set_today(day: str) -> None:
    """This process's "today" (WIB) for the compliance figures."""
    service.today = lambda: day  # the module's clock, as the tests set it


async def save_day(home: Path, day: str) -> tuple[int, list[str]]:
    """Answer on ``day`` then on the day after (saving ``day``'s tally); the log's size and
    the saved days."""
    set_today(day)
    reg, compliance = await opened(home)
    try:
        await compliance.national()
        set_today(next_day(day))
        await compliance.national()
        await compliance.close()
        assert compliance.tallies.days is not None
        return reg.size, sorted(await compliance.tallies.days.days())
    finally:
        await reg.close()


async def child(mode: str, home: Path, day: str) -> dict[str, Any]:
    """One start: every table of ``day`` from its saved tally, or from the index."""
    set_today("2030-01-01")
    reg, compliance = await opened(home)
    out: dict[str, Any] = {"size": reg.size}
    try:
        started, cpu = time.perf_counter(), time.process_time()
        tables: dict[str, Any] = {}
        if mode == "tally":
            tables["national"] = (await compliance.national(day))[1]
            for name in TABLES:
                tables[name] = (await getattr(compliance, name)(day))[1]
            tables["head_types"] = (await compliance.head_types(day))[1]
            out["from the tally"] = not compliance.index_held
        else:
            snap = await compliance.snapshot(day)
            tables["national"] = views.national(snap)
            for name in TABLES:
                tables[name] = getattr(views, name)(snap)
            tables["head_types"] = heads.table(snap, day)
        out["s"], out["cpu s"] = time.perf_counter() - started, time.process_time() - cpu
        out["recs"] = tables["national"]["recommendations"]["value"]
        out["entries read"] = compliance.facts.read
        out["MB"], out["peak MB"] = rss_mb()
    finally:
        await reg.close()
    # Compared here, not in the parent: its memory would be every child's peak (a child
    # forked from it starts as large, and Linux keeps that peak across the exec).
    answer = json.loads(json.dumps(tables, default=str))
    if mode == "tally":
        tallied(os.getppid()).write_text(json.dumps(answer))
    else:
        out["same"] = same(json.loads(tallied(os.getppid()).read_text()), answer)
    return out


def same(tally: Any, index: Any) -> bool:
    """Whether the tally's tables are the index's: every value equal, and every list of a
    figure's entries where the tally lists it (a figure past the tally's group bound gives
    its count only, and the API links it)."""
    if isinstance(tally, dict) and isinstance(index, dict):
        if "value" in tally and "entries" in tally:
            listed = tally["entries"]
            return tally["value"] == index.get("value") and (
                listed is None or sorted(listed) == sorted(index.get("entries") or [])
            )
        return tally.keys() == index.keys() and all(same(tally[k], index[k]) for k in tally)
    if isinstance(tally, list) and isinstance(index, list):
        return len(tally) == len(index) and all(map(same, tally, index))
    return bool(tally == index)


def tallied(parent: int) -> Path:
    """Where the tally's child of ``parent`` leaves its tables for the index's child."""
    return Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_past_day.{parent}.json"


def run_child(mode: str, home: Path, day: str) -> dict[str, Any]:
    return child_answer(__file__, "--log", str(home), "--day", day, "--child", mode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", type=Path, required=True, help="built by gen_log.py --direct")
    parser.add_argument("--day", default="2024-06-30", help="the past day asked (ISO)")
    parser.add_argument("--after", type=int, nargs="+", default=[0], help="entries grown")
    parser.add_argument("--rounds", type=int, default=2, help="tally/index pairs, alternated")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.log, args.day))))
        return
    size, days = asyncio.run(save_day(args.log, args.day))
    print(f"{size:,} entries; saved days {days} (load {os.getloadavg()[0]:.1f})", flush=True)
    gen = Path(__file__).resolve().with_name("gen_log.py")
    print(f"{'K':>7} {'from':>6} {'s':>7} {'cpu s':>7} {'read':>7} {'MB':>5} {'peak':>5}"
          f" {'recs':>6} {'same':>5} {'no index':>8} {'load':>5}")  # fmt: skip
    grown = 0
    for k in sorted(args.after):
        if k > grown:
            subprocess.run(
                [sys.executable, str(gen), *GROW, "--entries", str(size + k), "--home",
                 str(args.log)],
                check=True, capture_output=True,
            )  # fmt: skip
            grown = k
        for _ in range(args.rounds):
            got = {m: run_child(m, args.log, args.day) for m in ("tally", "index")}
            equal = got["index"]["same"]
            for mode, r in got.items():
                print(f"{r['size'] - size:>7,} {mode:>6} {r['s']:>7.3f} {r['cpu s']:>7.3f}"
                      f" {r['entries read']:>7,} {r['MB']:>5.0f} {r['peak MB']:>5.0f}"
                      f" {r['recs']:>6,} {equal!s:>5} {r.get('from the tally', '')!s:>8}"
                      f" {os.getloadavg()[0]:>5.1f}",
                      flush=True)  # fmt: skip
    tallied(os.getpid()).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
