"""Today's instansi table from the tally: the snapshot's rows, kept as facts are taken.

Random histories (``test_tally.history``, the recommendations, pacts,
declarations and steps spread over three instansi, some reports turned into
PPK and other enrolments, key revocations and successions) taken by an index
whose tally is made at a random point, or fed from a log without any index;
the tally's rows must be :func:`registry.compliance.views.instansi`'s at every
day it moves to (a figure past the group bound: its count only), filtered by
province or name as the API filters, and its bytes must give them back.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import tally_bytes
from registry.compliance.facts import Fact, Key, KeyEnd, Rec, Report, Signed, Step, Succession
from registry.compliance.feed import advance, feed
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally, index_reader
from registry.compliance.views import instansi
from tests.compliance.test_tally import DAYS, KIDS, history
from tests.compliance.test_tally_feed import FactList, spaced
from tests.loop import in_loop

OFFICES = ["I", "J", "K"]
PROVINCES = ["Jawa Barat", "Bali", None]


def offices(rng: random.Random, facts: list[Fact]) -> list[Fact]:
    """``facts`` spread over :data:`OFFICES`, some reports made key enrolments, revocations
    and successions (of an enrolled key, each successor a fresh key)."""
    out: list[Fact] = []
    enrolled: set[bytes] = set()
    fresh = 0
    for taken in facts:
        fact = taken
        if isinstance(fact, Rec | Signed | Step):
            fact = dataclasses.replace(fact, instansi=rng.choice(OFFICES))
        elif isinstance(fact, Report) and rng.random() < 0.7:
            what = rng.random()
            if what < 0.6:
                start, end = sorted(rng.sample(DAYS, 2))
                fact = Key(
                    fact.idx, fact.day, rng.choice(KIDS), rng.choice(["ppk", "ppk", "bawaslu"]),
                    "n", None, "j", rng.choice(OFFICES), rng.choice(PROVINCES), None, start, end,
                )  # fmt: skip
            elif what < 0.8:
                fact = KeyEnd(fact.idx, fact.day, rng.choice(KIDS), rng.choice(DAYS))
            elif enrolled:  # the policy admits successions of enrolled keys only
                fresh += 1
                old = rng.choice(sorted(enrolled))
                fact = Succession(fact.idx, fact.day, old, bytes([100 + fresh]) * 32)
            if isinstance(fact, Key | Succession):
                enrolled.add(fact.kid if isinstance(fact, Key) else fact.new)
        out.append(fact)
    return out


def expected(index: ComplianceIndex, day: str, **filters: Any) -> list[dict[str, Any]]:
    return instansi(Snapshot(index, day), **filters)


def assert_rows(
    rows: list[dict[str, Any]], want: list[dict[str, Any]], bound: int, label: str = "instansi"
) -> None:
    assert [r[label] for r in rows] == [r[label] for r in want]
    for row, wanted in zip(rows, want, strict=True):
        assert list(row) == list(wanted)
        for name, value in wanted.items():
            got = row[name]
            if isinstance(value, dict) and isinstance(got, dict) and got["entries"] is None:
                # once past the group bound: the count only (the API links the entries)
                assert got["value"] == value["value"], name
                assert got["entries_total"] == len(value["entries"]), name
                assert bound < 100, "dropped only once past the bound"
            else:
                assert got == value, (row[label], name)


def exact_or_made_again(
    tally: NationalTally,
    index: ComplianceIndex,
    day: str,
    bound: int,
    table: Callable[[NationalTally], list[dict[str, Any]] | None],
    want: list[dict[str, Any]],
    label: str,
) -> bool:
    """``table``'s rows of ``tally`` are ``want`` (the snapshot's), or None (inexact) and the
    table of the tally made again from the index is ``want``; whether they were None."""
    rows = table(tally)
    again = table(NationalTally.build(index, day, group_bound=bound)) if rows is None else None
    found = rows if rows is not None else again
    assert found is not None, "a tally made again from the index is exact"
    assert_rows(found, want, bound, label)
    return rows is None


def fed_and_indexed(
    facts: list[Fact],
    days: list[str],
    table: Callable[[NationalTally], list[dict[str, Any]] | None],
    view: Callable[[Snapshot], list[dict[str, Any]]],
) -> list[list[dict[str, Any]]]:
    """``table``'s rows of a tally fed from a log of ``facts`` (the log's enrolments as a
    key directory locates them) at each of ``days``, each checked exact and equal to
    ``view`` of the snapshot of an index of the same facts."""
    log = FactList(list(facts))
    tally = NationalTally(days[0], 0)
    in_loop(feed(tally, log, len(facts)))
    index = ComplianceIndex()
    for fact in facts:
        index.take(fact)
    index.size = len(facts)
    found = []
    for day in days:
        assert in_loop(advance(tally, day, log))
        rows = table(tally)
        assert rows is not None, "exact"
        assert rows == view(Snapshot(index, day))
        found.append(rows)
    return found


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 120), bound=st.sampled_from([2, 100]))
def test_the_tallys_instansi_rows_are_the_snapshots_at_every_day(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    facts = offices(rng, history(rng, size))
    for tally, index, day in every_day(rng, facts, bound):
        assert_rows(tally.instansi_rows(), expected(index, day), bound)
        province = rng.choice(PROVINCES)
        assert_rows(
            tally.instansi_rows(province=province), expected(index, day, province=province), bound
        )
        name = rng.choice(OFFICES)
        assert_rows(tally.instansi_rows(name=name), expected(index, day, name=name), bound)
        again = tally_bytes.decode(tally_bytes.encode(tally))
        assert again.instansi_rows() == tally.instansi_rows()
        assert tally_bytes.encode(again) == tally_bytes.encode(tally)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 70), bound=st.sampled_from([2, 100]))
def test_the_instansi_rows_fed_from_the_log_are_the_indexs_after_every_entry(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    log = FactList(spaced(rng, offices(rng, history(rng, size))))
    for tally, index, day in every_entry(rng, log, bound):
        assert_rows(tally.instansi_rows(), expected(index, day), bound)


def every_day(
    rng: random.Random, facts: list[Fact], bound: int
) -> Iterator[tuple[NationalTally, ComplianceIndex, str]]:
    """``facts`` taken by an index whose tally (of group bound ``bound``) is made at a random
    point; the tally moved to each of a few days (made again for an earlier one)."""
    index = ComplianceIndex()
    cut = rng.randrange(len(facts) + 1)
    start = rng.choice(DAYS[:10])
    for fact in facts[:cut]:
        index.take(fact)
    index.size = cut
    index.tally = NationalTally.build(index, start, group_bound=bound)
    for fact in facts[cut:]:
        index.take(fact)
    index.size = len(facts)
    index.tally_to(len(facts))
    tally = index.tally
    for day in [start, *sorted(rng.sample(DAYS, 4))]:
        if not tally.advance(day, index_reader(index), index.keys.get):  # earlier: made again
            tally = NationalTally.build(index, day, group_bound=bound)
        yield tally, index, day


def every_entry(
    rng: random.Random, log: FactList, bound: int
) -> Iterator[tuple[NationalTally, ComplianceIndex, str]]:
    """A tally made from an index at a random point of ``log``, then fed from the log one
    entry at a time (moved to a later day now and then, saved and decoded now and then);
    after every entry the tally, an index of the same entries, and the day."""
    index = ComplianceIndex()
    cut = rng.randrange(len(log.entries) + 1)
    day = rng.choice(DAYS[:10])
    for fact in log.entries[:cut]:
        if fact is not None:
            index.take(fact)
    index.size = cut
    tally = (
        NationalTally.build(index, day, group_bound=bound)
        if cut
        else NationalTally(day, 0, group_bound=bound)
    )
    for n in range(cut + 1, len(log.entries) + 1):
        in_loop(feed(tally, log, n))
        fact = log.entries[n - 1]
        if fact is not None:
            index.take(fact)
        index.size = n
        if rng.random() < 0.2:
            day = rng.choice([d for d in DAYS if d >= day])
            assert in_loop(advance(tally, day, log))
        yield tally, index, day
        if rng.random() < 0.2:  # saved, and a worker starts from it
            tally = tally_bytes.decode(tally_bytes.encode(tally))


def test_a_group_lists_its_entries_up_to_the_bound_then_only_counts_them() -> None:
    index = ComplianceIndex()
    for idx in range(5):
        index.take(Signed(idx, DAYS[0], "pact", KIDS[0], "I", "e", DAYS[0]))
    index.size = 5
    small = NationalTally.build(index, DAYS[1], group_bound=5).instansi_rows()
    assert small[0]["pacts"] == {"value": 5, "entries": [0, 1, 2, 3, 4]}
    large = NationalTally.build(index, DAYS[1], group_bound=4).instansi_rows()
    assert large[0]["pacts"] == {"value": 5, "entries": None, "entries_total": 5}
