"""The national tally: the same row as the snapshot's, kept as facts are taken.

Random histories of every kind the national row reads (recommendations with
sanctions, follow-ups that impose, downgrade or refuse, revocations of each,
reports, pacts, declarations, enforcement steps, facts dated after the
tally's day), fed to an index whose tally is made at a random point; the
tally's row must be :func:`registry.compliance.views.national`'s at every
day it moves to, and its bytes must give it back.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import tally_bytes
from registry.compliance.facts import Fact, FollowUp, Rec, Report, Revoked, Signed, Step
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import SANCTION_LEVELS, Snapshot
from registry.compliance.tally import STEPS, NationalTally, index_reader
from registry.compliance.views import national

DAYS = [f"2024-10-{d:02d}" for d in range(1, 29)]
KIDS = [bytes([n]) * 32 for n in range(4)]


def history(rng: random.Random, n: int) -> list[Fact]:
    """``n`` facts of random kinds, each citing earlier ones."""
    facts: list[Fact] = []
    recs: list[int] = []
    for idx in range(n):
        day = rng.choice(DAYS)
        kind = rng.random()
        fact: Fact
        if kind < 0.25 or not recs:
            fact = Rec(
                idx, day, f"C{idx}", "I", rng.choice(KIDS), b"s", rng.choice(DAYS), None, None,
                rng.choice(SANCTION_LEVELS),
            )  # fmt: skip
            recs.append(idx)
        elif kind < 0.5:
            fact = FollowUp(
                idx, day, rng.choice(recs), rng.choice(["sanctioned", "sanctioned", "refused"]),
                rng.choice([None, rng.choice(DAYS)]), rng.choice(KIDS),
                rng.choice([None, *SANCTION_LEVELS]), None, rng.choice(DAYS), rng.randint(0, 5),
            )  # fmt: skip
        elif kind < 0.6:
            fact = Report(idx, day, "I", None)
        elif kind < 0.7:
            fact = Signed(idx, day, rng.choice(["pact", "declaration"]), rng.choice(KIDS), "I",
                          "e", day)  # fmt: skip
        elif kind < 0.75:
            fact = Step(idx, day, rng.choice(KIDS), "I", rng.choice([*STEPS, "other"]), ())
        else:
            fact = Revoked(idx, day, rng.randrange(idx))
        facts.append(fact)
    return facts


def expected(index: ComplianceIndex, day: str) -> dict[str, Any]:
    return national(Snapshot(index, day))


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 120), bound=st.sampled_from([3, 10_000]))
def test_the_tally_is_the_snapshots_national_row_at_every_day(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    facts = history(rng, size)
    index = ComplianceIndex()
    cut = rng.randrange(size + 1)
    start = rng.choice(DAYS[:10])
    for fact in facts[:cut]:
        index.take(fact)
    index.size = cut
    index.tally = NationalTally.build(index, start, bound)
    for fact in facts[cut:]:
        index.take(fact)
    index.size = size
    index.tally_to(size)
    tally = index.tally
    for day in [start, *sorted(rng.sample(DAYS, 4))]:
        assert tally.advance(day, index_reader(index), index.keys.get) == (day >= tally.day)
        if tally.day != day:  # an earlier day: made again
            tally = NationalTally.build(index, day, bound)
        assert_same(tally.row(), expected(index, day), bound)
        again = tally_bytes.decode(tally_bytes.encode(tally))
        assert again.row() == tally.row()
        assert (again.day, again.size) == (tally.day, size)


def assert_same(row: dict[str, Any], want: dict[str, Any], bound: int) -> None:
    assert list(row) == list(want)
    for name, figure in want.items():
        got = row[name]
        assert got["value"] == figure["value"], name
        if got["entries"] is None:  # dropped once past the bound: only the count is kept
            assert got["entries_total"] == len(figure["entries"]), name
            assert bound < 10_000
        else:
            assert got == figure, name


def test_a_tally_made_otherwise_is_refused() -> None:
    with pytest.raises(ValueError, match="not a saved tally"):
        tally_bytes.decode(b"\x93\x01\x02")
