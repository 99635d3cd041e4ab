"""The entries behind a figure of the head-types table with the PPK keys in office on another
day (``/api/compliance/entries?table=head-types&on=``, stop 33), paged without the index
(:mod:`registry.compliance.figure_pages`): over the random histories of
``test_tally_heads`` (random head types, terms, successions), at every day the tally moves
to and with ``on`` that day or another, every figure of the head-types rows and the acting
heads' row read from the tally and the log (followed by their cursor, at a random limit)
makes exactly the index's list of that figure under that ``on``
(:func:`registry.compliance.dashboard.figure_entries`); each page's ``total``, and the
``entries_total`` the tally's table gives a figure it does not list, is that list's length.
A tally listing the entries (group bound 100) and one keeping only counts (bound 2).
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import dashboard, heads
from registry.compliance.figure_members import located
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally
from tests.compliance.test_figure_pages import Search, walk
from tests.compliance.test_recommendation_pages import Log
from tests.compliance.test_tally import DAYS
from tests.compliance.test_tally_heads import histories
from tests.compliance.test_tally_instansi import every_day

Asked = tuple[str, str | None, str]


def figures_of(rows: list[dict[str, Any]], acting: dict[str, Any]) -> dict[Asked, Any]:
    """Every figure of a head-types table and its acting heads' row, named as links name them."""
    out: dict[Asked, Any] = {}
    for key, row in [*((str(r["head_type"]), r) for r in rows), (dashboard.ACTING, acting)]:
        for name, value in row.items():
            if isinstance(value, dict) and "entries" in value:
                out[("head-types", key, name)] = value
    return out


def checked(rng: random.Random, tally: NationalTally, index: ComplianceIndex, day: str) -> int:
    """Every head-types figure under ``on`` (the day and another) against the index's list;
    how many were paged from the tally (not left to the index)."""
    snap, paged_here = Snapshot(index, day), 0
    for on in (day, rng.choice(DAYS)):
        table = tally.head_types_rows(on)
        shown = {} if table is None else figures_of(*table)
        for asked in figures_of(*heads.table(snap, on)):
            want = dashboard.figure_entries(snap, *asked, on=on)
            if asked in shown and shown[asked].get("entries") is None:  # the answer's link
                assert shown[asked]["entries_total"] == len(want), (asked, on)
            where = located(tally, *asked, on=on) if tally.keys_exact else None
            limit = rng.choice([1, 2, 3, 10_000])
            found = walk(tally, Search(index), Log(index), asked, limit, on)
            if where is None:  # left to the index (the acting heads, the instansi led)
                assert found is None or [e for p in found for e in p.entries] == want
                continue
            assert found is not None, (asked, on)
            assert [e for p in found for e in p.entries] == want, (asked, on)
            assert all(p.total == len(want) and p.day == day for p in found), (asked, on)
            paged_here += 1
    return paged_here


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 90),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_every_head_types_figure_under_on_is_the_indexs_list(
    seed: int, size: int, again: float
) -> None:
    rng = random.Random(seed)
    facts, _ = histories(rng, size, again)
    for tally, index, day in every_day(rng, facts, 100):
        checked(rng, tally, index, day)  # listed by the tally
        checked(rng, NationalTally.build(index, day, bound=2, group_bound=2), index, day)


def test_the_property_pages_figures_of_another_on() -> None:
    """Not vacuous: figures under another ``on`` are paged from the tally, past the bound."""
    rng = random.Random(11)
    count = 0
    for _ in range(6):
        facts, _ = histories(rng, 80)
        for _, index, day in every_day(rng, facts, 100):
            counted = NationalTally.build(index, day, bound=2, group_bound=2)
            count += checked(rng, counted, index, day)
    assert count > 50
