"""Write gen_log.py's synthetic cycles straight to the store: a log of ten million in hours.

    python bench/gen_log.py --direct --entries 10000000 --home /tmp/scale/10000000 --workers 2

``gen_log.py`` registers every statement through ``register_atomic`` (the
registry's whole admission policy), about 1,800 entries a second on a quiet
core.  Here the same statements (``gen_log.cycle``: the same kinds, the demo's
proportions, valid COSE_Sign1 signatures by keys the log enrols) are signed and
verified by ``--workers`` processes, and this process does what the registrar
does once a batch is admitted, with the registry's own functions: leaves chained
and appended to the tree (``LogState.make_leaves``, ``append``: one signed
checkpoint a chunk), entry rows and receipts (``records.entries.batch_rows``),
one transaction a chunk (``Store.append_batch``: the driver's executemany on
SQLite), the checkpoint pinned in the data directory (``Pinning``).  What is
skipped is the admission policy: each statement is verified and its payload
parsed by the registry's schema (``parse_record``), and an enrolment makes its
key row as the policy would (``key_change_of``), but no rule across entries
(citations, follow-ups, terms) is checked; ``tests/bench/test_gen_log_direct.py``
builds the same log both ways and finds every row identical, so the factories
stay admissible.  The log is opened first as ``registry serve`` opens it
(``load_log``: checked against its checkpoint and pin, the key directory
derived), the demo and the authorities' enrolments are registered by the
registry itself, and a log grown this way is opened by ``registry serve`` and
accepted by ``registry audit``.

Chunks of 2,000 entries (20 cycles), as gen_log's batches; at most
``2 x workers`` chunks are signed ahead, so memory is the tree (64 bytes an
entry) and a few chunks, never the log.  Prints progress and the rate beside
the signing floor (one Ed25519 signature and one verification of a statement
per entry, on every core) measured in the same run, at its start and every
million entries; asserts nothing.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.pool import AsyncResult
from pathlib import Path

import cbor2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_import_chunks import crypto_floor
from gen_log import (
    CHUNK,
    CYCLE,
    MARKER,
    ORIGIN,
    PASSPHRASE,
    Growth,
    begin,
    cycle,
    cycles_to,
    office,
    signer,
)

from registry.config import Settings
from registry.log.state import LogState
from registry.records.entries import batch_rows
from registry.records.operator import open_keys
from registry.records.policy import Admission, key_change_of
from registry.records.schemas import Enrolment, KeyRevocation, parse_record
from registry.records.service import RegistryService
from registry.records.startup import Pinning, checkpoint_pin, load_log
from registry.signing.cose import CoseSigner
from registry.store.repository import Store
from registry.verify.cose import HEADER_KID
from registry.verify.statement import Statement, read_verified_statement, verify_statement

Signed = list[tuple[Statement, Admission]]
"""A chunk's statements, verified, each with what admitting it writes besides the entry."""

_WORKER: dict[str, CoseSigner] = {}
"""In a signing worker: the operator's admin key."""


def _start_worker(data_dir: Path) -> None:
    _WORKER["admin"] = open_keys(data_dir, PASSPHRASE, ORIGIN).admin


def _cycle_keys(admin: CoseSigner, number: int) -> dict[bytes, tuple[bytes, str | None]]:
    """kid -> (public key, the instansi it is enrolled for) of the keys cycle ``number`` uses."""
    instansi, _ = office(number)
    keys: dict[bytes, tuple[bytes, str | None]] = {
        admin.kid: (admin.public_key, None),
        signer("bawaslu").kid: (signer("bawaslu").public_key, "Bawaslu RI"),
        signer("recommender").kid: (signer("recommender").public_key, "KemenPAN-RB/BKN"),
    }
    for label in [f"ppk {number}"] + [f"asn {number} {i}" for i in range(6)]:
        key = signer(label)
        keys[key.kid] = (key.public_key, instansi)
    return keys


def admitted(
    raw: bytes, idx: int, keys: dict[bytes, tuple[bytes, str | None]], verify: bool = True
) -> tuple[Statement, Admission]:
    """``raw`` verified (its signature, its one encoding) and what admitting it as entry
    ``idx`` writes: its instansi and, for an enrolment, the key row (as ``policy.admit``).

    Without ``verify`` the statement is only read (``read_verified_statement``: its
    envelope and payload parsed, the signature taken as made by the key named)."""
    if verify:
        verdict = verify_statement(raw, lambda kid: keys[kid][0] if kid in keys else None)
    else:
        # the kid only, to name the key (read_verified_statement parses it all, strictly)
        kid = cbor2.loads(cbor2.loads(raw).value[0])[HEADER_KID]
        verdict = read_verified_statement(raw, keys[kid][0])
    if not verdict.ok or verdict.value is None:
        raise ValueError(f"entry {idx}: {verdict.reason} {verdict.detail}")
    statement = verdict.value
    record = parse_record(statement.payload)
    change = key_change_of(record, idx) if isinstance(record, Enrolment | KeyRevocation) else None
    instansi = getattr(record, "instansi", None) or keys[statement.kid][1]
    return statement, Admission(record, key_change=change, instansi=instansi)


def _signed_chunk(job: tuple[int, int, int, int]) -> Signed:
    """Cycles ``first..first+count-1``, the first at log index ``base``, signed; one
    statement in ``every`` verified (the others read)."""
    first, count, base, every = job
    admin = _WORKER["admin"]
    out: Signed = []
    for number in range(first, first + count):
        keys = _cycle_keys(admin, number)
        start = base + (number - first) * CYCLE
        for offset, raw in enumerate(cycle(admin, number, start)):
            idx = start + offset
            out.append(admitted(raw, idx, keys, idx % every == 0))
    return out


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


async def write_chunk(
    store: Store, state: LogState, pinning: Pinning | None, chunk: Signed, now: int
) -> int:
    """Append ``chunk`` to the log as the registrar appends an admitted batch, write it in
    one transaction, pin its checkpoint; the log's size after it."""
    leaves = state.make_leaves([s.sha256 for s, _ in chunk], now)
    checkpoint = state.append(leaves, now)
    try:
        records, key_changes, revocations = batch_rows(state, chunk, leaves, checkpoint, now)
        pinned: list[bool] = []
        then = None if pinning is None else (lambda: pinned.append(pinning.write(checkpoint)))
        await store.append_batch(records, checkpoint, key_changes, revocations, then=then)
    except BaseException:
        state.rollback(checkpoint.size - len(chunk))
        raise
    state.commit(checkpoint)
    if pinning is not None and all(pinned):
        pinning.written(checkpoint)  # pinned in the thread that committed, as the registrar does
    return checkpoint.size


class Pace:
    """The build's rate over stretches of ``every`` entries, each beside the signing floor
    (``bench_import_chunks.crypto_floor`` on ``workers`` processes, ``rows`` rows) measured
    at its start, while nothing else of the build runs: the machine's load moves."""

    def __init__(self, rows: int, workers: int, every: int = 1_000_000) -> None:
        self.rows, self.workers, self.every = rows, workers, every
        self.floor, self.floors = 0.0, list[float]()
        self.since, self.at = time.perf_counter(), 0

    def begin(self, size: int) -> None:
        """Start a stretch at log size ``size`` (measuring the floor first)."""
        if self.rows:
            self.floor = crypto_floor(self.rows, self.workers)
            self.floors.append(self.floor)
            print(
                f"{time.strftime('%H:%M:%S')} signing floor: {self.floor:,.0f} rows/s on"
                f" {self.workers} processes (sign + verify + hashing), load"
                f" {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        self.since, self.at = time.perf_counter(), size

    def due(self, size: int) -> bool:
        """Whether the stretch is over (then the build pauses to measure the floor)."""
        return self.rows > 0 and size - self.at >= self.every

    def end(self, size: int) -> None:
        """Print the stretch's rate and its ratio to its floor."""
        rate = (size - self.at) / max(time.perf_counter() - self.since, 1e-9)
        ratio = f", {rate / self.floor:.2f} of the floor" if self.floor else ""
        print(
            f"{time.strftime('%H:%M:%S')} entries {self.at:,} to {size:,}: {rate:,.0f}/s{ratio},"
            f" load {os.getloadavg()[0]:.1f}",
            flush=True,
        )


async def grow_direct(growth: Growth, *, floor_rows: int = 0, verify_every: int = 1) -> float:
    """Write synthetic cycles until the log holds at least ``growth.entries``; entries a
    second.  One statement in ``verify_every`` is verified (all with 1).

    With ``floor_rows``, the signing floor is measured (:class:`Pace`) at the start and
    every million entries, and each stretch's rate printed against it.
    """
    pace = Pace(floor_rows, growth.workers)
    rate = await _grow_direct(growth, verify_every, pace)
    if pace.floors:
        print(
            f"rate {rate:,.0f} entries/s; signing floor {min(pace.floors):,.0f} to"
            f" {max(pace.floors):,.0f}/s: {rate / max(pace.floors):.2f} to"
            f" {rate / min(pace.floors):.2f} of it; load {os.getloadavg()}",
            flush=True,
        )
    return rate


async def _grow_direct(growth: Growth, verify_every: int, pace: Pace) -> float:
    settings, keys, entries, workers = growth.settings, growth.keys, growth.entries, growth.workers
    prelude, clock = growth.prelude, growth.clock
    now_ms: Callable[[], int] = clock or wall_clock_ms
    store = Store.open(settings.database_url)
    try:
        first_text = await store.get_meta(MARKER)
    finally:
        await store.close()
    if first_text is None:  # the authorities (and prelude) are registered by the registry
        service = await RegistryService.open(settings, keys)
        if clock is not None:
            service.registrar.clock_ms = clock
        try:
            first_text = str(await begin(service, keys, prelude))
        finally:
            await service.close()
    first = int(first_text)
    store = Store.open(settings.database_url)
    try:
        async with store.sequencer_lock() as held:
            if not held:
                raise SystemExit("a registry process holds this database: stop it first")
            started = time.perf_counter()
            pin = checkpoint_pin(settings, keys)
            state, _ = await load_log(store, settings, keys, pin)
            pinning = None if pin is None else Pinning(pin, state)
            if pinning is not None:
                pinning.take_over()
            took = time.perf_counter() - started
            print(f"log of {state.size:,} loaded and checked in {took:.1f} s", flush=True)
            signing = (workers, verify_every)
            return await _grow(
                store, state, pinning, settings, first, entries, signing, now_ms, pace
            )
    finally:
        await store.close()


async def _grow(
    store: Store,
    state: LogState,
    pinning: Pinning | None,
    settings: Settings,
    first: int,
    entries: int,
    signing: tuple[int, int],
    now_ms: Callable[[], int],
    pace: Pace,
) -> float:
    """Sign chunks on ``signing[0]`` processes (verifying one statement in ``signing[1]``)
    and write them in log order."""
    workers, every = signing
    number, cycles = cycles_to(state.size, first, entries)
    per_chunk = CHUNK // CYCLE
    jobs = deque(
        (number + k, min(per_chunk, cycles - k), state.size + k * CYCLE, every)
        for k in range(0, cycles, per_chunk)
    )
    started, at_start, last_print = time.perf_counter(), state.size, 0.0
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, _start_worker, (settings.data_dir,)) as pool:
        pace.begin(state.size)
        ahead: deque[AsyncResult[Signed]] = deque()
        while jobs or ahead:
            pausing = pace.due(state.size)
            while jobs and not pausing and len(ahead) < 2 * workers:
                ahead.append(pool.apply_async(_signed_chunk, (jobs.popleft(),)))
            if not ahead:  # a stretch is over and written: measure the floor again
                pace.end(state.size)
                pace.begin(state.size)
                continue
            chunk = await asyncio.get_running_loop().run_in_executor(None, ahead.popleft().get)
            size = await write_chunk(store, state, pinning, chunk, now_ms())
            elapsed = time.perf_counter() - started
            if elapsed - last_print >= 30 or not (jobs or ahead):
                last_print = elapsed
                rate = (size - at_start) / elapsed
                left = (entries - size) / rate if rate else 0
                print(
                    f"{time.strftime('%H:%M:%S')} {size:>11,} entries, {rate:,.0f}/s,"
                    f" {left / 60:,.1f} min to go, load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
        pace.end(state.size)
    elapsed = time.perf_counter() - started
    return (state.size - at_start) / elapsed if elapsed else 0.0
