"""The national figures as of one day, kept as facts are taken: no pass over every fact.

:func:`registry.compliance.views.national` computes the national row from a
:class:`~registry.compliance.metrics.Snapshot`: every recommendation's
outcome, every report, pact, declaration and enforcement step (0.32 s at a
million entries, and the index restored first).  A :class:`NationalTally`
holds the same row for one day ``day`` as counts, and changes it as each
fact is taken: a fact touches a few *units* (a recommendation, whose outcome
it may change, or a counted entry), and each unit's contribution is computed
before and after with the very definitions the snapshot uses
(:func:`~registry.compliance.metrics.outcome_of`,
:func:`~registry.compliance.metrics.members`).  The difference is applied.

A take needs no index: the tally keeps which follow-ups answer each
recommendation (8 bytes a follow-up) and the day each revoked entry was
revoked, and reads the few facts a contribution needs (the recommendation, its
follow-ups, the entry a revocation names) by entry, from the index when there
is one, else from the log (:mod:`registry.compliance.feed`).

A figure keeps the set of its entries while it holds at most ``bound`` of
them; past that only its count (the entries are listed, paged, by
``/api/compliance/entries``, recomputed from the facts).

Each member is counted a second time under the unit's instansi (today's
instansi table, :mod:`registry.compliance.groups`: a group's figure keeps its
entries while at most :data:`registry.compliance.groups.BOUND`), and the PPK
enrolments, key revocations and successions taken are kept for that table's
PPK columns.  They are counted a third time under the province of the unit's
key's enrolment (today's provinces table, :mod:`registry.compliance.provinces`),
asked of a :data:`~registry.compliance.provinces.Keys` function as the fact is
taken: the tally keeps no map of keys.  A fourth time under the unit's election, and a
recommendation's a fifth under its election's pact signers' (today's elections
table, :mod:`registry.compliance.election_rows`).  The counts themselves, how
a member changes them and the rows read off them are :mod:`registry.compliance.tally_counts`.

Moving to a later day turns pending recommendations whose deadline has
passed into overdue ones, and computes again the units a fact dated after the
tally's day touched (a statement issued "tomorrow" by a clock ahead: it counts
from its day on), reading their facts as a take does.  It is saved with the
index's segments, sealed and anchored to the checked tree root like them
(:mod:`registry.compliance.saved`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from registry.compliance import month_rows
from registry.compliance.answers import Answers
from registry.compliance.facts import (
    Election,
    Fact,
    FollowUp,
    Key,
    KeyEnd,
    Rec,
    Report,
    Revoked,
    Signed,
    Step,
    Succession,
)
from registry.compliance.groups import BOUND as GROUP_BOUND
from registry.compliance.groups import (
    STEP,
    Offices,
)
from registry.compliance.key_rows import KeyTable
from registry.compliance.metrics import Outcome, members, outcome_of
from registry.compliance.provinces import Grouped, Keys, kid_of
from registry.compliance.signer_rows import GROUPING, PACT, PactSigners
from registry.compliance.tally_counts import BOUND, SIGNER, STEPS, Counts, Member, Read
from registry.compliance.vocabulary import Vocabulary

if TYPE_CHECKING:
    from registry.compliance.index import ComplianceIndex

VERSION = 9
Unit = tuple[str, int]
"""``("rec", idx)``: a recommendation's outcome; ``("fact", idx)``: a counted entry."""


def _nothing(idx: int) -> Fact | None:
    raise KeyError(f"entry {idx} was not read")


@dataclass(frozen=True, slots=True)
class Answering:
    """The facts :func:`~registry.compliance.metrics.outcome_of` reads for one recommendation."""

    revocations: dict[int, Revoked]
    follow_ups: dict[int, FollowUp]
    follow_ups_of: dict[int, list[int]]


def index_reader(index: ComplianceIndex) -> Read:
    """The facts the index holds, by entry (what a take reads when the index is there)."""

    def read(idx: int) -> Fact | None:
        return (
            index.recs.get(idx)
            or index.follow_ups.get(idx)
            or index.reports.get(idx)
            or index.signed.get(idx)
            or index.steps.get(idx)
        )

    return read


class NationalTally(Counts):
    """The national row as of ``day`` over the facts of entries ``0 .. size - 1``.

    Besides the counts it keeps what taking a fact needs that the log cannot give
    without an index: which follow-ups answer each recommendation (:class:`Answers`,
    8 bytes a follow-up), the day each revoked entry was revoked, and each pending
    recommendation's deadline.  Every other fact a take needs (the recommendation a
    follow-up answers, its other follow-ups, the entry a revocation names) is read
    when needed (:meth:`wanted`), from the index or, without it, from the log.
    """

    def __init__(
        self, day: str, size: int = 0, bound: int = BOUND, group_bound: int | None = None
    ) -> None:
        super().__init__(day, bound, GROUP_BOUND if group_bound is None else group_bound)
        self.size = size
        self.answers = Answers()
        """Recommendation -> the follow-ups answering it."""
        self.waiting: dict[Unit, str] = {}
        """Units a fact dated after ``day`` touched -> the latest such day (computed again
        when the tally moves to a later day)."""

    @classmethod
    def build(
        cls, index: ComplianceIndex, day: str, bound: int = BOUND, group_bound: int | None = None
    ) -> NationalTally:
        """The tally of every fact ``index`` holds (one pass)."""
        tally = cls(day, index.size, bound, group_bound)
        tally.offices = Offices.of(index.keys.values(), index.key_ends.values())
        tally.with_overdue.note(index.signed.values(), index.keys)
        tally.by_key.note(index)
        tally.vocabulary = Vocabulary.of(
            index.keys.values(), index.recs.values(), index.reports.values(), index.signed.values()
        )
        for idx in sorted(index.follow_ups):
            tally.answers.add(index.follow_ups[idx].recommendation, idx)
        tally.revoked = {target: r.day for target, r in index.revocations.items()}
        for idx in sorted(index.elections):
            tally.elections.take(index.elections[idx])
        tally.elections.as_of(day, tally.revoked)
        read = index_reader(index)
        keys = index.keys.get
        # the pacts first: a recommendation's election figures read its key's pacts
        for idx in sorted({*index.reports, *index.signed, *index.steps}):
            tally._apply([], tally._contribution(("fact", idx), read, keys), read)
        for idx in sorted(index.recs):
            tally.elections.add_rec(index.recs[idx])
            tally._apply([], tally._contribution(("rec", idx), read, keys), read)
        dated = (index.recs, index.reports, index.signed, index.steps, index.follow_ups)
        for facts in (*dated, index.revocations):
            for fact in facts.values():
                if fact.day > day:
                    tally._wait(tally._units(fact, read), fact.day)
        return tally

    def wanted(self, fact: Fact, known: Mapping[int, Fact | None]) -> list[int]:
        """The entries taking ``fact`` reads that ``known`` lacks: read them into it and ask
        again until none (a revocation's target first, then what it names)."""
        want: list[int] = []
        if isinstance(fact, Rec):
            want = self.answers.of(fact.idx)
        elif isinstance(fact, FollowUp):
            want = [fact.recommendation, *self.answers.of(fact.recommendation)]
        elif isinstance(fact, Revoked):
            if fact.target not in known:
                return [fact.target]
            target = known[fact.target]
            if isinstance(target, Rec):
                want = self.answers.of(target.idx)
            elif isinstance(target, FollowUp):
                want = [target.recommendation, *self.answers.of(target.recommendation)]
            want += self.elections.wanted(target, self.answers)
        elif isinstance(fact, Signed):
            want = self.elections.wanted(fact, self.answers)
        elif isinstance(fact, Key | Succession):
            kid = fact.kid if isinstance(fact, Key) else fact.new
            for kind, idx in sorted(self.provinces.unresolved.get(kid, ())):
                want += [idx, *self.answers.of(idx)] if kind == "rec" else [idx]
        return [idx for idx in want if idx not in known and idx != fact.idx]

    def wanted_keys(self, fact: Fact, facts: Read) -> list[bytes]:
        """The keys taking ``fact`` asks the enrolment of (``facts`` gives every entry
        :meth:`wanted` names): the units' keys, and the key an enrolment or a succession
        enrols (and the one it succeeds)."""

        def read(idx: int) -> Fact | None:
            return fact if idx == fact.idx else facts(idx)

        units = self._units(fact, read)
        kids: list[bytes] = []
        if isinstance(fact, Key):
            kids.append(fact.kid)
        elif isinstance(fact, Succession):
            kids += [fact.new, fact.old]
        if isinstance(fact, Key | Succession):
            units += sorted(self.provinces.unresolved.get(kids[0], ()))
        kids += [kid for unit in units if (kid := kid_of(read(unit[1]))) is not None]
        return list(dict.fromkeys(kids))

    def take(self, fact: Fact, facts: Read, keys: Keys) -> None:
        """Take the fact of entry :attr:`size` or later; ``facts`` gives every entry
        :meth:`wanted` names, ``keys`` the enrolments :meth:`wanted_keys` names as they
        stand before ``fact``."""

        def read(idx: int) -> Fact | None:
            return fact if idx == fact.idx else facts(idx)

        fresh = isinstance(fact, Rec | Report | Signed | Step)  # it counted in nothing
        units = self._units(fact, read)
        before = [
            (unit, [] if fresh and unit[1] == fact.idx else self._contribution(unit, read, keys))
            for unit in self._moving(units, read)
        ]
        if isinstance(fact, Rec):
            self.elections.add_rec(fact)
        after = keys
        if isinstance(fact, Key | Succession):  # the units waiting for its key, if any
            kid = fact.kid if isinstance(fact, Key) else fact.new
            moved = sorted(self.provinces.unresolved.get(kid, ()))
            before += [(unit, self._contribution(unit, read, keys)) for unit in moved]
            after = self.provinces.enrol(fact, keys, self.day)
        if isinstance(fact, FollowUp):
            self.answers.add(fact.recommendation, fact.idx)
        elif isinstance(fact, Revoked):
            self.revoked.setdefault(fact.target, fact.day)
        for unit, old in before:
            self._apply(old, self._contribution(unit, read, after), read)
        if fact.day > self.day:
            self._wait(units, fact.day)
        self.with_overdue.take(fact, keys, self.offices)
        self.vocabulary.take(fact)
        if isinstance(fact, Key | Succession):
            self.by_key.take(fact, keys)
        if isinstance(fact, Key | KeyEnd | Succession):
            self.offices.take(fact)
        if isinstance(fact, Election):
            self.elections.take(fact)
        if isinstance(fact, Election) or (
            isinstance(fact, Revoked) and fact.target in self.elections.records
        ):
            self.elections.as_of(self.day, self.revoked)
        self.size = max(self.size, fact.idx + 1)

    def _moving(self, units: Iterable[Unit], read: Read) -> list[Unit]:
        """``units``, pacts first, and the recommendations a change of their pacts moves
        (:meth:`ElectionTable.moved <registry.compliance.election_rows.ElectionTable.moved>`)."""
        units = sorted(units, key=lambda unit: unit[0] == "rec")
        pacts = (read(idx) for kind, idx in units if kind == "fact")
        moved = [unit for pact in pacts for unit in self.elections.moved(pact)]
        return list(dict.fromkeys([*units, *moved]))

    def _wait(self, units: list[Unit], day: str) -> None:
        for unit in units:
            self.waiting[unit] = max(day, self.waiting.get(unit, day))

    @staticmethod
    def _units(fact: Fact, read: Read) -> list[Unit]:
        """The units taking ``fact`` may change."""
        if isinstance(fact, Rec | Report | Signed | Step):
            return [("rec" if isinstance(fact, Rec) else "fact", fact.idx)]
        if isinstance(fact, Revoked):
            target = read(fact.target)
            if isinstance(target, Rec):
                return [("rec", target.idx)]
            if isinstance(target, Report | Signed | Step):
                return [("fact", target.idx)]
            fact = target if isinstance(target, FollowUp) else fact
        if isinstance(fact, FollowUp) and isinstance(read(fact.recommendation), Rec):
            return [("rec", fact.recommendation)]
        return []

    def counted_in(
        self, fact: Fact, read: Read, keys: Keys, done: dict[Unit, list[Member]]
    ) -> list[list[Member]]:
        """What each unit ``fact`` belongs to counts in as of the tally's day (its
        contribution, as taking it computes it), those computed before kept in ``done``:
        how a figure's listing asks whether an entry is one of the figure's."""
        units = self._units(fact, read)
        for unit in units:
            if unit not in done:
                done[unit] = self._contribution(unit, read, keys)
        return [done[unit] for unit in units]

    def stands(self, fact: Rec | Report | Signed | Step) -> bool:
        """Whether ``fact`` stands as of the tally's day (dated by then, not revoked)."""
        return self._stands(fact.idx, fact.day)

    def _stands(self, idx: int, day: str) -> bool:
        revoked = self.revoked.get(idx)
        return day <= self.day and (revoked is None or revoked > self.day)

    def _grouped(self, unit: Unit, kid: bytes, keys: Keys) -> Grouped:
        """The province and head type ``unit`` counts under today (its key ``kid``'s
        enrolment's); a key enrolled as of a later day makes it wait for that day."""
        found, later = self.provinces.group(unit, kid, keys, self.day)
        if later is not None:
            self._wait([unit], later)
        return found

    def outcome(self, rec: Rec, read: Read) -> Outcome | None:
        """What became of ``rec`` as of the tally's day (None if it does not stand then);
        ``read`` gives its follow-ups (:meth:`answering` names them)."""
        idx = rec.idx
        answers = self.answers.of(idx)
        follow_ups: dict[int, FollowUp] = {}
        for answer in answers:
            follow_up = read(answer)
            if not isinstance(follow_up, FollowUp):  # pragma: no cover - kept from the log
                raise ValueError(f"entry {answer} answers {idx} but is no follow-up")
            follow_ups[answer] = follow_up
        revocations = {
            i: Revoked(i, self.revoked[i], i) for i in (idx, *answers) if i in self.revoked
        }
        return outcome_of(Answering(revocations, follow_ups, {idx: answers}), rec, self.day)

    def answering(self, idx: int) -> list[int]:
        """The follow-ups :meth:`outcome` reads for recommendation ``idx``."""
        return self.answers.of(idx)

    def with_answers(self, idxs: Iterable[int]) -> list[int]:
        """The recommendations ``idxs`` and the follow-ups :meth:`outcome` reads for each:
        the entries to read to compute their outcomes, each once."""
        return list(dict.fromkeys(i for idx in idxs for i in (idx, *self.answering(idx))))

    def _contribution(self, unit: Unit, read: Read, keys: Keys) -> list[Member]:
        """What ``unit`` counts in as of the tally's day, by the snapshot's definitions."""
        _, idx = unit
        fact = read(idx)
        if isinstance(fact, Rec):
            found = self.outcome(fact, read)
            if found is None:
                return []
            counted = members(found)
            province, head_type = self._grouped(unit, fact.ppk_kid, keys)
            return [
                *counted,
                *((("instansi", fact.instansi, n), v) for n, v in counted),
                *((("province", province, n), v) for n, v in counted),
                *((("head_type", head_type, n), v) for n, v in counted),
                *self.elections.rec_members(fact, counted),
                *PactSigners.rec_members(fact, counted),
                *KeyTable.rec_members(found, counted),
                *month_rows.rec_members(found),
            ]
        if not isinstance(fact, Report | Signed | Step) or not self._stands(idx, fact.day):
            return []
        if isinstance(fact, Report):
            election = self.elections.election(fact)
            grouped = [
                ("province", fact.province, "reports"),
                ("election", election, "reports"),
                ("month", fact.day[:7], "reports"),
            ]
            return [("reports", idx), *((name, idx) for name in grouped)]
        if isinstance(fact, Step):
            step = (("instansi", fact.instansi, STEP), (idx, fact.step))
            month = (("month", fact.day[:7], "enforcement_steps"), idx)
            of_key = ((GROUPING, fact.ppk_kid, STEP), (idx, fact.step))
            if fact.step not in STEPS:
                return [step, month, of_key]
            return [("enforcement_" + fact.step.replace("-", "_"), idx), step, month, of_key]
        kind = "pacts" if fact.kind == "pact" else "declarations"
        signer = (
            [(SIGNER, fact.signer), ((GROUPING, fact.signer, PACT), idx)] if kind == "pacts" else []
        )
        province, head_type = self._grouped(unit, fact.signer, keys)
        in_groups = [
            (("instansi", fact.instansi, kind), idx),
            (("province", province, kind), idx),
            (("head_type", head_type, kind), idx),
            (("month", fact.day[:7], kind), idx),
        ]
        return [
            (kind, idx),
            *signer,
            *in_groups,
            *self.elections.signed_members(fact, kind),
            *self.by_key.signed_members(fact, keys),
        ]

    def wanted_to_advance(self, known: Mapping[int, Fact | None]) -> list[int]:
        """The entries :meth:`advance` reads that ``known`` lacks (those of the units facts
        dated after this tally's day touched)."""
        want: list[int] = []
        for kind, idx in self.waiting:
            want += [idx, *self.answers.of(idx)] if kind == "rec" else [idx]
            if kind == "fact" and idx in known:  # a pact's recommendations, once it is read
                want += self.elections.wanted(known[idx], self.answers)
        return [idx for idx in dict.fromkeys(want) if idx not in known]

    def wanted_keys_to_advance(self, facts: Read) -> list[bytes]:
        """The keys :meth:`advance` asks the enrolment of (``facts`` gives every entry
        :meth:`wanted_to_advance` names)."""
        kids = (kid_of(facts(idx)) for _, idx in self.waiting)
        return list(dict.fromkeys(kid for kid in kids if kid is not None))

    def advance(self, day: str, facts: Read | None, keys: Keys) -> bool:
        """Move to a later ``day`` (``facts`` gives every entry :meth:`wanted_to_advance`
        names, ``keys`` the enrolments :meth:`wanted_keys_to_advance` names); False for an
        earlier day (only a rebuild can)."""
        if day == self.day:
            return True
        if day < self.day:
            return False
        read = facts or _nothing
        units = [
            (unit, self._contribution(unit, read, keys))
            for unit in self._moving(self.waiting, read)
        ]
        for _, old in units:  # out as of the old day (their deadlines too) ...
            self._apply(old, [], read)
        due = sorted(idx for idx, deadline in self.deadlines.items() if deadline < day)
        for idx in due:
            self._due(idx)
        self.day = day
        self.elections.as_of(day, self.revoked)
        for unit, _ in units:  # ... and in as of the new one
            self._apply([], self._contribution(unit, read, keys), read)
        self.waiting = {unit: last for unit, last in self.waiting.items() if last > day}
        return True
