"""The dashboard filtered by a province or an instansi (today or an earlier day) without the index.

The scope's facts and their closure (:mod:`registry.compliance.scoped_index`) are found,
read checked from the log (an edited entry raises ``TamperedEntry``), given to an index of
their own, and cross-checked against the national tally before that index answers.

Where the candidates come from:

- the scope's records and enrolments: the search table's rows (``search_records``) of the
  instansi (its PPK keys: the tally's offices), or of the province (its enrolments and
  reports; then the records whose person is one of the keys those enrolments name,
  :data:`CHUNK` keys a query);
- the keys they name, the keys those succeeded, and each key's end: the worker's key
  directory (``Log.key_entries``);
- the follow-ups answering each recommendation: the tally's (``NationalTally.with_answers``);
- the revocation of any entry read: the worker's derived revocations (``Log.revoked_by``);
- the elections: the tally's election records;
- for an earlier day (``until``): every entry revoked after it (the tally's ``revoked``), since
  the tally of today does not count them and the search table's rows are not trusted to name
  them all; the closure keeps those of the scope.

The rows only say where to look: a fact is kept only if what it says places it in the scope
(:func:`scoped_index.closure`), so a row added or moved into the scope shows nothing.  A
row deleted or moved away would hide a record: the scope's index must then give the tally's
own rows of the scope (:func:`agrees`): by a province its provinces row (ASN declarations
under the province too), its standing reports (counted even where it has no row) and its PPK
keys' signers rows (recommendations with their outcomes, steps, pacts and declarations); by
an instansi its instansi row, the tally's standing steps of it and its PPK keys.  The
reports of an instansi are not among the tally's figures: those are not cross-checked
(a deleted report row lowers an instansi's report count unseen; docs/scaling.md).

Where they differ, a key of the scope is enrolled after the day (:func:`trusted`), the tally
is inexact (a key enrolled twice), the search table is behind, or the tally moved on while
the facts were read, :func:`index` answers None and the whole index answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from registry.compliance import views
from registry.compliance.browsing import SearchBehind
from registry.compliance.facts import Fact, Key, Rec, Signed, Step, Succession
from registry.compliance.feed import FactLog, Log
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import counted, figure
from registry.compliance.recommendation_rows import Find
from registry.compliance.scoped_index import Scope, index_of
from registry.compliance.tally import NationalTally
from registry.store.models import SearchCriteria

Row = dict[str, Any]
CHUNK = 500
"""Keys a query of the search table names at most (a province's records by their person)."""
OWN_TYPES = ("recommendation", "report", "pact", "declaration", "enforcement")
"""The search table's types of an instansi's records (its PPK keys are the tally's offices:
an instansi's enrolment rows are mostly its ASN's, which its tables do not need)."""
PERSONS_TYPES = ("recommendation", "pact", "declaration", "enforcement")
"""The types of a province's records, found by their person (its keys)."""
REVOKED = 10_000
"""Entries revoked after an earlier day asked that are read at most (more: the index)."""


class _Short(Exception):
    """The scope's index cannot answer (the whole index does)."""


async def index(
    tally: NationalTally,
    scope: Scope,
    find: Find,
    facts: FactLog,
    log: Log,
    lock: asyncio.Lock,
    follow_up_days: int,
    since: str | None = None,
) -> ComplianceIndex | None:
    """The index of ``scope``'s facts as the tally (fed under ``lock``) holds the log, or
    None where it cannot be trusted to be whole (see the module).  With ``since`` (an earlier
    day the answer is asked as of), the entries revoked after it are read too: they stood
    then, and today's tally does not count them (at most :data:`REVOKED` of them)."""
    async with lock:
        if not tally.keys_exact:
            return None
        mark = (tally.size, tally.day)
        kept = _kept_rows(tally, scope)
        elections = sorted(tally.elections.records)
        offices = [k.idx for k in tally.offices.keys.values() if k.instansi == scope.instansi]
        revoked = [] if since is None else [i for i, d in tally.revoked.items() if d > since]
    if kept is None or len(revoked) > REVOKED:
        return None
    try:
        known = [*elections, *offices, *revoked]
        read = await _read(tally, scope, find, facts, log, mark[0], known)
    except (_Short, SearchBehind):
        return None
    found = index_of((f for f in read.values() if f is not None), scope, mark[0], follow_up_days)
    async with lock:
        if (tally.size, tally.day) != mark:
            return None
    return found if trusted(found, scope, mark[1], kept) else None


def trusted(found: ComplianceIndex, scope: Scope, day: str, kept: list[list[Row]]) -> bool:
    """Whether the scope's index ``found`` gives the tally's rows ``kept`` of the scope as of
    ``day``, and enrols no key after it (the tally's rows leave out what such a key is
    addressed or signed; the filter's placement keeps it)."""
    if any(key.day > day for key in found.keys.values()):
        return False
    return agrees(_rows(found, scope, day), kept)


def _kept_rows(tally: NationalTally, scope: Scope) -> list[list[Row]] | None:
    """The tally's rows the scope's index must give (None: the tally keeps them inexact)."""
    if scope.instansi is not None:
        group = tally.instansi.groups.get(scope.instansi)
        steps = [] if group is None else sorted(group.steps)
        offices = tally.offices.keys.values()
        ppks = sorted(k.idx for k in offices if k.instansi == scope.instansi and k.day <= tally.day)
        kept = {"steps": steps, "ppks": ppks}
        return [tally.instansi_rows(name=scope.instansi), [kept]]
    provinces = tally.provinces_rows()
    signers = tally.signers_rows(province=scope.province)
    if provinces is None or signers is None:
        return None
    place = tally.provinces.figures.groups.get(scope.province)
    reports = figure(0, []) if place is None else place.figures["reports"].figure()
    rows = [r for r in provinces if r["province"] == scope.province]
    return [rows, signers, [{"reports": reports}]]


def _rows(found: ComplianceIndex, scope: Scope, day: str) -> list[list[Row]]:
    """:func:`_kept_rows` of the scope's index, as of the tally's day ``day``."""
    snap = found.snapshot(day)
    if scope.instansi is not None:
        steps = [s.idx for s in snap.steps if s.instansi == scope.instansi]
        ppks = [k.idx for k in snap.ppks if k.instansi == scope.instansi]
        mine = {"steps": steps, "ppks": sorted(ppks)}
        return [views.instansi(snap, name=scope.instansi), [mine]]
    provinces = [r for r in views.provinces(snap) if r["province"] == scope.province]
    reports = counted(r for r in snap.reports if r.province == scope.province)
    return [provinces, views.signers(snap, province=scope.province), [{"reports": reports}]]


def agrees(mine: Any, kept: Any) -> bool:
    """Whether ``mine`` (the views' rows) is ``kept`` (the tally's), but where the tally
    keeps a figure's count only (``entries`` None): then its value only."""
    if isinstance(kept, dict) and isinstance(mine, dict):
        if "value" in kept and kept.get("entries", ()) is None:
            return bool(mine.get("value") == kept["value"])
        known = {k for k in kept if k != "entries_total"}
        return known == set(mine) and all(agrees(mine[k], kept[k]) for k in known)
    if isinstance(kept, list) and isinstance(mine, list):
        return len(mine) == len(kept) and all(map(agrees, mine, kept))
    return bool(mine == kept)


async def _read(
    tally: NationalTally,
    scope: Scope,
    find: Find,
    facts: FactLog,
    log: Log,
    below: int,
    known: Sequence[int],
) -> dict[int, Fact | None]:
    """Every fact the scope's closure may hold, read checked (a superset of it); ``known``:
    entries the tally names (the elections, an instansi's PPK enrolments)."""
    read: dict[int, Fact | None] = {}

    async def take(idxs: Iterable[int]) -> list[Fact]:
        new = sorted({i for i in idxs if i < below} - set(read))
        got = await facts.facts_at(new)
        if any(i not in got for i in new):
            raise _Short  # pragma: no cover - an entry below the tally's size not held
        read.update(got)
        return [f for f in got.values() if f is not None]

    if scope.instansi is not None:
        for type in OWN_TYPES:
            await take(await find(SearchCriteria(type=type, instansi=(scope.instansi,)), below))
    else:
        own = SearchCriteria(type="enrolment", province=scope.province)
        enrolled = await take(await find(own, below))
        await take(await find(SearchCriteria(type="report", province=scope.province), below))
        kids = sorted({k for f in enrolled if (k := _enrolled(f)) is not None})
        for start in range(0, len(kids), CHUNK):
            chunk = tuple(kids[start : start + CHUNK])
            for type in PERSONS_TYPES:
                await take(await find(SearchCriteria(type=type, kids=chunk), below))
    await take(known)
    recs = [f.idx for f in read.values() if isinstance(f, Rec)]
    await take(tally.with_answers(recs))
    await _keys(read, log, take)
    await take(r for i in list(read) if (r := log.revoked_by(i)) is not None)
    return read


def _enrolled(fact: Fact) -> bytes | None:
    """The key an enrolment (or a succession) enrols."""
    if isinstance(fact, Key):
        return fact.kid
    if isinstance(fact, Succession):
        return fact.new
    return None


async def _keys(read: dict[int, Fact | None], log: Log, take: Any) -> None:
    """Read the enrolment and end of each key the facts read name, and of the keys those
    succeeded, from the key directory."""
    done: set[bytes] = set()
    while True:
        kids: set[bytes] = set()
        for fact in read.values():
            if isinstance(fact, Rec | Step):
                kids.add(fact.ppk_kid)
            elif isinstance(fact, Signed):
                kids.add(fact.signer)
            elif isinstance(fact, Succession):
                kids |= {fact.old, fact.new}
            elif isinstance(fact, Key):
                kids.add(fact.kid)
        kids -= done
        if not kids:
            return
        done |= kids
        entries = [log.key_entries(kid) for kid in sorted(kids)]
        await take(i for found in entries if found is not None for i in found if i is not None)
