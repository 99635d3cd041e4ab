"""The entries behind a figure of today's tables, paged without the index
(:mod:`registry.compliance.figure_pages`): over the random histories of
``test_tally_key_rows``, at every day the tally moves to, for every table, row and figure
the index lists (:func:`registry.compliance.dashboard.figure_entries`), the pages read
from the tally and the log (followed by their cursor, at a random limit) make exactly the
index's list, and each page's ``total`` is the list's length; a tally that lists the
entries, and one that keeps only counts (bound 2: scanned from the search's rows).  A search
row deleted, added (naming an entry of another type) or both in one range makes a scanned
page None (the index answers); where the figure's rows are untouched the pages stand.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import dashboard
from registry.compliance.facts import Fact, FollowUp, Signed, Succession
from registry.compliance.figure_members import located
from registry.compliance.figure_pages import EntriesPage, paged
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally
from registry.store.models import SearchCriteria
from registry.verify.trust import b64url
from tests.compliance.test_recommendation_pages import Log
from tests.compliance.test_tally import DAYS
from tests.compliance.test_tally_instansi import every_day
from tests.compliance.test_tally_key_rows import (
    NEW,
    OTHER,
    PPK,
    _enrolment,
    _rec,
    history_of,
)
from tests.loop import in_loop

SCANNED = ("recommendation", "follow-up", "report", "pact", "declaration", "enforcement")


def typed(index: ComplianceIndex) -> dict[str, list[int]]:
    """The entries of each listed type the index holds (standing or not), as
    ``search_records`` and ``entries.type`` hold them."""
    found: dict[str, list[int]] = {t: [] for t in SCANNED}
    found["recommendation"] = sorted(index.recs)
    found["follow-up"] = sorted(index.follow_ups)
    found["report"] = sorted(index.reports)
    found["enforcement"] = sorted(index.steps)
    for idx, signed in sorted(index.signed.items()):
        found[signed.kind].append(idx)
    return found


class Search:
    """``search_records`` of the index's entries by type, less the rows ``gone`` and with
    the rows ``extra`` ((type, entry): an entry of another type listed under ``type``);
    ``entries.type`` counted from the index, untouched."""

    def __init__(
        self, index: ComplianceIndex, gone: set[int] = frozenset(), extra: Any = frozenset()
    ) -> None:
        self.types, self.gone, self.extra = typed(index), set(gone), set(extra)

    async def indexes(self, criteria: SearchCriteria, below: int) -> list[int]:  # pragma: no cover
        raise AssertionError("a figure's page is scanned after a cursor")

    async def indexes_after(
        self, criteria: SearchCriteria, after: int, below: int, limit: int
    ) -> list[int]:
        assert criteria.type is not None
        rows = set(self.types[criteria.type]) - self.gone
        rows |= {i for t, i in self.extra if t == criteria.type}
        return sorted(i for i in rows if after < i < below)[:limit]

    async def entries_of_type(self, type: str, after: int, upto: int) -> int:
        return sum(1 for i in self.types[type] if after < i <= upto)


def walk(tally: NationalTally, search: Search, log: Log, asked: tuple[str, str | None, str],
         limit: int, on: str | None = None,
         ) -> list[EntriesPage] | None:  # fmt: skip
    """Every page of a figure (of the keys in office ``on``: head types), following each
    one's cursor (None: one left to the index); each page on the test process's one loop
    (:func:`tests.loop.in_loop`: a new loop a page was half of a property's time)."""
    found: list[EntriesPage] = []
    after = None
    for _ in range(tally.size + 2):
        page = in_loop(paged(tally, search, log, asyncio.Lock(), *asked, after, limit, on))
        if page is None:
            return None
        found.append(page)
        if not page.more:
            return found
        assert len(page.entries) == limit, "a page with more after it is full"
        after = page.entries[-1]
    raise AssertionError("more pages than entries: the cursor does not move on")


def asked_of(snap: Snapshot) -> list[tuple[str, str | None, str]]:
    """Every table, row and figure that lists entries, named as the API's links name them."""
    out = []
    for table in dashboard.TABLES:
        label = dashboard.LABELS.get(table)
        for row in dashboard.table(snap, table):
            key = None if label is None or row.get(label) is None else str(row[label])
            for name, value in row.items():
                if isinstance(value, dict) and "entries" in value:
                    out.append((table, key, name))
    return out


def checked(
    rng: random.Random,
    tally: NationalTally,
    index: ComplianceIndex,
    day: str,
) -> int:
    """Every figure's pages against the index's list; how many were scanned."""
    snap = Snapshot(index, day)
    scanned = 0
    for asked in asked_of(snap):
        want = dashboard.figure_entries(snap, *asked)
        where = located(tally, *asked) if tally.keys_exact else None
        limit = rng.choice([1, 2, 3, 7, 10_000])
        found = walk(tally, Search(index), Log(index), asked, limit)
        if where is None:  # left to the index (a table or figure the tally cannot page)
            assert found is None or [e for p in found for e in p.entries] == want, asked
            continue
        assert found is not None, f"{asked}: the untouched search table answers"
        assert [e for p in found for e in p.entries] == want, asked
        assert all(p.total == len(want) and p.day == day for p in found), asked
        if where.figure["entries"] is not None:
            continue  # listed by the tally: no row read
        scanned += 1
        types = {t for _, t in where.names}
        if not types:  # enrolments only (the head types' instansi led, stop 33): no row to edit
            continue
        rows = sorted(i for t in types for i in typed(index)[t])
        if rows:  # a row deleted: a page whose range held it goes to the index
            gone = {rng.choice(rows)}
            assert walk(tally, Search(index, gone=gone), Log(index), asked, limit) is None, asked
        others = sorted(set(range(index.size)) - set(rows))
        if others:  # a row added, naming an entry of another type: the same
            extra = {(rng.choice(sorted(types)), rng.choice(others))}
            assert walk(tally, Search(index, extra=extra), Log(index), asked, limit) is None
            if rows:  # both, as many rows as entries of the type: still the index
                both = Search(index, gone={rng.choice(rows)}, extra=extra)
                assert walk(tally, both, Log(index), asked, limit) is None, asked
    return scanned


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 90),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_every_figures_pages_are_the_indexs_list_at_every_day(
    seed: int, size: int, again: float
) -> None:
    rng = random.Random(seed)
    facts, _ = history_of(rng, size, again)
    for tally, index, day in every_day(rng, facts, 100):
        checked(rng, tally, index, day)  # listed by the tally
        counted = NationalTally.build(index, day, bound=2, group_bound=2)
        checked(rng, counted, index, day)  # only counts: scanned


def test_a_history_with_large_figures_is_scanned() -> None:
    """The property above is not vacuous: figures past the bound are paged from the log."""
    rng = random.Random(7)
    facts, _ = history_of(rng, 90)
    scanned = 0
    for _, index, day in every_day(rng, facts, 100):
        counted = NationalTally.build(index, day, bound=2, group_bound=2)
        scanned += checked(rng, counted, index, day)
    assert scanned > 20


def counted_only(facts: list[Fact], day: str) -> tuple[ComplianceIndex, NationalTally, Snapshot]:
    """An index of ``facts``, its tally of ``day`` keeping counts past 2, and its snapshot."""
    index = ComplianceIndex()
    for fact in facts:
        index.take(fact)
    index.size = len(facts)
    return index, NationalTally.build(index, day, bound=2, group_bound=2), Snapshot(index, day)


def test_a_successors_row_is_scanned_over_its_predecessors_members() -> None:
    """A signers' row past the bound sums its lineage: its entries are the members of each
    key of it (the successor's own and its predecessor's), scanned, as the index lists."""
    facts: list[Fact] = [
        _enrolment(0, PPK),
        *(_rec(i, PPK) for i in range(1, 4)),
        Signed(4, DAYS[1], "declaration", PPK, "I", "e", DAYS[1]),
        Succession(5, DAYS[3], PPK, NEW),
        *(_rec(i, NEW, DAYS[4]) for i in range(6, 8)),
        *(Signed(i, DAYS[3], "declaration", NEW, "I", "e", DAYS[3]) for i in range(8, 10)),
        _rec(10, OTHER),
        _enrolment(11, OTHER),
    ]
    index, tally, snap = counted_only(facts, DAYS[6])
    for figure, want in (("recommendations", [1, 2, 3, 6, 7]), ("declarations", [4, 8, 9])):
        asked = ("signers", b64url(NEW), figure)
        assert dashboard.figure_entries(snap, *asked) == want
        where = located(tally, *asked)
        assert where is not None
        assert where.figure["entries"] is None, "past the bound: scanned"
        assert {n[1] for n, _ in where.names} == {NEW, PPK}, "the lineage's members"
        pages = walk(tally, Search(index), Log(index), asked, 2)
        assert pages is not None
        assert [e for p in pages for e in p.entries] == want


def test_an_elections_pact_signers_figures_are_scanned_from_their_members() -> None:
    """The recommendations to an election's pact signers issued on or after their first pact
    (and their follow-ups), past the bound: scanned, as the index lists them."""
    pact = Signed(2, DAYS[2], "pact", PPK, "I", "e", DAYS[2])
    recs = [replace(_rec(i, PPK, DAYS[3]), day=DAYS[1 if i == 1 else 2], election="e")
            for i in (1, 3, 4, 5)]  # fmt: skip
    facts: list[Fact] = [
        _enrolment(0, PPK),
        recs[0],  # before the pact: the election's, not its pact signers'
        pact,
        *recs[1:],
        FollowUp(6, DAYS[2], 3, "sanctioned", DAYS[2], PPK),
        FollowUp(7, DAYS[2], 4, "sanctioned", DAYS[2], PPK),
        FollowUp(8, DAYS[2], 5, "sanctioned", DAYS[2], PPK),
    ]
    index, tally, snap = counted_only(facts, DAYS[6])
    scanned = []
    for asked in asked_of(snap):
        if asked[0] != "elections" or not asked[2].startswith("pact_signers_"):
            continue
        want = dashboard.figure_entries(snap, *asked)
        where = located(tally, *asked)
        assert where is not None, asked
        pages = walk(tally, Search(index), Log(index), asked, 2)
        assert pages is not None, asked
        assert [e for p in pages for e in p.entries] == want, asked
        if where.figure["entries"] is None:
            scanned.append(asked[2])
    assert {"pact_signers_recommendations", "pact_signers_followed_up"} <= set(scanned)
