"""Today's per-instansi table kept as counts beside the national ones: no pass over every fact.

:func:`registry.compliance.views.instansi` groups every standing recommendation
by the ``instansi`` it names, and every standing pact and declaration by its
signer's ``instansi``, then adds the instansi's PPK keys and its latest
enforcement step.  The national tally (:mod:`registry.compliance.tally`)
computes each unit's contribution with the snapshot's own definitions; here
the same members are counted again under the unit's instansi
(:class:`GroupFigures`), so a row is the snapshot's without any fact read
again.  A group's figure lists its entries only while it has at most
:data:`BOUND` of them (then ``entries`` is None: the API links the paged
listing).

The PPK keys come from the enrolments, key revocations and successions the
tally takes (:class:`Offices`: a few records per PPK key, not per entry), the
enforcement column from the standing steps of each instansi (one number and
a name a step).  Both are saved with the tally.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from registry.compliance.facts import Fact, Key, KeyEnd, Succession
from registry.compliance.kept import Members, merged
from registry.compliance.metrics import COUNTS, DAYS, Figure, figure, holds_office
from registry.verify.trust import b64url

BOUND = 100
"""The most entries a group's figure lists inline (past it, the API links them)."""
STEP = "_step"
"""The pseudo-figure a standing enforcement step is kept under (its index and name)."""
NAMES = (*COUNTS, "pacts", "declarations")
"""The figures a group of the instansi table counts entries of."""
GroupName = tuple[str, Any, str]
"""``(grouping, group, figure)``: where a member of a unit's contribution counts."""

Row = dict[str, Any]


def median(days: Counter[int]) -> float | int | None:
    """The median of the counted days (as ``statistics.median`` of every one)."""
    n = sum(days.values())
    if n == 0:
        return None
    wanted = [(n - 1) // 2, n // 2]
    found: list[int] = []
    seen = 0
    for day in sorted(days):
        seen += days[day]
        while wanted and wanted[0] < seen:
            found.append(day)
            wanted.pop(0)
    return found[0] if n % 2 else (found[0] + found[1]) / 2


def follow_up_figures(f: dict[str, Members], days: Counter[int]) -> dict[str, Figure]:
    """The follow-up figures (:func:`registry.compliance.metrics.figures`) from counts."""
    row = {name: f[name].figure() for name in COUNTS}
    recs, followed = f["recommendations"], f["followed_up"]
    rate = round(followed.count / recs.count, 4) if recs.count else None
    both = Members(recs.count + followed.count, None)
    if recs.entries is not None and followed.entries is not None:
        both.entries = merged((recs.entries, followed.entries))
    row["follow_up_rate"] = both.figure(rate)
    row["median_days"] = followed.figure(median(days))
    return row


class Group:
    """One group's figures."""

    __slots__ = ("days", "figures", "steps")

    def __init__(self, names: tuple[str, ...] = NAMES) -> None:
        self.figures = {name: Members() for name in names}
        self.days: Counter[int] = Counter()
        self.steps: dict[int, str] = {}
        """Standing enforcement steps of the group: index -> step."""

    def empty(self) -> bool:
        f = self.figures
        return not (f["recommendations"].count or f["pacts"].count or f["declarations"].count)


class GroupFigures:
    """Figures per group of one grouping, changed member by member."""

    def __init__(self, bound: int = BOUND, names: tuple[str, ...] = NAMES) -> None:
        self.bound = bound
        self.names = names
        self.groups: dict[Any, Group] = defaultdict(lambda: Group(names))
        self.pending_in: dict[int, Any] = {}
        """A pending recommendation -> its group (to turn it overdue there on a later day)."""

    def add(self, group: Any, name: str, value: Any) -> None:
        g = self.groups[group]
        if name == DAYS:
            g.days[value] += 1
        elif name == STEP:
            idx, step = value
            g.steps[idx] = step
        else:
            g.figures[name].add(value, self.bound)
            if name == "pending":
                self.pending_in[value] = group

    def remove(self, group: Any, name: str, value: Any) -> None:
        g = self.groups[group]
        if name == DAYS:
            g.days[value] -= 1
            if g.days[value] <= 0:
                del g.days[value]
        elif name == STEP:
            g.steps.pop(value[0], None)
        else:
            g.figures[name].remove(value)
            if name == "pending":
                self.pending_in.pop(value, None)

    def due(self, idx: int) -> None:
        """Pending recommendation ``idx`` is overdue from now on."""
        if idx in self.pending_in:
            group = self.pending_in[idx]
            self.remove(group, "pending", idx)
            self.add(group, "overdue", idx)

    def rows(self, label: str) -> list[tuple[Row, Group]]:
        """The rows of the groups with a standing recommendation, pact or declaration (as
        :meth:`registry.compliance.views.Groups.grouped` orders them), and each group."""
        rows = []
        names = sorted(
            (g for g, group in self.groups.items() if not group.empty()),
            key=lambda g: (g is None, str(g)),
        )
        for name in names:
            group = self.groups[name]
            row: Row = {label: name}
            if "reports" in group.figures:
                row["reports"] = group.figures["reports"].figure()
            row.update(follow_up_figures(group.figures, group.days))
            row["pacts"] = group.figures["pacts"].figure()
            row["declarations"] = group.figures["declarations"].figure()
            rows.append((row, group))
        return rows

    def encode(self) -> tuple[list[Any], list[tuple[int, Any]]]:
        """The groups (each one's figures, days and steps), and each pending one's group."""
        groups = [
            (
                group,
                [(n, m.count, m.listed()) for n, m in g.figures.items()],
                sorted(g.days.items()),
                sorted(g.steps.items()),
            )
            for group, g in sorted(self.groups.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
            if g.steps or any(m.count or m.entries is None for m in g.figures.values())
        ]
        return groups, sorted(self.pending_in.items())

    @classmethod
    def decode(
        cls,
        saved: tuple[list[Any], list[tuple[int, Any]]],
        bound: int,
        names: tuple[str, ...] = NAMES,
    ) -> GroupFigures:
        found = cls(bound, names)
        groups, pending = saved
        found.pending_in = dict(pending)
        for group, figures, days, steps in groups:
            g = found.groups[group]
            if {name for name, _, _ in figures} != set(names):
                raise ValueError("a saved tally of another version")
            for name, count, entries in figures:
                g.figures[name] = Members.saved(count, entries)
            g.days = Counter(dict(days))
            g.steps = dict(steps)
        return found


@dataclass(frozen=True, slots=True)
class Office:
    """A PPK key's enrolment, as the instansi table shows it."""

    idx: int
    day: str
    kid: bytes
    instansi: str
    province: str | None
    term_start: str
    term_end: str
    name: str = ""
    jabatan: str = ""
    head_type: str | None = None


class Offices:
    """The PPK keys and key revocations, as :class:`~registry.compliance.index.ComplianceIndex`
    keeps them (``keys``, ``key_ends``), for the PPK columns of the instansi table."""

    def __init__(self) -> None:
        self.keys: dict[bytes, Office] = {}
        """PPK keys by kid (the latest enrolment of a kid, as the index keeps it)."""
        self.ends: dict[bytes, tuple[str, str, int]] = {}
        """Revoked key -> the day of its (first) revocation, the day it takes effect and
        its entry (a succession's, for the key it succeeds)."""

    def take(self, fact: Fact) -> None:
        """Take an enrolment, a key revocation or a succession (anything else is no office)."""
        if isinstance(fact, Key):
            if fact.role == "ppk":
                self.keys[fact.kid] = Office(
                    fact.idx, fact.day, fact.kid, fact.instansi, fact.province,
                    fact.term_start, fact.term_end, fact.name, fact.jabatan, fact.head_type,
                )  # fmt: skip
            else:
                self.keys.pop(fact.kid, None)
        elif isinstance(fact, KeyEnd):
            self.ends.setdefault(fact.kid, (fact.day, fact.effective, fact.idx))
        elif isinstance(fact, Succession):
            # The policy admits successions of enrolled keys only: the old key ends, and
            # its successor holds its office (a PPK's successor is a PPK, any other's not).
            self.ends.setdefault(fact.old, (fact.day, fact.day, fact.idx))
            old = self.keys.get(fact.old)
            if old is None:
                self.keys.pop(fact.new, None)
                return
            self.keys[fact.new] = replace(old, idx=fact.idx, day=fact.day, kid=fact.new)

    @classmethod
    def of(cls, keys: Iterable[Key], ends: Iterable[KeyEnd]) -> Offices:
        """The offices of an index's keys and key revocations."""
        found = cls()
        for key in sorted(keys, key=lambda k: k.idx):
            found.take(key)
        found.ends = {end.kid: (end.day, end.effective, end.idx) for end in ends}
        return found

    def in_office(self, key: Office, day: str) -> bool:
        """As :meth:`registry.compliance.metrics.Snapshot.in_office` as of ``day``."""
        end = self.ends.get(key.kid)
        effective = end[1] if end is not None and end[0] <= day else None
        return holds_office(key.term_start, key.term_end, day, effective)

    def columns(self, day: str) -> dict[str, list[Office]]:
        """Each instansi's PPK keys enrolled by ``day``, in enrolment order."""
        by: dict[str, list[Office]] = defaultdict(list)
        for key in sorted(self.keys.values(), key=lambda k: k.idx):
            if key.day <= day:
                by[key.instansi].append(key)
        return by

    def encode(self) -> list[Any]:
        return [
            [(k.idx, k.day, k.kid, k.instansi, k.province, k.term_start, k.term_end, k.name,
              k.jabatan, k.head_type) for k in self.keys.values()],
            sorted(self.ends.items()),
        ]  # fmt: skip

    @classmethod
    def decode(cls, saved: Any) -> Offices:
        found = cls()
        keys, ends = saved
        found.keys = {bytes(k[2]): Office(*k) for k in keys}
        found.ends = {bytes(kid): (day, effective, idx) for kid, (day, effective, idx) in ends}
        return found


def instansi_rows(
    figures: GroupFigures,
    offices: Offices,
    day: str,
    province: str | None = None,
    name: str | None = None,
) -> list[Row]:
    """The instansi table as of ``day`` (:func:`registry.compliance.views.instansi`), except
    that a figure of more than :data:`BOUND` entries has ``entries`` None."""
    ppks = offices.columns(day)
    out = []
    for row, group in figures.rows("instansi"):
        keys = ppks.get(row["instansi"], [])
        latest = keys[-1] if keys else None
        row["province"] = latest.province if latest else None
        row["ppk_keys"] = [b64url(k.kid) for k in keys]
        row["ppk_in_office"] = [b64url(k.kid) for k in keys if offices.in_office(k, day)]
        last = max(group.steps, default=None)
        row["enforcement"] = figure(None if last is None else group.steps[last],
                                    [] if last is None else [last])  # fmt: skip
        if (province is None or row["province"] == province) and (
            name is None or row["instansi"] == name
        ):
            out.append(row)
    return out
