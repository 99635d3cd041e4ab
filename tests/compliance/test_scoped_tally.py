"""A scoped tally (one election's and/or one head type's facts) fed from the log: every table
it answers is :func:`filtering.snapshot`'s of the whole index for the same filter and day.

Random histories (``test_tally_heads.histories``: keys with head types, recommendations,
follow-ups, revocations, reports, pacts, declarations, steps) with elections among them
(``test_scoped_index.with_elections``: records naming no election are placed by the
calendar), steps citing earlier recommendations, entries without a fact between them; the
tally is fed from the log a random stretch at a time, moved to later days, and saved and
decoded now and then; each scope again with a random ``since`` and some of one past day
(stop 31).  After each stretch, for the day it is at, each table it answers
must equal the whole index's filtered one, unless it says it is inexact.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import dashboard, filtering, scoped_tally
from registry.compliance.facts import Fact, Rec, Step
from registry.compliance.feed import advance, feed
from registry.compliance.filtering import Filter
from registry.compliance.index import ComplianceIndex
from registry.compliance.scoped_tally import Scope, ScopedTally, answers, scope_of
from registry.compliance.today_tables import KEPT
from tests.compliance.test_scoped_index import with_elections
from tests.compliance.test_tally import DAYS
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_heads import histories
from tests.loop import in_loop

BIG = 1_000_000
"""A bound no figure of these histories passes: every figure lists its entries."""


def citing(rng: random.Random, facts: list[Fact]) -> list[Fact]:
    """``facts`` with each step citing some of the recommendations before it."""
    out: list[Fact] = []
    for fact in facts:
        if isinstance(fact, Step):
            earlier = [f.idx for f in out if isinstance(f, Rec)]
            cites = tuple(rng.sample(earlier, min(len(earlier), rng.randint(0, 2))))
            out.append(dataclasses.replace(fact, cites=cites))
        else:
            out.append(fact)
    return out


def index_of(log: FactList, end: int) -> ComplianceIndex:
    index = ComplianceIndex()
    for fact in log.entries[:end]:
        if fact is not None:
            index.take(fact)
    index.size = end
    return index


def scopes_of(index: ComplianceIndex) -> list[Scope]:
    known = filtering.choices(index)
    found = [Scope(e, None) for e in known.elections] + [Scope(None, h) for h in known.head_types]
    found.append(Scope())  # with a since (dated): since alone, every election and head type
    found += [Scope(e, h) for e in known.elections[:2] for h in known.head_types[:2]]
    return found


def dated(rng: random.Random, scopes: list[Scope]) -> list[Scope]:
    """Each of ``scopes`` with a random ``since`` (or none) and, for some, a past ``until``."""
    found = []
    for scope in scopes:
        since = rng.choice([None, *DAYS])
        until = rng.choice([None, None, *(d for d in DAYS if since is None or d >= since)])
        found.append(dataclasses.replace(scope, since=since, until=until))
    return found


def assert_tables_alike(tally: ScopedTally, index: ComplianceIndex) -> int:
    """Each table ``tally`` answers equals the whole index's filtered one; how many."""
    scope = tally.scope
    flt = Filter(election=scope.election, head_type=scope.head_type, since=scope.since)
    snap = filtering.snapshot(index, flt, tally.day)
    compared = 0
    for name in dashboard.TABLES:
        if not answers(tally.scope, name):
            continue
        rows = KEPT[name](tally)
        if rows is None:  # a table the tally keeps inexact: the index answers
            continue
        want = dashboard._table(snap, name)
        if name == "instansi":
            want = [{**row, "id": filtering.slug(str(row["instansi"]))} for row in want]
        assert rows == want, (tally.scope, name, tally.day)
        compared += 1
    return compared


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 100))
def test_every_table_a_scoped_tally_answers_is_the_filtered_indexs(seed: int, size: int) -> None:
    # Each scope also with ``since`` (kept by the tally's own contribution) and of one day
    # (``until`` another day than today: a tally made as of that day and never moved, fed
    # every entry: those registered later but dated before it count, as a statement
    # backdated 48 hours or an imported one does; it keeps no unit for the facts after it)
    rng = random.Random(seed)
    facts, _ = histories(rng, size)
    log = FactList(spaced(rng, citing(rng, with_elections(rng, facts))))
    whole = index_of(log, len(log.entries))
    scopes = scopes_of(whole)
    for scope in [*scopes, *dated(rng, scopes)]:
        day = scope.until or rng.choice(DAYS[:10])
        tally = ScopedTally(day, 0, BIG, BIG, scope)
        end = 0
        while end < len(log.entries):
            end = min(len(log.entries), end + rng.randint(1, 30))
            in_loop(feed(tally, log, end))
            assert tally.size == end
            if rng.random() < 0.3 and scope.until is None:  # a later day: what waited counts
                day = rng.choice([d for d in DAYS if d >= day])
                assert in_loop(advance(tally, day, log))
            if rng.random() < 0.3:  # saved, and a worker starts from it
                tally = scoped_tally.decode(scoped_tally.encode(tally), scope)
            if scope.until is not None:
                assert not tally.waiting, "a day's tally keeps nothing for the days after"
            if tally.exact:
                assert_tables_alike(tally, index_of(log, end))
        if scope.until is not None:  # never moved: asked of another day, it says it cannot
            later = [d for d in DAYS if d > scope.until]
            assert not later or not in_loop(advance(tally, later[0], log))


def test_a_filter_of_a_place_or_of_no_election_head_type_or_since_has_no_scoped_tally() -> None:
    today = "2026-01-01"
    assert scope_of(Filter(election="e"), today) == Scope("e", None)
    assert scope_of(Filter(head_type="h", until=today), today) == Scope(None, "h")
    assert scope_of(Filter(head_type="h", until="2025-12-31"), today) == Scope(
        None, "h", until="2025-12-31"
    )
    assert scope_of(Filter(election="e", since="2025-01-01"), today) == Scope(
        "e", since="2025-01-01"
    )
    assert scope_of(Filter(election="e", province="p"), today) is None
    assert scope_of(Filter(election="e", instansi="i"), today) is None
    assert scope_of(Filter(since="2025-01-01"), today) == Scope(since="2025-01-01")
    assert scope_of(Filter(since="2025-01-01", until="2025-06-01"), today) == Scope(
        since="2025-01-01", until="2025-06-01"
    )
    assert scope_of(Filter(until="2025-01-01"), today) is None


def test_a_scope_of_neither_since_nor_until_keeps_its_name_and_bytes() -> None:
    # rows saved before since and until were added are read as they were (no pass again)
    scope = Scope("e", "h")
    assert scope.name == hashlib.sha256(b"'e' 'h'").hexdigest()[:16]
    tally = ScopedTally("2026-01-01", 0, scope=scope)
    assert len(msgspec.msgpack.decode(scoped_tally.encode(tally))) == 5
    assert scoped_tally.decode(scoped_tally.encode(tally), scope).scope == scope
    names = {Scope("e", "h", since="2025-01-01").name, Scope("e", "h", until="2025-01-01").name}
    assert scope.name not in names
    assert len(names) == 2
    assert Scope("e", until="2025-01-01").name.startswith(scoped_tally.DATED)
    assert Scope("e", since="2025-01-01").name.startswith(scoped_tally.DATED)
    assert not scope.name.startswith(scoped_tally.DATED)


def test_a_day_tally_is_made_as_of_its_day_only() -> None:
    scope = Scope("e", until="2025-01-01")
    with pytest.raises(ValueError, match="made as of"):
        ScopedTally("2025-01-02", 0, scope=scope)
    data = scoped_tally.encode(ScopedTally("2025-01-01", 0, scope=scope))
    with pytest.raises(ValueError, match="not of the scope asked"):
        scoped_tally.decode(data, Scope("e", until="2025-01-02"))


def test_a_saved_tally_of_another_scope_is_refused() -> None:
    tally = ScopedTally("2026-01-01", 0, scope=Scope("e", None))
    data = scoped_tally.encode(tally)
    assert scoped_tally.decode(data, Scope("e", None)).scope == Scope("e", None)
    for other in (Scope("f", None), Scope("e", "h"), Scope(None, None), Scope("e", since="x")):
        try:
            scoped_tally.decode(data, other)
        except ValueError:
            continue
        raise AssertionError(f"decoded as {other}")
