"""Today's head-types table from the tally: the snapshot's rows, kept as facts are taken.

The random histories of ``test_tally_provinces`` (every key enrolled once, or a second
time elsewhere, at a random point of the log, revoked and succeeded; declarations by ASN
keys), with a random head type on each enrolment and the recommendations, pacts,
declarations and steps spread over three instansi.  Taken by an index whose tally is made
at a random point, or fed from a log without any index; the tally's head-types rows and
acting heads' row must be :func:`registry.compliance.heads.table`'s at every day it moves
to (a figure past the group bound: its count only), and its bytes must give them back.  A
key enrolled a second time (refused by the policy) makes the table inexact, and the table
made again from the index is the snapshot's.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import heads, tally_bytes
from registry.compliance.facts import Fact, Key, KeyEnd, Rec, Signed, Step, Succession
from registry.compliance.filtering import choices
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally
from tests.compliance.test_tally import DAYS, KIDS, history
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_instansi import (
    OFFICES,
    assert_rows,
    every_day,
    every_entry,
    exact_or_made_again,
    fed_and_indexed,
)
from tests.compliance.test_tally_provinces import addressed, keyed

ACTING = "_acting"
"""The label the acting heads' row is checked under, after the table's rows."""


def headed(rng: random.Random, facts: list[Fact]) -> list[Fact]:
    """``facts`` with a random head type on each enrolment, and recommendations, pacts,
    declarations and steps of a random instansi."""
    out: list[Fact] = []
    for taken in facts:
        fact = taken
        if isinstance(fact, Key):
            fact = dataclasses.replace(fact, head_type=rng.choice([*heads.HEAD_TYPES, None]))
        elif isinstance(fact, Rec | Signed | Step):
            fact = dataclasses.replace(fact, instansi=rng.choice(OFFICES))
        out.append(fact)
    return out


def with_acting(found: tuple[list[dict[str, Any]], dict[str, Any]]) -> list[dict[str, Any]]:
    rows, acting = found
    return [*rows, {"head_type": ACTING, **acting}]


def tallied(tally: NationalTally) -> list[dict[str, Any]] | None:
    """The tally's head-types rows and its acting heads' row (None: inexact)."""
    found = tally.head_types_rows()
    return None if found is None else with_acting(found)


def expected(snap: Snapshot) -> list[dict[str, Any]]:
    return with_acting(heads.table(snap, snap.as_of))


def checked(
    tally: NationalTally, index: ComplianceIndex, day: str, twice: bool, bound: int
) -> None:
    want = expected(Snapshot(index, day))
    if exact_or_made_again(tally, index, day, bound, tallied, want, "head_type"):
        assert twice, "inexact only once a key was enrolled a second time"
    if not twice:  # the index keeps a key's latest enrolment only
        assert tally.choices() == choices(index), "the dashboard filter's choices"


def histories(rng: random.Random, size: int, again: float = 0.0) -> tuple[list[Fact], bool]:
    """The provinces tests' histories with head types and instansi; whether a key was
    enrolled twice."""
    facts, twice = keyed(rng, history(rng, size), again)
    return headed(rng, addressed(rng, facts)), twice


def saved_alike(tally: NationalTally, table: Callable[[NationalTally], Any]) -> None:
    """``tally`` saved and decoded gives the same ``table`` and the same bytes."""
    decoded = tally_bytes.decode(tally_bytes.encode(tally))
    assert table(decoded) == table(tally)
    assert tally_bytes.encode(decoded) == tally_bytes.encode(tally)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    bound=st.sampled_from([2, 100]),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_the_tallys_head_types_rows_are_the_snapshots_at_every_day(
    seed: int, size: int, bound: int, again: float
) -> None:
    rng = random.Random(seed)
    facts, twice = histories(rng, size, again)
    for tally, index, day in every_day(rng, facts, bound):
        checked(tally, index, day, twice, bound)
        saved_alike(tally, tallied)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 120), bound=st.sampled_from([2, 100]))
def test_the_tallys_head_types_rows_of_another_on_are_the_snapshots_at_every_day(
    seed: int, size: int, bound: int
) -> None:
    # ``on``: the day the keys in office are counted, before, at or after the table's day
    rng = random.Random(seed)
    facts, _ = histories(rng, size)
    for tally, index, day in every_day(rng, facts, bound):
        on = rng.choice(DAYS)
        want = with_acting(heads.table(Snapshot(index, day), on))
        found = tally.head_types_rows(on)
        assert found is not None, "exact: every key enrolled once"
        assert_rows(with_acting(found), want, bound, "head_type")


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 70), bound=st.sampled_from([2, 100]))
def test_the_head_types_rows_fed_from_the_log_are_the_indexs_after_every_entry(
    seed: int, size: int, bound: int
) -> None:
    # Every key enrolled once, as the policy admits: the key directory locates the only one.
    rng = random.Random(seed)
    facts, twice = histories(rng, size)
    for tally, index, day in every_entry(rng, FactList(spaced(rng, facts)), bound):
        checked(tally, index, day, twice, bound)


PPK, OTHER = KIDS[0], KIDS[1]


def _enrolment(idx: int, kid: bytes, head_type: str | None, instansi: str = "I") -> Key:
    return Key(
        idx, DAYS[0], kid, "ppk", "n", None, "j", instansi, None, head_type, DAYS[0], DAYS[-1]
    )


def _rec(idx: int, kid: bytes, instansi: str = "I") -> Rec:
    return Rec(idx, DAYS[2], f"C{idx}", instansi, kid, b"s", DAYS[-1], None, None)


def both(facts: list[Fact], day: str, *later: str) -> list[list[dict[str, Any]]]:
    """The head-types rows (and acting row) of a tally fed from a log of ``facts`` at ``day``
    and each ``later`` day, checked against the snapshot's of an index of the same facts."""
    return fed_and_indexed(facts, [day, *later], tallied, expected)


def test_a_successor_counts_under_its_predecessors_head_type_and_leads_its_instansi() -> None:
    successor = bytes([200]) * 32
    [rows] = both(
        [
            _enrolment(0, PPK, "pj"),
            _rec(1, PPK),
            Succession(2, DAYS[3], PPK, successor),
            _rec(3, successor),
            Signed(4, DAYS[4], "pact", successor, "I", "e", DAYS[4]),
        ],
        DAYS[5],
    )
    pj, acting = rows
    assert pj["head_type"] == "pj"
    assert pj["recommendations"]["entries"] == [1, 3]
    assert pj["pacts"]["entries"] == [4]
    assert pj["instansi_led"] == {"value": 1, "entries": [2]}, "the successor in office"
    assert acting["instansi_led_with_recommendations"]["entries"] == [1, 2, 3]


def test_an_instansi_led_by_a_revoked_key_is_not_led() -> None:
    facts: list[Fact] = [
        _enrolment(0, PPK, "plt", "I"),
        _enrolment(1, OTHER, "plt", "J"),
        _rec(2, PPK, "J"),
        KeyEnd(3, DAYS[3], OTHER, DAYS[4]),
    ]
    before, after = both(facts, DAYS[3], DAYS[5])
    assert before[0]["instansi_led"]["value"] == 2
    assert before[0]["instansi_led_with_recommendations"]["entries"] == [1, 2], "J's PPK: other"
    assert after[0]["instansi_led"] == {"value": 1, "entries": [0]}
    assert after[0]["instansi_led_with_recommendations"] == {"value": 0, "entries": []}


def test_a_head_type_figure_past_the_bound_gives_its_count_only() -> None:
    index = ComplianceIndex()
    facts: list[Fact] = [_enrolment(0, PPK, "pj"), *(_rec(i, PPK) for i in range(1, 4))]
    for fact in facts:
        index.take(fact)
    index.size = len(facts)
    found = NationalTally.build(index, DAYS[5], group_bound=3).head_types_rows()
    assert found is not None
    [row], acting = found
    assert row["recommendations"] == {"value": 3, "entries": [1, 2, 3]}
    hit = acting["instansi_led_with_recommendations"]
    assert hit == {"value": 1, "entries": None, "entries_total": 4}, "the enrolment and 3 recs"
    assert acting["instansi_led"] == {"value": 1, "entries": [0]}
