"""What a start costs beside the tree: the key directory, its lookups, the filter.

    python bench/bench_startup.py --homes /tmp/startup/100000 [/tmp/startup/1000000]
        [--base REF] [--runs 3]

For each log built by ``bench/gen_log.py`` (SQLite, in ``HOME``), in one run on one machine:

- **``RegistryService.open``**, timed in a fresh process, ``--runs`` times, alternating this
  tree's code (*after*) with the code of ``--base`` (*before*; default: where this branch
  left ``main``), unpacked by ``git archive`` into a scratch folder and run by the same
  Python on the same database (each keeps its own saved snapshot: their formats differ).
  A first open of each, not timed, saves the snapshots.  Also each process's resident memory
  (VmRSS) once open.
- **the key directory's memory**, in bytes a key, with ``tracemalloc``: the *before* code's
  ``dict[bytes, bytes]`` of one packed msgpack record a key (rebuilt here from every key's
  full record, read from its entry) against this code's compact rows, one sorted ``bytes``
  (``registry.records.directory``), and each snapshot decode's time.
- **the covered signer_keys rows**: the one scan every start before made of them (timed as
  a plain read of those rows, a lower bound of the scan that also packed and compared each)
  against none now.
- **a key's lookup for a registration**: ``--sample`` keys read cold (enrolment entry read,
  checked against the tree, decoded) and then warm, beside one Ed25519 verification.
- **the Bloom filter's restore** (the sequencer's, ``saved_state.load_seen``) and what
  the newest-entries cache holds after a start.

Every figure is printed with its ratio after/before.  Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import msgspec

# The registry package first: this tree's (installed), or the one PYTHONPATH names (the code
# before); gen_log then puts this tree first on sys.path, but the package is loaded by then.
import registry
from registry.records.operator import open_keys
from registry.records.service import RegistryService

# isort: split
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_log import ORIGIN, PASSPHRASE, settings_for

ROOT = Path(__file__).resolve().parents[1]


def resident_mb() -> float:
    """This process's VmRSS in MB."""
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if "VmRSS" in line) / 1024


async def _open_once(home: Path) -> tuple[float, float, int, int]:
    settings = settings_for(home)
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    started = time.perf_counter()
    service = await RegistryService.open(settings, keys)
    took = time.perf_counter() - started
    try:
        recent = len(service.recent.checked)
        return took, resident_mb(), service.state.size, recent
    finally:
        await service.close()


def child(home: Path) -> None:
    """In a fresh process (``--child``): open the registry once, print the figures as JSON."""
    took, rss, size, recent = asyncio.run(_open_once(home))
    code = str(Path(registry.__file__).parent)
    print(json.dumps({"open_s": took, "rss_mb": rss, "size": size, "recent": recent, "code": code}))


def open_in_process(home: Path, code: Path | None) -> dict[str, Any]:
    """Open ``home`` in a fresh process running the registry package under ``code`` (None:
    this tree's)."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--homes", str(home)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd="/")
    if done.returncode != 0:
        raise RuntimeError(f"open of {home} failed:\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def base_code(ref: str, scratch: Path) -> Path:
    """The ``registry`` package as of ``ref``, unpacked under ``scratch``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "registry"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive.stdout, check=True)
    return scratch


def measured(call: Any) -> tuple[Any, float, int]:
    """``call()``'s result, its seconds, and the bytes it left allocated (tracemalloc)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    result = call()
    took = time.perf_counter() - started
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return result, took, held


def timed(call: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def _old_pack(key: Any) -> bytes:
    """``key`` packed as the code before kept it in memory (one msgpack array of its columns
    but the kid, the role first: ``registry.records.directory.pack`` before issue 15's rows)."""
    names = [f for f in key.__dataclass_fields__ if f not in ("kid", "role")]
    return msgspec.msgpack.encode((key.role, *(getattr(key, name) for name in names)))


async def parts(home: Path, sample: int) -> dict[str, float]:
    """The parts of a start and of a key's lookup, the old way and this code's, in this
    process."""
    # Imported here: the child process that opens the registry with the code before
    # imports this file too, and that code has none of these.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: PLC0415
        Ed25519PrivateKey,
    )
    from sqlalchemy import select  # noqa: PLC0415

    from registry.log.state import LogState  # noqa: PLC0415
    from registry.records import saved_state  # noqa: PLC0415
    from registry.records.derived import enrolment_reader  # noqa: PLC0415
    from registry.records.directory import KID, KeyDirectory  # noqa: PLC0415
    from registry.records.startup import extend_checked, latest_signer  # noqa: PLC0415
    from registry.records.verified import (  # noqa: PLC0415
        EntryChecker,
        TamperAlarm,
        VerifiedEntries,
    )
    from registry.store.repository import Store  # noqa: PLC0415
    from registry.store.tables import SIGNER_KEYS  # noqa: PLC0415

    settings = settings_for(home)
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    store = Store.open(settings.database_url)
    figures: dict[str, float] = {}
    try:
        record = await store.fact_segment(saved_state.FORMAT, 0)
        if record is None:
            raise RuntimeError("no key directory snapshot: open the registry once first")
        state = LogState(settings.origin, keys.log, keys.note)
        snapshot = await store.read_log(keys=False)
        extend_checked(state, snapshot, latest_signer(keys, snapshot))

        def restored() -> KeyDirectory:
            directory = KeyDirectory()
            directory.restore(*saved_state.decode(record.data)[:3])
            return directory

        def reading(directory: KeyDirectory) -> KeyDirectory:
            reads = VerifiedEntries(store, EntryChecker(state, directory, TamperAlarm()))
            directory.reader = enrolment_reader(reads, directory)
            return directory

        new, new_s, new_bytes = measured(restored)
        kids = [row[:KID] for row in new.rows()]
        count = len(kids)
        # Every key's full record, read from its entry, packed as the code before held it.
        full = await reading(restored()).loaded(kids)
        revoked = saved_state.decode(record.data)[3]
        old_snapshot = zlib.compress(
            msgspec.msgpack.encode(([k.kid for k in full], [_old_pack(k) for k in full], revoked)),
            6,
        )
        old_decoder = msgspec.msgpack.Decoder(tuple[list[bytes], list[bytes], list[Any]])

        def old_directory() -> dict[bytes, bytes]:
            kids_, packed, _ = old_decoder.decode(zlib.decompress(old_snapshot))
            return dict(zip(kids_, packed, strict=True))

        old, old_s, old_bytes = measured(old_directory)
        figures |= {
            "keys": count,
            "end": record.end_idx,
            "bytes_a_key_before": old_bytes / count,
            "bytes_a_key_after": new_bytes / count,
        }
        del old, full
        figures["decode_s_before"] = min(timed(old_directory)[1] for _ in range(3))
        figures["decode_s_after"] = min(timed(restored)[1] for _ in range(3))
        figures["traced_decode_s"] = old_s + new_s

        # What a start before read of signer_keys (every covered row, in one scan); none now.
        query = select(SIGNER_KEYS).where(SIGNER_KEYS.c.enrolment_idx < record.end_idx)
        started = time.perf_counter()
        async with store._engine.connect() as connection:
            scanned = len((await connection.execute(query)).all())
        figures["check_s_before"] = time.perf_counter() - started
        figures["check_s_after"] = 0.0
        figures["rows_scanned_before"] = scanned

        # A key's lookup for a registration: cold (its enrolment entry read, checked against
        # the tree, decoded) against warm (held), beside one Ed25519 verification (the peer:
        # every registration verifies at least one signature).
        chosen = random.Random(15).sample(kids, min(sample, count))
        cold_directory = reading(restored())
        started = time.perf_counter()
        for kid in chosen:
            await cold_directory.load([kid])
        figures["lookup_ms_cold"] = (time.perf_counter() - started) * 1000 / len(chosen)
        batch_directory = reading(restored())
        started = time.perf_counter()
        for at in range(0, len(chosen), 512):  # as the sequencer reads a batch's keys
            await batch_directory.load(chosen[at : at + 512])
        figures["lookup_ms_cold_batch"] = (time.perf_counter() - started) * 1000 / len(chosen)
        started = time.perf_counter()
        for _ in range(20):
            for kid in chosen:
                cold_directory.get(kid)
        figures["lookup_ms_warm"] = (time.perf_counter() - started) * 1000 / (20 * len(chosen))
        private = Ed25519PrivateKey.generate()
        public, signature = private.public_key(), private.sign(b"statement" * 40)
        started = time.perf_counter()
        for _ in range(2000):
            public.verify(signature, b"statement" * 40)
        figures["verify_ms"] = (time.perf_counter() - started) * 1000 / 2000

        sealer = keys.log.sealer(saved_state.PURPOSE)
        started = time.perf_counter()
        seen = await saved_state.load_seen(store, state, None)
        figures["seen_s_from_every_entry"] = time.perf_counter() - started
        started = time.perf_counter()
        seen = await saved_state.load_seen(store, state, sealer)
        figures["seen_s_restored"] = time.perf_counter() - started
        figures["seen_mb"] = seen.size_bytes / 1e6
        seen_record = await store.fact_segment(saved_state.SEEN_FORMAT, 0)
        figures["seen_after_snapshot"] = (
            state.size if seen_record is None else state.size - seen_record.end_idx
        )
    finally:
        await store.close()
    return figures


def ratio(after: float, before: float) -> str:
    return "-" if before == 0 else f"{after / before:.2f}"


def report(home: Path, opens: dict[str, list[dict[str, Any]]], figures: dict[str, float]) -> None:
    size = opens["after"][0]["size"]
    print(f"\n== {home} ({size:,} entries, {figures['keys']:,.0f} keys) ==")
    print(f"{'':44} {'before':>10} {'after':>10} {'after/before':>13}")

    def line(what: str, before: float, after: float, unit: str) -> None:
        print(f"{what:44} {before:>9.3f}{unit} {after:>9.3f}{unit} {ratio(after, before):>13}")

    for label, key in (("RegistryService.open, best (s)", "open_s"),):
        best = {side: min(run[key] for run in runs) for side, runs in opens.items()}
        median = {
            side: sorted(r[key] for r in runs)[len(runs) // 2] for side, runs in opens.items()
        }
        line(label, best["before"], best["after"], " ")
        line("RegistryService.open, median (s)", median["before"], median["after"], " ")
    rss = {side: max(run["rss_mb"] for run in runs) for side, runs in opens.items()}
    line("resident once open (MB)", rss["before"], rss["after"], " ")
    line(
        "key directory (bytes a key)",
        figures["bytes_a_key_before"],
        figures["bytes_a_key_after"],
        " ",
    )
    keys = figures["keys"]
    line(
        "key directory (MB)",
        figures["bytes_a_key_before"] * keys / 1e6,
        figures["bytes_a_key_after"] * keys / 1e6,
        " ",
    )
    line("snapshot decoded into it (s)", figures["decode_s_before"], figures["decode_s_after"], " ")
    line(
        "covered signer_keys rows read (s)",
        figures["check_s_before"],
        figures["check_s_after"],
        " ",
    )
    print(f"  rows a start read before: {figures['rows_scanned_before']:,.0f}; after: none")
    cold, warm, verify = figures["lookup_ms_cold"], figures["lookup_ms_warm"], figures["verify_ms"]
    batch = figures["lookup_ms_cold_batch"]
    print(
        f"a key's lookup: cold {cold:.3f} ms alone (its enrolment entry read and checked),"
        f" {batch:.3f} ms a key in batches of 512, warm {warm * 1000:.2f} us;"
        f" one Ed25519 verification {verify:.3f} ms (cold/verify {cold / verify:.2f},"
        f" batch/verify {batch / verify:.2f}, warm/verify {warm / verify:.4f})"
    )
    print(
        f"Bloom filter: {figures['seen_mb']:.1f} MB; restored in {figures['seen_s_restored']:.3f} s"
        f" ({figures['seen_after_snapshot']:,.0f} entries past its snapshot added), built from"
        f" every entry in {figures['seen_s_from_every_entry']:.3f} s"
        f" (ratio {ratio(figures['seen_s_restored'], figures['seen_s_from_every_entry'])})"
    )
    recent = {side: runs[0]["recent"] for side, runs in opens.items()}
    shown = f"{recent['after']} entries (before: {recent['before']})"
    print(f"newest-entries cache after a start: {shown}")
    for side, runs in opens.items():
        opened = ", ".join(f"{r['open_s']:.2f}" for r in runs)
        print(f"  {side} opens (s): {opened} (code: {runs[0]['code']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--homes", type=Path, nargs="+", required=True)
    parser.add_argument("--base", help="the code before (default: merge-base of HEAD and main)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=500, help="keys looked up cold and warm")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.homes[0])
        return
    base = (
        args.base
        or subprocess.run(
            ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    print(f"before: {base}; after: this tree; load: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        code = base_code(base, Path(scratch))
        for home in args.homes:
            sides: dict[str, Path | None] = {"before": code, "after": None}
            for where in sides.values():  # each saves its own snapshots first
                open_in_process(home, where)
            opens: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
            for _ in range(args.runs):
                for side, where in sides.items():
                    opens[side].append(open_in_process(home, where))
            figures = asyncio.run(parts(home, args.sample))
            report(home, opens, figures)
    print(f"load at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
