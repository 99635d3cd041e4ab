"""The national tally fed from the log without the index: the index's row after every entry.

Random histories (``test_tally.history``: recommendations, follow-ups that
impose, downgrade or refuse, revocations of any earlier entry, a follow-up or a
recommendation included, reports, pacts, declarations, steps, facts dated after
the tally's day), with entries that carry no fact between them, read by
:func:`registry.compliance.feed.feed` from a log of facts as a worker reads the
registry's; the days move forward at random.  After every entry the tally's row
must be :func:`registry.compliance.views.national`'s over an index of the same
entries, and a tally saved and decoded anywhere must go on to the same rows.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import tally_bytes
from registry.compliance.answers import Answers
from registry.compliance.facts import Fact, FollowUp, Key, Rec, Succession
from registry.compliance.feed import advance, feed
from registry.compliance.index import ComplianceIndex
from registry.compliance.provinces import Enrolled, Enrolment
from registry.compliance.tally import NationalTally
from tests.compliance.test_tally import DAYS, assert_same, expected, history
from tests.loop import in_loop


class FactList:
    """A log of facts (None: an entry without one), noting each range read."""

    def __init__(self, facts: list[Fact | None]) -> None:
        self.entries = facts
        self.reads: list[tuple[int, int]] = []

    async def facts(self, start: int, end: int) -> list[Fact | None]:
        self.reads.append((start, end))
        return self.entries[start:end]

    async def facts_at(self, indexes: Sequence[int]) -> dict[int, Fact | None]:
        self.reads += [(idx, idx + 1) for idx in indexes]
        return {idx: self.entries[idx] for idx in indexes if 0 <= idx < len(self.entries)}

    async def keys(self, kids: Sequence[bytes]) -> dict[bytes, Enrolled | None]:
        return {kid: await self.key(kid) for kid in kids}

    async def key(self, kid: bytes) -> Enrolled | None:
        """As a worker's key directory locates it: the latest entry enrolling ``kid``."""
        at = max((i for i, f in enumerate(self.entries) if _enrols(f, kid)), default=None)
        fact = None if at is None else self.entries[at]
        if isinstance(fact, Key):
            return fact
        if isinstance(fact, Succession) and fact.old != kid:
            old = await self.key(fact.old)
            return (
                None
                if old is None or old.idx >= fact.idx
                else Enrolment(fact.idx, fact.day, old.province, old.head_type, old.role)
            )
        return None


def _enrols(fact: Fact | None, kid: bytes) -> bool:
    return (isinstance(fact, Key) and fact.kid == kid) or (
        isinstance(fact, Succession) and fact.new == kid
    )


def spaced(rng: random.Random, facts: list[Fact]) -> list[Fact | None]:
    """``facts`` renumbered with entries that carry no fact (enrolments...) between them."""
    log: list[Fact | None] = []
    where: dict[int, int] = {}
    for fact in facts:
        while rng.random() < 0.2:
            log.append(None)
        where[fact.idx] = len(log)
        moved = {"idx": len(log)}
        for name in ("recommendation", "target"):
            if hasattr(fact, name):
                moved[name] = where[getattr(fact, name)]
        log.append(type(fact)(**{**_fields(fact), **moved}))
    return log


def _fields(fact: Fact) -> dict[str, object]:
    return {name: getattr(fact, name) for name in fact.__slots__}  # type: ignore[union-attr]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 70),
    bound=st.sampled_from([3, 10_000]),
)
def test_the_tally_fed_from_the_log_is_the_indexs_row_after_every_entry(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    log = FactList(spaced(rng, history(rng, size)))
    index = ComplianceIndex()
    cut = rng.randrange(len(log.entries) + 1)
    day = rng.choice(DAYS[:10])
    for fact in log.entries[:cut]:
        if fact is not None:
            index.take(fact)
    index.size = cut
    tally = NationalTally.build(index, day, bound) if cut else NationalTally(day, 0, bound)
    for n in range(cut + 1, len(log.entries) + 1):
        in_loop(feed(tally, log, n))
        assert tally.size == n
        fact = log.entries[n - 1]
        if fact is not None:
            index.take(fact)
        index.size = n
        if rng.random() < 0.2:  # a later day: the facts dated after the old one count
            day = rng.choice([d for d in DAYS if d >= day])
            assert in_loop(advance(tally, day, log))
        assert_same(tally.row(), expected(index, day), bound)
        if rng.random() < 0.2:  # saved, and a worker starts from it
            tally = tally_bytes.decode(tally_bytes.encode(tally))
            assert tally.size == n


def test_a_follow_up_reads_only_its_recommendation_and_its_other_answers() -> None:
    rec = Rec(1, "2024-10-01", "C1", "I", b"k", b"s", "2024-10-15", None, None, "light")
    refusal = FollowUp(3, "2024-10-02", 1, "refused", None, b"k")
    other = Rec(2, "2024-10-01", "C2", "I", b"k", b"s", "2024-10-15", None, None)
    sanction = FollowUp(5, "2024-10-03", 1, "sanctioned", "2024-10-03", b"k", "heavy")
    log = FactList([None, rec, other, refusal, None, sanction])
    tally = NationalTally("2024-10-05")
    in_loop(feed(tally, log, 5))  # in one page: what the refusal needs is in it
    assert log.reads == [(0, 5)]
    assert tally.row()["refused"]["entries"] == [3]
    in_loop(feed(tally, log, 6))  # a later start: the recommendation and the refusal read
    assert log.reads[1:] == [(5, 6), (1, 2), (3, 4)]
    row = tally.row()
    assert row["followed_up"]["entries"] == [5]
    assert row["refused"]["value"] == 0
    assert row["pending"]["entries"] == [2]


def test_the_answers_are_found_before_and_after_they_are_merged() -> None:
    # 40,000 follow-ups: nine runs of 4,096 made and merged, and the rest waiting
    rng = random.Random(15)
    answers = Answers()
    pairs = [(rng.randrange(5_000), 10_000 + n) for n in range(40_000)]
    for rec, follow_up in pairs:
        answers.add(rec, follow_up)
    expected: dict[int, list[int]] = {}
    for rec, follow_up in pairs:
        expected.setdefault(rec, []).append(follow_up)
    for rec in range(5_001):
        assert answers.of(rec) == expected.get(rec, []), rec
    again = Answers(answers.packed())
    assert len(again) == len(answers) == len(pairs)
    for rec in range(0, 5_001, 7):
        assert again.of(rec) == expected.get(rec, []), rec
