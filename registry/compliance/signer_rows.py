"""Today's pact signers with overdue recommendations, kept beside the national tally.

:func:`registry.compliance.views.pact_signers_with_overdue` lists each key with a
standing pact (in the order of its first) that has overdue recommendations: ``overdue``,
addressed to it, and ``overdue_inherited``, of its enrolment's instansi, addressed to
another key and issued before its term began; with its office, pacts, their elections
and its latest enforcement step.  The national tally computes each unit's contribution
with the snapshot's definitions; :class:`PactSigners` counts the members that table
needs, per PPK key and per instansi, not per entry:

- per PPK key: its standing pacts and enforcement steps (a few each), and its overdue
  recommendations (a figure: entries listed while at most the group bound), with their
  count per instansi and day of issue;
- per instansi: its overdue recommendations' count per day of issue, and which they are
  (with their key and day) while at most the group bound;
- per pending recommendation (those not due yet: recent ones), its instansi, key and
  day, to count it overdue when the tally moves past its deadline, as the other tables
  keep its group.

``overdue_inherited`` is then the instansi's overdue recommendations issued before the
key's term began less the key's own of that instansi issued before it: its entries are
listed while the instansi's are kept, else only counted (the API links them).

The office and enforcement columns come from the tally's PPK offices
(:class:`~registry.compliance.groups.Offices`): the policy admits a pact signed by a PPK
key only.  A pact signer enrolled with another role (refused by the policy: a second
enrolment, or a pact by another key) would have a row the offices cannot give:
:attr:`PactSigners.exact` turns False, and the table is answered from the index.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from registry.compliance.facts import Fact, Key, Rec, Signed, Succession
from registry.compliance.groups import BOUND, Office, Offices, Row
from registry.compliance.kept import Members
from registry.compliance.metrics import Figure, figure
from registry.compliance.provinces import Keys
from registry.compliance.views import office_info
from registry.verify.trust import b64url

GROUPING = "with_overdue"
"""The grouping a member of this table is named under: ``(GROUPING, kid, name)``."""
PACT = "_pact"
STEP = "_step"
Overdue = tuple[int, str, bytes, str]
"""An overdue or pending recommendation: its entry, instansi, key and day."""


class Late:
    """One instansi's overdue recommendations: how many by day of issue, and which (with
    their key and day) while at most the bound."""

    __slots__ = ("count", "days", "listed")

    def __init__(self) -> None:
        self.count = 0
        self.days: Counter[str] = Counter()
        self.listed: dict[int, tuple[bytes, str]] | None = {}

    def add(self, idx: int, kid: bytes, day: str, bound: int) -> None:
        self.count += 1
        self.days[day] += 1
        if self.listed is not None:
            self.listed[idx] = (kid, day)
            if len(self.listed) > bound:
                self.listed = None

    def remove(self, idx: int, day: str) -> None:
        self.count -= 1
        self.days[day] -= 1
        if self.days[day] <= 0:
            del self.days[day]
        if self.listed is not None:
            self.listed.pop(idx, None)


def _less(counts: Counter[Any], before: str, instansi: str | None = None) -> int:
    """How many of ``counts`` (by day, or by instansi and day) were issued before ``before``."""
    if instansi is None:
        return sum(n for day, n in counts.items() if day < before)
    return sum(n for (i, day), n in counts.items() if i == instansi and day < before)


class PactSigners:
    """What today's pact signers with overdue recommendations are read off."""

    def __init__(self, bound: int = BOUND) -> None:
        self.bound = bound
        self.pacts: dict[bytes, set[int]] = {}
        """Signer -> its standing pacts."""
        self.steps: dict[bytes, dict[int, str]] = {}
        """PPK key -> its standing enforcement steps (entry -> step)."""
        self.own: dict[bytes, Members] = {}
        """PPK key -> its overdue recommendations."""
        self.own_days: dict[bytes, Counter[tuple[str, str]]] = {}
        """PPK key -> its overdue recommendations by instansi and day of issue."""
        self.late: dict[str, Late] = {}
        """Instansi -> its overdue recommendations."""
        self.pending: dict[int, Overdue] = {}
        """Pending recommendations (to count them overdue once due)."""
        self.signed: set[bytes] = set()
        """Every key a pact taken was signed by (standing or not)."""
        self.exact = True
        """False once a pact signer is enrolled with another role than a PPK's."""

    @staticmethod
    def rec_members(rec: Rec, counted: list[tuple[str, Any]]) -> list[tuple[Any, Any]]:
        """Where a recommendation overdue or pending counts in this table."""
        value = (rec.idx, rec.instansi, rec.ppk_kid, rec.day)
        return [((GROUPING, None, n), value) for n, _ in counted if n in ("overdue", "pending")]

    def take(self, fact: Fact, keys: Keys, offices: Offices) -> None:
        """Note a pact's signer, and whether a pact signer is enrolled other than as a PPK
        (``keys``, ``offices``: as they stand before ``fact``)."""
        if isinstance(fact, Signed) and fact.kind == "pact":
            self.signed.add(fact.signer)
            if keys(fact.signer) is not None and fact.signer not in offices.keys:
                self.exact = False
        elif isinstance(fact, Key) and fact.role != "ppk" and fact.kid in self.signed:
            self.exact = False
        elif isinstance(fact, Succession) and fact.new in self.signed:
            self.exact = self.exact and fact.old in offices.keys

    def note(self, signed: Iterable[Signed], keys: Mapping[bytes, Key]) -> None:
        """Note the pacts' signers of an index (``signed``, ``keys``: its facts)."""
        self.signed = {s.signer for s in signed if s.kind == "pact"}
        enrolled = (keys[kid] for kid in self.signed if kid in keys)
        self.exact = all(key.role == "ppk" for key in enrolled)

    def add(self, group: Any, name: str, value: Any) -> None:
        if name == PACT:
            self.pacts.setdefault(group, set()).add(value)
        elif name == STEP:
            self.steps.setdefault(group, {})[value[0]] = value[1]
        elif name == "pending":
            self.pending[value[0]] = value
        else:
            idx, instansi, kid, day = value
            self.own.setdefault(kid, Members()).add(idx, self.bound)
            self.own_days.setdefault(kid, Counter())[(instansi, day)] += 1
            self.late.setdefault(instansi, Late()).add(idx, kid, day, self.bound)

    def remove(self, group: Any, name: str, value: Any) -> None:
        if name == PACT:
            pacts = self.pacts[group]
            pacts.discard(value)
            if not pacts:
                del self.pacts[group]
        elif name == STEP:
            steps = self.steps[group]
            steps.pop(value[0], None)
            if not steps:
                del self.steps[group]
        elif name == "pending":
            self.pending.pop(value[0], None)
        else:
            idx, instansi, kid, day = value
            own = self.own[kid]
            own.remove(idx)
            if not own.count:
                del self.own[kid]
            days = self.own_days[kid]
            days[(instansi, day)] -= 1
            if days[(instansi, day)] <= 0:
                del days[(instansi, day)]
            if not days:
                del self.own_days[kid]
            late = self.late[instansi]
            late.remove(idx, day)
            if not late.count:
                del self.late[instansi]

    def due(self, idx: int) -> None:
        """Pending recommendation ``idx`` is overdue from now on."""
        value = self.pending.pop(idx, None)
        if value is not None:
            self.add(None, "overdue", value)

    def rows(self, offices: Offices, day: str, elections: dict[Any, dict[bytes, Any]]) -> list[Row]:
        """The table as :func:`registry.compliance.views.pact_signers_with_overdue` gives it
        as of ``day`` (``elections``: election -> its standing pacts' signers), except that
        a figure of more than the bound's entries has ``entries`` None."""
        rows = []
        for kid in sorted(self.pacts, key=lambda kid: min(self.pacts[kid])):
            key = offices.keys.get(kid)
            if key is None or key.day > day:
                continue
            own = self.own.get(kid) or Members()
            inherited = self._inherited(kid, key)
            if not (own.count or inherited["value"]):
                continue
            steps = self.steps.get(kid, {})
            last = max(steps, default=None)
            pacts = Members(0)
            for idx in self.pacts[kid]:
                pacts.add(idx, self.bound)
            rows.append(
                {
                    **key_info(offices, key, day),
                    "pacts": pacts.figure(),
                    "elections": sorted(e for e, by in elections.items() if kid in by),
                    "overdue": own.figure(),
                    "overdue_inherited": inherited,
                    "enforcement": figure(None, [])
                    if last is None
                    else figure(steps[last], [last]),
                    "url": f"/api/compliance/signers/{b64url(kid)}",
                }
            )
        rows.sort(
            key=lambda r: (-r["overdue"]["value"], -r["overdue_inherited"]["value"], r["name"])
        )
        return rows

    def _inherited(self, kid: bytes, key: Office) -> Figure:
        """The overdue recommendations of ``key``'s instansi addressed to another key and
        issued before its term began."""
        late = self.late.get(key.instansi)
        if late is None:
            return figure(0, [])
        count = _less(late.days, key.term_start) - _less(
            self.own_days.get(kid, Counter()), key.term_start, key.instansi
        )
        if late.listed is None or count > self.bound:
            return {"value": count, "entries": None, "entries_total": count}
        listed = late.listed.items()
        return figure(count, (i for i, (k, d) in listed if k != kid and d < key.term_start))


def key_info(offices: Offices, key: Office, day: str) -> Row:
    """As :func:`registry.compliance.views.key_info` of a PPK key as of ``day``."""
    end = offices.ends.get(key.kid)
    return office_info(key, "ppk", end[2] if end is not None and end[0] <= day else None)


def encode(table: PactSigners) -> list[Any]:
    """What a saved tally keeps of ``table``."""
    return [
        sorted((kid, sorted(idxs)) for kid, idxs in table.pacts.items()),
        sorted((kid, sorted(steps.items())) for kid, steps in table.steps.items()),
        sorted((kid, m.count, m.listed()) for kid, m in table.own.items()),
        sorted(
            (kid, sorted((i, d, n) for (i, d), n in c.items())) for kid, c in table.own_days.items()
        ),
        sorted(
            (
                instansi,
                late.count,
                sorted(late.days.items()),
                None
                if late.listed is None
                else sorted((i, k, d) for i, (k, d) in late.listed.items()),
            )
            for instansi, late in table.late.items()
        ),
        sorted(table.pending.values()),
        sorted(table.signed),
        table.exact,
    ]


def decode(saved: Any, bound: int) -> PactSigners:
    """The table :func:`encode` saved (``ValueError`` for anything else)."""
    table = PactSigners(bound)
    try:
        pacts, steps, own, own_days, late, pending, signed, exact = saved
        table.pacts = {bytes(kid): set(idxs) for kid, idxs in pacts}
        table.steps = {bytes(kid): dict(items) for kid, items in steps}
        for kid, count, entries in own:
            table.own[bytes(kid)] = Members.saved(count, entries)
        table.own_days = {
            bytes(kid): Counter({(i, d): n for i, d, n in counts}) for kid, counts in own_days
        }
        for instansi, count, days, listed in late:
            found = table.late[instansi] = Late()
            found.count, found.days = count, Counter(dict(days))
            found.listed = None if listed is None else {i: (bytes(k), d) for i, k, d in listed}
        table.pending = {p[0]: (p[0], p[1], bytes(p[2]), p[3]) for p in pending}
        table.signed = {bytes(kid) for kid in signed}
        table.exact = bool(exact)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"not a saved tally ({exc})") from None
    return table
