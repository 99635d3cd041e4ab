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

A figure keeps the set of its entries while it holds at most ``bound`` of
them; past that only its count (the entries are listed, paged, by
``/api/compliance/entries``, recomputed from the facts).

Moving to a later day only turns pending recommendations whose deadline has
passed into overdue ones, unless a fact dated after the tally's day was
taken (a statement issued "tomorrow" by a clock ahead): then the tally is
rebuilt.  It is saved with the index's segments, sealed and anchored to the
checked tree root like them (:mod:`registry.compliance.saved`).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import msgspec

from registry.compliance.facts import Fact, FollowUp, Rec, Report, Revoked, Signed, Step
from registry.compliance.metrics import COUNTS, DAYS, Figure, members, outcome_of, stands

if TYPE_CHECKING:
    from registry.compliance.index import ComplianceIndex

BOUND = 10_000
"""The most entries a figure lists inline (and a tally keeps per figure)."""
STEPS = ("early-warning", "warning", "reprimand", "block", "unblock")
SIGNER = "_signer"
"""The pseudo-figure a standing pact's signer is counted under (for ``pact_signers``)."""
NAMES = (
    "reports",
    *COUNTS,
    "pacts",
    "declarations",
    *("enforcement_" + step.replace("-", "_") for step in STEPS),
)
"""The figures a tally counts entries of."""
VERSION = 1
COUNT: Any = object()
"""A figure whose value is its count."""

Unit = tuple[str, int]
"""``("rec", idx)``: a recommendation's outcome; ``("fact", idx)``: a counted entry."""
Member = tuple[str, Any]


class Members:
    """How many entries a figure counts, and which while they are at most ``bound``."""

    __slots__ = ("count", "entries")

    def __init__(self, count: int = 0, entries: set[int] | None = None) -> None:
        self.count = count
        self.entries: set[int] | None = set() if entries is None and count == 0 else entries

    def add(self, idx: int, bound: int) -> None:
        self.count += 1
        if self.entries is not None:
            self.entries.add(idx)
            if len(self.entries) > bound:
                self.entries = None

    def remove(self, idx: int) -> None:
        self.count -= 1
        if self.entries is not None:
            self.entries.discard(idx)

    def figure(self, value: Any = COUNT) -> Figure:
        """As a figure of ``value`` (default: the count; ``entries`` None when only the
        count is kept)."""
        entries = None if self.entries is None else sorted(self.entries)
        found: Figure = {"value": self.count if value is COUNT else value, "entries": entries}
        if entries is None:
            found["entries_total"] = self.count
        return found


def units(index: ComplianceIndex, fact: Fact) -> list[Unit]:
    """The units taking ``fact`` may change."""
    if isinstance(fact, Rec | Report | Signed | Step):
        return [("rec" if isinstance(fact, Rec) else "fact", fact.idx)]
    if isinstance(fact, FollowUp):
        return [("rec", fact.recommendation)] if fact.recommendation in index.recs else []
    if isinstance(fact, Revoked):
        target = fact.target
        if target in index.recs:
            return [("rec", target)]
        answer = index.follow_ups.get(target)
        if answer is not None:
            return [("rec", answer.recommendation)] if answer.recommendation in index.recs else []
        if target in index.reports or target in index.signed or target in index.steps:
            return [("fact", target)]
    return []


def contribution(index: ComplianceIndex, unit: Unit, day: str) -> list[Member]:
    """What ``unit`` counts in as of ``day``, given the facts the index holds."""
    kind, idx = unit
    if kind == "rec":
        rec = index.recs.get(idx)
        found = None if rec is None else outcome_of(index, rec, day)
        return [] if found is None else members(found)
    fact: Report | Signed | Step | None = (
        index.reports.get(idx) or index.signed.get(idx) or index.steps.get(idx)
    )
    if fact is None or not stands(index, idx, fact.day, day):
        return []
    if isinstance(fact, Report):
        return [("reports", idx)]
    if isinstance(fact, Step):
        return [("enforcement_" + fact.step.replace("-", "_"), idx)] if fact.step in STEPS else []
    if fact.kind == "pact":
        return [("pacts", idx), (SIGNER, fact.signer)]
    return [("declarations", idx)]


class NationalTally:
    """The national row as of ``day`` over the facts of entries ``0 .. size - 1``."""

    def __init__(self, day: str, size: int = 0, bound: int = BOUND) -> None:
        self.day = day
        self.size = size
        self.bound = bound
        self.figures = {name: Members() for name in NAMES}
        self.days: Counter[int] = Counter()
        self.signers: Counter[bytes] = Counter()
        self.deadlines: dict[int, str] = {}
        """Pending recommendations' deadlines (to turn them overdue on a later day)."""
        self.later = False
        """A fact dated after ``day`` was taken: a later day needs a rebuild."""

    @classmethod
    def build(cls, index: ComplianceIndex, day: str, bound: int = BOUND) -> NationalTally:
        """The tally of every fact ``index`` holds (one pass)."""
        tally = cls(day, index.size, bound)
        for idx in sorted(index.recs):
            tally._apply(index, [], contribution(index, ("rec", idx), day))
        for idx in sorted({*index.reports, *index.signed, *index.steps}):
            tally._apply(index, [], contribution(index, ("fact", idx), day))
        tally.later = any(
            f.day > day
            for facts in (index.recs, index.reports, index.signed, index.steps, index.follow_ups)
            for f in facts.values()
        ) or any(r.day > day for r in index.revocations.values())
        return tally

    def before(self, index: ComplianceIndex, fact: Fact) -> list[tuple[Unit, list[Member]]]:
        """The contributions of the units ``fact`` may change, before the index takes it."""
        if isinstance(fact, Rec | Report | Signed | Step):  # new: it counted in nothing
            return [(("rec" if isinstance(fact, Rec) else "fact", fact.idx), [])]
        return [(unit, contribution(index, unit, self.day)) for unit in units(index, fact)]

    def after(
        self, index: ComplianceIndex, fact: Fact, before: list[tuple[Unit, list[Member]]]
    ) -> None:
        """Apply what taking ``fact`` changed (``before`` from :meth:`before`)."""
        for unit, old in before:
            self._apply(index, old, contribution(index, unit, self.day))
        if fact.day > self.day and before:
            self.later = True
        self.size = max(self.size, fact.idx + 1)

    def _apply(self, index: ComplianceIndex, old: list[Member], new: list[Member]) -> None:
        # a unit counts in a figure at most once (members() lists distinct pairs)
        if old == new:
            return
        for name, value in old:
            if (name, value) not in new:
                self._remove(name, value)
        for name, value in new:
            if (name, value) not in old:
                self._add(index, name, value)

    def _add(self, index: ComplianceIndex | None, name: str, value: Any) -> None:
        if name == DAYS:
            self.days[value] += 1
        elif name == SIGNER:
            self.signers[value] += 1
        else:
            self.figures[name].add(value, self.bound)
            if name == "pending" and index is not None:
                self.deadlines[value] = index.recs[value].deadline

    def _remove(self, name: str, value: Any) -> None:
        counter = self.days if name == DAYS else self.signers if name == SIGNER else None
        if counter is not None:
            counter[value] -= 1
            if counter[value] <= 0:
                del counter[value]
            return
        self.figures[name].remove(value)
        if name == "pending":
            self.deadlines.pop(value, None)

    def advance(self, day: str) -> bool:
        """Move to a later ``day``; False if only a rebuild can (an earlier day, or facts
        dated after this tally's day were taken)."""
        if day == self.day:
            return True
        if day < self.day or self.later:
            return False
        due = sorted(idx for idx, deadline in self.deadlines.items() if deadline < day)
        for idx in due:
            self._remove("pending", idx)
            self._add(None, "overdue", idx)
        self.day = day
        return True

    def median(self) -> float | int | None:
        """The median of the followed-up recommendations' days (as ``statistics.median``)."""
        n = sum(self.days.values())
        if n == 0:
            return None
        wanted = [(n - 1) // 2, n // 2]
        found: list[int] = []
        seen = 0
        for days in sorted(self.days):
            seen += self.days[days]
            while wanted and wanted[0] < seen:
                found.append(days)
                wanted.pop(0)
        return found[0] if n % 2 else (found[0] + found[1]) / 2

    def row(self) -> dict[str, Figure]:
        """The national row, as :func:`registry.compliance.views.national` gives it, except
        that a figure whose entries this tally does not keep has ``entries`` None and
        ``entries_total``."""
        f = self.figures
        row = {name: f[name].figure() for name in ("reports", *COUNTS)}
        recs, followed = f["recommendations"], f["followed_up"]
        rate = round(followed.count / recs.count, 4) if recs.count else None
        both = Members(recs.count + followed.count, None)
        if recs.entries is not None and followed.entries is not None:
            both.entries = recs.entries | followed.entries
        row["follow_up_rate"] = both.figure(rate)
        row["median_days"] = followed.figure(self.median())
        row["pacts"] = f["pacts"].figure()
        row["pact_signers"] = f["pacts"].figure(len(self.signers))
        row["declarations"] = f["declarations"].figure()
        for step in STEPS:
            name = "enforcement_" + step.replace("-", "_")
            row[name] = f[name].figure()
        return row

    def encode(self) -> bytes:
        """The bytes a saved tally holds."""
        return msgspec.msgpack.encode(
            (
                VERSION,
                self.day,
                self.size,
                self.bound,
                self.later,
                [
                    (name, m.count, None if m.entries is None else sorted(m.entries))
                    for name, m in self.figures.items()
                ],
                sorted(self.days.items()),
                sorted(self.signers.items()),
                sorted(self.deadlines.items()),
            )
        )

    @classmethod
    def decode(cls, data: bytes) -> NationalTally:
        """A tally from :meth:`encode`'s bytes; ``ValueError`` if they are not one."""
        try:
            version, day, size, bound, later, figures, days, signers, deadlines = _DECODER.decode(
                data
            )
        except (msgspec.DecodeError, ValueError, TypeError) as exc:
            raise ValueError(f"not a saved tally ({exc})") from None
        if version != VERSION or {name for name, _, _ in figures} != set(NAMES):
            raise ValueError("a saved tally of another version")
        tally = cls(day, size, bound)
        for name, count, entries in figures:
            tally.figures[name] = Members(count, None if entries is None else set(entries))
        tally.later = later
        tally.days = Counter(dict(days))
        tally.signers = Counter(dict(signers))
        tally.deadlines = dict(deadlines)
        return tally


Saved = tuple[
    int,
    str,
    int,
    int,
    bool,
    list[tuple[str, int, list[int] | None]],
    list[tuple[int, int]],
    list[tuple[bytes, int]],
    list[tuple[int, str]],
]
"""What :meth:`NationalTally.encode` writes: version, day, size, bound, later, figures,
days, signers, deadlines."""
_DECODER: msgspec.msgpack.Decoder[Saved] = msgspec.msgpack.Decoder(Saved)
