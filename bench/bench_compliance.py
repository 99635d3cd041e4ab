"""The first national compliance answer after a start, and what a worker keeps for it.

    python bench/bench_compliance.py --sizes 100000 1000000

For each size, an index of that many synthetic entries' facts is built in
this process directly (no log, no signatures: the facts the index would read,
fabricated in ``bench/gen_log.py``'s proportions per regency of 100 entries:
7 enrolments, 28 reports, 20 recommendations, 17 follow-ups (most sanctioning,
some late, refused or downgraded), 23 declarations, 5 pacts), cut into saved
segments of 16,384 entries (``registry/compliance/saved.py``'s bytes), and
the benchmark measures, in the same run:

- **before** (a start that restores the index, then computes the figures from
  every fact, as ``/api/compliance/national`` did): the restore (decode every
  segment, take every fact), ``views.national`` over a snapshot of today, and
  the JSON of the answer (every figure listing every entry); the index's memory
  (tracemalloc, a second build);
- **after** (a start that restores the saved national tally,
  ``registry/compliance/tally.py``): decoding the tally's bytes, its row, the
  answer with figures over 10,000 entries linked (``registry/api/compliance.py``),
  and its JSON; the tally's memory; and, once, building the tally from the
  index (what a start with no saved tally adds to the restore) and the cost of
  keeping it as the last segment's facts are taken.

Both answers are checked equal (values and every inline list).  Prints figures
only; nothing is asserted.  The database read of the saved rows is not
included on either side (one small row after, every segment before).

With ``--log HOME --after K [K ...]`` it measures a real log instead (built by
``bench/gen_log.py --direct``, SQLite): the national tally is saved as of its
end (one process answers ``/api/compliance/national``'s figures and stops), then
for each K the log is grown by K entries with ``gen_log.py --direct`` (whole
regencies: reports, recommendations, follow-ups, pacts...), and two fresh
processes open the registry and measure, in the same run:

- **tally**: the first national answer after that start (the saved tally
  restored, the K entries taken from the log without the index:
  ``registry/compliance/feed.py``), whether the index was built, how many
  entries were read, and the process's resident memory (peak and after);
- **index**: restoring the compliance index from its sealed segments and
  catching it up over the K entries (what the first answer cost before),
  and the same memory.

K stays under a segment (16,384) so the first process does not save the tally
it fed and each K starts from the same saved tally.

With ``--table instansi`` the two processes answer today's ``/api/compliance/instansi``
instead (``ComplianceService.instansi``, rows linked as the API links them): from the
saved tally's per-instansi figures (``registry/compliance/groups.py``), against the
index restored and caught up and ``views.instansi`` over its snapshot of today (what
the endpoint computed before); the rows and the answer's bytes are printed too.
``--table provinces`` does the same for today's ``/api/compliance/provinces``
(``ComplianceService.provinces``: the saved tally's per-province figures,
``registry/compliance/provinces.py``, a signer's province read from its enrolment
entry for the K entries fed) against ``views.provinces`` over the index's snapshot.
``--table elections``: today's ``/api/compliance/elections`` (``ComplianceService.elections``:
the saved tally's per-election and pact signers' figures,
``registry/compliance/election_rows.py``) against ``views.elections``; ``--table months``
likewise (``registry/compliance/month_rows.py`` against ``views.months``);
``--table head-types`` (``ComplianceService.head_types``, ``registry/compliance/head_rows.py``,
the rows without the acting heads' row) and ``--table pact-signers-with-overdue``
(``registry/compliance/signer_rows.py``) and ``--table signers`` (every PPK key's record,
``registry/compliance/key_rows.py``) likewise against the index's tables, ``--table signer``
one key's record (``/api/compliance/signers/{kid}`` of the PPK key with the most standing
recommendations of its own, at most 100: ``registry/compliance/key_record.py``) against
``views.signer``
(``registry/compliance/dashboard.py`` ``table``); ``--table dashboard`` answers every table of
the unfiltered ``/dashboard`` page at once (``ComplianceService.today_tables``) against the same
tables computed from the index's snapshot.  ``--table recommendations``: today's unfiltered
``/api/compliance/recommendations``, one page (``--limit``, default 100, after entry
``--page-after``, default from the start: ``ComplianceService.recommendations``, each listed
recommendation and its follow-ups read from the log,
``registry/compliance/recommendation_pages.py``; ``search_records`` is written once before,
its time printed) against the index's same page (``recommendation_pages.index_page``);
every row is compared (a digest of the answers).
``--table recommendations-ppk`` and ``recommendations-instansi``: the list of the PPK key, or
the instansi, with the most standing recommendations.  ``--table instansi-page``: the page
(``/api/profiles/instansi/{id}``) of that instansi (``instansi-page-declarations``: of the
instansi with the most standing declarations), from the tally, ``search_records`` and the
log (``ComplianceService.instansi_page``) against ``dashboard.instansi_page`` of the index.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gen_log import ORIGIN, PASSPHRASE, settings_for

from registry.api.linked import bounded
from registry.compliance import dashboard, tally_bytes, views
from registry.compliance.browsing import RecordSearch
from registry.compliance.facts import Fact, FollowUp, Key, Rec, Report, Signed, add_days
from registry.compliance.filtering import slug
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.provinces import no_keys
from registry.compliance.recommendation_pages import index_page
from registry.compliance.saved import SEGMENT, decode_facts, encode_facts
from registry.compliance.service import ComplianceService, today
from registry.compliance.tally import NationalTally
from registry.compliance.views import national
from registry.records.operator import open_keys
from registry.records.schemas import RECORD_TYPES
from registry.records.service import RegistryService

PROVINCES = 38
START = "2024-01-01"
SPAN_DAYS = 700


def regency(r: int, base: int, rng: random.Random) -> list[Fact]:
    """The facts of one regency's 100 entries, from entry ``base``."""
    instansi = f"Pemerintah Kabupaten {r}"
    province = f"Provinsi {r % PROVINCES}"
    first = add_days(START, rng.randrange(SPAN_DAYS - 60))
    ppk = rng.randbytes(32)
    facts: list[Fact] = []
    idx = base

    def day(after: str, within: int) -> str:
        return add_days(after, rng.randrange(within))

    for n in range(7):
        kid = ppk if n == 0 else rng.randbytes(32)
        facts.append(
            Key(
                idx, first, kid, "ppk" if n == 0 else "asn", f"Pejabat {r}.{n}", None,
                "Bupati" if n == 0 else "Staf", instansi, province,
                "definitive" if n == 0 else None, "2021-02-26", "2026-02-26", rng.randbytes(32),
            )
        )  # fmt: skip
        idx += 1
    subjects = []
    for _ in range(28):
        subjects.append(rng.randbytes(32))
        facts.append(Report(idx, day(first, 30), instansi, province, "social-media", subjects[-1]))
        idx += 1
    for _ in range(5):
        facts.append(Signed(idx, first, "pact", ppk, instansi, "pilkada-2024", first))
        idx += 1
    for _ in range(23):
        facts.append(
            Signed(idx, first, "declaration", rng.randbytes(32), instansi, "pilkada-2024", first)
        )
        idx += 1
    recs: list[Rec] = []
    for n in range(20):
        issued = day(first, 40)
        sanction = rng.choice(("moral", "moral", "light", "medium"))
        recs.append(
            Rec(
                idx, issued, f"REK.{r}.{n}", instansi, ppk, subjects[n], add_days(issued, 14),
                base + 7 + n, "pilkada-2024", sanction, "social-media", b"k" * 32,
            )
        )  # fmt: skip
        facts.append(recs[-1])
        idx += 1
    for rec in recs[:17]:
        action = "refused" if rng.random() < 0.03 else "sanctioned"
        imposed = "moral" if rec.sanction != "moral" and rng.random() < 0.05 else None
        decree = day(rec.day, 25)
        facts.append(FollowUp(idx, decree, rec.idx, action, decree, ppk, imposed, None, decree, 0))
        idx += 1
    return facts


def fabricate(size: int, seed: int = 15) -> tuple[list[Fact], int]:
    """Facts of ``size`` entries (whole regencies) and the entries they span."""
    rng = random.Random(seed)
    facts: list[Fact] = []
    for r in range(size // 100):
        facts += regency(r, r * 100, rng)
    return facts, size // 100 * 100


def segments(facts: list[Fact], size: int) -> list[tuple[int, bytes]]:
    """The saved segments' ends and bytes."""
    out = []
    at = 0
    for start in range(0, size, SEGMENT):
        end = min(size, start + SEGMENT)
        chunk = []
        while at < len(facts) and facts[at].idx < end:
            chunk.append(facts[at])
            at += 1
        out.append((end, encode_facts(chunk)))
    return out


def restore(saved: list[tuple[int, bytes]]) -> ComplianceIndex:
    """The index from its saved segments, as ``SavedIndex.restore`` does."""
    index = ComplianceIndex()
    collecting = gc.isenabled()
    gc.disable()
    try:
        for end, data in saved:
            for fact in decode_facts(data):
                index.take(fact)
            index.size = end
    finally:
        if collecting:
            gc.enable()
        gc.freeze()
    return index


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def traced(work: Callable[[], Any]) -> tuple[float, Any]:
    """MB that ``work``'s result keeps allocated."""
    gc.collect()
    tracemalloc.start()
    result = work()
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current / 1e6, result


def answer(day: str, row: dict[str, Any]) -> bytes:
    """The JSON ``/api/compliance/national`` answers with ``row``."""
    return msgspec.json.encode({"as_of": day, **bounded("national", day, row)})


def full_answer(day: str, row: dict[str, Any]) -> bytes:
    """The JSON of the answer before figures were bounded: every entry inline."""
    return msgspec.json.encode({"as_of": day, **row})


def same(tallied: dict[str, Any], computed: dict[str, Any]) -> bool:
    """The tally's row is the snapshot's (values; and lists wherever the tally keeps one)."""
    for name, figure in computed.items():
        got = tallied[name]
        if got["value"] != figure["value"]:
            return False
        if got["entries"] is not None and got["entries"] != figure["entries"]:
            return False
        if got["entries"] is None and got["entries_total"] != len(figure["entries"]):
            return False
    return list(tallied) == list(computed)


def measure(size: int) -> dict[str, float]:
    day = today()
    facts, size = fabricate(size)
    saved = segments(facts, size)
    del facts
    gc.collect()
    out: dict[str, float] = {"entries": size}

    restore_s, index = timed(lambda: restore(saved))
    figures_s, row = timed(lambda i=index: national(Snapshot(i, day)))
    json_s, body = timed(lambda: full_answer(day, row))
    out["before: restore s"] = restore_s
    out["before: figures s"] = figures_s
    out["before: JSON s"] = json_s
    out["before: first answer s"] = restore_s + figures_s + json_s
    out["before: answer MB"] = len(body) / 1e6

    build_s, tally = timed(lambda i=index: NationalTally.build(i, day))
    out["tally: build from the index s"] = build_s
    data = tally_bytes.encode(tally)
    out["tally: saved KB"] = len(data) / 1e3
    out["checked equal"] = float(same(tally.row(), row))

    # keeping the tally: the last segment's facts taken again into an index without them,
    # with a tally and without
    cut = saved[-1][0] - SEGMENT if len(saved) > 1 else 0
    tail = [f for _, d in saved for f in decode_facts(d) if f.idx >= cut]
    head = [(end, d) for end, d in saved if end <= cut]
    for label, with_tally in (("without", False), ("with", True)):
        partial = restore(head)
        if with_tally:
            partial.tally = NationalTally.build(partial, day)
        took_s, _ = timed(lambda p=partial: [p.take(f) for f in tail])
        out[f"take the last segment's facts, {label} tally, ms"] = took_s * 1e3
        del partial
        gc.collect()
    del index
    gc.collect()

    def first_after() -> bytes:
        restored = tally_bytes.decode(data)
        restored.advance(day, None, no_keys)
        return answer(day, restored.row())

    after_s, small = timed(first_after)
    out["after: first answer s"] = after_s
    out["after: answer MB"] = len(small) / 1e6
    out["after: tally MB (tracemalloc)"], _ = traced(lambda: tally_bytes.decode(data))
    out["before: index MB (tracemalloc)"], _ = traced(lambda: restore(saved))
    gc.collect()
    return out


def rss_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak, MB."""
    now = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            now = int(line.split()[1]) / 1e3
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


async def opened(home: Path) -> tuple[RegistryService, ComplianceService]:
    """The registry of ``home`` opened as a worker opens it, and its compliance service."""
    settings = settings_for(home)
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    service = await RegistryService.open(settings, keys)
    compliance = ComplianceService(
        service, service.identities, settings.follow_up_days, service.segments
    )
    return service, compliance


async def child(mode: str, home: Path) -> dict[str, Any]:
    """One start of the registry of ``home``: the first national answer (``tally``), or the
    index restored and caught up (``index``); nothing saved at the end."""
    started = time.perf_counter()
    service, compliance = await opened(home)
    out: dict[str, Any] = {"open s": time.perf_counter() - started, "size": service.size}
    out["open MB"], _ = rss_mb()
    try:
        started = time.perf_counter()
        if mode == "tally":
            _, row = await compliance.national()
            out["recommendations"] = row["recommendations"]["value"]
        elif mode == "index":
            await compliance.snapshot()
        else:
            table = mode.removesuffix("-index")
            names = DASHBOARD if table == "dashboard" else (table,)
            if mode == "dashboard":  # the unfiltered page's tables, from the tally
                found = await compliance.today_tables(names)
                assert found is not None, "the tally answers every table of the page"
                day, tables = found.day, found.tables
            elif mode in PAGES:  # the tally, search_records and the log
                day, _ = await compliance.national()
                name = page_instansi(mode, compliance.index.tally)
                find = searched(home, service).indexes
                page = await compliance.instansi_page(slug(name), find)
                assert page is not None, "the tally and the search table can say"
                day, _, row = page
                tables = {"instansi": [row]}
            elif table in PAGES:  # as the endpoint answered before: the index's snapshot
                snap = await compliance.snapshot()
                name = page_instansi(table, snap)
                day, tables = snap.as_of, {"instansi": [dashboard.instansi_page(snap, slug(name))]}
            elif mode in RECOMMENDATIONS:  # the tally, search_records and the log
                day, _ = await compliance.national()
                asked = busiest_asked(mode, compliance.index.tally)
                found = await compliance.recommendations(
                    searched(home, service), **asked, after=PAGE["after"], limit=PAGE["limit"]
                )
                assert found is not None, "the tally and the search table can say"
                day, tables = found.day, {table: found.items}
            elif table in RECOMMENDATIONS:
                snap = await compliance.snapshot()
                asked = busiest_asked(table, snap)
                page = index_page(snap, asked.get("ppk"), asked.get("instansi"), None, **PAGE)
                day, tables = snap.as_of, {table: page.items}
            elif mode in TABLES:
                day, rows = await TALLIED[mode](compliance)
                tables = {table: rows}
            elif table == "signer":  # one key's record as the endpoint answered it before
                snap = await compliance.snapshot()
                counts = Counter(o.rec.ppk_kid for o in snap.outcomes.values())
                kid = busiest({k.kid: counts[k.kid] for k in snap.ppks})
                day, tables = snap.as_of, {table: [views.signer(snap, kid)]}
            else:  # as the endpoint answered before: the index's snapshot of today
                snap = await compliance.snapshot()
                day, tables = snap.as_of, {n: dashboard.table(snap, n) for n in names}
            out["values"] = {}
            answer = 0
            for name, rows in tables.items():
                items = [bounded(name, day, row) for row in rows]
                label = dashboard.LABELS.get(name)
                out["values"][name] = [
                    [row.get(label) if label else None, figure_values(row)] for row in items
                ]
                answer += len(msgspec.json.encode(items))
            out["rows"] = sum(len(rows) for rows in tables.values())
            out["digest"] = hashlib.sha256(msgspec.json.encode(tables)).hexdigest()
            out["answer KB"] = answer / 1e3
        out["s"] = time.perf_counter() - started
        out["index entries"] = compliance.index.size
        out["entries read"] = compliance.facts.read
        out["MB"], out["peak MB"] = rss_mb()
    finally:
        await service.close()  # the compliance service is not closed: it saves nothing
    return out


def figure_values(row: dict[str, Any]) -> dict[str, Any]:
    """Each figure's value in ``row``."""
    return {k: v["value"] for k, v in row.items() if isinstance(v, dict) and "value" in v}


async def save_tally(home: Path) -> int:
    """Answer the national figures once in this process (the tally saved as of the log's
    end, the index's segments too) and stop; the log's size."""
    service, compliance = await opened(home)
    try:
        await compliance.national()
        await compliance.close()
        return service.size
    finally:
        await service.close()


def busiest_asked(table: str, found: NationalTally | Snapshot | None) -> dict[str, Any]:
    """The filter of ``--table recommendations[-ppk|-instansi]``: none, or the key or
    instansi with the most standing recommendations (ties: the greatest), from the tally
    or the index's snapshot."""
    if table == "recommendations":
        return {}
    counts: Counter[Any] = Counter()
    if isinstance(found, Snapshot):
        for o in found.outcomes.values():
            counts[o.rec.ppk_kid if table.endswith("ppk") else o.rec.instansi] += 1
    elif found is not None:
        groups = found.by_key.figures.groups if table.endswith("ppk") else found.instansi.groups
        counts.update({g: v.figures["recommendations"].count for g, v in groups.items()})
    most = max((n, g) for g, n in counts.items() if n)[1]
    return {"ppk": most} if table.endswith("ppk") else {"instansi": most}


def page_instansi(table: str, found: NationalTally | Snapshot | None) -> str:
    """The instansi of ``--table instansi-page[-declarations]``: the one with the most standing
    recommendations (or declarations; ties: the greatest), from the tally or the snapshot."""
    if not table.endswith("declarations"):
        return str(busiest_asked(RECOMMENDATIONS[2], found)["instansi"])
    counts: Counter[str] = Counter()
    if isinstance(found, Snapshot):
        counts.update(s.instansi for s in found.declarations)
    elif found is not None:
        groups = found.instansi.groups.items()
        counts.update({g: v.figures["declarations"].count for g, v in groups})
    return max((n, g) for g, n in counts.items() if n)[1]


def searched(home: Path, service: RegistryService) -> RecordSearch:
    """The record search of a worker of ``home`` (its table as written)."""
    days = settings_for(home).follow_up_days
    return RecordSearch(service, service.search_table, list(RECORD_TYPES), days)


async def write_search(home: Path) -> float:
    """Write ``search_records`` up to the log (as the keeper does behind it); seconds."""
    service, _ = await opened(home)
    try:
        started = time.perf_counter()
        await searched(home, service).catch_up()
        return time.perf_counter() - started
    finally:
        await service.close()


PAGE: dict[str, Any] = {"after": None, "limit": 100}
"""The page of ``--table recommendations[-ppk|-instansi]`` (``--page-after``, ``--limit``)."""


def child_answer(script: str, *args: str) -> dict[str, Any]:
    """Run bench ``script`` (a file's ``__file__``) with ``args`` in a fresh process; the JSON
    its last line of output prints."""
    done = subprocess.run(
        [sys.executable, str(Path(script).resolve()), *args],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def run_child(mode: str, home: Path) -> dict[str, Any]:
    page = ["--limit", str(PAGE["limit"])]
    if PAGE["after"] is not None:
        page += ["--page-after", str(PAGE["after"])]
    return child_answer(__file__, "--child", mode, "--log", str(home), *page)


async def heads_only(compliance: ComplianceService) -> tuple[str, Any]:
    """Today's head-types rows (the acting heads' row aside)."""
    day, (rows, _) = await compliance.head_types()
    return day, rows


def busiest(counts: dict[bytes, int]) -> bytes:
    """The PPK key with the most standing recommendations of its own, at most 100 (the most a
    tally lists; ties: the greatest kid)."""
    return max((n, kid) for kid, n in counts.items() if n <= 100)[1]


async def busiest_record(compliance: ComplianceService) -> tuple[str, Any]:
    """Today's ``/api/compliance/signers/{kid}`` of :func:`busiest` key, from the tally (the
    first answer after the start: the tally restored and fed, the key's entries read)."""
    day, _ = await compliance.national()
    tally = compliance.index.tally
    assert tally is not None
    counts = {
        kid: len(tally.by_key.recommendations(kid) or range(101))
        for kid, office in tally.offices.keys.items()
        if office.day <= day
    }
    _, row = await compliance.signer(busiest(counts))
    return day, [row]


TALLIED: dict[str, Callable[[ComplianceService], Awaitable[tuple[str, Any]]]] = {
    "instansi": lambda c: c.instansi(),
    "provinces": lambda c: c.provinces(),
    "elections": lambda c: c.elections(),
    "months": lambda c: c.months(),
    "head-types": heads_only,
    "pact-signers-with-overdue": lambda c: c.pact_signers_with_overdue(),
    "signers": lambda c: c.signers(),
    "signer": busiest_record,
}
"""How each table ``--table`` measures is answered today (from the tally)."""
RECOMMENDATIONS = ("recommendations", "recommendations-ppk", "recommendations-instansi")
"""Today's list: unfiltered, of the PPK key with the most standing recommendations, of the
instansi with the most."""
PAGES = ("instansi-page", "instansi-page-declarations")
"""The page (``/api/profiles/instansi/{id}``) of the instansi with the most standing
recommendations, or declarations: from the tally, ``search_records`` and the log
(``registry/compliance/instansi_record.py``), against ``dashboard.instansi_page`` of the index."""
TABLES = (*TALLIED, "dashboard", *RECOMMENDATIONS, *PAGES)
"""The tables ``--table`` measures besides the national row (``dashboard``: every table of
the unfiltered ``/dashboard`` page, :data:`DASHBOARD`)."""
DASHBOARD = ("national", "provinces", "head-types", "elections", "months", "instansi",
             "pact-signers-with-overdue")  # fmt: skip


GROW = ["--direct", "--workers", "2", "--verify-every", "10", "--floor-rows", "0"]
"""How ``gen_log.py`` grows the log between measurements."""


def served(home: Path, after: list[int], table: str = "national") -> None:
    """The first national (instansi, provinces) answer after K registrations, against the
    index's restore."""
    size = asyncio.run(save_tally(home))
    print(f"tally saved at {size:,} entries (load {os.getloadavg()[0]:.1f})", flush=True)
    if table in (*RECOMMENDATIONS, *PAGES):
        print(f"search_records written in {asyncio.run(write_search(home)):.1f} s", flush=True)
    gen = Path(__file__).resolve().with_name("gen_log.py")
    grown = 0
    print(
        f"{'K':>7} {'tally s':>9} {'index s':>9} {'ratio':>7} {'read':>7} {'index':>9}"
        f" {'tally MB':>9} {'peak':>7} {'index MB':>9} {'peak':>7} {'open MB':>8} {'load':>5}"
    )
    for k in sorted(after):
        if k > grown:
            subprocess.run(
                [sys.executable, str(gen), *GROW, "--entries", str(size + k), "--home", str(home)],
                check=True,
                capture_output=True,
            )
            grown = k
        if table != "national":
            tally = run_child(table, home)
            index = run_child(f"{table}-index", home)
            print(
                f"{table} rows {tally['rows']:,} (index {index['rows']:,}), answer"
                f" {tally['answer KB']:,.0f} KB (index {index['answer KB']:,.0f} KB),"
                f" every value equal: {tally['values'] == index['values']},"
                f" every row equal: {tally['digest'] == index['digest']}",
                flush=True,
            )
        else:
            tally = run_child("tally", home)
            index = run_child("index", home)
        print(
            f"{tally['size'] - size:>7,} {tally['s']:>9.3f} {index['s']:>9.3f}"
            f" {tally['s'] / index['s']:>7.4f} {tally['entries read']:>7,}"
            f" {tally['index entries']:>9,} {tally['MB']:>9.0f} {tally['peak MB']:>7.0f}"
            f" {index['MB']:>9.0f} {index['peak MB']:>7.0f} {tally['open MB']:>8.0f}"
            f" {os.getloadavg()[0]:>5.1f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--log", type=Path, help="a log built by gen_log.py --direct")
    parser.add_argument("--after", type=int, nargs="+", default=[0, 1_000, 10_000])
    parser.add_argument("--table", choices=["national", *TABLES], default="national")
    parser.add_argument("--limit", type=int, default=100, help="recommendations: a page's size")
    parser.add_argument("--page-after", type=int, help="recommendations: the page after this entry")
    parser.add_argument(
        "--child",
        choices=[
            "tally",
            "index",
            *(f"{t}{i}" for t in TABLES for i in ("", "-index")),
        ],
        help=argparse.SUPPRESS,
    )
    args = parser.parse_args()
    PAGE.update(after=args.page_after, limit=args.limit)
    if args.log is not None:
        if args.child:
            print(json.dumps(asyncio.run(child(args.child, args.log))))
        else:
            served(args.log, args.after, args.table)
        return
    results = []
    for size in args.sizes:
        print(f"measuring {size:,} entries ...", file=sys.stderr, flush=True)
        results.append(measure(size))
    names = [n for n in results[0] if n != "entries"]
    print(f"{'':44}" + "".join(f"{int(r['entries']):>16,}" for r in results))
    for name in names:
        print(f"{name:44}" + "".join(f"{r[name]:>16.3f}" for r in results))
    for r in results:
        ratio = r["before: first answer s"] / r["after: first answer s"]
        memory = r["before: index MB (tracemalloc)"] / max(r["after: tally MB (tracemalloc)"], 1e-6)
        print(
            f"{int(r['entries']):>12,} entries: first answer {ratio:,.0f}x faster"
            f" ({r['before: first answer s']:.3f} s -> {r['after: first answer s'] * 1e3:.1f} ms),"
            f" memory for it {memory:,.0f}x less"
            f" ({r['before: index MB (tracemalloc)']:.0f} MB -> "
            f"{r['after: tally MB (tracemalloc)']:.2f} MB),"
            f" index {r['before: index MB (tracemalloc)'] * 1e6 / r['entries']:.0f} bytes/entry"
        )


if __name__ == "__main__":
    main()
