"""The CPU time a row costs the process that sequences a local `registry import` (not its workers).

    python bench/bench_import_cpu.py [--rows 10000]

The rate of an import on a shared machine moves with the machine's load; the
CPU time of the importing process itself (``getrusage(RUSAGE_SELF)``: its
event loop and database thread, not the signing, checking and verifying
workers, which are its children) does much less.  Builds the registry and
CSV of ``bench_import_chunks.py``, runs `registry import FILE` in this
process, and prints that CPU time a row and the wall time.  To compare with
another commit, run it from a copy of that commit's tree (``git archive``)
with ``PYTHONPATH`` set to the copy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_import_chunks as chunks

from registry.cli import main as registry_main
from registry.config import Settings


def cpu_s() -> float:
    """User and system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-cpu-") as folder:
        home = Path(folder)
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{home / 'registry.sqlite3'}",
            data_dir=home / "data",
            origin=chunks.ORIGIN,
            admin_passphrase=chunks.PASSPHRASE,
            max_statement_age_hours=chunks.HISTORY_HOURS,
        )
        key_file, ppk_nips = asyncio.run(chunks.setup(settings, home))
        data = home / "rekomendasi.csv"
        data.write_bytes(chunks.build_csv(args.rows, ppk_nips))
        os.environ.update(chunks.environment(settings))
        command = ["import", str(data), "--type", "recommendation", "--key", str(key_file)]
        cpu, wall = cpu_s(), time.perf_counter()
        try:
            registry_main(command)
        except SystemExit as done:
            if done.code:
                print(f"registry import exited {done.code}")
        cpu, wall = cpu_s() - cpu, time.perf_counter() - wall
    print(
        f"{args.rows:,} rows: the importing process's CPU {cpu:.1f} s, "
        f"{cpu / args.rows * 1e6:.0f} us a row; wall {wall:.1f} s; load {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
