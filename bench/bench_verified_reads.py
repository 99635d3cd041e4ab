"""What checking stored entries against the log costs (registry/records/verified.py).

    python bench/bench_verified_reads.py [--pacts N] [--keys K] [--number N] [--rounds R]

Registers ``--keys`` enrolled PPKs and ``--pacts`` pacts in a new SQLite
registry (a temporary folder), then times, per entry read from the database:

- ``leaf``: the leaf bytes hashed and compared with the tree's leaf hash, decoded;
- ``statement``: the statement's SHA-256 against the leaf's ``statement_sha256``;
- ``columns``: the statement parsed and every derived column compared
  (type, signer, ``payload_json``, instansi, content hash);
- ``receipt``: the receipt verified with the log key, its leaf and root against the tree;
- ``entry``: the whole check without the receipt (search, compliance, the policy's
  references) and with it (a receipt served: once, when it enters the cache);
- ``cached GET``: ``RegistryService.receipt`` of a cached entry (the hot read, no check);

and the start-up cost of deriving the key directory and revocations from the log
(``load_log`` with and without the derivation's reads and checks).

Figures are µs per call, best of ``--rounds`` runs of ``--number`` calls.  It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import platform
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _statements import HISTORY_HOURS

from registry.config import Settings
from registry.records.bootstrap import admin_enrolment
from registry.records.operator import create_keys, open_keys
from registry.records.service import RegistryService
from registry.records.startup import checkpoint_pin, load_log
from registry.signing.cose import CoseSigner
from registry.store.repository import Store
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import fixed_key


def per_call(function: Callable[[], object], number: int, rounds: int) -> float:
    """Best µs per call of ``function`` over ``rounds`` runs of ``number`` calls."""
    return min(timeit.repeat(function, number=number, repeat=rounds)) / number * 1e6


async def fill(settings: Settings, keys_count: int, pacts: int) -> None:
    keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    service = await RegistryService.open(settings, keys)
    try:
        await service.register(admin_enrolment(keys, settings, NOW_S))
        signers = [CoseSigner(fixed_key(f"bench-ppk-{n}")) for n in range(keys_count)]
        enrolments = [
            keys.admin.sign_statement(
                enrolment(s.public_key, "ppk", instansi=f"Pemkab Bench {n}"), "op", NOW_S
            )
            for n, s in enumerate(signers)
        ]
        await service.register_atomic(enrolments)
        statements = [
            signers[n % keys_count].sign_statement(
                pact(place=f"Kota {n}", instansi=f"Pemkab Bench {n % keys_count}"), "ppk", NOW_S
            )
            for n in range(pacts)
        ]
        for start in range(0, pacts, 1000):
            await service.register_atomic(statements[start : start + 1000])
    finally:
        await service.close()


async def measure(settings: Settings, number: int, rounds: int) -> None:
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    started = time.perf_counter()
    service = await RegistryService.open(settings, keys)
    opened_s = time.perf_counter() - started
    try:
        checker = service.reads.checker
        record = (await service.store.get_entries(service.size - 1, service.size))[0]
        leaf = checker.leaf(record.idx, record.leaf, record.leaf_hash)
        figures = {
            "leaf": per_call(
                lambda: checker.leaf(record.idx, record.leaf, record.leaf_hash), number, rounds
            ),
            "statement": per_call(
                lambda: checker.statement(record.idx, record.statement, leaf), number, rounds
            ),
            "columns": per_call(lambda: checker._columns(record), number, rounds),
            "receipt": per_call(
                lambda: checker.served(record.idx, record.receipt, record.statement),
                number,
                rounds,
            ),
            "entry (no receipt)": per_call(
                lambda: checker.entry(record, receipt=False), number, rounds
            ),
            "entry (with receipt)": per_call(
                lambda: checker.entry(record, receipt=True), number, rounds
            ),
            "sha256 of the statement alone": per_call(
                lambda: hashlib.sha256(record.statement).digest(), number, rounds
            ),
        }
        await service.receipt(record.idx)  # in memory from now on
        loop_start = time.perf_counter()
        for _ in range(number):
            await service.receipt(record.idx)
        figures["cached GET (service.receipt)"] = (time.perf_counter() - loop_start) / number * 1e6
        for name, value in figures.items():
            print(f"  {name:32} {value:9.1f} µs")
        print(f"  statement {len(record.statement)} bytes, receipt {len(record.receipt)} bytes")
    finally:
        await service.close()
    store = Store.open(settings.database_url)
    try:
        started = time.perf_counter()
        state, tables = await load_log(store, settings, keys, checkpoint_pin(settings, keys))
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        snapshot = await store.read_log()
        read_s = time.perf_counter() - started
    finally:
        await store.close()
    print(
        f"  start-up: RegistryService.open {opened_s * 1000:.0f} ms;"
        f" load_log {load_s * 1000:.0f} ms"
        f" ({sum(1 for _ in tables.directory.rows())} keys derived from {state.size} entries),"
        f" of which the bounded read_log {read_s * 1000:.0f} ms"
        f" (table held {len(snapshot.key_changes)} keys)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pacts", type=int, default=5000)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--number", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"Python {platform.python_version()} on {platform.machine()}")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{folder}/bench.sqlite3",
            data_dir=Path(folder) / "data",
            origin="bench.example/pakta",
            admin_passphrase="kata-sandi-bench",
            max_statement_age_hours=HISTORY_HOURS,
        )
        asyncio.run(fill(settings, args.keys, args.pacts))
        print(f"{args.keys} keys, {args.pacts} pacts; per entry read from the database:")
        asyncio.run(measure(settings, args.number, args.rounds))


if __name__ == "__main__":
    main()
