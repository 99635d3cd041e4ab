"""Benchmark the registry service over HTTP: registrations, receipt and checkpoint GETs.

    python bench/bench_registry.py [--seconds 10] [--clients 64] [--backend both]
                                   [--servers granian,granian-workers]

Measured in one run on one machine, so the ratios compare like with like:

- the raw Ed25519 verify rate of one core: cryptography's
  ``Ed25519PublicKey.verify`` in a tight loop, the least work a registration
  costs (every statement's signature is checked), at the start and the end;
- registrations per second (``POST /entries``, answered 201 with the
  receipt once the entry is on disk) with ``--clients`` concurrent
  connections, and their latency from submit to receipt (p50, p99), on
  SQLite and on PostgreSQL (a fresh schema, dropped afterwards);
- the same POSTs against ``bench/_app.py:verify_only``, which checks each
  statement's signature over HTTP and logs nothing: the most a Python
  registry could answer on this machine and server, the physical limit the
  registration rate is also compared with; and against
  ``bench/_app.py:verify_only_asgi``, the same check with no web framework;
- registrations without HTTP: the service opened in this process on a fresh
  database, ``--clients`` registrations in flight, its CPU per registration
  (the check, admission, appending, receipts, the write); with the
  framework-free verify-only POST it gives the ceiling of this design on this
  machine: what it could answer if HTTP cost only what the server itself costs
  and handing statements between processes cost nothing;
- ``GET /entries/{i}`` (a receipt), ``GET /checkpoint`` and
  ``GET /entries/{i}/statement`` (from memory for recent entries), against a
  bare Litestar GET (``bench/_app.py:bare``) served the same way;
- each under every server of ``--servers`` (uvicorn with the asyncio loop
  and h11, uvicorn with uvloop and httptools, granian), to choose by
  measurement.

The server runs in its own process; the load comes from wrk (a C event loop)
in another.  The machine has two cores, so the generator and PostgreSQL take
CPU from the server: every phase prints how many cores the server, wrk,
PostgreSQL and anything else on the machine used meanwhile.  The machine may
be shared: each timed phase first waits (``--quiet-wait``) for the rest of
it to go quiet, is run again (``--retries``) if other work ran alongside, and
keeps its least disturbed attempt, marked when even that one was disturbed.
The statements are signed before anything is timed: a few dozen PPK keys are
enrolled by the operator's admin key, then each registers unique pacts.  The servers import
``registry/`` from the checkout this file is in (checked at start), so a
patch is measured by running a copy of the checkout.  Needs ``wrk``
(``apt-get install wrk``), and granian, uvloop and httptools in the venv
(a server whose packages are missing is skipped).  Prints figures only;
nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _servers
import _wrk
import asyncpg
import uvloop
from _statements import HISTORY_HOURS, enrolments, ppk_key, ppk_signer, read_pool, sign_pool
from sqlalchemy.engine import make_url

import registry
from registry.config import Settings
from registry.records.bootstrap import initialise, operator_keys, register_all
from registry.records.operator import OperatorKeys
from registry.records.service import RegistryService
from registry.verify.receipt import verify_receipt
from registry.verify.statement import verify_statement

ORIGIN = "bench.example/registry"
PASSPHRASE = "bench-registry-not-secret"  # throwaway keys, temporary directory
WARMUP_S = 1.0
QUIET_CORES = 0.25
GOAL_VERIFY_SHARE = 0.40
GOAL_POST_RATE = 3_000
GOAL_P99_MS = 50.0
GOAL_GET_SHARE = 0.5
SAMPLE_RECEIPTS = 5


@dataclass
class Phase:
    """One timed load: wrk's figures and the CPU each party used meanwhile."""

    figures: dict[str, float]
    server_cpu: float
    postgres_cpu: float
    machine_cpu: float

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.figures["rate"]

    @property
    def server_cpu_us(self) -> float:
        """The server's CPU per request, microseconds (all its processes)."""
        requests = self.figures["requests"]
        return self.server_cpu / requests * 1e6 if requests else 0.0

    def cores(self) -> str:
        """How many cores the server, wrk, PostgreSQL and anything else used on average."""
        s = self.figures["seconds"]
        text = f"server {self.server_cpu / s:.2f}, wrk {self.figures['cpu_s'] / s:.2f}"
        if self.postgres_cpu:
            text += f", postgres {self.postgres_cpu / s:.2f}"
        return text + f", anything else {self.contention:.2f} cores"

    @property
    def contention(self) -> float:
        """Cores used meanwhile by anything but the server, wrk and PostgreSQL."""
        other = self.machine_cpu - self.server_cpu - self.figures["cpu_s"] - self.postgres_cpu
        return max(0.0, other) / self.figures["seconds"]

    def errors(self) -> int:
        """Failed requests: socket errors, timeouts and non-2xx/3xx answers."""
        f = self.figures
        return int(f["connect"] + f["read"] + f["write"] + f["timeout"] + f["status"])


@dataclass
class Result:
    """Every phase of one (server, backend)."""

    post: Phase
    created: int
    phases: dict[str, Phase] = field(default_factory=dict)


def _machine() -> str:
    model = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return (
        f"nproc {os.cpu_count()} ({model}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.2f}"
    )


@dataclass
class InProcess:
    """Registrations through ``RegistryService`` in this process, without HTTP."""

    rate: float
    cpu_us: float
    """CPU (every thread of this process) per registration, microseconds."""
    check_us: float
    """Of which one ``verify_statement`` (signature, parse, determinism), microseconds."""


def statement_check_us(statements: list[bytes], keys: dict[bytes, bytes]) -> float:
    """CPU microseconds of one ``verify_statement`` of these statements, best of three."""
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for data in statements:
            verify_statement(data, keys)
        best = min(best, (time.process_time() - start) / len(statements) * 1e6)
    return best


def verify_rate(statement: bytes, seconds: float = 1.0, rounds: int = 3) -> float:
    """Ed25519 verifies per second on one core, best of ``rounds`` (message: a statement's size)."""
    key = ppk_key(0)
    public = key.public_key()
    message = statement[: len(statement) - 64]
    signature = key.sign(message)
    best = 0.0
    for _ in range(rounds):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(500):
                public.verify(signature, message)
            count += 500
        best = max(best, count / (time.perf_counter() - start))
    return best


async def _postgres(url: str, sql: str) -> None:
    parsed = make_url(url).set(drivername="postgresql")
    connection = await asyncpg.connect(parsed.render_as_string(hide_password=False))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _prepare(settings: Settings, statements: list[bytes]) -> int:
    """Initialise a new registry, register the enrolments in-process; returns the log size."""
    keys, _ = await initialise(settings)
    service = await RegistryService.open(settings, keys)
    try:
        _, refused = await register_all(service, statements)
        if refused:
            raise SystemExit(f"enrolment refused: {refused[0][1]}")
        return service.size
    finally:
        await service.close()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        body: bytes = response.read()
        return body


def _phase(
    server: _servers.Server,
    postgres: bool,
    script: Path,
    args: list[str],
    seconds: float,
    clients: int,
) -> Phase:
    cpu, pg = server.cpu(), _servers.postgres_cpu() if postgres else 0.0
    busy = _servers.machine_busy()
    figures = _wrk.run(server.url, seconds, clients, script, args)
    return Phase(
        figures,
        server.cpu() - cpu,
        max(0.0, _servers.postgres_cpu() - pg) if postgres else 0.0,
        _servers.machine_busy() - busy,
    )


class Bench:
    """The state of one benchmark run: work directory, scripts, pool, keys."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.post_lua, self.get_lua = _wrk.write_scripts(workdir)
        self.pool = workdir / "pool.bin"
        self.port = args.port
        self.schemas = 0
        self.operator: OperatorKeys | None = None
        """The operator's keys (opened once, in ``_run``): the admin enrols, the log's key."""
        self.warmup_count = 0
        self.pool_count = 0

    def settings(self, url: str) -> Settings:
        return Settings(
            database_url=url,
            origin=ORIGIN,
            data_dir=self.workdir / "keys",
            admin_passphrase=PASSPHRASE,
            max_statement_age_hours=HISTORY_HOURS,
        )

    def env(self, url: str) -> dict[str, str]:
        # bench/ for the apps, then this checkout, so that the servers import the
        # same registry/ as this process (ahead of any installed copy)
        parts = (str(_servers.BENCH_DIR), str(_servers.BENCH_DIR.parent))
        path = os.pathsep.join(p for p in parts if p)
        return {
            "PYTHONPATH": path,
            "REGISTRY_DATABASE_URL": url,
            "REGISTRY_DATA_DIR": str(self.workdir / "keys"),
            "REGISTRY_ADMIN_PASSPHRASE": PASSPHRASE,
            "REGISTRY_ORIGIN": ORIGIN,
            "REGISTRY_PORT": str(self.port),
            # wrk sends every request from one address: measure the registry, not its limiter
            "REGISTRY_RATE_LIMITS": "write=off; sign=off; identity=off; default=off",
            "REGISTRY_MAX_STATEMENT_AGE_HOURS": str(HISTORY_HOURS),
        }

    def start(self, name: str, target: str, env: dict[str, str], ready: str) -> _servers.Server:
        self.port += 1
        env = {**env, "REGISTRY_PORT": str(self.port)}
        log = self.workdir / f"{name}-{target.replace(':', '-')}-{self.port}.log"
        server = _servers.start(name, target, self.port, env, log, ready)
        mine = str(Path(registry.__file__).parent)
        served = [line for line in log.read_text().splitlines() if _servers.PACKAGE_LINE in line]
        if not served or any(not line.endswith(mine) for line in served):
            server.stop()
            raise SystemExit(f"the server imported another registry/ than {mine}: {served}")
        return server

    def bare(self, name: str) -> Phase:
        """The bare Litestar GET under server ``name``."""
        return self._yardstick(name, "_app:bare", self.get_lua, ["/bare"], self.args.get_seconds)

    def verify_only(self, name: str, target: str = "_app:verify_only") -> Phase:
        """POSTs that only check the signature (``target``) under server ``name``."""
        args = [str(self.pool), "1", str(self.pool_count), "cycle"]
        return self._yardstick(name, target, self.post_lua, args, self.args.seconds)

    def in_process(self, backend: str, enrolled: list[bytes]) -> InProcess:
        """Registrations without HTTP on a fresh database of ``backend``, on uvloop."""
        count = min(self.pool_count, int(self.args.pool_rate * self.args.seconds))
        statements = list(itertools.islice(read_pool(self.pool), count))
        with self._database(f"in-process-{backend}", backend) as url:
            base = asyncio.run(_prepare(self.settings(url), enrolled))
            rate, cpu_us = uvloop.run(self._register_in_process(url, statements, base))
        signers = [ppk_signer(n) for n in range(self.args.signers)]
        keys = {signer.kid: signer.public_key for signer in signers}
        return InProcess(rate, cpu_us, statement_check_us(statements[:2000], keys))

    async def _register_in_process(
        self, url: str, statements: list[bytes], base: int
    ) -> tuple[float, float]:
        assert self.operator is not None
        service = await RegistryService.open(self.settings(url), self.operator)
        room = asyncio.Semaphore(self.args.clients)

        async def one(statement: bytes) -> None:
            async with room:
                await service.register(statement)

        try:
            gc.collect()
            gc.freeze()
            wall, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(*(one(s) for s in statements))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if service.size != base + len(statements):
                expected = base + len(statements)
                raise SystemExit(f"in-process: log size {service.size}, not {expected}")
        finally:
            await service.close()
            gc.unfreeze()
        return len(statements) / wall, cpu / len(statements) * 1e6

    def _yardstick(
        self, name: str, target: str, script: Path, args: list[str], seconds: float
    ) -> Phase:
        """A timed phase against one of ``_app.py``'s yardstick apps, after a warm-up."""
        server = self.start(name, target, self.env("sqlite:///unused.sqlite3"), "/bare")
        try:
            _phase(server, False, script, args, WARMUP_S, self.args.clients)
            return self.quietest(
                server,
                False,
                lambda: _phase(server, False, script, args, seconds, self.args.clients),
            )
        finally:
            server.stop()

    def quietest(self, server: _servers.Server, postgres: bool, run: Callable[[], Phase]) -> Phase:
        """Run a timed phase when the machine is quiet; again if something else ran meanwhile.

        The machine is shared: before each attempt wait (at most ``--quiet-wait``
        seconds) until nothing but the server and PostgreSQL uses more than
        ``QUIET_CORES``; make up to ``--retries`` more attempts while the
        phase ran alongside more than ``QUIET_CORES`` of other work, and keep
        the least disturbed attempt.
        """
        best: Phase | None = None
        for _ in range(1 + self.args.retries):
            self.wait_quiet(server, postgres)
            phase = run()
            if best is None or phase.contention < best.contention:
                best = phase
            if best.contention <= QUIET_CORES:
                break
        assert best is not None
        return best

    def wait_quiet(self, server: _servers.Server, postgres: bool) -> None:
        """Return once the rest of the machine is quiet for 0.5 s, or after ``--quiet-wait``."""
        deadline = time.monotonic() + self.args.quiet_wait
        while time.monotonic() < deadline:
            busy, cpu = _servers.machine_busy(), server.cpu()
            pg = _servers.postgres_cpu() if postgres else 0.0
            time.sleep(0.5)
            other = _servers.machine_busy() - busy - (server.cpu() - cpu)
            if postgres:
                other -= _servers.postgres_cpu() - pg
            if other / 0.5 <= QUIET_CORES:
                return

    @contextlib.contextmanager
    def _database(self, name: str, backend: str) -> Iterator[str]:
        """The URL of a new, empty database of ``backend`` (a PostgreSQL schema, dropped after).

        Each is a new log under the same key and origin: the previous one's checkpoint
        pin (``registry/log/pin.py``) is removed first, or the start would refuse it.
        """
        for pinned in (self.workdir / "keys").glob("checkpoint-*.pinned"):
            pinned.unlink()
        if backend != "postgres":
            yield f"sqlite+aiosqlite:///{self.workdir / f'{name}.sqlite3'}"
            return
        self.schemas += 1
        schema = f"{self.args.schema_prefix}bench_registry_{os.getpid()}_{self.schemas}"
        asyncio.run(_postgres(self.args.postgres_url, f'CREATE SCHEMA "{schema}"'))
        try:
            yield f"{self.args.postgres_url}?search_path={schema}"
        finally:
            asyncio.run(_postgres(self.args.postgres_url, f'DROP SCHEMA "{schema}" CASCADE'))

    def registry(self, name: str, backend: str, enrolled: list[bytes]) -> Result:
        """Registrations and GETs under server ``name`` on a new database of ``backend``."""
        with self._database(f"{name}-{backend}", backend) as url:
            base = asyncio.run(_prepare(self.settings(url), enrolled))
            server = self.start(name, "_app:app", self.env(url), "/health")
            try:
                return self._load(server, backend == "postgres", base)
            finally:
                server.stop()

    def _load(self, server: _servers.Server, postgres: bool, base: int) -> Result:
        a, pool = self.args, str(self.pool)
        warm = self.warmup_count
        answered = 0
        cursor = warm + 1

        def post() -> Phase:
            nonlocal answered, cursor
            args = [pool, str(cursor), str(self.pool_count)]
            phase = _phase(server, postgres, self.post_lua, args, a.seconds, a.clients)
            answered += int(phase.figures.get("s201", 0))
            cursor += int(phase.figures["requests"]) + a.clients  # and those in flight
            return phase

        warmup = _phase(
            server, postgres, self.post_lua, [pool, "1", str(warm)], WARMUP_S, a.clients
        )
        answered += int(warmup.figures.get("s201", 0))
        post_phase = self.quietest(server, postgres, post)
        size = int(_get_json_size(server.url))
        created = size - base
        counted = base + answered
        attempts = 2 + a.retries  # each wrk run may leave up to --clients in flight
        if not 0 <= size - counted <= attempts * a.clients:
            print(f"    WARNING: log size {size}, but {counted} registrations were answered")
        self._check_receipts(server.url, base, size)
        result = Result(post_phase, created)
        hi = str(size - 1)
        for label, args in (
            ("receipt", ["/entries/", str(base), hi]),
            ("checkpoint", ["/checkpoint"]),
            ("statement", ["/entries/", str(base), hi, "/statement"]),
        ):
            _phase(server, postgres, self.get_lua, args, WARMUP_S, a.clients)
            result.phases[label] = self.quietest(
                server,
                postgres,
                lambda args=args: _phase(
                    server, postgres, self.get_lua, args, a.get_seconds, a.clients
                ),
            )
        return result

    def _check_receipts(self, url: str, base: int, size: int) -> None:
        """Verify a few receipts against the statements, with the log's public key."""
        assert self.operator is not None
        keys = {self.operator.log.kid: self.operator.log.public_key}
        for idx in random.Random(size).sample(range(base, size), min(SAMPLE_RECEIPTS, size - base)):
            receipt = _get(f"{url}/entries/{idx}")
            statement = _get(f"{url}/entries/{idx}/statement")
            verdict = verify_receipt(receipt, keys, statement)
            if not verdict.ok:
                raise SystemExit(f"receipt {idx} does not verify: {verdict.explain()}")


def _get_json_size(url: str) -> int:
    """The log size the server reports on /health, once every worker has caught up.

    With several workers a request lands on any of them, and a follower shows
    the log as of its last catch-up (every 0.2 s): wait past that, then keep
    the largest of a few answers.
    """
    time.sleep(0.5)
    return max(int(json.loads(_get(f"{url}/health"))["size"]) for _ in range(8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="timed POST load per run")
    parser.add_argument("--get-seconds", type=float, default=5.0, help="timed load per GET kind")
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--servers", default="granian,granian-workers")
    parser.add_argument("--signers", type=int, default=48, help="enrolled PPK keys")
    parser.add_argument(
        "--retries",
        type=int,
        default=1,
        help="more attempts at a phase that ran alongside other work (best kept)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=10.0,
        help="seconds to wait, before a phase, for the rest of the machine to go quiet",
    )
    parser.add_argument(
        "--pool-rate",
        type=int,
        default=10_000,
        help="statements signed per timed second (the most any run can register)",
    )
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    parser.add_argument(
        "--schema-prefix",
        default="",
        help="put before each PostgreSQL schema's name (runs sharing a database keep apart)",
    )
    parser.add_argument("--port", type=int, default=18_700, help="servers listen above this")
    parser.add_argument("--workdir", type=Path, help="keep files here (default: a temp dir)")
    args = parser.parse_args()
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = [s for s in servers if s not in _servers.SERVERS]
    if unknown:
        raise SystemExit(
            f"unknown server {unknown[0]!r}; choose from {', '.join(_servers.SERVERS)}"
        )
    for name in list(servers):
        if _servers.missing(name):
            print(f"skipping {name}: pip install {' '.join(_servers.missing(name))}")
            servers.remove(name)
    if not servers or not Path(_wrk.WRK).exists():
        raise SystemExit("nothing to run: needs wrk (apt-get install wrk) and a server")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]

    started = time.monotonic()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-registry-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"Registry service benchmark; {_machine()}")
    print(
        f"  load: wrk ({_wrk.WRK}), 1 thread, {args.clients} connections; "
        f"{args.seconds:g} s of POSTs, {args.get_seconds:g} s per GET kind, "
        f"each after {WARMUP_S:g} s of warm-up; a disturbed phase is retried "
        f"up to {args.retries} time(s)"
    )
    bench = Bench(args, workdir)
    try:
        _run(bench, servers, backends)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n(whole run: {time.monotonic() - started:.0f} s)")


def _run(bench: Bench, servers: list[str], backends: list[str]) -> None:
    args = bench.args
    bench.operator, _ = operator_keys(bench.settings("sqlite:///unused.sqlite3"))
    enrolled = enrolments(bench.operator.admin, args.signers)
    bench.warmup_count = int(args.pool_rate * WARMUP_S)
    timed = int(args.pool_rate * args.seconds) + args.clients
    bench.pool_count = bench.warmup_count + (1 + args.retries) * timed
    t = time.perf_counter()
    sign_pool(bench.pool, args.signers, bench.pool_count)
    sample = next(read_pool(bench.pool))
    print(
        f"  signed {bench.pool_count:,} unique pacts by {args.signers} enrolled PPK keys "
        f"({len(sample)} bytes each) in {time.perf_counter() - t:.1f} s, before any timing"
    )

    raw_start = verify_rate(sample)
    print(f"\nRaw Ed25519 verify, one core: {raw_start:,.0f}/s")

    inside: dict[str, InProcess] = {}
    print("\nIn this process, no HTTP (uvloop, a fresh database each):")
    for backend in backends:
        inside[backend] = run = bench.in_process(backend, enrolled)
        print(
            f"  [{backend}] registrations {run.rate:>9,.0f}/s  {run.cpu_us:,.0f} us CPU each, "
            f"of which the statement check (verify_statement) {run.check_us:,.0f} us"
        )

    results: dict[tuple[str, str], Result] = {}
    bares: dict[str, Phase] = {}
    limits: dict[str, Phase] = {}
    bare_limits: dict[str, Phase] = {}
    for name in servers:
        print(f"\n== {name}: {' '.join(_servers.SERVERS[name])}")
        bares[name] = bench.bare(name)
        print(f"  bare Litestar GET      {_line(bares[name])}")
        limits[name] = bench.verify_only(name)
        print(f"  verify-only POST       {_line(limits[name], latency=True)}")
        bare_limits[name] = bench.verify_only(name, "_app:verify_only_asgi")
        print(f"    the same, no framework {_line(bare_limits[name], latency=True)}")
        for backend in backends:
            result = bench.registry(name, backend, enrolled)
            results[name, backend] = result
            print(f"  [{backend}] POST /entries   {_line(result.post, latency=True)}")
            extra = {
                k: int(v)
                for k, v in result.post.figures.items()
                if k.startswith("s") and k[1:].isdigit() and k != "s201"
            }
            if extra or result.post.figures.get("exhausted"):
                print(
                    f"      other answers {extra}; pool exhausted: "
                    f"{bool(result.post.figures.get('exhausted'))} (then raise --pool-rate)"
                )
            print(
                f"      {result.created:,} entries registered over HTTP in this run; "
                f"{SAMPLE_RECEIPTS} receipts checked with registry.verify.receipt"
            )
            for label, phase in result.phases.items():
                path = {
                    "receipt": "GET /entries/{i}",
                    "checkpoint": "GET /checkpoint",
                    "statement": "GET /entries/{i}/statement",
                }[label]
                print(f"  [{backend}] {path:<27}{_line(phase)}")

    raw_end = verify_rate(sample)
    raw = (raw_start + raw_end) / 2
    print(
        f"\nRaw Ed25519 verify, one core: {raw_end:,.0f}/s at the end; "
        f"the ratios use the mean, {raw:,.0f}/s"
    )
    _summary(results, bares, limits, raw, servers, backends)
    _ceiling(bare_limits, inside, raw, servers, backends)


def _line(phase: Phase, latency: bool = False) -> str:
    f = phase.figures
    text = f"{phase.rate:>9,.0f}/s"
    if latency:
        text += f"  p50 {f['p50_us'] / 1000:6.1f} ms  p99 {f['p99_us'] / 1000:6.1f} ms"
    else:
        text += f"  p99 {f['p99_us'] / 1000:6.1f} ms"
    text += f"  [{phase.cores()}; server {phase.server_cpu_us:,.0f} us CPU/request]"
    if phase.contention > QUIET_CORES:
        text += "  (other work ran meanwhile)"
    if phase.errors():
        text += f"  ERRORS {phase.errors()}"
    return text


def _ceiling(
    bare_limits: dict[str, Phase],
    inside: dict[str, InProcess],
    raw: float,
    servers: list[str],
    backends: list[str],
) -> None:
    """The most this design could register on this machine, from CPU measured in this run.

    A registration costs at least the framework-free verify-only POST (the
    server's HTTP, the body, the statement check) plus what the service does
    after the check (in-process CPU per registration minus its own check). The
    machine's cores divided by that is a ceiling: it leaves out the web
    framework, the hand-off between processes, wrk and the kernel's share.
    """
    cores = os.cpu_count() or 1
    print("\nCeiling of this design on this machine (CPU per registration, all cores busy)")
    for name in servers:
        http = bare_limits[name].server_cpu_us
        for backend in backends:
            run = inside[backend]
            after_check = max(0.0, run.cpu_us - run.check_us)
            ceiling = cores * 1e6 / (http + after_check)
            print(
                f"  {name:<16}{backend:<9}{cores} cores / ({http:,.0f} us verify-only POST, no "
                f"framework + {after_check:,.0f} us after the check) = {ceiling:,.0f}/s = "
                f"{ceiling / raw:.2f} x raw verify (goal {GOAL_VERIFY_SHARE})"
            )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _summary(
    results: dict[tuple[str, str], Result],
    bares: dict[str, Phase],
    limits: dict[str, Phase],
    raw: float,
    servers: list[str],
    backends: list[str],
) -> None:
    print("\nGoals")
    for (name, backend), r in results.items():
        share = r.post.rate / raw
        p99 = r.post.figures["p99_us"] / 1000
        bare = bares[name].rate
        receipt, checkpoint = r.phases["receipt"].rate / bare, r.phases["checkpoint"].rate / bare
        limit = limits[name].rate
        print(
            f"  {name:<12}{backend:<9}"
            f"POST {r.post.rate:,.0f}/s = {share:.2f} x raw verify (goal >= {GOAL_VERIFY_SHARE}: "
            f"{_met(share >= GOAL_VERIFY_SHARE)}; >= {GOAL_POST_RATE:,}/s: "
            f"{_met(r.post.rate >= GOAL_POST_RATE)}), "
            f"p99 {p99:.1f} ms (goal < {GOAL_P99_MS:g}: {_met(p99 < GOAL_P99_MS)}); "
            f"receipt GET {receipt:.2f} x bare, checkpoint GET {checkpoint:.2f} x bare "
            f"(goal >= {GOAL_GET_SHARE}: {_met(min(receipt, checkpoint) >= GOAL_GET_SHARE)})"
        )
        print(
            f"  {'':<21}POST = {r.post.rate / limit:.2f} x the verify-only POST "
            f"({limit:,.0f}/s: HTTP in and the signature checked, nothing logged, same server)"
        )
    if len(servers) < 2:
        return
    print("\nServers compared (requests per second; best in each row marked *)")
    rows: list[tuple[str, dict[str, float]]] = [("bare GET", {n: bares[n].rate for n in servers})]
    for backend in backends:
        rows.append((f"POST {backend}", {n: results[n, backend].post.rate for n in servers}))
        for label in ("receipt", "checkpoint", "statement"):
            rows.append(
                (
                    f"GET {label} {backend}",
                    {n: results[n, backend].phases[label].rate for n in servers},
                )
            )
    print(f"  {'':<26}" + "".join(f"{n:>14}" for n in servers))
    wins = dict.fromkeys(servers, 0)
    for label, rates in rows:
        best = max(rates, key=rates.__getitem__)
        wins[best] += 1
        cells = "".join(f"{rates[n]:>13,.0f}{'*' if n == best else ' '}" for n in servers)
        print(f"  {label:<26}{cells}")
    print("  rows won: " + ", ".join(f"{n} {w}" for n, w in wins.items()))


if __name__ == "__main__":
    main()
