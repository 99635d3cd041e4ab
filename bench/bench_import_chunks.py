"""Benchmark the chunked `registry import`: rows/s against this machine's cryptographic floor.

    python bench/bench_import_chunks.py [--rows 100000] [--mode local|server|both]
                                        [--database-url URL] [--chunk-size 1000]

1. The floor, measured in the same run just before and just after each mode
   (the ratio is over their mean): per row one Ed25519 signature of a
   recommendation statement (deterministic CBOR), one verification and the
   hashing a registration needs (statement, content, leaf), spread over every
   core (one worker process each), for ``--floor-rows`` rows.
2. A fresh registry (SQLite unless ``--database-url``), the recommending
   authority and 514 PPKs enrolled, a CSV of ``--rows`` recommendations as an
   agency exports it (bench/bench_import.py's), written to disk.
3. ``local``: `registry import FILE` as a process (the registry opened in it).
   ``server``: `registry serve --workers 2` started, then `registry import
   FILE --server URL`, while a thread asks ``GET /checkpoint`` and ``GET
   /entries/0`` every 50 ms and times them.

Reported: rows/s and its ratio to the floor; the peak resident set of every
process (the import, its signing workers, the server's processes and their
verifying workers), sampled from ``/proc`` every 0.2 s; the GETs' latencies;
the load average before and after (the machine is shared).  Prints figures
only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import ELECTION, ENROLLED, ORIGIN, PASSPHRASE, PPKS, build_csv, enrolment

from registry.config import Settings
from registry.records.bootstrap import initialise
from registry.records.operator import open_keys
from registry.records.personal import commit_nip
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.signing.keys import generate_key, save_key
from registry.store.models import IdentityRecord

REGISTRY = [sys.executable, "-c", "from registry.cli import main; main()"]
KEY_PASSPHRASE = "bench-key-not-secret"
HISTORY_HOURS = 24 * 365 * 100
"""The rows are dated 2024: recent enough for this registry, so no attestation is measured."""


def _floor_slice(count: int) -> int:
    """Sign, verify and hash ``count`` statements as an import does for each row."""
    import hashlib  # noqa: PLC0415 (in the worker)

    from registry.verify.merkle import leaf_hash  # noqa: PLC0415
    from registry.verify.statement import verify_statement  # noqa: PLC0415

    signer = CoseSigner(generate_key())
    keys = {signer.kid: signer.public_key}
    for i in range(count):
        payload = {
            "type": "recommendation",
            "case_number": f"R-{i:06d}/KASN/2024",
            "instansi": "Pemerintah Daerah 001",
            "ppk_kid": bytes(32),
            "subject_commitment": hashlib.sha256(str(i).encode()).digest(),
            "category": "social-media",
            "sanction": "medium",
            "deadline": "2024-10-15",
        }
        statement = signer.sign_statement(payload, "kasn", 1727370000)
        verdict = verify_statement(statement, keys.get)
        assert verdict.ok
        leaf_hash(hashlib.sha256(statement).digest() + bytes(40))
    return count


def crypto_floor(rows: int, cores: int) -> float:
    """Rows per second the cryptography alone allows on ``cores`` processes."""
    per = rows // cores
    with ProcessPoolExecutor(cores) as pool:
        list(pool.map(_floor_slice, [10] * cores))  # warm up: imports
        start = time.perf_counter()
        done = sum(pool.map(_floor_slice, [per] * cores))
        return done / (time.perf_counter() - start)


class Peaks:
    """The peak resident set of every process under some roots, sampled from /proc."""

    def __init__(self) -> None:
        self.peak: dict[int, tuple[int, str]] = {}
        self.roots: list[tuple[int, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, pid: int, label: str) -> None:
        """Sample ``pid`` and its descendants, named ``label``."""
        self.roots.append((pid, label))

    def start(self) -> None:
        """Start sampling."""
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(0.2)

    def sample(self) -> None:
        """One sample of every watched process tree."""
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry)] = int(fields[1])
        for root, label in self.roots:
            tree = {root}
            grew = True
            while grew:
                more = {p for p, parent in parents.items() if parent in tree} - tree
                grew = bool(more)
                tree |= more
            for pid in tree:
                rss = _rss_kib(pid)
                if rss is not None and rss > self.peak.get(pid, (0, ""))[0]:
                    name = label if pid == root else f"{label} child {pid}"
                    self.peak[pid] = (rss, name)

    def lines(self) -> list[str]:
        """Each process's peak, largest first."""
        ranked = sorted(self.peak.values(), reverse=True)
        return [f"  {name:<40} {rss / 1024:8.0f} MiB" for rss, name in ranked]


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Reader(threading.Thread):
    """GETs the checkpoint and entry 0 every 50 ms; their latencies and failures."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.latencies: list[float] = []
        self.failures = 0
        self.done = threading.Event()

    def run(self) -> None:
        """Read until told to stop."""
        while not self.done.is_set():
            for path in ("/checkpoint", "/entries/0"):
                start = time.perf_counter()
                try:
                    with urllib.request.urlopen(self.url + path, timeout=30) as answer:
                        answer.read()
                    self.latencies.append(time.perf_counter() - start)
                except OSError:
                    self.failures += 1
            time.sleep(0.05)

    def summary(self) -> str:
        """Latency percentiles in ms."""
        if not self.latencies:
            return f"GETs: none answered, {self.failures} failed"
        ms = sorted(x * 1000 for x in self.latencies)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        return (
            f"GETs during the import: {len(ms)} answered, {self.failures} failed; "
            f"median {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms"
        )


async def setup(settings: Settings, home: Path) -> tuple[Path, list[str]]:
    """A registry with the recommender and the PPKs enrolled; the recommender's key file."""
    await initialise(settings)
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    key = generate_key()
    recommender = CoseSigner(key)
    key_file = home / "kasn.key"
    save_key(key_file, key, KEY_PASSPHRASE)
    ppk_nips = [f"1970010119950310{i:02d}"[:14] + f"{i:04d}" for i in range(PPKS)]
    service = await RegistryService.open(settings, keys)
    try:
        setup = [ELECTION, enrolment(recommender.public_key, "recommender", 0, None)]
        people = []
        for i, nip in enumerate(ppk_nips):
            salt, commitment = commit_nip(nip)
            people.append(IdentityRecord(commitment, salt, nip, f"Pejabat {i}"))
            setup.append(enrolment(CoseSigner(generate_key()).public_key, "ppk", i, commitment))
        await service.identities.keep(people)
        await service.register_atomic(
            [keys.admin.sign_statement(payload, "op", ENROLLED) for payload in setup]
        )
    finally:
        await service.close()
    return key_file, ppk_nips


def environment(settings: Settings) -> dict[str, str]:
    """The `registry` commands' environment for this registry."""
    return {
        **os.environ,
        "REGISTRY_DATABASE_URL": settings.database_url,
        "REGISTRY_DATA_DIR": str(settings.data_dir),
        "REGISTRY_ADMIN_PASSPHRASE": PASSPHRASE,
        "REGISTRY_ORIGIN": ORIGIN,
        "REGISTRY_PASSPHRASE": KEY_PASSPHRASE,
        "REGISTRY_MAX_STATEMENT_AGE_HOURS": str(HISTORY_HOURS),
        "LANG": "C.UTF-8",
    }


def run_import(args: list[str], env: dict[str, str], peaks: Peaks, log: Path) -> float:
    """Run `registry import ...`; its wall time (s)."""
    start = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen([*REGISTRY, "import", *args], env=env, stdout=out, stderr=out)
        peaks.watch(process.pid, "registry import")
        code = process.wait()
    elapsed = time.perf_counter() - start
    print(log.read_text(errors="replace").strip().splitlines()[0][:200])
    if code != 0:
        print(f"registry import exited {code}:")
        print(log.read_text(errors="replace")[-3000:])
    return elapsed


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """`registry serve --workers 2` on ``port``, once it answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*REGISTRY, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(log.read_text())


def report(
    mode: str, rows: int, elapsed: float, floors: tuple[float, float], peaks: Peaks, extra: str
) -> None:
    """One mode's figures: the rate over the mean of the floors measured just before and
    just after it (the machine's load moves both)."""
    rate = rows / elapsed
    floor = sum(floors) / 2
    print(
        f"\n{mode}: {rows:,} rows in {elapsed:.1f} s: {rate:,.0f} rows/s, "
        f"{rate / floor:.2f} of the floor ({floor:,.0f} rows/s: {floors[0]:,.0f} before, "
        f"{floors[1]:,.0f} after)"
    )
    print(f"load average after: {os.getloadavg()}")
    print("peak resident set per process:")
    print("\n".join(peaks.lines()))
    if extra:
        print(extra)


def bench(args: argparse.Namespace, home: Path) -> None:
    cores = os.cpu_count() or 1
    print(f"{cores} CPUs; load average before: {os.getloadavg()}")
    modes = ["local", "server"] if args.mode == "both" else [args.mode]
    for mode in modes:
        folder = home / mode
        folder.mkdir()
        url = args.database_url or f"sqlite+aiosqlite:///{folder / 'registry.sqlite3'}"
        settings = Settings(
            database_url=url,
            data_dir=folder / "data",
            origin=ORIGIN,
            admin_passphrase=PASSPHRASE,
            max_statement_age_hours=HISTORY_HOURS,
        )
        key_file, ppk_nips = asyncio.run(setup(settings, folder))
        data = folder / "rekomendasi.csv"
        data.write_bytes(build_csv(args.rows, ppk_nips))
        env = environment(settings)
        common = [str(data), "--type", "recommendation", "--key", str(key_file)]
        common += ["--chunk-size", str(args.chunk_size)]
        peaks = Peaks()
        floor = crypto_floor(args.floor_rows, cores)
        print(f"cryptographic floor: {floor:,.0f} rows/s (sign + verify + hashing, {cores} cores)")
        if mode == "local":
            peaks.start()
            elapsed = run_import(common, env, peaks, folder / "import.log")
            peaks.stop()
            after = crypto_floor(args.floor_rows, cores)
            report(mode, args.rows, elapsed, (floor, after), peaks, "")
            continue
        port = 8000 + os.getpid() % 1000
        server = serve(env, port, folder / "serve.log")
        try:
            peaks.watch(server.pid, "registry serve")
            peaks.start()
            reader = Reader(f"http://127.0.0.1:{port}")
            reader.start()
            elapsed = run_import(
                [*common, "--server", f"http://127.0.0.1:{port}"], env, peaks, folder / "import.log"
            )
            reader.done.set()
            reader.join()
            peaks.stop()
            after = crypto_floor(args.floor_rows, cores)
            report(mode, args.rows, elapsed, (floor, after), peaks, reader.summary())
        finally:
            os.killpg(server.pid, 15)
            server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--floor-rows", type=int, default=20_000)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--mode", choices=["local", "server", "both"], default="both")
    parser.add_argument("--database-url", help="default: a new SQLite file per mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-chunks-") as home:
        bench(args, Path(home))


if __name__ == "__main__":
    main()
