"""Today's per-election table kept as counts beside the national ones: no pass over every fact.

:func:`registry.compliance.views.elections` groups every standing recommendation
and report by the ``election`` it names (one naming none: the election of the
calendar its day falls in, :func:`~registry.compliance.elections.election_of`),
every standing pact and declaration by its own ``election``, and adds
:func:`~registry.compliance.views.pact_signers_kept_their_word`: the keys with a
standing pact for the election, and the follow-up figures over the election's
recommendations addressed to one of them and issued on or after the first day
it signed.  The national tally (:mod:`registry.compliance.tally`) counts each
unit's members a fourth time under its election (:attr:`ElectionTable.figures`),
and a recommendation's a fifth time under its election's pact signers'
(:attr:`ElectionTable.kept`) while its key signed a standing pact for that
election on or before its day.

What the tally keeps for the pact signers' columns, in bounded memory:

- per election and signer, the days of its standing pacts (a PPK key count is
  small: hundreds to thousands a election), so a recommendation's contribution
  knows whether its key had signed by its day;
- per election and PPK key, the recommendations addressed to it (8 bytes each,
  :attr:`ElectionTable.recs_of`): when a pact is taken, revoked, or starts to
  stand on a later day, the first day its signer signed moves, and those
  recommendations are computed again (read from the log, like a follow-up's).

The calendar (the standing election records, a few a year) is kept too.  A
record naming no election is grouped by the calendar as of the tally's day;
when that calendar changes (an election registered, revoked, or dated after
the day and standing from it) after such a record was counted, those records
would move and the tally does not list them: :attr:`ElectionTable.exact` turns
False and the table is answered from the index (the tally made again from it).
Records logged since elections were records all name one.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Mapping
from typing import Any, NamedTuple

from registry.compliance.answers import Answers
from registry.compliance.elections import Calendar, calendar, election_of, order
from registry.compliance.facts import Election, Fact, Rec, Report, Signed
from registry.compliance.groups import BOUND, Group, GroupFigures, Row, follow_up_figures
from registry.compliance.groups import NAMES as GROUP_NAMES
from registry.compliance.metrics import COUNTS

NAMES = ("reports", *GROUP_NAMES)
"""The figures an election's group counts entries of."""
SIGNED = "_signed"
"""The pseudo-figure a standing pact is kept under: its signer and day."""
KEPT = ("recommendations", "followed_up", "on_time", "downgraded", "overdue")
"""The pact signers' follow-up figures a row shows (``pact_signers_`` + the name)."""
Unit = tuple[str, int]


class Dated(NamedTuple):
    """An election record as the calendar reads it."""

    idx: int
    day: str
    name: str
    voting_day: str


class SignedFigures(GroupFigures):
    """Figures per election, and per election the days of each signer's standing pacts."""

    def __init__(self, bound: int = BOUND, names: tuple[str, ...] = NAMES) -> None:
        super().__init__(bound, names)
        self.signed: dict[Any, dict[bytes, Counter[str]]] = {}
        """Election -> signer -> the days of its standing pacts for it."""

    def add(self, group: Any, name: str, value: Any) -> None:
        if name != SIGNED:
            super().add(group, name, value)
            return
        signer, day = value
        self.signed.setdefault(group, {}).setdefault(signer, Counter())[day] += 1

    def remove(self, group: Any, name: str, value: Any) -> None:
        if name != SIGNED:
            super().remove(group, name, value)
            return
        signer, day = value
        by = self.signed[group]
        days = by[signer]
        days[day] -= 1
        if days[day] <= 0:
            del days[day]
        if not days:
            del by[signer]
        if not by:
            del self.signed[group]

    def first(self, group: Any, signer: bytes) -> str | None:
        """The first day ``signer`` signed a standing pact for election ``group``."""
        days = self.signed.get(group, {}).get(signer)
        return min(days) if days else None


class ElectionTable:
    """Today's figures per election, the pact signers' figures, and the calendar."""

    def __init__(self, bound: int = BOUND) -> None:
        self.figures = SignedFigures(bound)
        self.kept = GroupFigures(bound, COUNTS)
        """Per election, the follow-up figures of its recommendations to its pact signers."""
        self.recs_of: dict[tuple[Any, bytes], array[int]] = {}
        """(election, PPK key) -> the recommendations of that election addressed to it."""
        self.records: dict[int, Dated] = {}
        """The election records taken (standing or not)."""
        self.calendar: Calendar = calendar(())
        """The calendar as of the tally's day (records naming no election are grouped by)."""
        self.named_none = False
        """Whether a record naming no election was grouped by the calendar."""
        self.exact = True
        """False once the calendar changed after :attr:`named_none`: see the module."""

    def election(self, fact: Rec | Report) -> Any:
        """The election ``fact`` counts under (by the calendar if it names none)."""
        if fact.election:
            return fact.election
        self.named_none = True
        return election_of(fact.day, self.calendar)

    def add_rec(self, rec: Rec) -> None:
        """A recommendation taken: listed under its election and key."""
        key = (self.election(rec), rec.ppk_kid)
        self.recs_of.setdefault(key, array("q")).append(rec.idx)

    def rec_members(self, rec: Rec, counted: list[tuple[str, Any]]) -> list[tuple[Any, Any]]:
        """Where ``rec``'s follow-up members ``counted`` count in this table."""
        group = self.election(rec)
        found = [(("election", group, n), v) for n, v in counted]
        first = self.figures.first(group, rec.ppk_kid)
        if first is not None and rec.day >= first:
            found += [(("pact_signers", group, n), v) for n, v in counted]
        return found

    def signed_members(self, fact: Signed, kind: str) -> list[tuple[Any, Any]]:
        """Where a standing pact or declaration counts in this table."""
        found: list[tuple[Any, Any]] = [(("election", fact.election, kind), fact.idx)]
        if fact.kind == "pact":
            found.append((("election", fact.election, SIGNED), (fact.signer, fact.day)))
        return found

    def grouping(self, name: str) -> GroupFigures:
        """The figures a member named ``(name, group, figure)`` counts in."""
        return self.figures if name == "election" else self.kept

    def moved(self, fact: Fact | None) -> list[Unit]:
        """The recommendations a change of pact ``fact`` (if it is one) may move."""
        if not isinstance(fact, Signed) or fact.kind != "pact":
            return []
        return [("rec", idx) for idx in self.recs_of.get((fact.election, fact.signer), ())]

    def wanted(self, fact: Fact | None, answers: Answers) -> list[int]:
        """The entries computing :meth:`moved`'s recommendations again reads."""
        return [i for _, idx in self.moved(fact) for i in (idx, *answers.of(idx))]

    def take(self, fact: Election) -> None:
        """An election record taken (the calendar is computed again by :meth:`as_of`)."""
        self.records[fact.idx] = Dated(fact.idx, fact.day, fact.name, fact.voting_day)

    def as_of(self, day: str, revoked: Mapping[int, str]) -> None:
        """The calendar as of ``day``; a change after :attr:`named_none` makes this inexact."""
        standing = (
            e
            for _, e in sorted(self.records.items())
            if e.day <= day and (e.idx not in revoked or revoked[e.idx] > day)
        )
        found = calendar(standing)
        if found != self.calendar and self.named_none:
            self.exact = False
        self.calendar = found

    def due(self, idx: int) -> None:
        """Pending recommendation ``idx`` is overdue from now on."""
        self.figures.due(idx)
        self.kept.due(idx)

    def rows(self) -> list[Row]:
        """The elections table as :func:`registry.compliance.views.elections` gives it, except
        that a figure of more than the group bound's entries has ``entries`` None; only
        while :attr:`exact`."""
        known = order(self.calendar)
        rows = []
        for row, group in self.figures.rows("election"):
            name = row["election"]
            row["pact_signers"] = group.figures["pacts"].figure(
                len(self.figures.signed.get(name, {}))
            )
            kept = self.kept.groups.get(name) or Group(COUNTS)
            found = follow_up_figures(kept.figures, kept.days)
            for n in KEPT:
                row[f"pact_signers_{n}"] = found[n]
            row["pact_signers_follow_up_rate"] = found["follow_up_rate"]
            rows.append(row)
        last = len(known)
        return sorted(rows, key=lambda r: (known.get(r["election"], last), str(r["election"])))

    def encode(self) -> list[Any]:
        return [
            self.figures.encode(),
            sorted(
                (group, signer, sorted(days.items()))
                for group, by in self.figures.signed.items()
                for signer, days in by.items()
            ),
            self.kept.encode(),
            sorted((group, kid, recs.tobytes()) for (group, kid), recs in self.recs_of.items()),
            sorted(self.records.values()),
            self.named_none,
            self.exact,
        ]

    @classmethod
    def decode(cls, saved: Any, bound: int, day: str, revoked: Mapping[int, str]) -> ElectionTable:
        found = cls(bound)
        figures, signed, kept, recs_of, records, named_none, exact = saved
        decoded = GroupFigures.decode(figures, bound, NAMES)
        found.figures.groups, found.figures.pending_in = decoded.groups, decoded.pending_in
        for group, signer, days in signed:
            found.figures.signed.setdefault(group, {})[bytes(signer)] = Counter(dict(days))
        found.kept = GroupFigures.decode(kept, bound, COUNTS)
        for group, kid, packed in recs_of:
            if len(packed) % 8:
                raise ValueError("not a saved tally (a recommendation cut short)")
            recs = found.recs_of[(group, bytes(kid))] = array("q")
            recs.frombytes(packed)
        found.records = {e[0]: Dated(*e) for e in records}
        found.as_of(day, revoked)
        found.named_none, found.exact = bool(named_none), bool(exact)
        return found
