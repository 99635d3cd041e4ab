"""Build a realistic log of N entries into a database, for the scale benchmark (bench_scale.py).

    python bench/gen_log.py --entries 100000 --home /tmp/s100k [--database-url URL] [--workers N]
    python bench/gen_log.py --direct --entries 10000000 --home /tmp/scale/10000000 --workers 2

The log starts as the demo does (`registry demo`: 8,128 statements of the
articles' history, its templates, offices, reports, recommendations,
follow-ups and enforcement), and grows to ``--entries`` with synthetic
regencies, each a cycle of 100 statements in about the demo's proportions:

    enrolments  7 (a PPK and six ASN of its instansi)   demo: 13 %
    reports    28 (signed by a Bawaslu key)             demo: 28 %
    recommendations 20 (to the PPK, citing a report)    demo: 20 %
    follow-ups 17 (16 sanctioned, 1 refused)            demo: 17 %
    declarations 12 (each ASN for two elections)        demo: 12 %
    pacts 5, enforcement 0 (see below)                  demo: 5 %, 4 %
    (the rest: 11 more declarations of the regency's PPK and ASN)

Every statement is signed (Ed25519, deterministic keys derived from labels)
by ``--workers`` processes (the clients' side: building and signing each
statement, ahead of the registry) and registered in-process through
``RegistryService.register_atomic`` in chunks of 2,000: the registry itself
admits each one (its policy, its signatures, receipts and checkpoints), so
the log is valid by construction: ``registry audit`` and every verifier accept
it.  The statements are history (dated from 2024): the registry is given a
maximum statement age long enough to take them.  About 1,800 entries a second
on a quiet core of this machine, 310 to 370 under a load average of 14.  With
``--direct`` the cycles are written straight to the store instead
(``gen_log_direct.py``: the same statements and rows, without the admission
policy; a test checks they are the same rows).  ``--no-demo`` starts the log
with only the templates and elections the cycles cite.  Enforcement steps are left
out of the synthetic part (their order rules need the overdue history the
demo models); the demo part has them.  Running it again on the same home
goes on from where the log is.  Prints progress and the rate; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import hashlib
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.config import Settings
from registry.demo import data, places
from registry.demo.elections import ELECTIONS as DEMO_ELECTIONS
from registry.demo.load import load_demo
from registry.records.bootstrap import initialise, stored_meta
from registry.records.operator import OperatorKeys, open_keys
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner

ORIGIN = "bench.example/scale"
PASSPHRASE = "bench scale passphrase"
DEMO_NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
CYCLE = 100
CHUNK = 2_000
MARKER = "bench-scale"
"""The ``registry_meta`` name of the index where the synthetic cycles start."""
T0 = 1_704_067_200  # 2024-01-01 UTC: the synthetic statements' issue times start here
PACT_SHA256 = hashlib.sha256(data.PACT_TEXT.encode()).digest()
DECLARATION_SHA256 = hashlib.sha256(data.DECLARATION_TEXT.encode()).digest()
ELECTIONS = ("pemilu-2024", "pilkada-2024")
ELECTION_ROWS = [row for row in DEMO_ELECTIONS if row[0] in ELECTIONS]
"""The demo's rows of the two elections the cycles cite (registered by the prelude)."""
HISTORY_HOURS = 24 * 365 * 100
"""The log is history (statements dated from 2024 on): the registry is told to take it."""


def settings_for(home: Path, database_url: str | None = None) -> Settings:
    """The settings of the benchmark registry kept in ``home``."""
    return Settings(
        database_url=database_url or f"sqlite+aiosqlite:///{home / 'registry.sqlite3'}",
        data_dir=home / "data",
        origin=ORIGIN,
        admin_passphrase=PASSPHRASE,
        max_statement_age_hours=HISTORY_HOURS,
    )


@functools.lru_cache(maxsize=4096)
def signer(label: str) -> CoseSigner:
    """The synthetic key named ``label`` (the same in every run)."""
    seed = hashlib.sha256(f"bench-scale {label}".encode()).digest()
    return CoseSigner(Ed25519PrivateKey.from_private_bytes(seed))


def enrolment(key: CoseSigner, role: str, name: str, instansi: str, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "enrolment",
        "public_key": key.public_key,
        "role": role,
        "name": name,
        "jabatan": extra.pop("jabatan", "Pejabat"),
        "instansi": instansi,
        "decree_number": f"SK/{hashlib.sha256(key.kid).hexdigest()[:8]}",
        "decree_date": "2023-09-01",
        "term_start": "2023-09-05",
        "term_end": "2099-12-31",
    }
    payload.update(extra)
    return payload


def authorities(admin: CoseSigner, prelude: bool = False) -> list[bytes]:
    """Enrolments of the synthetic part's Bawaslu and recommending authority keys; with
    ``prelude`` (a log without the demo) first the templates and elections the cycles cite."""
    statements = []
    if prelude:
        templates = (
            ("pact", data.PACT_TITLE, data.PACT_TEXT),
            ("declaration", data.DECLARATION_TITLE, data.DECLARATION_TEXT),
        )
        for kind, title, text in templates:
            payload = {"type": "template", "kind": kind, "title": title, "language": "id"}
            statements.append(admin.sign_statement(payload | {"text": text}, "operator", T0))
        regions = sorted({r.name for r in places.REGENCIES})
        fields = ("name", "kind", "title", "voting_day", "campaign_start", "campaign_end")
        for row in ELECTION_ROWS:
            election: dict[str, Any] = {"type": "election", **dict(zip(fields, row, strict=False))}
            election["regions"] = ["national"] if election["kind"] == "pemilu" else regions
            statements.append(admin.sign_statement(election, "operator", T0))
    statements += [
        admin.sign_statement(
            enrolment(signer("bawaslu"), "bawaslu", "Bawaslu Sintetis", "Bawaslu RI"),
            "operator",
            T0,
        ),
        admin.sign_statement(
            enrolment(signer("recommender"), "recommender", "Komisi Sintetis", "KemenPAN-RB/BKN"),
            "operator",
            T0,
        ),
    ]
    return statements


def office(number: int) -> tuple[str, str]:
    """The instansi of synthetic regency ``number`` and its province."""
    regency = places.REGENCIES[number % len(places.REGENCIES)]
    return f"Pemerintah {regency.name} {number // len(places.REGENCIES) + 1}", regency.province


def cycle(admin: CoseSigner, number: int, base: int) -> Iterator[bytes]:
    """The 100 statements of synthetic regency ``number``, the first at log index ``base``."""
    instansi, province = office(number)
    ppk = signer(f"ppk {number}")
    asn = [signer(f"asn {number} {i}") for i in range(6)]
    t = T0 + number * 600
    today = day(t)
    yield admin.sign_statement(
        enrolment(
            ppk, "ppk", f"Bupati {number}", instansi, province=province,
            head_type="pj" if number % 3 == 0 else "definitive", jabatan="Bupati",
        ),
        "operator",
        t,
    )  # fmt: skip
    for i, key in enumerate(asn):
        yield admin.sign_statement(
            enrolment(key, "asn", f"ASN {number}.{i}", instansi, jabatan="Analis"), "operator", t
        )
    index = base + 7
    reports = []
    for r in range(28):
        reports.append(index)
        index += 1
        yield signer("bawaslu").sign_statement(
            {
                "type": "report",
                "case_number": f"SIN.{number}.{r:03d}",
                "reporter": "Bawaslu Kabupaten",
                "instansi": instansi,
                "province": province,
                "subject_commitment": hashlib.sha256(f"subject {number} {r}".encode()).digest(),
                "category": "social-media",
                "description": "Membagikan materi kampanye pasangan calon",
                "place": "Instagram",
                "date": today,
                "election": ELECTIONS[r % 2],
            },
            "bawaslu",
            t + 60 + r,
        )
    recs = []
    for r in range(20):
        recs.append(index)
        index += 1
        yield signer("recommender").sign_statement(
            {
                "type": "recommendation",
                "case_number": f"SIN.{number}.{r:03d}",
                "instansi": instansi,
                "ppk_kid": ppk.kid,
                "subject_commitment": hashlib.sha256(f"subject {number} {r}".encode()).digest(),
                "category": "social-media",
                "sanction": ("moral", "medium", "heavy")[r % 3],
                "deadline": day(t + 14 * 86_400),
                "report": reports[r],
                "election": ELECTIONS[r % 2],
            },
            "recommender",
            t + 120 + r,
        )
    for r in range(17):
        answer: dict[str, Any] = {"type": "follow-up", "recommendation": recs[r]}
        if r == 16:
            answer |= {"action": "refused", "reason": "ASN yang bersangkutan telah pensiun"}
        else:
            answer |= {
                "action": "sanctioned",
                "decree_number": f"862/{number}/{r}/BKD/2024",
                "decree_date": day(t + 5 * 86_400),
            }
        yield ppk.sign_statement(answer, "ppk", t + 10 * 86_400 + r)
    for e, election in enumerate(ELECTIONS):
        for i, key in enumerate(asn):
            named = {"name": f"ASN {number}.{i}", "jabatan": "Analis", "instansi": instansi}
            yield key.sign_statement(
                declaration(instansi, election, today, named), "asn", t + 200 + e * 10 + i
            )
    for p in range(5):
        yield ppk.sign_statement(
            {
                "type": "pact",
                "template": PACT_SHA256,
                "election": ELECTIONS[p % 2],
                "instansi": instansi,
                "place": f"Pendopo {number}.{p}",
                "date": today,
                "witnesses": [{"name": "Ketua Bawaslu", "jabatan": "Ketua", "instansi": "Bawaslu"}],
                "signer": {"name": f"Bupati {number}", "jabatan": "Bupati", "instansi": instansi},
            },
            "ppk",
            t + 300 + p,
        )
    for i in range(11):
        key = asn[i % 6]
        named = {"name": f"ASN {number}.{i % 6}", "jabatan": "Analis", "instansi": instansi}
        payload = declaration(instansi, ELECTIONS[i % 2], day(t - (i + 1) * 86_400), named)
        yield key.sign_statement(payload, "asn", t + 400 + i)


def declaration(instansi: str, election: str, date: str, signer: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "declaration",
        "template": DECLARATION_SHA256,
        "election": election,
        "instansi": instansi,
        "date": date,
        "signer": signer,
    }


def day(seconds: int) -> str:
    """The ISO day (WIB) of ``seconds``."""
    wib = dt.timezone(dt.timedelta(hours=7))
    return dt.datetime.fromtimestamp(seconds, wib).date().isoformat()


_WORKER: dict[str, CoseSigner] = {}
"""In a signing worker: the operator's key."""


def _start_worker(data_dir: Path) -> None:
    """A signing worker opens the operator's key once (as the registry does).  It ignores
    SIGINT: a Ctrl-C reaches every process of the terminal's group, and it is the main
    process that stops (:class:`Stop`), after the chunk it registers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER["admin"] = open_keys(data_dir, PASSPHRASE, ORIGIN).admin


class Interrupted(Exception):
    """The growth stopped at a SIGINT, its log whole (every chunk is registered atomically)."""


class Stop:
    """While in use, SIGINT asks :func:`grow` to stop after the chunk being registered.

    The registry's chunk is one transaction, so stopping between two leaves a
    valid log that growing again goes on from; a KeyboardInterrupt raised
    inside the pool's wait or the event loop was swallowed there instead.
    """

    def __init__(self) -> None:
        self.asked = False
        self._previous: Any = None

    def __call__(self, _signum: int, _frame: Any) -> None:
        self.asked = True

    def __enter__(self) -> Stop:
        self._previous = signal.signal(signal.SIGINT, self)
        return self

    def __exit__(self, *_: object) -> None:
        signal.signal(signal.SIGINT, self._previous)


def _signed_cycle(job: tuple[int, int]) -> list[bytes]:
    """The signed statements of cycle ``job[0]`` starting at log index ``job[1]`` (in a worker)."""
    return list(cycle(_WORKER["admin"], *job))


Clock = Callable[[], int]
"""The registry's clock (ms): the wall clock, or a fixed one to compare two builds."""


async def begin(service: RegistryService, keys: OperatorKeys, prelude: bool) -> int:
    """The log index where the synthetic cycles start: registers the authorities (and the
    ``prelude`` of a log without the demo) through the registry the first time."""
    marker = await service.get_meta(MARKER)
    if marker is None:
        await service.register_atomic(authorities(keys.admin, prelude))
        await service.put_meta(MARKER, str(service.size))
        marker = str(service.size)
    return int(marker)


def cycles_to(size: int, first: int, entries: int) -> tuple[int, int]:
    """(the next cycle's number, how many cycles take a log of ``size`` to ``entries``)."""
    return (size - first) // CYCLE, max(0, -(-(entries - size) // CYCLE))


@dataclass(frozen=True)
class Growth:
    """What to grow: the registry of ``settings`` to at least ``entries`` entries, the
    statements signed on ``workers`` processes, with the registry's clock ``clock``
    (default: the wall clock); ``prelude``: the log has no demo (see :func:`authorities`)."""

    settings: Settings
    keys: OperatorKeys
    entries: int
    workers: int
    prelude: bool = False
    clock: Clock | None = None


async def grow(growth: Growth) -> None:
    """Register synthetic cycles until the log holds at least ``entries`` (whole cycles).

    The clients' side (building and signing each statement) runs in ``workers``
    processes, ahead of the registry, which admits chunk after chunk in this one.
    """
    settings, keys, entries, workers = growth.settings, growth.keys, growth.entries, growth.workers
    prelude, clock = growth.prelude, growth.clock
    service = await RegistryService.open(settings, keys)
    if clock is not None:
        service.registrar.clock_ms = clock
    try:
        first = await begin(service, keys, prelude)
        started, at_start = time.perf_counter(), service.size
        number, cycles = cycles_to(service.size, first, entries)
        # every cycle is admitted whole (100 entries), so each one's first index is known ahead
        jobs = [(number + k, service.size + k * CYCLE) for k in range(cycles)]
        context = multiprocessing.get_context("fork")
        with Stop() as stop, context.Pool(workers, _start_worker, (settings.data_dir,)) as pool:
            pending: list[bytes] = []
            for k, statements in enumerate(pool.imap(_signed_cycle, jobs, chunksize=4)):
                if stop.asked:  # after the chunk registered last (what is signed since: dropped)
                    print()
                    raise Interrupted(f"interrupted: the log holds {service.size:,} entries")
                pending.extend(statements)
                if len(pending) >= CHUNK or k == len(jobs) - 1:
                    await service.register_atomic(pending)
                    pending = []
                    done = service.size - at_start
                    rate = done / (time.perf_counter() - started)
                    print(f"\r{service.size:>10,} entries, {rate:,.0f}/s", end="", flush=True)
        print()
    finally:
        await service.close()


async def generate(
    home: Path,
    entries: int,
    database_url: str | None,
    workers: int = 1,
    *,
    direct: bool = False,
    demo: bool = True,
    clock: Clock | None = None,
    floor_rows: int = 0,
    verify_every: int = 1,
) -> Settings:
    """Make (or grow) the benchmark registry in ``home`` to at least ``entries`` entries.

    ``direct``: the synthetic cycles are written straight to the store
    (``gen_log_direct.py``), not registered; ``demo``: the log starts with the
    demo (else with the templates and elections the cycles cite, nothing more).
    """
    home.mkdir(parents=True, exist_ok=True)
    settings = settings_for(home, database_url)
    started = time.perf_counter()
    # a log the cycles began in is past its start (and opening it twice more takes minutes)
    begun = (await stored_meta(settings, MARKER))[0] is not None
    if not begun:
        await initialise(settings)
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    if demo and not begun:
        await load_demo(settings, only_if_empty=True, now=DEMO_NOW)
        print(f"demo loaded in {time.perf_counter() - started:.1f} s")
    growth = Growth(settings, keys, entries, workers, prelude=not demo, clock=clock)
    if direct:
        from gen_log_direct import grow_direct  # noqa: PLC0415 (it imports this module)

        await grow_direct(growth, floor_rows=floor_rows, verify_every=verify_every)
    else:
        await grow(growth)
    print(f"{entries:,} entries in {time.perf_counter() - started:.1f} s")
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument(
        "--workers", type=int, default=1, help="processes signing the clients' statements"
    )
    parser.add_argument(
        "--direct",
        action="store_true",
        help="write the synthetic cycles straight to the store (bench/gen_log_direct.py)",
    )
    parser.add_argument(
        "--no-demo",
        action="store_true",
        help="start with only the templates and elections the cycles cite, not the demo",
    )
    parser.add_argument(
        "--floor-rows",
        type=int,
        default=20_000,
        help="with --direct: rows of the signing floor measured before and after (0: none)",
    )
    parser.add_argument(
        "--verify-every",
        type=int,
        default=1,
        help="with --direct: verify one statement in N (the others are read; 1: every one)",
    )
    args = parser.parse_args()
    try:
        run_generate(args)
    except Interrupted as stopped:
        print(f"{stopped} (whole chunks; run again to go on)", file=sys.stderr)
        sys.exit(130)


def run_generate(args: argparse.Namespace) -> None:
    """:func:`generate` as the command line asks."""
    asyncio.run(
        generate(
            args.home,
            args.entries,
            args.database_url,
            args.workers,
            direct=args.direct,
            demo=not args.no_demo,
            floor_rows=args.floor_rows if args.direct else 0,
            verify_every=args.verify_every,
        )
    )


if __name__ == "__main__":
    main()
