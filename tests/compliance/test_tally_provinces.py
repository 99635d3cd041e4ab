"""Today's provinces table from the tally: the snapshot's rows, kept as facts are taken.

Random histories (``test_tally.history``) in which recommendations and pacts go to
PPK keys and declarations are signed by ASN keys of their own, every key enrolled
once (as the policy admits) in a random province, at a random point of the log: a
recommendation or a declaration may come before its key's enrolment, an enrolment
may be dated after the tally's day, keys are revoked and succeeded, reports carry
their own province.  Taken by an index whose tally is made at a random point, or
fed from a log without any index; the tally's rows must be
:func:`registry.compliance.views.provinces`'s at every day it moves to (a figure
past the group bound: its count only), and its bytes must give them back.  A key
enrolled a second time elsewhere (refused by the policy) makes the tally's
provinces inexact, and the table made again from the index is the snapshot's.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import tally_bytes
from registry.compliance.facts import Fact, Key, KeyEnd, Rec, Report, Signed, Step, Succession
from registry.compliance.feed import feed
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally
from registry.compliance.views import provinces
from tests.compliance.test_tally import DAYS, KIDS, history
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_instansi import (
    OFFICES,
    every_day,
    every_entry,
    exact_or_made_again,
    fed_and_indexed,
)
from tests.loop import in_loop

PROVINCES = ["Jawa Barat", "Bali", "Papua", None]
ASN = [bytes([40 + n]) * 32 for n in range(5)]
"""Keys that sign declarations (none of them a PPK's)."""


def _key(rng: random.Random, idx: int, day: str, kid: bytes, role: str) -> Key:
    start, end = sorted(rng.sample(DAYS, 2))
    return Key(
        idx, rng.choice([DAYS[0], rng.choice(DAYS[:8]), day]), kid, role, "n", None, "j",
        rng.choice(OFFICES), rng.choice(PROVINCES), None, start, end,
    )  # fmt: skip


def keyed(rng: random.Random, facts: list[Fact], again: float = 0.0) -> tuple[list[Fact], bool]:
    """``facts`` with declarations signed by :data:`ASN` keys, reports given a province, and
    enrolments put between them (each key once, or a second time with chance ``again``),
    some reports made key revocations and successions (of an enrolled key, each successor a
    fresh key); and whether a key was enrolled twice."""
    out: list[Fact] = []
    waiting = [*KIDS, *ASN]
    rng.shuffle(waiting)
    enrolled: list[bytes] = []
    where: dict[int, int] = {}
    twice = False
    fresh = 0
    for taken in facts:
        if rng.random() < 0.3 and waiting:
            kid = waiting.pop()
            out.append(_key(rng, len(out), taken.day, kid, "asn" if kid in ASN else "ppk"))
            enrolled.append(kid)
        elif rng.random() < again and enrolled:
            out.append(_key(rng, len(out), taken.day, rng.choice(enrolled), "ppk"))
            twice = True
        where[taken.idx] = len(out)
        moved: dict[str, Any] = {"idx": len(out)}
        for name in ("recommendation", "target"):
            if hasattr(taken, name):
                moved[name] = where[getattr(taken, name)]
        fact: Fact = dataclasses.replace(taken, **moved)  # type: ignore[arg-type]
        if isinstance(fact, Signed) and fact.kind == "declaration":
            # a successor's too, the next one before its succession
            fact = dataclasses.replace(fact, signer=rng.choice([*ASN, *successors(fresh + 1)]))
        elif isinstance(fact, Report):
            what = rng.random()
            if what < 0.2 and enrolled:
                fact = KeyEnd(fact.idx, fact.day, rng.choice(enrolled), rng.choice(DAYS))
            elif what < 0.4 and enrolled:  # the policy admits successions of enrolled keys
                fresh += 1
                fact = Succession(fact.idx, fact.day, rng.choice(enrolled), successors(fresh)[-1])
                enrolled.append(fact.new)
            else:
                fact = dataclasses.replace(fact, province=rng.choice(PROVINCES))
        out.append(fact)
    return out, twice


def successors(fresh: int) -> list[bytes]:
    return [bytes([100 + n]) * 32 for n in range(1, fresh + 1)]


def addressed(rng: random.Random, facts: list[Fact]) -> list[Fact]:
    """Some recommendations and pacts moved to successor keys enrolled before them."""
    out: list[Fact] = []
    new: list[bytes] = []
    for fact in facts:
        if isinstance(fact, Succession):
            new.append(fact.new)
        if new and rng.random() < 0.3 and isinstance(fact, Rec | Step):
            out.append(dataclasses.replace(fact, ppk_kid=rng.choice(new)))
        else:
            out.append(fact)
    return out


def expected(index: ComplianceIndex, day: str) -> list[dict[str, Any]]:
    return provinces(Snapshot(index, day))


def checked(
    tally: NationalTally, index: ComplianceIndex, day: str, twice: bool, bound: int
) -> None:
    """The tally's rows are the snapshot's, or (a key enrolled twice) inexact, and the table
    made again from the index is the snapshot's."""
    want = expected(index, day)
    table = NationalTally.provinces_rows
    if exact_or_made_again(tally, index, day, bound, table, want, "province"):
        assert twice, "inexact only once a key was enrolled a second time"


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    bound=st.sampled_from([2, 100]),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_the_tallys_provinces_rows_are_the_snapshots_at_every_day(
    seed: int, size: int, bound: int, again: float
) -> None:
    rng = random.Random(seed)
    facts, twice = keyed(rng, history(rng, size), again)
    for tally, index, day in every_day(rng, addressed(rng, facts), bound):
        checked(tally, index, day, twice, bound)
        again_ = tally_bytes.decode(tally_bytes.encode(tally))
        assert again_.provinces_rows() == tally.provinces_rows()
        assert again_.provinces.exact == tally.provinces.exact
        assert tally_bytes.encode(again_) == tally_bytes.encode(tally)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 70), bound=st.sampled_from([2, 100]))
def test_the_provinces_rows_fed_from_the_log_are_the_indexs_after_every_entry(
    seed: int, size: int, bound: int
) -> None:
    # Every key enrolled once, as the policy admits: the key directory locates the only one.
    rng = random.Random(seed)
    facts, twice = keyed(rng, history(rng, size))
    log = FactList(spaced(rng, addressed(rng, facts)))
    for tally, index, day in every_entry(rng, log, bound):
        checked(tally, index, day, twice, bound)


PPK, OTHER, ASN_KEY = KIDS[0], KIDS[1], ASN[0]


def _enrolment(idx: int, kid: bytes, province: str | None, role: str = "ppk", **at: str) -> Key:
    day = at.get("day", DAYS[0])
    return Key(idx, day, kid, role, "n", None, "j", "I", province, None, DAYS[0], DAYS[-1])


def _rec(idx: int, kid: bytes, day: str = DAYS[2]) -> Rec:
    return Rec(idx, day, f"C{idx}", "I", kid, b"s", DAYS[-1], None, None)


def both(facts: list[Fact], day: str, *later: str) -> list[list[dict[str, Any]]]:
    """The provinces rows of a tally fed from a log of ``facts`` at ``day`` and each ``later``
    day, checked against the snapshot's of an index of the same facts."""
    return fed_and_indexed(facts, [day, *later], NationalTally.provinces_rows, provinces)


def counts(rows: list[dict[str, Any]], figure: str) -> dict[str | None, int]:
    return {row["province"]: row[figure]["value"] for row in rows}


def test_a_revoked_or_succeeded_enrolment_keeps_its_province() -> None:
    successor = bytes([200]) * 32
    [rows] = both(
        [
            _enrolment(0, PPK, "Bali"),
            _rec(1, PPK),
            KeyEnd(2, DAYS[3], PPK, DAYS[3]),
            Succession(3, DAYS[3], PPK, successor),
            _rec(4, successor, DAYS[4]),
            Signed(5, DAYS[4], "pact", successor, "I", "e", DAYS[4]),
        ],
        DAYS[5],
    )
    assert counts(rows, "recommendations") == {"Bali": 2}
    assert counts(rows, "pacts") == {"Bali": 1}


def test_an_enrolment_dated_after_the_day_counts_from_its_day_on() -> None:
    today, enrolled = both(
        [_enrolment(0, PPK, "Bali", day=DAYS[6]), _rec(1, PPK)], DAYS[4], DAYS[6]
    )
    assert counts(today, "recommendations") == {None: 1}
    assert counts(enrolled, "recommendations") == {"Bali": 1}


def test_a_recommendation_to_a_ppk_enrolled_after_it_moves_at_its_enrolment() -> None:
    facts: list[Fact] = [_rec(0, PPK), _enrolment(1, OTHER, "Papua"), _rec(2, OTHER)]
    [before] = both(facts, DAYS[5])
    assert counts(before, "recommendations") == {"Papua": 1, None: 1}
    [after] = both([*facts, _enrolment(3, PPK, "Bali")], DAYS[5])
    assert counts(after, "recommendations") == {"Bali": 1, "Papua": 1}


def test_a_declaration_counts_in_its_signers_province_not_its_instansis() -> None:
    [rows] = both(
        [
            _enrolment(0, PPK, "Jawa Barat"),
            _enrolment(1, ASN_KEY, "Bali", "asn"),
            _rec(2, PPK),
            Signed(3, DAYS[3], "declaration", ASN_KEY, "I", "e", DAYS[3]),
        ],
        DAYS[5],
    )
    assert counts(rows, "recommendations") == {"Bali": 0, "Jawa Barat": 1}
    assert counts(rows, "declarations") == {"Bali": 1, "Jawa Barat": 0}


def test_a_key_enrolled_again_elsewhere_makes_the_provinces_inexact() -> None:
    facts: list[Fact] = [_enrolment(0, PPK, "Bali"), _rec(1, PPK), _enrolment(2, PPK, "Papua")]
    index = ComplianceIndex()
    index.tally = NationalTally(DAYS[5], 0)
    for fact in facts:
        index.take(fact)
    assert not index.tally.provinces.exact, "its recommendation counted in Bali cannot move"
    fed = NationalTally(DAYS[5], 0)
    in_loop(feed(fed, FactList(facts), 1))
    assert not fed.provinces.exact, "the key directory locates another enrolment"
    index.size = len(facts)
    remade = NationalTally.build(index, DAYS[5])
    assert remade.provinces.exact
    assert counts(remade.provinces_rows(), "recommendations") == {"Papua": 1}
    assert remade.provinces_rows() == expected(index, DAYS[5])
