"""Today's signers table (every PPK key's record) kept beside the national tally.

:func:`registry.compliance.views.signers` gives, per PPK key enrolled as of the day (in
enrolment order; optionally of one instansi, province or head type), its office, the keys
it succeeded (``predecessors``: a successor carries their record), the follow-up figures
over the standing recommendations addressed to it or to one of them, how many of those
were followed up by a key outside that lineage, its latest enforcement step, every step
addressed to the lineage, and the lineage's standing pacts and declarations.

The national tally computes each unit's contribution with the snapshot's definitions;
:class:`KeyTable` counts the members this table needs per key, not per entry:

- per key a recommendation is addressed to: its follow-up figures (as an instansi's:
  :class:`~registry.compliance.groups.GroupFigures`, entries listed while at most the
  group bound), and per key that signed an answering sanction, which sanctions;
- per PPK key (its enrolment's role, asked of the same
  :data:`~registry.compliance.provinces.Keys` as the provinces: no map of the millions
  of ASN keys), its standing declarations;
- per successor of a PPK key, the key it succeeded.

Pacts and enforcement steps per key are the pact signers' table's
(:class:`~registry.compliance.signer_rows.PactSigners`); the office columns come from
the tally's PPK offices (:class:`~registry.compliance.groups.Offices`).  A row is then
the sum of its lineage's figures (a few keys).  Memory grows with PPK keys, not entries:
6.7 kB a key measured at 100,000 entries (1,448 keys with figures; docs/benchmarks.md)
while the listed entries were sets, at most about 10 kB a key now that each of its 10
listed figures keeps up to the bound's 100 entries as a sorted array of 8-byte integers
(:mod:`registry.compliance.kept`), a few hundred bytes once past it (counts only), and
nothing per ASN key.

A key enrolled a second time (refused by the policy: ``already-enrolled``) could change
the role its declarations were counted under, or close a lineage into a loop:
:attr:`KeyTable.exact` turns False and the table is answered from the index (the tally
made again from it), as the provinces are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from registry.compliance.facts import Fact, Key, Signed, Succession
from registry.compliance.groups import (
    BOUND,
    GroupFigures,
    Offices,
    Row,
    follow_up_figures,
)
from registry.compliance.kept import Members, merged
from registry.compliance.metrics import COUNTS, Figure, Outcome, figure
from registry.compliance.provinces import Keys
from registry.compliance.signer_rows import PactSigners, key_info
from registry.verify.trust import b64url

if TYPE_CHECKING:
    from registry.compliance.index import ComplianceIndex

KEYS = "by_key"
"""The grouping a member of this table is named under: ``(KEYS, kid, name)``."""
SANCTION = "_sanction"
"""The pseudo-figure an answering sanction is kept under (its entry and signer)."""
NAMES = (*COUNTS, "declarations")
"""The figures a key's group counts entries of."""


def _merged(parts: Iterable[Members], bound: int) -> Members:
    """The members of ``parts`` (no entry in two) as one figure, listed while at most
    ``bound`` and every part lists its own."""
    parts = list(parts)
    if len(parts) == 1:  # a key that succeeded none: its own
        return parts[0]
    found = Members(0)
    found.count = sum(part.count for part in parts)
    found.entries = merged(part.entries for part in parts)
    if found.entries is not None and len(found.entries) > bound:
        found.entries = None
    return found


class KeyTable:
    """What today's signers table is read off (see the module)."""

    def __init__(self, bound: int = BOUND) -> None:
        self.bound = bound
        self.figures = GroupFigures(bound, NAMES)
        """Key -> the follow-up figures of the recommendations addressed to it, and (a
        PPK key) its declarations."""
        self.sanctions: dict[bytes, dict[bytes, Members]] = {}
        """Key -> the signer of each answering sanction of its recommendations -> which."""
        self.predecessor: dict[bytes, bytes] = {}
        """A PPK key's successor -> the key it succeeded."""
        self.succeeded: set[bytes] = set()
        """The keys :attr:`predecessor` names."""
        self.exact = True
        """False once a key was enrolled a second time (see the module)."""

    @staticmethod
    def rec_members(found: Outcome, counted: list[tuple[str, Any]]) -> list[tuple[Any, Any]]:
        """Where a recommendation's outcome counts in this table (``counted``: its members)."""
        kid = found.rec.ppk_kid
        members: list[tuple[Any, Any]] = [((KEYS, kid, n), v) for n, v in counted]
        if found.sanction is not None:
            sanction = (found.sanction.idx, found.sanction.signer)
            members.append(((KEYS, kid, SANCTION), sanction))
        return members

    def signed_members(self, fact: Signed, keys: Keys) -> list[tuple[Any, Any]]:
        """Where a standing declaration counts in this table: under its signer if a PPK's
        (as ``keys`` stand; a signer not enrolled yet waits in the provinces' units) or
        one a PPK key succeeded."""
        if fact.kind != "declaration":
            return []
        key = keys(fact.signer)
        if fact.signer not in self.succeeded and (key is None or key.role != "ppk"):
            return []
        return [((KEYS, fact.signer, "declarations"), fact.idx)]

    def take(self, fact: Fact, keys: Keys) -> None:
        """Take an enrolment or a succession (``keys``: as they stand before it)."""
        if isinstance(fact, Key):
            self.exact = self.exact and keys(fact.kid) is None
        elif isinstance(fact, Succession) and (old := keys(fact.old)) is not None:
            self.exact = self.exact and keys(fact.new) is None and fact.new != fact.old
            if old.role == "ppk":
                self.predecessor[fact.new] = fact.old
                self.succeeded.add(fact.old)

    def note(self, index: ComplianceIndex) -> None:
        """The lineages of an index's PPK keys (a key in one counts its declarations whatever
        its role now); inexact if one loops (a key enrolled again by a succession)."""
        self.predecessor = {}
        for kid, key in index.keys.items():
            if key.role != "ppk":
                continue
            lineage = index.lineage(kid)
            self.predecessor.update(pairwise(lineage))
            self.exact = self.exact and len(set(lineage)) == len(lineage)
        self.succeeded = set(self.predecessor.values())

    def add(self, group: Any, name: str, value: Any) -> None:
        if name == SANCTION:
            idx, signer = value
            by = self.sanctions.setdefault(group, {})
            by.setdefault(signer, Members()).add(idx, self.bound)
        else:
            self.figures.add(group, name, value)

    def remove(self, group: Any, name: str, value: Any) -> None:
        if name != SANCTION:
            self.figures.remove(group, name, value)
            return
        idx, signer = value
        by = self.sanctions[group]
        members = by[signer]
        members.remove(idx)
        if not members.count:
            del by[signer]
        if not by:
            del self.sanctions[group]

    def recommendations(self, kid: bytes) -> list[int] | None:
        """The standing recommendations addressed to ``kid`` itself, in log order; None once
        they are more than the bound (only counted)."""
        group = self.figures.groups.get(kid)
        if group is None:
            return []
        return group.figures["recommendations"].listed()

    def lineage(self, kid: bytes) -> list[bytes]:
        """``kid`` and the keys it succeeded, newest first (as the index's)."""
        chain = [kid]
        while chain[-1] in self.predecessor and len(chain) <= len(self.predecessor):
            chain.append(self.predecessor[chain[-1]])
        return chain

    def rows(
        self,
        offices: Offices,
        day: str,
        signers: PactSigners,
        instansi: str | None = None,
        province: str | None = None,
        head_type: str | None = None,
    ) -> list[Row]:
        """The table as :func:`registry.compliance.views.signers` gives it as of ``day``
        (``signers``: the pacts and steps per key), except that a figure of more than the
        bound's entries has ``entries`` None."""
        rows = []
        for key in sorted(offices.keys.values(), key=lambda k: k.idx):
            if key.day > day:
                continue
            if (
                (instansi is None or key.instansi == instansi)
                and (province is None or key.province == province)
                and (head_type is None or key.head_type == head_type)
            ):
                rows.append(self.row(offices, day, signers, key.kid))
        return rows

    def row(self, offices: Offices, day: str, signers: PactSigners, kid: bytes) -> Row:
        """One PPK key's row (its office in ``offices`` as of ``day``)."""
        lineage = self.lineage(kid)
        groups = [self.figures.groups[k] for k in lineage if k in self.figures.groups]
        merged = {name: _merged((g.figures[name] for g in groups), self.bound) for name in NAMES}
        days: Counter[int] = Counter()
        for g in groups:
            days.update(g.days)
        steps = {i: s for k in lineage for i, s in signers.steps.get(k, {}).items()}
        own = signers.steps.get(kid, {})
        last = max(own, default=None)
        pacts = [i for k in lineage for i in signers.pacts.get(k, ())]
        return {
            **key_info(offices, offices.keys[kid], day),
            "predecessors": [b64url(k) for k in lineage[1:]],
            **follow_up_figures(merged, days),
            "followed_up_by_others": self._others(lineage),
            "enforcement": figure(None, []) if last is None else figure(own[last], [last]),
            "enforcement_steps": figure(len(steps), steps),
            "pacts": figure(len(pacts), pacts),
            "declarations": merged["declarations"].figure(),
            "url": f"/api/compliance/signers/{b64url(kid)}",
        }

    def _others(self, lineage: list[bytes]) -> Figure:
        """The sanctions answering the lineage's recommendations signed outside it."""
        parts = (
            members
            for k in lineage
            for signer, members in self.sanctions.get(k, {}).items()
            if signer not in lineage
        )
        return _merged(parts, self.bound).figure()

    def encode(self) -> list[Any]:
        return [
            self.figures.encode(),
            sorted(
                (kid, sorted((signer, m.count, m.listed())
                             for signer, m in by.items()))
                for kid, by in self.sanctions.items()
            ),
            sorted(self.predecessor.items()),
            self.exact,
        ]  # fmt: skip

    @classmethod
    def decode(cls, saved: Any, bound: int) -> KeyTable:
        """The table :meth:`encode` saved (``ValueError`` for anything else)."""
        found = cls(bound)
        try:
            figures, sanctions, predecessor, exact = saved
            found.figures = GroupFigures.decode(figures, bound, NAMES)
            for kid, by in sanctions:
                kept = found.sanctions[bytes(kid)] = {}
                for signer, count, entries in by:
                    kept[bytes(signer)] = Members.saved(count, entries)
            found.predecessor = {bytes(new): bytes(old) for new, old in predecessor}
            found.succeeded = set(found.predecessor.values())
            found.exact = bool(exact)
        except (TypeError, ValueError, IndexError) as exc:
            raise ValueError(f"not a saved tally ({exc})") from None
        return found
