"""Today's recommendations list paged (:mod:`registry.compliance.recommendation_pages`): over
the random histories of ``test_tally_recommendations``, at every day the tally moves to,
the pages read from the log (followed by their cursor, at a random limit) concatenate to
:func:`registry.compliance.views.recommendations`, and each is the index's page
(:func:`~registry.compliance.recommendation_pages.index_page`); a tally that keeps the
entries (held), one that keeps only counts (bound 2: the unfiltered list scanned from the
search's rows, a key's or instansi's read whole), each filter.  A search row deleted, or
edited to name an entry of another type, makes a scanned page None (the index answers)
wherever a page's range holds it; a page reads only its own recommendations and their
follow-ups.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import recommendation_pages
from registry.compliance.facts import Fact
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.provinces import Enrolled
from registry.compliance.recommendation_pages import Page, index_page, paged
from registry.compliance.tally import NationalTally, index_reader
from registry.compliance.views import recommendations
from registry.store.models import SearchCriteria
from tests.compliance.test_tally_instansi import every_day
from tests.compliance.test_tally_key_rows import history_of
from tests.compliance.test_tally_recommendations import asked, searched
from tests.loop import in_loop


class Log:
    """The log's facts (an index's) as :class:`~registry.compliance.feed.FactLog` reads them,
    counting the entries read."""

    def __init__(self, index: ComplianceIndex) -> None:
        self._read, self._index, self.read = index_reader(index), index, 0

    async def facts_at(self, indexes: Sequence[int]) -> dict[int, Fact | None]:
        self.read += len(indexes)
        return {i: self._read(i) for i in indexes}

    async def key(self, kid: bytes) -> Enrolled | None:  # pragma: no cover - not asked
        raise AssertionError("keys are read in one round")

    async def keys(self, kids: Sequence[bytes]) -> dict[bytes, Any]:
        return {kid: self._index.keys.get(kid) for kid in kids}


class Search:
    """``search_records`` played by every recommendation the index holds (standing or not),
    less the rows ``gone``, with the rows ``extra`` naming entries of other types."""

    def __init__(self, index: ComplianceIndex, gone: set[int], extra: set[int]) -> None:
        self._index, self.gone, self.extra = index, gone, extra
        self.every = sorted(index.recs)

    def _rows(self, c: SearchCriteria, below: int) -> list[int]:
        instansi = None if c.instansi is None else c.instansi[0]
        found = set(searched(self._index, c.kid, instansi)) - self.gone
        if c.kid is None and c.instansi is None:
            found |= self.extra
        return sorted(i for i in found if i < below)

    async def indexes(self, criteria: SearchCriteria, below: int) -> list[int]:
        return self._rows(criteria, below)

    async def indexes_after(
        self, criteria: SearchCriteria, after: int, below: int, limit: int
    ) -> list[int]:
        return [i for i in self._rows(criteria, below) if i > after][:limit]

    async def entries_of_type(self, type: str, after: int, upto: int) -> int:
        assert type == "recommendation"
        return sum(1 for i in self._index.recs if after < i <= upto)


def pages(
    tally: NationalTally, search: Search, log: Log, f: dict[str, Any], limit: int
) -> list[Page] | None:
    """Every page of the list, following each one's cursor (None: one left to the index)."""
    found: list[Page] = []
    after = None
    for _ in range(len(search.every) + 2):
        page = in_loop(paged(tally, search, log, asyncio.Lock(), **f, after=after,
                                 limit=limit))  # fmt: skip
        if page is None:
            return None
        found.append(page)
        if not page.more:
            return found
        assert len(page.items) == limit, "a page with more after it is full"
        after = page.items[-1]["index"]
    raise AssertionError("more pages than recommendations: the cursor does not move on")


def checked(rng: random.Random, tally: NationalTally, index: ComplianceIndex, day: str) -> None:
    if not tally.keys_exact:  # a key enrolled twice: the index answers
        return
    f, limit = asked(rng), rng.choice([1, 2, 3, 7, 100])
    snap = Snapshot(index, day)
    want = recommendations(snap, **f)
    log = Log(index)
    found = pages(tally, Search(index, set(), set()), log, f, limit)
    assert found is not None, "an untouched table: the log answers"
    assert [row for page in found for row in page.items] == want
    after = None
    for page in found:  # the index's pages are the same
        assert page == index_page(snap, f.get("ppk"), f.get("instansi"), f.get("status"),
                                  after, limit)  # fmt: skip
        assert page.total == len(want)
        after = page.items[-1]["index"] if page.items else None
    held = recommendation_pages.held(tally, f.get("ppk"), f.get("instansi"), f.get("status"))
    if held is not None and not (
        "ppk" in f and "instansi" in f
    ):  # a page reads only its own recommendations and their follow-ups
        assert log.read == sum(len(tally.with_answers(r["index"] for r in p.items)) for p in found)
    scanned = held is None and "ppk" not in f and "instansi" not in f
    recs = sorted(index.recs)
    if scanned and recs:  # a deleted row: the page whose range held it goes to the index
        gone = rng.choice(recs)
        assert pages(tally, Search(index, {gone}, set()), Log(index), f, limit) is None
    others = sorted(set(range(index.size)) - set(recs))
    if scanned and others:  # a row naming an entry of another type: the same
        extra = rng.choice(others)
        assert pages(tally, Search(index, set(), {extra}), Log(index), f, limit) is None
        if recs:  # both, as many rows as recommendations: the range holding them still goes
            swapped = Search(index, {rng.choice(recs)}, {extra})
            assert pages(tally, swapped, Log(index), f, limit) is None


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_the_pages_read_from_the_log_are_the_indexs_and_make_the_whole_list(
    seed: int, size: int, again: float
) -> None:
    rng = random.Random(seed)
    facts, _ = history_of(rng, size, again)
    for tally, index, day in every_day(rng, facts, rng.choice([2, 100])):
        checked(rng, tally, index, day)  # entries held (at most 10,000 of them)
        counted = NationalTally.build(index, day, bound=2, group_bound=2)
        checked(rng, counted, index, day)  # only counts: scanned, or read whole
