"""How the registry's costs grow with the log: start-up, memory, first figure, reads and proofs.

    python bench/bench_scale.py --sizes 10000 100000 [1000000] [--home /tmp/scale]

For each size, a log built by ``bench/gen_log.py`` into ``HOME/<size>`` (made
first if it is not there) is served by ``registry serve`` (its granian workers,
one per core) twice in a row, and each time the benchmark measures:

- **start-up**: from the command to the first ``200`` of ``/health``;
- **memory**: the resident set (VmRSS) of every process of the server, after
  the first compliance answer (the compliance index is then in memory);
- **first figure**: ``GET /api/compliance/national`` right after the start,
  then four more: each worker keeps its own index, so the slowest of those is
  usually another worker's first, the fastest one answered from memory;
- **receipt**: ``GET /entries/{i}`` for 200 indexes spread over the whole log
  (most are not in the newest-entries cache: a database read and its checks),
  median and 90th percentile; the same indexes a second time (from memory);
- **proofs**: ``GET /proofs/inclusion?index=i`` and ``/proofs/consistency?old=i``
  for the same indexes (from the tree in memory), median.

The first run after the log was built has no saved compliance segments and
rebuilds the index from every entry (and saves it); the second restores it
from its sealed segments (``registry/compliance/saved.py``).  Each figure is
printed with its ratio to the smallest size's, beside log2(size)/log2(smallest)
(what an O(log n) cost may grow by) and size/smallest (what O(n) would).
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import math
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_log import ELECTIONS, ORIGIN, PASSPHRASE, generate, settings_for, signer

from registry.compliance.service import ComplianceService
from registry.config import Settings, settings_environment
from registry.records.bootstrap import stored_log_size
from registry.records.operator import open_keys
from registry.records.service import RegistryService
from registry.store.repository import Store

SAMPLES = 200
REGISTRATIONS = 20
START_TIMEOUT_S = 600.0


def patience_s(size: int) -> float:
    """How long a start or a first figure may take at ``size`` before the run gives up: ten
    minutes, and a minute more each 100,000 entries (nothing saved, a ten-million log is
    derived whole at start and in each worker's first figure: O(n), measured, not skipped)."""
    return START_TIMEOUT_S + 60.0 * size / 100_000


@dataclass
class Run:
    """The figures of one start of the server."""

    start_s: float = 0.0
    first_figure_s: float = 0.0
    again_figure_s: tuple[float, float] = (0.0, 0.0)
    """The fastest and slowest of the next four (another worker answers its first)."""
    receipt_ms: tuple[float, float] = (0.0, 0.0)
    receipt_cached_ms: float = 0.0
    inclusion_ms: float = 0.0
    consistency_ms: float = 0.0
    statement_ms: float = 0.0
    tile_ms: float = 0.0
    search_ms: float = 0.0
    registration_ms: float = 0.0
    audit_s: float = 0.0
    """``registry audit --no-receipts`` of the whole database (0: not run at this size)."""
    memory_mb: dict[str, float] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = START_TIMEOUT_S) -> tuple[float, bytes]:
    """Seconds taken by a GET of ``url`` (which must answer 200), and the body."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status}")
    return time.perf_counter() - started, body


def tree(root: int) -> list[int]:
    """``root`` and its live descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(text.rpartition(")")[2].split()[1])
    members = [root]
    for pid in members:
        members.extend(p for p, parent in parents.items() if parent == pid)
    return members


def resident_mb(pid: int) -> tuple[str, float]:
    """(short command line, VmRSS in MB) of ``pid``."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    name = " ".join(a.decode(errors="replace") for a in argv[1:4] if a)
    return f"{pid} {name}", rss / 1024


async def forget_segments(settings: Settings) -> int:
    """Delete every saved compliance segment, so the next start rebuilds the index."""
    store = Store.open(settings.database_url)
    try:
        return await store.drop_fact_segments_except("")
    finally:
        await store.close()


async def rebuild_in_process(settings: Settings) -> tuple[float, float]:
    """Seconds to build the compliance index from every entry (saving its segments) in one
    process, then to restore it from them in another service opened afresh."""
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    timings = []
    for _ in range(2):
        service = await RegistryService.open(settings, keys)
        try:
            compliance = ComplianceService(
                service, service.identities, settings.follow_up_days, service.segments
            )
            started = time.perf_counter()
            await compliance.snapshot()
            timings.append(time.perf_counter() - started)
            await compliance.close()
        finally:
            await service.close()
    return timings[0], timings[1]


def measure(home: Path, size: int) -> Run:
    """Start the registry of ``home``, take its figures, stop it."""
    settings = settings_for(home)
    port = free_port()
    env = {**os.environ, **settings_environment(settings)}
    registry = str(Path(sys.executable).with_name("registry"))
    base = f"http://127.0.0.1:{port}"
    run = Run()
    started = time.perf_counter()
    server = subprocess.Popen(
        [registry, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            try:
                get(base + "/health")
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > patience_s(size):
                    raise RuntimeError("the registry did not start") from None
                time.sleep(0.05)
        run.start_s = time.perf_counter() - started
        national, wait = base + "/api/compliance/national", patience_s(size)
        run.first_figure_s = get(national, wait)[0]
        again = [get(national, wait)[0] for _ in range(4)]
        run.again_figure_s = (min(again), max(again))
        for pid in tree(server.pid):
            try:
                name, mb = resident_mb(pid)
            except (OSError, StopIteration):
                continue
            run.memory_mb[name] = mb
        picks = random.Random(size).sample(range(size), min(SAMPLES, size))
        times = [get(f"{base}/entries/{i}")[0] * 1000 for i in picks]
        run.receipt_ms = (statistics.median(times), statistics.quantiles(times, n=10)[-1])
        run.receipt_cached_ms = statistics.median(
            get(f"{base}/entries/{i}")[0] * 1000 for i in picks
        )
        run.inclusion_ms = statistics.median(
            get(f"{base}/proofs/inclusion?index={i}")[0] * 1000 for i in picks
        )
        run.consistency_ms = statistics.median(
            get(f"{base}/proofs/consistency?old={i + 1}")[0] * 1000 for i in picks
        )
        run.statement_ms = statistics.median(
            get(f"{base}/entries/{i}/statement")[0] * 1000 for i in picks
        )
        full_tiles = max(1, size // 256)
        run.tile_ms = statistics.median(
            get(f"{base}/tile/0/{tile_path(i * full_tiles // size)}")[0] * 1000 for i in picks
        )
        searches = [
            f"{base}/api/entries?type=recommendation&limit=50",
            f"{base}/api/entries?instansi=Pemerintah%20Banda%20Aceh%201&limit=50",
            f"{base}/api/entries?type=follow-up&after={max(0, size // 10)}&limit=50",
        ]
        run.search_ms = statistics.median(get(url)[0] * 1000 for url in searches * 5)
        run.registration_ms = statistics.median(
            post(f"{base}/entries", violation_report(n)) * 1000 for n in range(REGISTRATIONS)
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return run


def tile_path(n: int) -> str:
    """The tlog-tiles path of tile index ``n`` (``x001/234`` for 1234)."""
    digits = f"{n:03d}"
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([f"x{g}" for g in groups[:-1]] + groups[-1:])


def violation_report(n: int) -> bytes:
    """A new report by the benchmark's Bawaslu key, signed now (a registration of its own)."""
    payload = {
        "type": "report",
        "case_number": f"BENCH.{time.time_ns()}.{n}",
        "reporter": "Bawaslu Kabupaten",
        "instansi": "Pemerintah Banda Aceh 1",
        "subject_commitment": hashlib.sha256(f"bench {time.time_ns()} {n}".encode()).digest(),
        "category": "social-media",
        "description": "Membagikan materi kampanye pasangan calon",
        "place": "Instagram",
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "election": ELECTIONS[0],  # a report names the election it belongs to
    }
    return signer("bawaslu").sign_statement(payload, "bawaslu", int(time.time()))


def post(url: str, body: bytes) -> float:
    """Seconds taken by a POST of a COSE statement to ``url`` (which must answer 201)."""
    request = urllib.request.Request(
        url, data=body, headers={"content-type": "application/cose"}, method="POST"
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=600) as response:
        response.read()
        if response.status != 201:
            raise RuntimeError(f"{url}: {response.status}")
    return time.perf_counter() - started


def audit(home: Path) -> float:
    """Seconds ``registry audit --no-receipts`` takes over the whole database of ``home``."""
    settings = settings_for(home)
    env = {**os.environ, **settings_environment(settings)}
    registry = str(Path(sys.executable).with_name("registry"))
    started = time.perf_counter()
    subprocess.run(
        [registry, "audit", "--no-receipts"], env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def ratio(value: float, smallest: float) -> str:
    return f"{value / smallest:6.2f}x" if smallest > 0 else "     -"


def report(sizes: list[int], runs: dict[int, list[Run]]) -> None:
    small = sizes[0]
    print()
    print("size        log2 ratio  size ratio")
    for size in sizes:
        print(f"{size:>10,}  {math.log2(size) / math.log2(small):9.2f}  {size / small:9.1f}")
    figures = {
        "start-up s": lambda r: r.start_s,
        "first /api/compliance/national s": lambda r: r.first_figure_s,
        "next 4: slowest s": lambda r: r.again_figure_s[1],
        "next 4: fastest s": lambda r: r.again_figure_s[0],
        "memory, all processes MB": lambda r: sum(r.memory_mb.values()),
        "memory, largest process MB": lambda r: max(r.memory_mb.values(), default=0.0),
        "receipt GET median ms": lambda r: r.receipt_ms[0],
        "receipt GET p90 ms": lambda r: r.receipt_ms[1],
        "receipt GET again median ms": lambda r: r.receipt_cached_ms,
        "inclusion proof median ms": lambda r: r.inclusion_ms,
        "consistency proof median ms": lambda r: r.consistency_ms,
        "statement GET median ms": lambda r: r.statement_ms,
        "tile GET median ms": lambda r: r.tile_ms,
        "search (3 queries x5) median ms": lambda r: r.search_ms,
        "registration (POST) median ms": lambda r: r.registration_ms,
        "registry audit --no-receipts s": lambda r: r.audit_s,
    }
    for which, label in ((0, "1st start (no saved segments)"), (1, "2nd start (segments saved)")):
        print(f"\n{label}")
        print(f"{'':36}" + "".join(f"{size:>22,}" for size in sizes))
        for name, pick in figures.items():
            base = pick(runs[small][which])
            cells = "".join(
                f"{pick(runs[size][which]):12.3f} {ratio(pick(runs[size][which]), base)}"
                for size in sizes
            )
            print(f"{name:36}{cells}")
    print("\nprocesses (2nd start), resident MB:")
    for size in sizes:
        memory = runs[size][1].memory_mb
        print(f"  {size:>10,}: " + ", ".join(f"{name}: {mb:.0f}" for name, mb in memory.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--home", type=Path, default=Path("/tmp/scale"))
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="instead of a first start without saved segments (each worker then rebuilds the"
        " index in turn), rebuild it once in this process, timed, and serve the second start only",
    )
    parser.add_argument(
        "--audit-max",
        type=int,
        default=100_000,
        help="run `registry audit` on logs up to this size (it reads every entry: O(n))",
    )
    parser.add_argument("--workers", type=int, default=1, help="signing processes for gen_log")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="build a missing log with gen_log --direct (written straight to the store)",
    )
    parser.add_argument(
        "--verify-every", type=int, default=1, help="with --direct: verify one statement in N"
    )
    parser.add_argument(
        "--keep-saved",
        action="store_true",
        help="keep the saved state (brought up to date in this process first) and serve once",
    )
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    runs: dict[int, list[Run]] = {}
    for size in sizes:
        home = args.home / str(size)
        # a log not there, or still short of its size (a build cut short, or still running:
        # then the build holds the database and this stops with its message), is grown first
        if asyncio.run(stored_log_size(settings_for(home))) < size:
            asyncio.run(
                generate(
                    home,
                    size,
                    None,
                    args.workers,
                    direct=args.direct,
                    verify_every=args.verify_every,
                )
            )
        if args.keep_saved:
            # whatever is saved is kept and brought up to date in one process first (a log
            # grown since, or copied): the server's start is then the one after a stop
            built, restored = asyncio.run(rebuild_in_process(settings_for(home)))
            print(f"{size:,}: saved state brought up to date in {built:.1f} s", flush=True)
            again = measure(home, size)
            runs[size] = [again, again]
        elif args.in_process:
            asyncio.run(forget_segments(settings_for(home)))
            built, restored = asyncio.run(rebuild_in_process(settings_for(home)))
            print(
                f"{size:,}: index rebuilt from every entry in one process in {built:.1f} s,"
                f" restored from its segments in a new one in {restored:.2f} s",
                flush=True,
            )
            again = measure(home, size)
            runs[size] = [again, again]
        else:
            asyncio.run(forget_segments(settings_for(home)))
            runs[size] = [measure(home, size), measure(home, size)]
        if size <= args.audit_max:
            runs[size][1].audit_s = audit(home)
        first, second = runs[size]
        print(f"load: {os.getloadavg()}", flush=True)
        print(
            f"{size:,}: start {first.start_s:.1f} s / {second.start_s:.1f} s,"
            f" first figure {first.first_figure_s:.2f} s / {second.first_figure_s:.2f} s",
            flush=True,
        )
    report(sizes, runs)


if __name__ == "__main__":
    main()
