"""Follow-up figures: each recommendation's outcome as of a day, and figures over groups.

Definitions (docs/compliance.md has them for the public):

* an entry counts as of day D when its statement was issued on or before D
  (WIB) and no revocation issued on or before D names it;
* a recommendation is **followed up** when a standing ``sanctioned``
  follow-up answers it; **on time** when that sanction's decree is dated on
  or before the recommendation's deadline, **late** otherwise; **days to
  follow up** are from the recommendation's issued-at day to the decree's date;
* **downgraded**: answered by a standing ``sanctioned`` follow-up whose
  ``sanction`` is weaker than the one recommended (moral < light < medium <
  heavy) and by no follow-up imposing at least that: not followed up;
* **refused**: answered only by a refusal (not followed up);
* **overdue**: not followed up and its deadline is before D (refusals included);
  **pending**: not followed up and not yet due;
* **follow-up rate** = followed up / recommendations; **median days** over
  the followed-up ones.

Every figure is ``{"value": v, "entries": [log indexes]}``: the entries it was
computed from (recommendations for counts of recommendations, follow-ups for
counts of follow-ups; a rate lists both).  The JSON API links to the entries of a
figure over 10,000 of them instead (``registry/api/compliance.py``, ``bounded``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from registry.compliance.elections import Calendar, calendar, election_of
from registry.compliance.facts import (
    Election,
    FollowUp,
    Key,
    KeyEnd,
    Rec,
    Report,
    Revoked,
    Signed,
    StaffBlock,
    Step,
    Transfer,
)

if TYPE_CHECKING:
    from registry.compliance.index import ComplianceIndex

Figure = dict[str, Any]


class Answered(Protocol):
    """What an outcome is computed from: a :class:`~registry.compliance.index.ComplianceIndex`,
    or the few facts of one recommendation the national tally read from the log."""

    @property
    def revocations(self) -> Mapping[int, Revoked]:
        """Revoked entry -> the (first) revocation naming it."""
        ...

    @property
    def follow_ups(self) -> Mapping[int, FollowUp]:
        """Follow-ups by log index."""
        ...

    @property
    def follow_ups_of(self) -> Mapping[int, list[int]]:
        """Recommendation -> the follow-ups answering it."""
        ...


def holds_office(term_start: str, term_end: str, day: str, revoked_from: str | None) -> bool:
    """Whether a PPK key holds its office on ``day``: its term covers the day, and a
    revocation issued so far (``revoked_from``: the day it takes effect) has not begun."""
    return term_start <= day <= term_end and (revoked_from is None or day < revoked_from)


def figure(value: Any, entries: Iterable[int]) -> Figure:
    """A figure: its value and the sorted log indexes it was computed from."""
    return {"value": value, "entries": sorted(set(entries))}


def days_between(start: str, end: str) -> int:
    """Whole days from ISO day ``start`` to ISO day ``end``."""
    return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days


@dataclass(frozen=True)
class Outcome:
    """What became of one recommendation as of a day."""

    rec: Rec
    sanction: FollowUp | None
    refusal: FollowUp | None
    status: str
    """``followed-up``, ``overdue`` or ``pending``."""
    downgrade: FollowUp | None = None
    """A follow-up that imposed a weaker sanction than recommended (when none imposed it)."""

    @property
    def decree_date(self) -> str | None:
        """The sanction's decree date (its issued-at day if it has none)."""
        if self.sanction is None:
            return None
        return self.sanction.decree_date or self.sanction.day

    @property
    def days(self) -> int | None:
        """Days from the recommendation to the sanction's decree."""
        decree = self.decree_date
        return None if decree is None else days_between(self.rec.day, decree)

    @property
    def on_time(self) -> bool | None:
        """Whether the decree is dated on or before the deadline."""
        decree = self.decree_date
        return None if decree is None else decree <= self.rec.deadline


SANCTION_LEVELS = ("moral", "light", "medium", "heavy")
"""Weakest first: moral (PP 42/2004), then light, medium, heavy discipline (PP 94/2021)."""


def level(sanction: str | None) -> int:
    """A sanction's rank in :data:`SANCTION_LEVELS` (-1 for anything else)."""
    return SANCTION_LEVELS.index(sanction) if sanction in SANCTION_LEVELS else -1


def weaker(follow_up: FollowUp, rec: Rec) -> bool:
    """Whether ``follow_up`` imposed a weaker sanction than ``rec`` recommended.

    A follow-up that names no sanction claims the one recommended.
    """
    return follow_up.sanction is not None and level(follow_up.sanction) < level(rec.sanction)


DAYS = "_days"
"""The pseudo-figure :func:`members` lists a followed-up recommendation's days under."""
COUNTS = (
    "recommendations",
    "followed_up",
    "on_time",
    "on_time_attested",
    "late",
    "refused",
    "downgraded",
    "overdue",
    "pending",
)
"""The follow-up figures that count entries, in the order a row lists them."""


def members(o: Outcome) -> list[tuple[str, int]]:
    """Which follow-up figures ``o`` counts in, and with which entry (``DAYS``: its days)."""
    found = [("recommendations", o.rec.idx)]
    if o.sanction is not None:
        idx = o.sanction.idx
        found += [("followed_up", idx), ("on_time" if o.on_time else "late", idx)]
        if o.on_time and o.sanction.backdated:
            # on time by its claimed date only: registered long after it, on an
            # authority's attestation (bulk history), not seen in time by the registry
            found.append(("on_time_attested", idx))
        found.append((DAYS, o.days or 0))
    elif o.downgrade is not None:
        found.append(("downgraded", o.downgrade.idx))
    elif o.refusal is not None:
        found.append(("refused", o.refusal.idx))
    if o.status in ("overdue", "pending"):
        found.append((o.status, o.rec.idx))
    return found


def figures(outcomes: Iterable[Outcome]) -> dict[str, Figure]:
    """The follow-up figures over ``outcomes``."""
    lists: dict[str, list[int]] = {name: [] for name in (*COUNTS, DAYS)}
    for o in outcomes:
        for name, value in members(o):
            lists[name].append(value)
    found = {name: figure(len(lists[name]), lists[name]) for name in COUNTS}
    recs, followed = lists["recommendations"], lists["followed_up"]
    rate = round(len(followed) / len(recs), 4) if recs else None
    found["follow_up_rate"] = figure(rate, recs + followed)
    days = lists[DAYS]
    found["median_days"] = figure(statistics.median(days) if days else None, followed)
    return found


def counted(facts: Iterable[Any]) -> Figure:
    """A count of facts (each with an ``idx``) as a figure."""
    idxs = [f.idx for f in facts]
    return figure(len(idxs), idxs)


def stands(index: Answered, idx: int, day: str, as_of: str) -> bool:
    """Whether entry ``idx`` issued on ``day`` counts as of day ``as_of``."""
    if day > as_of:
        return False
    revoked = index.revocations.get(idx)
    return revoked is None or revoked.day > as_of


def outcome_of(index: Answered, rec: Rec, as_of: str) -> Outcome | None:
    """What became of ``rec`` as of day ``as_of`` (None if it does not stand then)."""
    if not stands(index, rec.idx, rec.day, as_of):
        return None
    answers = [
        index.follow_ups[i]
        for i in sorted(index.follow_ups_of.get(rec.idx, []))
        if stands(index, i, index.follow_ups[i].day, as_of)
    ]
    imposed = [f for f in answers if f.action == "sanctioned"]
    sanction = next((f for f in imposed if not weaker(f, rec)), None)
    downgrade = next((f for f in imposed if weaker(f, rec)), None)
    downgrade = downgrade if sanction is None else None
    refusals = [f for f in answers if f.action == "refused"]
    refusal = refusals[-1] if refusals and sanction is None else None
    if sanction is not None:
        status = "followed-up"
    elif rec.deadline < as_of:
        status = "overdue"
    else:
        status = "pending"
    return Outcome(rec, sanction, refusal, status, downgrade)


class Snapshot:
    """The index's facts as of the end of one day; everything computed once, on demand."""

    def __init__(self, index: ComplianceIndex, as_of: str) -> None:
        self.index = index
        self.as_of = as_of

    def stands(self, idx: int, day: str) -> bool:
        """Whether entry ``idx`` issued on ``day`` counts as of this snapshot's day."""
        return stands(self.index, idx, day, self.as_of)

    @cached_property
    def outcomes(self) -> dict[int, Outcome]:
        """Each standing recommendation's outcome, by log index."""
        out: dict[int, Outcome] = {}
        for idx in sorted(self.index.recs):
            found = outcome_of(self.index, self.index.recs[idx], self.as_of)
            if found is not None:
                out[idx] = found
        return out

    def _standing(self, facts: Iterable[Any]) -> list[Any]:
        return sorted((f for f in facts if self.stands(f.idx, f.day)), key=lambda f: f.idx)

    @cached_property
    def reports(self) -> list[Report]:
        """Standing reports."""
        return self._standing(self.index.reports.values())

    @cached_property
    def pacts(self) -> list[Signed]:
        """Standing pacts."""
        return [s for s in self._standing(self.index.signed.values()) if s.kind == "pact"]

    @cached_property
    def declarations(self) -> list[Signed]:
        """Standing declarations."""
        return [s for s in self._standing(self.index.signed.values()) if s.kind == "declaration"]

    @cached_property
    def steps(self) -> list[Step]:
        """Standing enforcement steps, in log order."""
        return self._standing(self.index.steps.values())

    @cached_property
    def staff_blocks(self) -> list[StaffBlock]:
        """Standing SAPK/SIASN blocks and unblocks of recommended ASN, in log order."""
        return self._standing(self.index.staff_blocks.values())

    @cached_property
    def elections(self) -> list[Election]:
        """Standing elections, in log order."""
        return self._standing(self.index.elections.values())

    @cached_property
    def calendar(self) -> Calendar:
        """The elections records are counted by, in voting-day order (:mod:`.elections`)."""
        return calendar(self.elections)

    def election_of(self, day: str) -> str | None:
        """The election a record issued on ``day`` that names none belongs to, if any."""
        return election_of(day, self.calendar)

    @cached_property
    def transfers(self) -> list[Transfer]:
        """Standing transfer, demotion and dismissal decisions, in log order."""
        return self._standing(self.index.transfers.values())

    @cached_property
    def keys(self) -> dict[bytes, Key]:
        """Keys enrolled by this day."""
        return {k: v for k, v in self.index.keys.items() if v.day <= self.as_of}

    @cached_property
    def ppks(self) -> list[Key]:
        """PPK keys enrolled by this day, in enrolment order."""
        return sorted((k for k in self.keys.values() if k.role == "ppk"), key=lambda k: k.idx)

    def key_end(self, kid: bytes) -> KeyEnd | None:
        """The key's revocation, if issued by this day."""
        end = self.index.key_ends.get(kid)
        return end if end is not None and end.day <= self.as_of else None

    def in_office(self, key: Key, day: str) -> bool:
        """Whether ``key``'s term covers ``day`` and it was not revoked before."""
        end = self.key_end(key.kid)
        return holds_office(
            key.term_start, key.term_end, day, None if end is None else end.effective
        )

    @cached_property
    def current_steps(self) -> dict[bytes, Step]:
        """Each PPK key's latest standing enforcement step."""
        return {s.ppk_kid: s for s in self.steps}
