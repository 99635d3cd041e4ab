"""Today's per-province table kept as counts beside the national ones: no pass over every fact.

:func:`registry.compliance.views.provinces` groups every standing recommendation
by the province of the addressed PPK key's enrolment, every standing pact and
declaration by its signer's enrolment province (``None`` for a key not enrolled
as of the day: unknown, or its enrolment dated after the day), and reports by
their own ``province``.  The national tally (:mod:`registry.compliance.tally`)
counts each unit's members a third time under that province
(:class:`~registry.compliance.groups.GroupFigures`, :data:`NAMES`).

A signer's province is not a field of the counted fact, and declarations are
signed by ASN keys (up to 4.3 million): the tally keeps no map of keys.  It is
asked of a :data:`Keys` function when a fact is taken: the index's enrolments
when the index feeds the tally, else the worker's key directory, which locates
the key's enrolment entry, read and checked on demand
(:class:`registry.compliance.feed.LogFacts`).  What a later entry can change:

- a unit whose key is not enrolled yet counts under ``None`` and is kept in
  :attr:`Provinces.unresolved` (none under the policy, which admits a
  recommendation to an enrolled PPK and a signature by an enrolled key only), and
  moved once the key's enrolment (or succession) is taken;
- a unit whose key's enrolment is dated after the tally's day waits for that
  day as a fact dated after it does (``NationalTally.waiting``);
- a key enrolled a second time (refused by the policy: ``already-enrolled``) in
  another province, or dated after the day, would move units the tally cannot
  list: :attr:`Provinces.exact` turns False, and the table is answered from the
  index (the tally made again from it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from registry.compliance.facts import Fact, Key, Rec, Signed, Succession
from registry.compliance.groups import BOUND, GroupFigures, Row
from registry.compliance.groups import NAMES as GROUP_NAMES

NAMES = ("reports", *GROUP_NAMES)
"""The figures a province's group counts entries of."""
Unit = tuple[str, int]


class Enrolled(Protocol):
    """What a province is read from: a key's enrolment (a :class:`Key`, or an
    :class:`Enrolment` read from the log) as the index keeps it."""

    @property
    def idx(self) -> int: ...

    @property
    def day(self) -> str: ...

    @property
    def province(self) -> str | None: ...

    @property
    def head_type(self) -> str | None: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A key's enrolment as the provinces, head-types and signers tables read it (a
    successor's: the succession's entry and day, its predecessor's province, head type and
    role)."""

    idx: int
    day: str
    province: str | None
    head_type: str | None
    role: str


Keys = Callable[[bytes], "Enrolled | None"]
"""The enrolment of a kid as of the fact being taken (None: not enrolled then)."""


def no_keys(kid: bytes) -> Enrolled | None:
    """No key enrolled (where no table by province is asked for)."""
    return None


def kid_of(fact: Fact | None) -> bytes | None:
    """The key whose enrolment groups ``fact`` (a recommendation's PPK, a pact's or
    declaration's signer); None for any other fact."""
    if isinstance(fact, Rec):
        return fact.ppk_kid
    if isinstance(fact, Signed):
        return fact.signer
    return None


Grouped = tuple[str | None, str | None]
"""The groups a unit counts under by its key's enrolment: its province and head type."""
NOWHERE: Grouped = (None, None)
"""Those of a unit whose key is not enrolled as of the day."""


def grouped(key: Enrolled) -> Grouped:
    """The province and head type a unit of key ``key`` counts under."""
    return key.province, key.head_type


def _same(prior: Enrolled, new: Enrolled, day: str) -> bool:
    """Whether the units ``prior`` grouped are grouped alike under ``new`` on ``day`` and
    later without being computed again (those of an enrolment dated after ``day`` are)."""
    if prior.day > day:  # its units count under None today and wait for its day
        return new.day > day or grouped(new) == NOWHERE
    return grouped(new) == grouped(prior) and (new.day <= day or grouped(new) == NOWHERE)


class Provinces:
    """Today's figures per province, and the units whose key was not enrolled when taken."""

    def __init__(self, bound: int = BOUND) -> None:
        self.figures = GroupFigures(bound, NAMES)
        self.head_types = GroupFigures(bound)
        """Today's per-head-type figures (:mod:`registry.compliance.head_rows`): the same
        units, grouped by their key's enrolment's ``head_type``."""
        self.unresolved: dict[bytes, set[Unit]] = {}
        """Kid -> the units counted under ``None`` because it was not enrolled then."""
        self.exact = True
        """False once a key was enrolled again elsewhere: the table is answered from the
        index (see the module)."""

    def group(self, unit: Unit, kid: bytes, keys: Keys, day: str) -> tuple[Grouped, str | None]:
        """The province and head type ``unit`` counts under as of ``day`` (its key
        ``kid``'s), and the later day its key's enrolment is dated, if it is."""
        key = keys(kid)
        if key is None:
            self.unresolved.setdefault(kid, set()).add(unit)
            return NOWHERE, None
        if key.day > day:
            return NOWHERE, key.day
        return grouped(key), None

    def enrol(self, fact: Key | Succession, keys: Keys, day: str) -> Keys:
        """Take an enrolment or a succession (``keys`` as they stand before it): the keys
        after it; the units waiting for its kid are no longer (the tally moves them)."""
        kid = fact.kid if isinstance(fact, Key) else fact.new
        prior = keys(kid)
        new: Enrolled | None = prior
        if isinstance(fact, Key):
            new = fact
        elif (old := keys(fact.old)) is not None:  # the index ignores a succession of none
            new = Enrolment(fact.idx, fact.day, old.province, old.head_type, old.role)
        if new is None:
            return keys
        if prior is not None and not _same(prior, new, day):
            self.exact = False  # the units counted under ``prior`` cannot be listed
        self.unresolved.pop(kid, None)

        def after(k: bytes) -> Enrolled | None:
            return new if k == kid else keys(k)

        return after

    def rows(self) -> list[Row]:
        """The provinces table as :func:`registry.compliance.views.provinces` gives it,
        except that a figure of more than the group bound's entries has ``entries`` None."""
        return [row for row, _ in self.figures.rows("province")]

    def encode(self) -> list[Any]:
        return [
            self.figures.encode(),
            sorted((kid, sorted(units)) for kid, units in self.unresolved.items()),
            self.exact,
            self.head_types.encode(),
        ]

    @classmethod
    def decode(cls, saved: Any, bound: int) -> Provinces:
        found = cls(bound)
        figures, unresolved, exact, head_types = saved
        found.figures = GroupFigures.decode(figures, bound, NAMES)
        found.head_types = GroupFigures.decode(head_types, bound)
        found.unresolved = {bytes(kid): {(k, i) for k, i in units} for kid, units in unresolved}
        found.exact = bool(exact)
        return found
