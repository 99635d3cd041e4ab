"""Benchmark `registry import`: 100,000 recommendation rows from one CSV, all in one batch.

    python bench/bench_import.py [--rows 100000] [--database-url URL] [--tracemalloc]

Builds a CSV the way an agency's export looks (``;`` separators, a BOM,
Indonesian headers, PPKs named by NIP), initialises a fresh registry in a
temporary directory (SQLite unless ``--database-url``), enrols the
recommending authority and 514 PPKs, and times the phases of an import as
`registry import` runs them: read and validate
(:mod:`registry.records.spreadsheet`, :mod:`registry.records.bulk`), sign
(Ed25519, one statement per row), register (identities, then the rows as one
all-or-nothing batch through ``RegistryService.register_atomic``).

Memory: the process's peak resident set (``ru_maxrss``) after each phase; with
``--tracemalloc`` also the peak of Python allocations per phase (tracemalloc
slows Python down, so its run's times are not the figures to quote).
The compliance query at that size is measured when ``registry/compliance/``
offers a function computing every signer's figures; else it says so.
Prints figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib
import io
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from registry.cli.imports import register_rows, sign_rows
from registry.config import Settings
from registry.records.bootstrap import initialise
from registry.records.bulk import day_start, validate_table
from registry.records.operator import open_keys
from registry.records.personal import commit_nip
from registry.records.service import RegistryService
from registry.records.spreadsheet import read_table
from registry.signing.cose import CoseSigner
from registry.signing.keys import generate_key
from registry.store.models import IdentityRecord

ORIGIN = "bench.example/import"
PASSPHRASE = "bench-import-not-secret"  # throwaway keys, temporary directory
PPKS = 514
ISSUED_AT_DAY = "2024-09-27"
ENROLLED = day_start("2024-09-01")
AS_OF = "2024-12-31"


def maxrss_mb() -> float:
    """Peak resident set of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


ELECTION: dict[str, Any] = {
    "type": "election",
    "kind": "pilkada",
    "name": "pilkada-2024",
    "title": "Pilkada Serentak 2024",
    "voting_day": "2024-11-27",
    "campaign_start": "2024-09-25",
    "campaign_end": "2024-11-23",
    "regions": ["national"],
}
"""The election every row's recommendation cites (registered with the enrolments)."""


def build_csv(rows: int, ppk_nips: list[str]) -> bytes:
    """An agency-style export: BOM, ``;``, Indonesian headers, one row per recommendation."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    header = "Nomor Kasus;Instansi;PPK NIP;NIP ASN;Nama ASN;Kategori;Sanksi;Batas Waktu;Tanggal"
    header += ";Pemilihan"
    writer.writerow(header.split(";"))
    sanctions = ["sanksi moral", "sedang", "berat"]
    for i in range(rows):
        ppk = i % len(ppk_nips)
        nip = f"1980{i:014d}"
        case, agency = f"R-{i:06d}/KASN/2024", f"Pemerintah Daerah {ppk:03d}"
        person, category = (nip, f"ASN {i}"), ("kampanye di media sosial", sanctions[i % 3])
        dates = ("15/10/2024", ISSUED_AT_DAY)
        writer.writerow([case, agency, ppk_nips[ppk], *person, *category, *dates, ELECTION["name"]])
    return b"\xef\xbb\xbf" + out.getvalue().encode()


def enrolment(
    public_key: bytes, role: str, index: int, nip_commitment: bytes | None
) -> dict[str, Any]:
    """An enrolment record for one of the benchmark's signers (its NIP as a commitment)."""
    payload: dict[str, Any] = {
        "type": "enrolment",
        "public_key": public_key,
        "role": role,
        "name": f"Pejabat {index}",
        "jabatan": "Bupati" if role == "ppk" else "Deputi",
        "instansi": f"Pemerintah Daerah {index:03d}" if role == "ppk" else "KemenPAN-RB/BKN",
        "decree_number": f"SK-{index}",
        "decree_date": "2023-01-01",
        "term_start": "2023-01-01",
        "term_end": "2099-12-31",
    }
    if nip_commitment:
        payload["nip_commitment"] = nip_commitment
    return payload


class Phases:
    """Times (and with tracemalloc, Python-heap peaks) of named phases."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.rows: list[tuple[str, float, float, float | None]] = []

    def _start(self) -> float:
        if self.trace:
            tracemalloc.start()
        return time.perf_counter()

    def _stop(self, name: str, start: float) -> None:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if self.trace else None
        if self.trace:
            tracemalloc.stop()
        self.rows.append((name, elapsed, maxrss_mb(), peak))

    def run(self, name: str, work: Callable[[], Any]) -> Any:
        """Run ``work`` as the phase ``name``; returns its result."""
        start = self._start()
        result = work()
        self._stop(name, start)
        return result

    async def run_async(self, name: str, work: Awaitable[Any]) -> Any:
        """Await ``work`` as the phase ``name``; returns its result."""
        start = self._start()
        result = await work
        self._stop(name, start)
        return result

    def print(self, rows: int) -> None:
        """The phases as a table, then the whole import."""
        print(
            f"{'phase':<34} {'seconds':>8} {'rows/s':>9} {'maxrss MiB':>10} {'heap peak MiB':>13}"
        )
        for name, seconds, rss, heap in self.rows:
            peak = f"{heap:.0f}" if heap is not None else "-"
            print(f"{name:<34} {seconds:8.2f} {rows / seconds:9,.0f} {rss:10.0f} {peak:>13}")
        total = sum(r[1] for r in self.rows)
        print(f"{'whole import':<34} {total:8.2f} {rows / total:9,.0f} {maxrss_mb():10.0f}")


async def measure_compliance(service: RegistryService) -> str:
    """Time every signer's compliance figures at this log size, if registry/compliance/ can."""
    try:
        index_module = importlib.import_module("registry.compliance.index")
        views = importlib.import_module("registry.compliance.views")
        index = index_module.ComplianceIndex(service.settings.follow_up_days)
        signers = views.signers
    except (ImportError, AttributeError) as exc:
        return f"compliance query: not measured yet ({exc})"
    start = time.perf_counter()
    await index.catch_up(service, service.size)
    built = time.perf_counter() - start
    start = time.perf_counter()
    rows = signers(index.snapshot(AS_OF))
    first = time.perf_counter() - start
    start = time.perf_counter()
    signers(index.snapshot(AS_OF))
    again = time.perf_counter() - start
    return (
        f"compliance at {service.size:,} entries: index built from the store in {built:.2f} s;"
        f" all {len(rows)} signers' figures {first:.2f} s (cold), {again:.3f} s (same snapshot)"
    )


async def bench(args: argparse.Namespace, home: Path) -> None:
    url = args.database_url or f"sqlite+aiosqlite:///{home / 'registry.sqlite3'}"
    settings = Settings(
        database_url=url,
        data_dir=home / "data",
        origin=ORIGIN,
        admin_passphrase=PASSPHRASE,
        max_statement_age_hours=24 * 365 * 100,  # enrolments and rows dated 2024: history
    )
    await initialise(settings)
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    recommender = CoseSigner(generate_key())
    ppk_nips = [f"1970010119950310{i:02d}"[:14] + f"{i:04d}" for i in range(PPKS)]
    data = build_csv(args.rows, ppk_nips)
    service = await RegistryService.open(settings, keys)
    try:
        setup = [ELECTION, enrolment(recommender.public_key, "recommender", 0, None)]
        people = []
        for i, nip in enumerate(ppk_nips):
            salt, commitment = commit_nip(nip)
            people.append(IdentityRecord(commitment, salt, nip, f"Pejabat {i}"))
            setup.append(enrolment(CoseSigner(generate_key()).public_key, "ppk", i, commitment))
        await service.identities.keep(people)
        nips = {p.commitment: p.nip for p in people if p.nip is not None}
        await service.register_atomic(
            [keys.admin.sign_statement(payload, "op", ENROLLED) for payload in setup]
        )
        size_before = service.size
        phases = Phases(args.tracemalloc)
        enrolled = await service.directory.all()

        def validate() -> Any:
            table = read_table("rekomendasi.csv", data, "recommendation")
            return validate_table(table, "recommendation", enrolled=enrolled, nips=nips)

        validated = phases.run("read + validate", validate)
        assert not validated.errors, validated.errors[:3]
        statements = phases.run("sign", lambda: sign_rows(validated.rows, recommender, "kasn"))
        results = await phases.run_async(
            "register (identities + one batch)", register_rows(service, validated, statements)
        )
        assert len(results) == args.rows
        assert service.size == size_before + args.rows
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs,", end=" ")
        print(f"Python {platform.python_version()}, {service.store.backend}")
        print(f"CSV: {len(data) / 2**20:.1f} MiB, {args.rows:,} rows")
        phases.print(args.rows)
        print(await measure_compliance(service))
    finally:
        await service.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--database-url", help="default: a new SQLite file in a temporary directory"
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as home:
        asyncio.run(bench(args, Path(home)))


if __name__ == "__main__":
    main()
