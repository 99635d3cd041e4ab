"""Today's pact signers with overdue recommendations from the tally: the snapshot's rows.

The random histories of ``test_tally_heads`` (PPK keys enrolled at a random point of the
log, in three instansi, with random terms, revoked and succeeded; recommendations, pacts
and steps spread over the instansi and keys), taken by an index whose tally is made at a
random point, or fed from a log without any index; the tally's rows must be
:func:`registry.compliance.views.pact_signers_with_overdue`'s at every day it moves to (a
recommendation turning overdue as the day passes its deadline; a figure past the group
bound: its count only), and its bytes must give them back.  A pact signer enrolled with
another role than a PPK's (refused by the policy) makes the table inexact, and the table
made again from the index is the snapshot's.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance.facts import Fact, Key, Rec, Signed, Step
from registry.compliance.feed import feed
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally
from registry.compliance.views import pact_signers_with_overdue
from tests.compliance.test_tally import DAYS, KIDS
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_heads import histories, saved_alike
from tests.compliance.test_tally_instansi import (
    every_day,
    every_entry,
    exact_or_made_again,
    fed_and_indexed,
)
from tests.loop import in_loop

TABLE = NationalTally.pact_signers_rows


def expected(snap: Snapshot) -> list[dict[str, Any]]:
    return pact_signers_with_overdue(snap)


def checked(tally: NationalTally, index: ComplianceIndex, day: str, bound: int) -> None:
    want = expected(Snapshot(index, day))
    assert not exact_or_made_again(tally, index, day, bound, TABLE, want, "kid"), (
        "every signer a PPK"
    )


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    bound=st.sampled_from([2, 100]),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_the_tallys_pact_signers_with_overdue_are_the_snapshots_at_every_day(
    seed: int, size: int, bound: int, again: float
) -> None:
    rng = random.Random(seed)
    facts, _ = histories(rng, size, again)
    for tally, index, day in every_day(rng, facts, bound):
        checked(tally, index, day, bound)
        saved_alike(tally, TABLE)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 70), bound=st.sampled_from([2, 100]))
def test_the_pact_signers_with_overdue_fed_from_the_log_are_the_indexs_after_every_entry(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    facts, _ = histories(rng, size)
    for tally, index, day in every_entry(rng, FactList(spaced(rng, facts)), bound):
        checked(tally, index, day, bound)


PPK, OTHER = KIDS[0], KIDS[1]


def _enrolment(idx: int, kid: bytes, term_start: str, role: str = "ppk") -> Key:
    return Key(idx, DAYS[0], kid, role, f"n{idx}", None, "j", "I", None, "pj", term_start, DAYS[-1])


def _rec(idx: int, kid: bytes, day: str, deadline: str) -> Rec:
    return Rec(idx, day, f"C{idx}", "I", kid, b"s", deadline, None, None)


def test_recommendations_turn_overdue_and_inherited_as_the_day_passes_their_deadline() -> None:
    facts: list[Fact] = [
        _enrolment(0, OTHER, DAYS[0]),
        _enrolment(1, PPK, DAYS[5]),
        _rec(2, OTHER, DAYS[1], DAYS[3]),  # before PPK's term: inherited by it
        _rec(3, PPK, DAYS[6], DAYS[8]),
        _rec(4, OTHER, DAYS[6], DAYS[8]),  # in its term: not inherited
        Signed(5, DAYS[1], "pact", PPK, "I", "pilkada-2024", DAYS[1]),
        Step(6, DAYS[1], PPK, "I", "warning", ()),
    ]
    before, early, late = fed_and_indexed(facts, [DAYS[2], DAYS[4], DAYS[9]], TABLE, expected)
    assert before == [], "nothing overdue yet"
    [row] = early
    assert row["overdue"] == {"value": 0, "entries": []}
    assert row["overdue_inherited"] == {"value": 1, "entries": [2]}
    [row] = late
    assert row["overdue"] == {"value": 1, "entries": [3]}
    assert row["overdue_inherited"] == {"value": 1, "entries": [2]}
    assert row["enforcement"] == {"value": "warning", "entries": [6]}
    assert row["elections"] == ["pilkada-2024"]


def test_a_pact_signer_enrolled_again_with_another_role_makes_the_table_inexact() -> None:
    facts: list[Fact] = [
        _enrolment(0, PPK, DAYS[0]),
        _rec(1, PPK, DAYS[1], DAYS[2]),
        Signed(2, DAYS[1], "pact", PPK, "I", "e", DAYS[1]),
        _enrolment(3, PPK, DAYS[0], "bawaslu"),
    ]
    index = ComplianceIndex()
    index.tally = NationalTally(DAYS[5], 0)
    for fact in facts:
        index.take(fact)
    assert TABLE(index.tally) is None, "its row is the bawaslu key's, which no office keeps"
    fed = NationalTally(DAYS[5], 0)
    in_loop(feed(fed, FactList(facts), len(facts)))
    assert TABLE(fed) is None
    index.size = len(facts)
    assert TABLE(NationalTally.build(index, DAYS[5])) is None, "the index answers"
    assert expected(Snapshot(index, DAYS[5]))[0]["role"] == "bawaslu"
