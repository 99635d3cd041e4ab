"""The sequencer's cycle alone: CPU per registration handed to it by another process.

    python bench/bench_sequencer.py [--count 6000] [--clients 64] [--profile]

With several workers (``registry serve``), one process sequences for all: the
others verify each statement and parse its payload, then hand it over through
the sequencer's socket (``registry/records/handoff.py``).  Its cycle (admit,
append, receipts, write) is then what bounds the registrations a second.  This
measures that cycle without HTTP and without the socket: ``--count`` unique
pacts, each handed to what the socket calls (its request frame decoded: the
statement with what the follower read of it, ``handed_statement.py``; then
``_register_handed_off``: admitted, appended, its receipt made, written) with
``--clients`` in flight on a fresh SQLite database, on uvloop; it prints the
registrations a second and the process's CPU per registration (its write
thread included).  ``--profile`` prints cProfile's top functions (which
inflates many small Python calls: measure a change without it).  It first prints the CPU
of decoding a request frame alone (the hand-over's share, part of the cycle's
figure).  ``--no-cycle``
prepares everything (service opened, frames made) but registers nothing: the
cycle's instruction count is that of a run under ``valgrind --tool=callgrind``
less that of the same run with ``--no-cycle`` (docs/benchmarks.md, "The
sequencer's cycle in instructions").  The socket itself, the follower's side and the
batches a hand-over makes are measured by ``bench_handover.py``.  Figures only; nothing is
asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvloop
from _statements import HISTORY_HOURS, enrolments, read_pool, sign_pool
from bench_registry import _prepare

from registry.config import Settings
from registry.records.bootstrap import operator_keys
from registry.records.handoff import decode_request, encode_request
from registry.records.service import RegistryService
from registry.verify.statement import verify_statement

SIGNERS = 48


async def _cycle(
    settings: Settings, statements: list[bytes], clients: int, profile: bool, run: bool = True
) -> None:
    keys, _ = operator_keys(settings)
    service = await RegistryService.open(settings, keys)
    try:
        frames = [  # what the followers checked and send, made before timing
            encode_request(n, s, verify_statement(s, service.registrar.lookup).value)[4:]
            for n, s in enumerate(statements)
        ]
        room = asyncio.Semaphore(clients)

        async def one(frame: bytes) -> None:
            async with room:
                _, statement, key, read = decode_request(frame)
                await service._register_handed_off(statement, key, read)

        gc.collect()
        cpu = time.process_time()
        for frame in frames:  # the hand-over's decoding alone, once more (not registered)
            decode_request(frame)
        cpu = time.process_time() - cpu
        print(f"  decoding a request frame alone: {cpu / len(frames) * 1e6:,.1f} us CPU")
        if not run:
            print(f"  prepared {len(frames):,} frames, registered none (--no-cycle)")
            return
        profiler = cProfile.Profile() if profile else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        await asyncio.gather(*map(one, frames))
        if profiler is not None:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"  handed over: {len(statements) / wall:>7,.0f}/s  "
            f"{cpu / len(statements) * 1e6:,.0f} us CPU a registration"
        )
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    finally:
        await service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=6000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-cycle", action="store_true", help="prepare only: a baseline")
    args = parser.parse_args()
    print(f"Sequencer cycle; load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory(prefix="bench-sequencer-") as tmp:
        work = Path(tmp)
        pool = work / "pool"
        sign_pool(pool, SIGNERS, args.count)
        statements = list(itertools.islice(read_pool(pool), args.count))
        for run in (work / "run",):
            settings = Settings(
                database_url=f"sqlite+aiosqlite:///{run / 'registry.sqlite3'}",
                data_dir=run / "keys",
                origin="bench.example/pakta",
                admin_passphrase="bench-sequencer-not-secret",
                max_statement_age_hours=HISTORY_HOURS,
            )
            run.mkdir()
            keys, _ = operator_keys(settings)
            asyncio.run(_prepare(settings, enrolments(keys.admin, SIGNERS)))
            uvloop.run(_cycle(settings, statements, args.clients, args.profile, not args.no_cycle))
    print(f"  load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
