"""Today's page of one instansi from the tally and the log: the index's page.

The random histories of ``test_tally_key_rows`` (PPK keys of three instansi enrolled at a
random point, succeeded and revoked, recommendations, steps, pacts and declarations, some
signed by the PPK keys), taken by an index whose tally is made at a random point, or fed
from a log without any index.  The page :mod:`registry.compliance.instansi_record` makes
from the tally, the log's entries and a record search over the same log must be
:func:`registry.compliance.dashboard.instansi_page`'s (a figure past the tally's group
bound: its count only), at every day the tally moves to, after every entry fed, and from
the tally saved and decoded; each list its newest ``listed`` (drawn small too) and its
total.  An id no instansi has: None from both.  A key enrolled a second time makes the
tally inexact: the tally does not answer (the index does).
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import instansi_record, tally_bytes
from registry.compliance.dashboard import instansi_page
from registry.compliance.facts import Fact, Rec, Signed
from registry.compliance.filtering import slug
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.provinces import Enrolled
from registry.compliance.recommendation_rows import Find
from registry.compliance.search_rows import row_of
from registry.compliance.tally import NationalTally
from registry.store.models import SearchCriteria
from tests.compliance.test_tally import DAYS, KIDS
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_instansi import OFFICES, every_day, every_entry
from tests.compliance.test_tally_key_rows import history_of
from tests.loop import in_loop

Page = dict[str, Any]


def searched(log: FactList, gone: int | None = None, extra: int | None = None) -> Find:
    """The record search over ``log``: the entries whose row matches, in log order; with the
    row of entry ``gone`` deleted, and one edited to name entry ``extra``."""

    async def find(criteria: SearchCriteria, below: int) -> list[int]:
        found = {extra} if extra is not None and extra < below else set()
        for fact in log.entries[:below]:
            row = None if fact is None else row_of(fact, {})
            if row is None or row.type != criteria.type or row.idx == gone:
                continue
            if criteria.instansi is None or row.instansi in criteria.instansi:
                found.add(row.idx)
        return sorted(found)

    return find


def tallied(
    tally: NationalTally, log: FactList, ident: str, listed: int, find: Find | None = None
) -> Page | None:
    """The page from the tally, or None where it cannot say; an unknown id gives ``{}``."""
    find = searched(log) if find is None else find
    found = in_loop(instansi_record.page(tally, ident, find, log, asyncio.Lock(), listed))
    if found is None:
        return None
    day, size, page = found
    assert (day, size) == (tally.day, tally.size)
    return {} if page is None else page


def assert_pages(found: Page, want: Page, bound: int) -> None:
    """``found`` is ``want``, but a figure the tally keeps the count of only."""
    assert list(found) == list(want)
    for name, value in want.items():
        got = found[name]
        counted_only = isinstance(got, dict) and got.get("entries", []) is None
        if counted_only and value["entries"] is not None:
            assert got["value"] == value["value"], name
            assert got["entries_total"] == len(value["entries"]), name
            assert bound < 100, "dropped only once past the bound"
        else:
            assert got == value, name


def checked(
    tally: NationalTally,
    index: ComplianceIndex,
    log: FactList,
    day: str,
    twice: bool,
    bound: int,
    listed: int,
    rng: random.Random,
) -> None:
    snap = Snapshot(index, day)
    for ident in [*(slug(name) for name in OFFICES), "no-such-instansi"]:
        want = instansi_page(snap, ident, listed)
        found = tallied(tally, log, ident, listed)
        if found is None:
            assert twice, "inexact only once a key was enrolled twice"
            assert not tally.keys_exact
            continue
        if want is None:
            assert found == {}, "an id no instansi has"
            continue
        assert_pages(found, want, bound)
        for name in ("recommendation_outcomes", "steps", "signed"):
            assert len(found[name]) == min(listed, found[f"{name}_total"]), name
        searches_edited(rng, tally, snap, log, ident, listed, want, bound)


def searches_edited(
    rng: random.Random,
    tally: NationalTally,
    snap: Snapshot,
    log: FactList,
    ident: str,
    listed: int,
    want: Page,
    bound: int,
) -> None:
    """A search row deleted: the page hides no standing record the tally does not list (the
    index answers, None); a row edited to name another entry: the page shows nothing more."""
    name = want["instansi"]
    of_it = [f.idx for f in log.entries if f is not None and getattr(f, "instansi", None) == name]
    if of_it:
        gone = rng.choice(of_it)
        found = tallied(tally, log, ident, listed, searched(log, gone=gone))
        if found is not None:
            assert_pages(found, want, bound)
        fact = log.entries[gone]
        group = tally.instansi.groups.get(name)
        kind = "recommendations" if isinstance(fact, Rec) else getattr(fact, "kind", "") + "s"
        standing = {o.rec.idx for o in snap.outcomes.values()} | {
            s.idx for s in snap.pacts + snap.declarations
        }
        if gone in standing and group is not None and group.figures[kind].entries is None:
            assert found is None, "a standing record hidden by a deleted search row"
    extra = rng.randrange(len(log.entries))
    found = tallied(tally, log, ident, listed, searched(log, extra=extra))
    assert found is not None
    assert_pages(found, want, bound)


class Indexed(FactList):
    """A log of ``facts`` whose key directory is ``index``'s (as the recommendations list's
    test reads keys: a key enrolled twice is located as the index keeps it)."""

    def __init__(self, facts: list[Fact], index: ComplianceIndex) -> None:
        assert all(f.idx == i for i, f in enumerate(facts))
        super().__init__(list(facts))
        self.index = index

    async def key(self, kid: bytes) -> Enrolled | None:
        return self.index.keys.get(kid)


LISTED = st.sampled_from([1, 3, 100])


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    bound=st.sampled_from([2, 100]),
    again=st.sampled_from([0.0, 0.0, 0.1]),
    listed=LISTED,
)
def test_an_instansis_page_from_the_tally_is_the_indexs_at_every_day(
    seed: int, size: int, bound: int, again: float, listed: int
) -> None:
    rng = random.Random(seed)
    facts, twice = history_of(rng, size, again)
    for tally, index, day in every_day(rng, facts, bound):
        log = Indexed(facts, index)
        checked(tally, index, log, day, twice, bound, listed, rng)
        decoded = tally_bytes.decode(tally_bytes.encode(tally))  # saved, and read at a start
        for name in OFFICES:
            assert tallied(decoded, log, slug(name), listed) == tallied(
                tally, log, slug(name), listed
            )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 70),
    bound=st.sampled_from([2, 100]),
    listed=LISTED,
)
def test_an_instansis_page_fed_from_the_log_is_the_indexs_after_every_entry(
    seed: int, size: int, bound: int, listed: int
) -> None:
    rng = random.Random(seed)
    facts, twice = history_of(rng, size)
    log = FactList(spaced(rng, facts))
    for tally, index, day in every_entry(rng, log, bound):
        checked(tally, index, log, day, twice, bound, listed, rng)


def test_an_instansi_of_many_declarations_lists_its_newest_on_both_paths() -> None:
    # 150 declarations of one instansi: the figure is counted only (the tally keeps up to
    # 100 entries a group's figure, and the index's page caps it alike), the list holds the
    # newest 100 and the total; the tally finds them through the search, and both agree.
    facts: list[Fact] = [
        Signed(idx, DAYS[0], "declaration", KIDS[idx % 4], "I", "e", DAYS[0]) for idx in range(150)
    ]
    index = ComplianceIndex()
    for fact in facts:
        index.take(fact)
    index.size = len(facts)
    tally = NationalTally.build(index, DAYS[1])
    want = instansi_page(Snapshot(index, DAYS[1]), slug("I"))
    assert want is not None
    assert want["declarations"] == {"value": 150, "entries": None, "entries_total": 150}
    assert [s["index"] for s in want["signed"]] == list(range(50, 150))
    assert want["signed_total"] == 150
    assert tallied(tally, Indexed(facts, index), slug("I"), 100) == want
