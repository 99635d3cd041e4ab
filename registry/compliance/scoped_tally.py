"""The national tally of one election's or one head type's facts: the dashboard filtered by
``election`` and/or ``head_type`` without the compliance index.

An election's (or a head type's) facts are most of the log, so an index of them
(:mod:`registry.compliance.scoped_index`) would hold most of the whole one.  A tally
fed only the facts the filter keeps holds what the national one holds: counts, bounded
by keys and instansi.  :class:`ScopedTally` is a
:class:`~registry.compliance.tally.NationalTally` whose units count nothing unless the
filter keeps their record, by the very rules of
:class:`~registry.compliance.filtering.FilteredSnapshot`:

* a recommendation by its ``election`` (else the calendar's election of its day) and
  the head type of the PPK key it is addressed to;
* a report by its ``election`` (else its day's); a head type keeps no report;
* a pact or declaration by its ``election`` and its signer's head type;
* an enforcement step by the elections of the recommendations it cites (else its
  day's) and the head type of the key it targets.

A record whose key is not enrolled yet counts in nothing and waits for the key's
enrolment (the tally's ``provinces.unresolved``: the enrolment takes its unit again).
A record placed by the calendar makes the tally inexact when the calendar changes
after (:attr:`ElectionTable.exact <registry.compliance.election_rows.ElectionTable.exact>`,
as the national tally's elections table), a step citing an entry after its own makes
it inexact (:attr:`exact_scope`); an inexact one is not used (the index answers).

Its tables are those :func:`filtering.snapshot` gives of the whole index for the same
filter and day (``tests/compliance/test_scoped_tally.py``); a head type's instansi and
signers tables count the PPK keys of that head type only (its offices narrowed, as
``FilteredSnapshot.ppks``), and so do its ``head-types`` table's instansi led (stop 31:
before, the tally's offices of every head type led a head type's row of the keys not
enrolled as of the day, which the index's leaves empty).

A scope may also keep only the facts issued on or after ``since`` (by
``FilteredSnapshot``'s rule: the fact's own day), and count as of one ``until`` day that is
not today: such a tally is made as of that day and never moved to another
(:meth:`ScopedTally.advance`), so the units a fact dated after the day touches are not kept
waiting (:meth:`ScopedTally._wait`: one a fact, as much memory as the index over a long
log after the day); a fact registered later but dated on or before the day (a statement
backdated up to 48 hours, an import) counts, as in the index's snapshot of that day.

Saved like a past day's tally (:mod:`registry.compliance.scoped_tallies`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import msgspec

from registry.compliance import tally_bytes
from registry.compliance.elections import election_of
from registry.compliance.facts import Fact, Key, Rec, Report, Revoked, Signed, Step, Succession
from registry.compliance.filtering import Filter
from registry.compliance.groups import Offices, Row
from registry.compliance.provinces import Keys
from registry.compliance.tally import NationalTally, Unit
from registry.compliance.tally_counts import BOUND, Member, Read

VERSION = 1
"""Of the scoped tally's own bytes (the national tally's version is in them too)."""


DATED = "u"
"""The first letter of the name of a scope with a day (``since`` or ``until``): any day may
be asked, so their saved rows are bounded and fed only when asked
(:mod:`registry.compliance.scoped_tallies`), unlike the few scopes of the filter's choices."""


@dataclass(frozen=True)
class Scope:
    """The election and/or head type a scoped tally keeps, the first day it keeps facts of
    (``since``), and the one day it counts as of when that is not today (``until``: a tally
    of that day, never moved to another)."""

    election: str | None = None
    head_type: str | None = None
    since: str | None = None
    until: str | None = None

    @property
    def name(self) -> str:
        """A short stable name of the scope (in its saved row's format; a scope of neither
        ``since`` nor ``until`` keeps the name it had before they were added; one with either
        starts with :data:`DATED`, a letter no hexadecimal digest has)."""
        text = f"{self.election!r} {self.head_type!r}"
        if self.dated:
            text += f" {self.since!r} {self.until!r}"
        digest = hashlib.sha256(text.encode()).hexdigest()
        return digest[:16] if not self.dated else DATED + digest[:15]

    @property
    def dated(self) -> bool:
        """Whether it names a day (``since`` or ``until``)."""
        return self.since is not None or self.until is not None


def scope_of(flt: Filter, today: str) -> Scope | None:
    """The scope a scoped tally answers ``flt`` with on ``today``: an election and/or a head
    type, ``since`` if given, and ``until`` if it is another day than today; or ``since``
    alone (every election and head type: stop 31), with ``until`` as well or not (None for a
    filter by a province or an instansi, or by none of an election, a head type and
    ``since``: ``until`` alone is the national tally of that day's)."""
    if flt.province or flt.instansi or not (flt.election or flt.head_type or flt.since):
        return None
    until = flt.until if flt.until is not None and flt.until != today else None
    return Scope(flt.election, flt.head_type, flt.since, until)


SCOPED_TABLES = {
    "national",
    "provinces",
    "elections",
    "months",
    "pact-signers-with-overdue",
    "instansi",
    "signers",
    "head-types",
}
"""The dashboard tables a scoped tally answers."""


def answers(scope: Scope, table: str) -> bool:
    """Whether a tally of ``scope`` answers dashboard table ``table`` (every scope the same
    tables: ``scope`` is kept for the callers, which ask per scope)."""
    return table in SCOPED_TABLES


class ScopedTally(NationalTally):
    """A national tally counting only the records its :class:`Scope` keeps."""

    def __init__(
        self,
        day: str,
        size: int = 0,
        bound: int = BOUND,
        group_bound: int | None = None,
        scope: Scope | None = None,
    ) -> None:
        super().__init__(day, size, bound, group_bound)
        self.scope = scope or Scope()
        if self.scope.until is not None and self.scope.until != day:
            raise ValueError(f"a tally of {self.scope.until} made as of {day}")
        self.exact_scope = True
        """False once a step cited an entry at or after its own (not placed as the index)."""

    @property
    def exact(self) -> bool:
        """Whether its tables may be trusted as the filter's (else the index answers)."""
        by_calendar = self.scope.election is not None and not self.elections.exact
        return self.exact_scope and not by_calendar and self.provinces.exact

    def advance(self, day: str, facts: Read | None, keys: Keys) -> bool:
        """As the national tally's; a tally of one day (its scope's ``until``) moves to no
        other (it kept nothing of the facts dated after it: :meth:`_wait`)."""
        if self.scope.until is not None:
            return day == self.day
        return super().advance(day, facts, keys)

    def _wait(self, units: list[Unit], day: str) -> None:
        """As the national tally's, except in a tally of one day: a fact dated after it
        counts in none of its figures, and the tally never moves to its day, so the units it
        touched are not kept (one a fact dated after the day: as much as the index holds)."""
        if self.scope.until is None:
            super()._wait(units, day)

    def _contribution(self, unit: Unit, read: Read, keys: Keys) -> list[Member]:
        if not self.exact:  # its placements may have moved: count nothing more, never used
            return []
        fact = read(unit[1])
        if isinstance(fact, Rec | Report | Signed | Step) and not self.keeps(
            unit, fact, read, keys
        ):
            return []
        return super()._contribution(unit, read, keys)

    def keeps(self, unit: Unit, fact: Rec | Report | Signed | Step, read: Read, keys: Keys) -> bool:
        """Whether the scope keeps record ``fact`` (``keys``: the enrolments as they stand)."""
        election, head_type = self.scope.election, self.scope.head_type
        if self.scope.since is not None and fact.day < self.scope.since:
            return False  # issued before the range: never counted, whatever its key
        if isinstance(fact, Report):
            return head_type is None and (
                election is None or self.elections.election(fact) == election
            )
        if election is not None and election not in self._elections_of(fact, read):
            return False
        if head_type is None:
            return True
        kid = fact.signer if isinstance(fact, Signed) else fact.ppk_kid
        key = keys(kid)
        if key is None:  # counted again when it is enrolled
            self.provinces.unresolved.setdefault(kid, set()).add(unit)
            return False
        return key.head_type == head_type

    def kept_offices(self) -> Offices:
        """The PPK offices the scope keeps: of its head type's keys (all without one), as
        ``FilteredSnapshot.ppks`` (its instansi and head-types tables' offices led)."""
        head_type = self.scope.head_type
        if head_type is None:
            return self.offices
        kept = Offices()
        kept.keys = {k: o for k, o in self.offices.keys.items() if o.head_type == head_type}
        kept.ends = self.offices.ends
        return kept

    def signers_rows(
        self, instansi: str | None = None, province: str | None = None, head_type: str | None = None
    ) -> list[Row] | None:
        """As the national tally's, of the scope's head type's keys only."""
        return super().signers_rows(instansi, province, head_type or self.scope.head_type)

    def _elections_of(self, fact: Rec | Signed | Step, read: Read) -> set[str | None]:
        if isinstance(fact, Signed):
            return {fact.election}
        if isinstance(fact, Rec):
            return {self.elections.election(fact)}
        if any(idx >= fact.idx for idx in fact.cites):
            self.exact_scope = False
        cited = [r for idx in fact.cites if idx < fact.idx and isinstance(r := read(idx), Rec)]
        if cited:
            return {self.elections.election(r) for r in cited}
        self.elections.named_none = True
        return {election_of(fact.day, self.elections.calendar)}

    def _steps_among(self, facts: list[Fact | None]) -> list[int]:
        if self.scope.election is None:
            return []
        return [i for f in facts if isinstance(f, Step) for i in f.cites if i < f.idx]

    def wanted(self, fact: Fact, known: Mapping[int, Fact | None]) -> list[int]:
        """As the national tally's, and the recommendations a step it reads cites."""
        want = super().wanted(fact, known)
        among: list[Fact | None] = [fact]
        if isinstance(fact, Revoked):
            among.append(known.get(fact.target))
        elif isinstance(fact, Key | Succession):
            kid = fact.kid if isinstance(fact, Key) else fact.new
            among += [known.get(idx) for _, idx in self.provinces.unresolved.get(kid, ())]
        cites = [i for i in self._steps_among(among) if i not in known and i != fact.idx]
        return list(dict.fromkeys([*want, *cites]))

    def wanted_to_advance(self, known: Mapping[int, Fact | None]) -> list[int]:
        """As the national tally's, and the recommendations a waiting step cites."""
        want = super().wanted_to_advance(known)
        steps = [known.get(idx) for kind, idx in self.waiting if kind == "fact"]
        cites = [i for i in self._steps_among(steps) if i not in known]
        return list(dict.fromkeys([*want, *cites]))

    def wanted_keys(self, fact: Fact, facts: Read) -> list[bytes]:
        """As the national tally's, and the key a step it counts targets (its head type)."""
        kids = super().wanted_keys(fact, facts)
        if self.scope.head_type is None:
            return kids

        def read(idx: int) -> Fact | None:
            return fact if idx == fact.idx else facts(idx)

        steps = [s for _, idx in self._units(fact, read) if isinstance(s := read(idx), Step)]
        return list(dict.fromkeys([*kids, *(s.ppk_kid for s in steps)]))

    def wanted_keys_to_advance(self, facts: Read) -> list[bytes]:
        """As the national tally's, and the keys the waiting steps target."""
        kids = super().wanted_keys_to_advance(facts)
        if self.scope.head_type is None:
            return kids
        waiting = (facts(idx) for kind, idx in self.waiting if kind == "fact")
        steps = [s for s in waiting if isinstance(s, Step)]
        return list(dict.fromkeys([*kids, *(s.ppk_kid for s in steps)]))


def encode(tally: ScopedTally) -> bytes:
    """The bytes a saved scoped tally holds: its scope, whether it is exact, the tally's (a
    scope of neither ``since`` nor ``until`` in the five fields it had before they were
    added, so its rows saved then are read as they are)."""
    scope = tally.scope
    head = (VERSION, scope.election, scope.head_type)
    tail = (tally.exact_scope, tally_bytes.encode(tally))
    dated = (scope.since, scope.until) if scope.dated else ()
    return msgspec.msgpack.encode((*head, *dated, *tail))


_UNDATED = msgspec.msgpack.Decoder(tuple[int, str | None, str | None, bool, bytes])
_DATED = msgspec.msgpack.Decoder(
    tuple[int, str | None, str | None, str | None, str | None, bool, bytes]
)
Fields = tuple[int, Scope, bool, bytes]


def _fields(data: bytes) -> Fields:
    """Version, scope, exact, the tally's bytes of :func:`encode`'s ``data`` (either
    layout); ``msgspec.DecodeError`` if they are neither."""
    try:
        version, election, head_type, exact, inner = _UNDATED.decode(data)
        return version, Scope(election, head_type), exact, inner
    except msgspec.DecodeError:
        version, election, head_type, since, until, exact, inner = _DATED.decode(data)
        return version, Scope(election, head_type, since, until), exact, inner


def scope_in(data: bytes) -> Scope | None:
    """The scope :func:`encode`'s bytes name (None if they are not such bytes): only which
    row to check, never trusted (:func:`decode` and the row's seal say whether it is)."""
    try:
        return _fields(data)[1]
    except (msgspec.DecodeError, ValueError, TypeError):
        return None


def decode(data: bytes, scope: Scope) -> ScopedTally:
    """A scoped tally of ``scope`` from :func:`encode`'s bytes; ``ValueError`` if they are not
    one, or of another scope (or of another day than its ``until``)."""
    try:
        version, named, exact, inner = _fields(data)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise ValueError(f"not a saved scoped tally ({exc})") from None
    if version != VERSION:
        raise ValueError("a saved scoped tally of another version")
    if named != scope:
        raise ValueError(f"a saved tally of {named}, not of the scope asked")
    national = tally_bytes.decode(inner)
    tally = ScopedTally(national.day, national.size, national.bound, national.instansi.bound, scope)
    vars(tally).update({k: v for k, v in vars(national).items() if k not in ("scope",)})
    tally.exact_scope = exact
    return tally
