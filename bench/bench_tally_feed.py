"""The first national answer after a start, the saved tally behind the log: wall and CPU.

    python bench/bench_tally_feed.py --log HOME          # answer (nothing saved)
    python bench/bench_tally_feed.py --log HOME --save   # save the tally at the log's end

A log built by ``bench/gen_log.py --direct`` (SQLite): ``--save`` answers the national figures
once and stops, which saves the tally as of the log's end; grow the log then (``gen_log.py
--direct --entries N``) and run without ``--save``, as often as wanted: each run opens the
registry in a fresh process as a worker does, answers ``ComplianceService.national()`` (the
saved tally restored, the entries after it fed from the log: ``registry/compliance/feed.py``)
and prints the wall and CPU time of that answer and the entries it read.  Nothing is saved,
so runs repeat.  To compare with another commit, run the same command from a ``git archive``
copy of it with ``PYTHONPATH`` set to that copy (docs/benchmarks.md, "Feeding the tally in
rounds").  Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_compliance import opened, save_tally


async def answer(home: Path) -> None:
    service, compliance = await opened(home)
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        await compliance.national()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"national: {wall:.3f} s wall, {cpu:.3f} s CPU, entries read"
            f" {compliance.facts.read:,}, log {service.size:,}"
        )
    finally:
        await service.close()  # the compliance service is not closed: it saves nothing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", type=Path, required=True, help="a gen_log.py --direct home")
    parser.add_argument("--save", action="store_true", help="save the tally at the log's end")
    args = parser.parse_args()
    if args.save:
        print(f"tally saved at {asyncio.run(save_tally(args.log)):,} entries")
    else:
        asyncio.run(answer(args.log))


if __name__ == "__main__":
    main()
