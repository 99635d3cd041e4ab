"""Today's months table from the tally: the snapshot's rows, kept as facts are taken.

Random histories (``test_tally.history``) spread over five months (their days and
deadlines), taken by an index whose tally is made at a random point, or fed from
a log without any index; the tally's rows must be
:func:`registry.compliance.views.months`'s at every day it moves to, across month
ends (a figure past the group bound: its count only), and its bytes must give
them back.  ``overdue_at_month_end`` is the figure that moves: a recommendation
overdue and not followed up counts in every month from its deadline's to this
one, one followed up late in the months that ended before its follow-up.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import tally_bytes
from registry.compliance.facts import Fact, FollowUp, Rec, Revoked
from registry.compliance.feed import advance, feed
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.month_rows import first_overdue, next_month
from registry.compliance.tally import NationalTally, index_reader
from registry.compliance.views import months
from tests.compliance.test_tally import KIDS, history
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_instansi import assert_rows, fed_and_indexed
from tests.loop import in_loop

WIDE = [
    f"2024-{m:02d}-{d:02d}"
    for m in (8, 9, 10, 11, 12)
    for d in (1, 15, 28, 30, 31)
    if (m, d) not in ((9, 31), (11, 31))
]
"""Days over five months, month ends among them."""


def spread(rng: random.Random, facts: list[Fact]) -> list[Fact]:
    """``facts`` dated (and recommendations due) on random days of :data:`WIDE`."""
    out: list[Fact] = []
    for fact in facts:
        moved: dict[str, Any] = {"day": rng.choice(WIDE)}
        if isinstance(fact, Rec):
            moved["deadline"] = rng.choice(WIDE)
        out.append(dataclasses.replace(fact, **moved))  # type: ignore[arg-type]
    return out


def expected(index: ComplianceIndex, day: str) -> list[dict[str, Any]]:
    return months(Snapshot(index, day))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 120), bound=st.sampled_from([2, 100]))
def test_the_tallys_months_rows_are_the_snapshots_at_every_day(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    facts = spread(rng, history(rng, size))
    index = ComplianceIndex()
    cut = rng.randrange(size + 1)
    start = rng.choice(WIDE[:8])
    for fact in facts[:cut]:
        index.take(fact)
    index.size = cut
    index.tally = NationalTally.build(index, start, group_bound=bound)
    for fact in facts[cut:]:
        index.take(fact)
    index.size = size
    index.tally_to(size)
    tally = index.tally
    for day in [start, *sorted(rng.sample(WIDE, 5))]:
        if not tally.advance(day, index_reader(index), index.keys.get):  # earlier: made again
            tally = NationalTally.build(index, day, group_bound=bound)
        assert_rows(tally.months_rows(), expected(index, day), bound, "month")
        again = tally_bytes.decode(tally_bytes.encode(tally))
        assert again.months_rows() == tally.months_rows()
        assert tally_bytes.encode(again) == tally_bytes.encode(tally)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 70), bound=st.sampled_from([2, 100]))
def test_the_months_rows_fed_from_the_log_are_the_indexs_after_every_entry(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    log = FactList(spaced(rng, spread(rng, history(rng, size))))
    index = ComplianceIndex()
    day = rng.choice(WIDE[:8])
    tally = NationalTally(day, 0, group_bound=bound)
    for n in range(1, len(log.entries) + 1):
        in_loop(feed(tally, log, n))
        fact = log.entries[n - 1]
        if fact is not None:
            index.take(fact)
        index.size = n
        if rng.random() < 0.2:
            day = rng.choice([d for d in WIDE if d >= day])
            assert in_loop(advance(tally, day, log))
        assert_rows(tally.months_rows(), expected(index, day), bound, "month")
        if rng.random() < 0.2:  # saved, and a worker starts from it
            tally = tally_bytes.decode(tally_bytes.encode(tally))


def _rec(idx: int, day: str, deadline: str) -> Rec:
    return Rec(idx, day, f"C{idx}", "I", KIDS[0], b"s", deadline, None, None)


def _answer(idx: int, day: str, rec: int) -> FollowUp:
    return FollowUp(idx, day, rec, "sanctioned", day, KIDS[0], None, None, day, 0)


def overdue(facts: list[Fact], *days: str) -> list[dict[str, list[int]]]:
    """Each month's ``overdue_at_month_end`` entries, fed from a log of ``facts`` and moved
    to each of ``days``, checked against the snapshot's."""
    found = fed_and_indexed(facts, list(days), NationalTally.months_rows, months)
    return [{r["month"]: r["overdue_at_month_end"]["entries"] for r in rows} for rows in found]


def test_an_unanswered_recommendation_is_overdue_at_the_end_of_every_month_since() -> None:
    facts: list[Fact] = [_rec(0, "2024-08-01", "2024-08-15"), _rec(1, "2024-10-01", "2024-12-01")]
    before, after = overdue(facts, "2024-08-10", "2024-10-15")
    assert before == {"2024-08": []}, "not due yet"
    assert after == {"2024-08": [0], "2024-10": [0]}, "no row for September: nothing issued"


def test_a_late_answer_closes_the_months_before_it_and_a_revoked_one_opens_them_again() -> None:
    facts: list[Fact] = [
        _rec(0, "2024-08-01", "2024-08-15"),
        _rec(1, "2024-09-02", "2024-12-01"),
        _answer(2, "2024-10-02", 0),
        _rec(3, "2024-11-02", "2024-12-01"),
    ]
    [answered] = overdue(facts, "2024-11-20")
    assert answered == {"2024-08": [0], "2024-09": [0], "2024-10": [], "2024-11": []}
    [revoked] = overdue([*facts, Revoked(4, "2024-11-03", 2)], "2024-11-20")
    # October's row was its follow-up's only: gone with it
    assert revoked == {"2024-08": [0], "2024-09": [0], "2024-11": [0]}


def test_the_first_month_a_deadline_is_overdue_in() -> None:
    assert first_overdue("2024-08-15") == "2024-08"
    assert first_overdue("2024-08-31") == "2024-09", "a deadline on the month's last day"
    assert first_overdue("2024-12-31") == next_month("2024-12") == "2025-01"
