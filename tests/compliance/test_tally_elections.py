"""Today's elections table from the tally: the snapshot's rows, kept as facts are taken.

Random histories (``test_tally.history``: recommendations and pacts to the same
few PPK keys, so the pact signers' columns count) whose recommendations, pacts,
declarations and reports name one of a few elections (or, with some chance,
none: grouped by the calendar), with election records put between them (some
dated after the tally's day, some revoked).  Taken by an index whose tally is
made at a random point, or fed from a log without any index; the tally's rows
must be :func:`registry.compliance.views.elections`'s at every day it moves to
(a figure past the group bound: its count only), and its bytes must give them
back.  A calendar that changes after a record naming no election was counted
makes the tally inexact, and the table made again from the index is the
snapshot's.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import tally_bytes
from registry.compliance.facts import Election, Fact, Rec, Report, Revoked, Signed
from registry.compliance.feed import advance, feed
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally
from registry.compliance.views import elections
from tests.compliance.test_tally import DAYS, KIDS, history
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_instansi import (
    every_day,
    every_entry,
    exact_or_made_again,
    fed_and_indexed,
)
from tests.loop import in_loop

NAMED = ["e", "f", "g"]
"""Elections records name (``g`` is never registered: grouped by its name all the same)."""


def _election(idx: int, day: str, name: str, voting_day: str) -> Election:
    return Election(idx, day, name, "pilkada", "t", voting_day, DAYS[0], DAYS[1], ())


def electoral(rng: random.Random, facts: list[Fact], none: float) -> list[Fact]:
    """``facts`` naming random elections (none, with chance ``none``), with election
    records of ``e`` and ``f`` put between them and some reports made their revocations."""
    out: list[Fact] = []
    where: dict[int, int] = {}
    records: list[int] = []
    for taken in facts:
        if rng.random() < 0.12:
            day = rng.choice([DAYS[0], rng.choice(DAYS)])
            records.append(len(out))
            out.append(_election(len(out), day, rng.choice(NAMED[:2]), rng.choice(DAYS)))
        where[taken.idx] = len(out)
        moved: dict[str, Any] = {"idx": len(out)}
        for name in ("recommendation", "target"):
            if hasattr(taken, name):
                moved[name] = where[getattr(taken, name)]
        fact: Fact = dataclasses.replace(taken, **moved)  # type: ignore[arg-type]
        named = None if rng.random() < none else rng.choice(NAMED)
        if isinstance(fact, Rec):
            fact = dataclasses.replace(fact, election=named)
        elif isinstance(fact, Signed):
            fact = dataclasses.replace(fact, election=rng.choice(NAMED))
        elif isinstance(fact, Report):
            if records and rng.random() < 0.2:
                fact = Revoked(fact.idx, fact.day, rng.choice(records))
            else:
                fact = dataclasses.replace(fact, election=named)
        out.append(fact)
    return out


def expected(index: ComplianceIndex, day: str) -> list[dict[str, Any]]:
    return elections(Snapshot(index, day))


def checked(tally: NationalTally, index: ComplianceIndex, day: str, bound: int) -> None:
    """The tally's rows are the snapshot's, or (the calendar changed after a record naming
    no election was counted) inexact, and the table made again from the index is the
    snapshot's."""
    want = expected(index, day)
    table = NationalTally.elections_rows
    if exact_or_made_again(tally, index, day, bound, table, want, "election"):
        assert tally.elections.named_none, "inexact only once a record named no election"


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    bound=st.sampled_from([2, 100]),
    none=st.sampled_from([0.0, 0.0, 0.2]),
)
def test_the_tallys_elections_rows_are_the_snapshots_at_every_day(
    seed: int, size: int, bound: int, none: float
) -> None:
    rng = random.Random(seed)
    facts = electoral(rng, history(rng, size), none)
    for tally, index, day in every_day(rng, facts, bound):
        checked(tally, index, day, bound)
        again = tally_bytes.decode(tally_bytes.encode(tally))
        assert again.elections_rows() == tally.elections_rows()
        assert again.elections.exact == tally.elections.exact
        assert tally_bytes.encode(again) == tally_bytes.encode(tally)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 70),
    bound=st.sampled_from([2, 100]),
    none=st.sampled_from([0.0, 0.2]),
)
def test_the_elections_rows_fed_from_the_log_are_the_indexs_after_every_entry(
    seed: int, size: int, bound: int, none: float
) -> None:
    rng = random.Random(seed)
    log = FactList(spaced(rng, electoral(rng, history(rng, size), none)))
    for tally, index, day in every_entry(rng, log, bound):
        checked(tally, index, day, bound)


PPK = KIDS[0]


def _rec(idx: int, day: str, election: str | None = "e") -> Rec:
    return Rec(idx, day, f"C{idx}", "I", PPK, b"s", DAYS[-1], None, election)


def _pact(idx: int, day: str, election: str = "e") -> Signed:
    return Signed(idx, day, "pact", PPK, "I", election, day)


def both(facts: list[Fact], day: str, *later: str) -> list[list[dict[str, Any]]]:
    """The elections rows of a tally fed from a log of ``facts`` at ``day`` and each
    ``later`` day, checked against the snapshot's of an index of the same facts."""
    return fed_and_indexed(facts, [day, *later], NationalTally.elections_rows, elections)


def kept(rows: list[dict[str, Any]]) -> dict[str | None, tuple[int, int]]:
    """Per election: its pact signers, and their recommendations counted."""
    return {
        r["election"]: (r["pact_signers"]["value"], r["pact_signers_recommendations"]["value"])
        for r in rows
    }


def test_a_pact_counts_its_signers_recommendations_from_the_day_it_was_signed() -> None:
    # two recommendations before the pact (one issued before its day), one after
    facts: list[Fact] = [_rec(0, DAYS[1]), _rec(1, DAYS[3]), _pact(2, DAYS[2]), _rec(3, DAYS[4])]
    [rows] = both(facts, DAYS[5])
    assert kept(rows) == {"e": (1, 2)}
    [rows] = both([*facts, _pact(4, DAYS[0])], DAYS[5])
    assert kept(rows) == {"e": (1, 3)}, "an earlier pact of the same key counts from its day"


def test_a_revoked_pact_takes_its_signers_recommendations_out() -> None:
    facts: list[Fact] = [_pact(0, DAYS[1]), _rec(1, DAYS[2]), _rec(2, DAYS[3])]
    assert kept(both(facts, DAYS[5])[0]) == {"e": (1, 2)}
    assert kept(both([*facts, Revoked(3, DAYS[4], 0)], DAYS[5])[0]) == {"e": (0, 0)}


def test_a_pact_dated_after_the_day_or_revoked_after_it_moves_its_recommendations_then() -> None:
    # a clock ahead: the pact signed "tomorrow", a revocation dated the day after
    facts: list[Fact] = [_rec(0, DAYS[2]), _pact(1, DAYS[6]), _rec(2, DAYS[7])]
    before, signed = both(facts, DAYS[5], DAYS[7])
    assert kept(before) == {"e": (0, 0)}
    assert kept(signed) == {"e": (1, 1)}
    facts = [_pact(0, DAYS[1]), Revoked(1, DAYS[6], 0), _rec(2, DAYS[2])]
    standing, revoked = both(facts, DAYS[5], DAYS[6])
    assert kept(standing) == {"e": (1, 1)}
    assert kept(revoked) == {"e": (0, 0)}


def test_an_election_registered_later_moves_nothing_while_every_record_names_one() -> None:
    facts: list[Fact] = [_rec(0, DAYS[2], "f"), _pact(1, DAYS[1], "f")]
    [rows] = both([*facts, _election(2, DAYS[3], "f", DAYS[20])], DAYS[5])
    assert [r["election"] for r in rows] == ["f"]


def test_a_calendar_changed_after_a_record_naming_none_makes_the_table_inexact() -> None:
    # the record naming no election counts under the fallback calendar's election, until
    # an election is registered: it then belongs to that one, which the tally cannot list
    facts: list[Fact] = [_rec(0, DAYS[2], None), _election(1, DAYS[3], "f", DAYS[20])]
    index = ComplianceIndex()
    index.tally = NationalTally(DAYS[5], 0)
    for fact in facts:
        index.take(fact)
    index.size = len(facts)
    assert not index.tally.elections.exact
    fed = NationalTally(DAYS[5], 0)
    in_loop(feed(fed, FactList(list(facts)), len(facts)))
    assert not fed.elections.exact
    remade = NationalTally.build(index, DAYS[5])
    assert remade.elections.exact
    assert [r["election"] for r in remade.elections_rows()] == ["f"]
    assert remade.elections_rows() == expected(index, DAYS[5])
    # an election dated after the day: exact until the tally moves to its day
    later = [_rec(0, DAYS[2], None), _election(1, DAYS[7], "f", DAYS[20])]
    dated = NationalTally(DAYS[5], 0)
    in_loop(feed(dated, FactList(list(later)), len(later)))
    assert dated.elections.exact
    assert in_loop(advance(dated, DAYS[7], FactList(list(later))))
    assert not dated.elections.exact


@pytest.mark.parametrize("elections", [[], [1, 2, 3, 4, 5, 6, 7], [[], [], [], [], [], 0, 0]])
def test_saved_bytes_whose_elections_are_malformed_are_not_a_tally(elections: Any) -> None:
    tally = NationalTally(DAYS[5], 0)
    in_loop(feed(tally, FactList([_pact(0, DAYS[1]), _rec(1, DAYS[2])]), 2))
    saved = list(msgspec.msgpack.decode(tally_bytes.encode(tally)))
    assert tally_bytes.decode(msgspec.msgpack.encode(saved)).elections_rows()
    saved[-1] = elections
    with pytest.raises(ValueError, match="not a saved tally"):
        tally_bytes.decode(msgspec.msgpack.encode(saved))
