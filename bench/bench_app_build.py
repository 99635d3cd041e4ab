"""What building the registry's app costs, and Litestar's route registration's share of it.

    python bench/bench_app_build.py [--builds 20] [--rounds 3]

Every test that serves the registry builds an app (``registry.api.app.create_app``), and
one that restarts its registry builds one each time (docs/benchmarks.md, "Test suite wall
time: where a 27-minute run goes").  This times, in ``--rounds`` rounds of ``--builds``
builds each, the process's CPU time a build, and of it the time spent in
``Litestar.register`` (one call a route handler or controller: signature and kwargs
models, the route trie, copies of the controllers) -- the peer here is the whole build, so
the share is the figure to read.  Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from litestar import Litestar

from registry.api.app import create_app
from registry.config import Settings
from registry.records.operator import create_keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--builds", type=int, default=20, help="builds a round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-app-"))
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{root / 'registry.sqlite3'}",
        data_dir=root / "data",
        origin="bench.example/app",
        admin_passphrase="kata-sandi-uji",
    )
    keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    create_app(settings, keys)  # imports and first-use caches out of the figures
    spent = {"register": 0.0}
    register = Litestar.register

    def timed(self: Litestar, value: Any) -> Any:
        started = time.process_time()
        try:
            return register(self, value)
        finally:
            spent["register"] += time.process_time() - started

    Litestar.register = timed  # every build registers through the timer
    builds, registers = [], []
    for _ in range(args.rounds):
        spent["register"] = 0.0
        started = time.process_time()
        for _ in range(args.builds):
            app = create_app(settings, keys)
        builds.append((time.process_time() - started) / args.builds * 1000)
        registers.append(spent["register"] / args.builds * 1000)
    handlers = len(app.route_handler_method_map)
    build, reg = statistics.median(builds), statistics.median(registers)
    print(f"route paths: {handlers}")
    print(f"build CPU a build, ms (median of {args.rounds} rounds): {build:.1f}")
    print(f"of it in Litestar.register, ms: {reg:.1f} ({reg / build:.0%})")


if __name__ == "__main__":
    main()
