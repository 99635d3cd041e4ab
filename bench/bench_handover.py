"""What a hand-over costs: CPU a registration handed over by a follower against one
registered on the sequencer directly, in one process, with a breakdown.

    python bench/bench_handover.py [--count 2000] [--rounds 3] [--clients 64]
                                   [--backend sqlite|postgres|both] [--postgres-url URL]

With ``registry serve``'s workers, a registration that reaches a follower is verified
there and handed to the sequencing worker over its Unix socket (``handoff.py``); one
that reaches the sequencing worker is registered there.  Both are measured here on one
database (a fresh SQLite file, or a fresh PostgreSQL schema), in one process: the
sequencer and the follower are two :class:`RegistryService` objects, each on its own
uvloop in its own thread (as two workers each have their event loop), with
``--clients`` registrations in flight:

- *handed over*: the clients call ``follower.register`` on the follower's loop (it
  verifies, frames, sends; the sequencer decodes, runs its cycle, answers);
- *direct*: the clients call ``sequencer.register`` on the sequencer's loop.

Rounds alternate (handed, direct, handed, ...) with ``--count`` new pacts each; the
medians are printed.  For each: the process's CPU a registration, the CPU of each
loop's thread (the rest is the database's threads: aiosqlite's, the pin's), the
sequencer's batches (registrations a batch) and each loop thread's voluntary context
switches a batch (the times it slept in ``epoll_wait`` and was woken: the event
loop's wake-ups).  Then the hand-over's parts alone, on the same statements, one
thread: the follower's framing (``encode_request``, with what it read of the
statement as MessagePack), the sequencer's decoding (``decode_request``, of which the
kid check of the protected header and the MessagePack), the answer's framing both
ways; and the socket alone: the same frames through a :class:`HandoffServer` whose
``register`` answers at once (no cycle), in the same two-thread layout, CPU of each
side a request.  CPU is process or thread time, not wall time: the machine may be
shared.  Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvloop
from _statements import HISTORY_HOURS, enrolments, read_pool, sign_pool
from bench_registry import _postgres, _prepare

from registry.config import Settings
from registry.records import handed_statement
from registry.records.bootstrap import operator_keys
from registry.records.handoff import (
    HandoffClient,
    HandoffServer,
    Reply,
    decode_answer,
    decode_request,
    encode_answer,
    encode_request,
)
from registry.records.queued import Registered
from registry.records.service import RegistryService
from registry.verify.statement import Statement, verify_statement

SIGNERS = 48
T = TypeVar("T")


class Loop:
    """An event loop (uvloop) running in a thread of its own, for the whole benchmark."""

    def __init__(self, name: str) -> None:
        self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.native_id = 0
        self._started = threading.Event()
        self.thread.start()
        self._started.wait()

    def _run(self) -> None:
        self.native_id = threading.get_native_id()
        asyncio.set_event_loop(self.loop)
        self._started.set()
        self.loop.run_forever()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on this loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def cpu(self) -> float:
        """This loop thread's CPU seconds so far."""
        assert self.thread.ident is not None
        return time.clock_gettime(time.pthread_getcpuclockid(self.thread.ident))

    def wakeups(self) -> int:
        """This loop thread's voluntary context switches so far (sleeps it was woken from)."""
        status = Path(f"/proc/self/task/{self.native_id}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("voluntary_ctxt_switches"))
        return int(line.split()[1])

    def stop(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


@dataclass
class Run:
    """One timed round: CPU seconds of the process and of each loop thread, and counts."""

    count: int
    process: float
    sequencer: float
    follower: float
    batches: int
    sequencer_wakeups: int
    follower_wakeups: int

    def us(self, seconds: float) -> float:
        """``seconds`` a registration, in microseconds."""
        return seconds / self.count * 1e6


@dataclass
class Counted:
    """The sequencer's batches, counted by wrapping ``Registrar._process``."""

    batches: int = 0
    sizes: list[int] = field(default_factory=list)


def _count_batches(service: RegistryService) -> Counted:
    counted = Counted()
    process = service.registrar._process

    def counting(batch: list[Any], *args: Any, **kwargs: Any) -> Awaitable[None]:
        counted.batches += 1
        counted.sizes.append(len(batch))
        return process(batch, *args, **kwargs)

    service.registrar._process = counting  # type: ignore[method-assign,assignment]
    return counted


def _timed(
    sequencer: Loop,
    follower: Loop,
    counted: Counted,
    count: int,
    on: Loop,
    work: Coroutine[Any, Any, None],
) -> Run:
    """Run ``work`` on loop ``on`` and measure it."""
    gc.collect()
    before = (time.process_time(), sequencer.cpu(), follower.cpu(), counted.batches)
    wakes = (sequencer.wakeups(), follower.wakeups())
    on.call(work)
    after = (time.process_time(), sequencer.cpu(), follower.cpu(), counted.batches)
    return Run(
        count,
        after[0] - before[0],
        after[1] - before[1],
        after[2] - before[2],
        after[3] - before[3],
        sequencer.wakeups() - wakes[0],
        follower.wakeups() - wakes[1],
    )


async def _register_all(
    register: Callable[[bytes], Awaitable[Registered]], todo: list[bytes], clients: int
) -> None:
    room = asyncio.Semaphore(clients)

    async def one(statement: bytes) -> None:
        async with room:
            result = await register(statement)
            if result.existed:
                raise SystemExit("a benchmark statement was in the log already")

    await asyncio.gather(*map(one, todo))


def _median(runs: list[Run], value: Callable[[Run], float]) -> float:
    return statistics.median(value(r) for r in runs)


def _report(name: str, runs: list[Run]) -> None:
    print(
        f"  {name:<12} {_median(runs, lambda r: r.us(r.process)):>6,.0f} us CPU a registration "
        f"(runs {', '.join(f'{r.us(r.process):,.0f}' for r in runs)}); "
        f"sequencer's loop {_median(runs, lambda r: r.us(r.sequencer)):,.0f}, "
        f"follower's loop {_median(runs, lambda r: r.us(r.follower)):,.0f}, "
        f"other threads {_median(runs, lambda r: r.us(r.process - r.sequencer - r.follower)):,.0f}"
    )
    print(
        f"  {'':<12} {_median(runs, lambda r: r.count / max(r.batches, 1)):>6,.1f} registrations "
        f"a batch; wake-ups a batch: sequencer's loop "
        f"{_median(runs, lambda r: r.sequencer_wakeups / max(r.batches, 1)):,.1f}, follower's "
        f"{_median(runs, lambda r: r.follower_wakeups / max(r.batches, 1)):,.1f}"
    )


def _per_call_us(function: Callable[[Any], object], items: list[Any]) -> float:
    gc.collect()
    cpu = time.process_time()
    for item in items:
        function(item)
    return (time.process_time() - cpu) / len(items) * 1e6


def _parts(verified: list[Statement], lookup: Callable[[bytes], bytes | None]) -> None:
    """The hand-over's pure functions, one thread, the same statements."""
    frames = [encode_request(n, v.raw, v)[4:] for n, v in enumerate(verified)]
    answer = Registered(123_456, bytes(420), existed=False)
    answers = [encode_answer(n, answer)[4:] for n in range(len(verified))]
    reads = [handed_statement.encode_read(v) for v in verified]
    parts = {
        "both: verify_statement (not the hand-over's: for scale)": _per_call_us(
            lambda v: verify_statement(v.raw, lookup), verified
        ),
        "follower: encode_request (with the MessagePack reading)": _per_call_us(
            lambda v: encode_request(1, v.raw, v), verified
        ),
        "  of which encode_read (MessagePack, checked by decoding it back)": _per_call_us(
            handed_statement.encode_read, verified
        ),
        "sequencer: decode_request (reading decoded, kid checked)": _per_call_us(
            decode_request, frames
        ),
        "  of which the kid check (_protected_kid)": _per_call_us(
            lambda v: handed_statement._protected_kid(v.raw), verified
        ),
        "  of which MessagePack decoding": _per_call_us(handed_statement._decoder.decode, reads),
        "sequencer: encode_answer": _per_call_us(
            lambda n: encode_answer(n, answer), list(range(len(verified)))
        ),
        "follower: decode_answer": _per_call_us(decode_answer, answers),
    }
    for name, us in parts.items():
        print(f"    {name:<62} {us:6.1f} us CPU")


def _socket_alone(path: Path, verified: list[Statement], clients: int, rounds: int) -> None:
    """The same frames through the socket to a server that answers at once (no cycle)."""
    sequencer, follower = Loop("echo-sequencer"), Loop("echo-follower")
    answer = Registered(1, bytes(420), existed=False)

    def submit(statement: bytes, key: bytes | None, read: Statement | None, reply: Reply) -> None:
        reply(answer)

    server = HandoffServer(path, submit)
    client = HandoffClient(path)
    counted = Counted()
    try:
        sequencer.call(server.start())

        async def send(statement: Statement) -> None:
            await client.register(statement.raw, statement)

        async def all_of() -> None:
            room = asyncio.Semaphore(clients)

            async def one(statement: Statement) -> None:
                async with room:
                    await send(statement)

            await asyncio.gather(*map(one, verified))

        runs = []
        for _ in range(rounds):
            runs.append(_timed(sequencer, follower, counted, len(verified), follower, all_of()))
        print(
            f"    socket alone (no cycle), {clients} in flight: "
            f"{_median(runs, lambda r: r.us(r.process)):,.1f} us CPU a request: sequencer's loop "
            f"{_median(runs, lambda r: r.us(r.sequencer)):,.1f}, follower's loop "
            f"{_median(runs, lambda r: r.us(r.follower)):,.1f}; wake-ups a request: sequencer "
            f"{_median(runs, lambda r: r.sequencer_wakeups / r.count):,.2f}, follower "
            f"{_median(runs, lambda r: r.follower_wakeups / r.count):,.2f}"
        )
    finally:
        follower.call(client.close())
        sequencer.call(server.close())
        sequencer.stop()
        follower.stop()


@contextmanager
def _database(work: Path, backend: str, postgres_url: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{work / 'registry.sqlite3'}"
        return
    schema = f"bench_handover_{os.getpid()}"
    asyncio.run(_postgres(postgres_url, f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{postgres_url}?search_path={schema}"
    finally:
        asyncio.run(_postgres(postgres_url, f'DROP SCHEMA "{schema}" CASCADE'))


def _rounds(
    loops: tuple[Loop, Loop],
    services: tuple[RegistryService, RegistryService],
    args: argparse.Namespace,
    statements: list[bytes],
) -> dict[str, list[Run]]:
    """Handed-over and direct rounds, alternated, ``args.count`` new statements each."""
    counted = _count_batches(services[0])
    todo = iter(statements)
    results: dict[str, list[Run]] = {"handed over": [], "direct": []}
    for _, mode in itertools.product(range(args.rounds), results):
        chunk = list(itertools.islice(todo, args.count))
        side = 1 if mode == "handed over" else 0
        work = _register_all(services[side].register, chunk, args.clients)
        results[mode].append(_timed(*loops, counted, len(chunk), loops[side], work))
    return results


def _backend(work: Path, backend: str, args: argparse.Namespace, statements: list[bytes]) -> None:
    run_dir = work / backend
    run_dir.mkdir()
    with _database(run_dir, backend, args.postgres_url) as url:
        settings = Settings(
            database_url=url,
            data_dir=run_dir / "keys",
            origin="bench.example/pakta",
            admin_passphrase="bench-handover-not-secret",
            max_statement_age_hours=HISTORY_HOURS,
        )
        keys, _ = operator_keys(settings)
        asyncio.run(_prepare(settings, enrolments(keys.admin, SIGNERS)))
        loops = Loop("sequencer"), Loop("follower")
        sequencer = loops[0].call(RegistryService.open(settings, keys))
        follower = loops[1].call(RegistryService.open(settings, keys))
        try:
            if not sequencer.is_sequencer or follower.is_sequencer:
                raise SystemExit("the second service should follow the first")
            results = _rounds(loops, (sequencer, follower), args, statements)
            lookup = sequencer.registrar.lookup
        finally:
            loops[1].call(follower.close())
            loops[0].call(sequencer.close())
            for loop in loops:
                loop.stop()
    print(f"{backend}: {args.count:,} registrations a round, {args.rounds} rounds each, alternated")
    for mode, runs in results.items():
        _report(mode, runs)
    handed, direct = (
        _median(results[m], lambda r: r.us(r.process)) for m in ("handed over", "direct")
    )
    print(f"  a hand-over costs {handed - direct:,.0f} us CPU more than a direct registration")
    verified = [verify_statement(s, lookup).unwrap() for s in statements[: args.count]]
    print("  the hand-over's parts alone, one thread:")
    _parts(verified, lookup)
    _socket_alone(work / f"echo-{backend}.sock", verified, args.clients, args.rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"Hand-over; load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory(prefix="bench-handover-") as tmp:
        work = Path(tmp)
        per_backend = args.count * args.rounds * 2
        pool = work / "pool"
        sign_pool(pool, SIGNERS, per_backend)
        statements = list(itertools.islice(read_pool(pool), per_backend))
        for backend in backends:
            _backend(work, backend, args, statements)
    print(f"  load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
