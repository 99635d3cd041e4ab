"""The compliance index: every fact of the log in memory, kept up to date as entries commit.

Built by one pass over the log, read from the store in pages, then updated
incrementally: :meth:`ComplianceIndex.apply` is a registrar ``on_commit`` hook,
and :meth:`ComplianceIndex.catch_up` reads whatever it has not seen (after a
restart, on a follower process, or for entries committed while it was being
built).  Entries are applied strictly in log order, each once.  Queries read a
:class:`~registry.compliance.metrics.Snapshot` as of a day, cached until the
next entry arrives.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import fields, replace
from operator import attrgetter
from typing import Any, Protocol, get_args

from registry.compliance.elections import Calendar, calendar
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
    StaffBlock,
    Step,
    Succession,
    Transfer,
    read_entry,
)
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally, index_reader
from registry.store.models import EntryRecord

SHARED = frozenset(
    {
        "day", "deadline", "decree_date", "registered", "effective", "date", "instansi",
        "province", "category", "election", "action", "kind", "role", "jabatan", "head_type",
        "term_start", "term_end", "sanction", "step", "system", "decision", "ppk_kid", "signer",
    }
)  # fmt: skip
"""Fields whose values repeat across facts (days, offices, kinds, a PPK's kid): each value
is kept once per index, not once per fact (a day string is 59 bytes)."""
_FIELDS: dict[type[Any], tuple[attrgetter[tuple[Any, ...]], tuple[str, ...]]] = {
    cls: (attrgetter(*names, names[0]), names)  # a spare name: a tuple even for one
    for cls in get_args(Fact)
    for names in [tuple(f.name for f in fields(cls) if f.name in SHARED)]
}
"""Per fact class: a getter of its shared fields' values (a tuple), and their names."""
_SET = object.__setattr__
PAGE = 1000
"""Entries read per query while catching up."""
SNAPSHOTS = 16
"""Snapshots (one per as-of day) kept between entries."""


class EntrySource(Protocol):
    """Where the index reads entries from (a :class:`registry.records.service.RegistryService`)."""

    async def entries(self, start: int, end: int) -> list[EntryRecord]:
        """Entries ``start <= idx < end`` in order."""
        ...


class ComplianceIndex:
    """Facts by kind, from entries ``0 .. size - 1``; see the module docstring."""

    def __init__(self, follow_up_days: int = 14) -> None:
        self.follow_up_days = follow_up_days
        self.size = 0
        self.version = 0
        self.keys: dict[bytes, Key] = {}
        self.key_ends: dict[bytes, KeyEnd] = {}
        self.predecessor: dict[bytes, bytes] = {}
        """A successor key's kid -> the kid it succeeded (``key-succession``)."""
        self.reports: dict[int, Report] = {}
        self.recs: dict[int, Rec] = {}
        self.follow_ups: dict[int, FollowUp] = {}
        self.follow_ups_of: dict[int, list[int]] = defaultdict(list)
        self.steps: dict[int, Step] = {}
        self.signed: dict[int, Signed] = {}
        self.revocations: dict[int, Revoked] = {}
        self.staff_blocks: dict[int, StaffBlock] = {}
        self.transfers: dict[int, Transfer] = {}
        self.elections: dict[int, Election] = {}
        self.by_subject: dict[bytes, list[int]] = defaultdict(list)
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()
        self._shared: dict[Any, Any] = {}
        self.journal: list[Fact] | None = None
        """Every fact taken, in log order, while someone keeps them (to save them in
        segments: :mod:`registry.compliance.saved`); ``None`` when nobody does."""
        self._read = index_reader(self)
        self.tally: NationalTally | None = None
        """The national figures of one day, kept as facts are taken once someone made
        it (:mod:`registry.compliance.tally`); it takes only facts past its size."""

    def apply(self, records: Sequence[EntryRecord]) -> None:
        """Take in newly committed entries; those already seen or after a gap are skipped.

        Entries after a gap are read later by :meth:`catch_up`.
        """
        for record in records:
            if record.idx != self.size:
                if record.idx > self.size:
                    return
                continue
            self._add(record)
            self.size += 1
            self.version += 1
        self._snapshots.clear()
        self.tally_to(self.size)

    def tally_to(self, size: int) -> None:
        """The tally holds every fact of the entries below ``size`` (the index took them)."""
        if self.tally is not None and size > self.tally.size:
            self.tally.size = size

    def _add(self, record: EntryRecord) -> None:
        fact = read_entry(record, self.follow_up_days)
        if fact is not None:
            self.take(fact)

    def take(self, fact: Fact) -> None:
        """Take in the fact of the next entry (read from it, or restored from a saved segment).

        The index's state is a function of the facts taken, in log order, and
        of nothing else: that is what lets a segment of them stand for its entries.
        """
        if self.journal is not None:
            self.journal.append(fact)
        self._share(fact)
        tally = self.tally
        if tally is not None and fact.idx >= tally.size:  # with the keys as they stand before
            tally.take(fact, self._read, self.keys.get)
        self._take(fact)

    def _share(self, fact: Fact) -> None:
        """Make ``fact`` hold the index's one copy of each repeating value (a fact is frozen
        to its readers; this changes no value, only which equal object holds it)."""
        keep = self._shared.setdefault
        values, names = _FIELDS[type(fact)]
        for name, value in zip(names, values(fact), strict=False):  # values end with a spare
            kept = keep(value, value)
            if kept is not value:
                _SET(fact, name, kept)

    def _take(self, fact: Fact) -> None:
        if isinstance(fact, Key):
            self.keys[fact.kid] = fact
        elif isinstance(fact, KeyEnd):
            self.key_ends.setdefault(fact.kid, fact)
        elif isinstance(fact, Succession):
            self._succeed(fact)
        elif isinstance(fact, Report):
            self.reports[fact.idx] = fact
        elif isinstance(fact, Rec):
            self.recs[fact.idx] = fact
            self.by_subject[fact.subject].append(fact.idx)
        elif isinstance(fact, FollowUp):
            self.follow_ups[fact.idx] = fact
            self.follow_ups_of[fact.recommendation].append(fact.idx)
        elif isinstance(fact, Step):
            self.steps[fact.idx] = fact
        elif isinstance(fact, Signed):
            self.signed[fact.idx] = fact
        elif isinstance(fact, StaffBlock):
            self.staff_blocks[fact.idx] = fact
        elif isinstance(fact, Transfer):
            self.transfers[fact.idx] = fact
        elif isinstance(fact, Election):
            self.elections[fact.idx] = fact
        elif isinstance(fact, Revoked):
            self.revocations.setdefault(fact.target, fact)

    def calendar(self) -> Calendar:
        """The elections the log registers and has not revoked, by voting day (or, if it
        registers none, the fallback calendar: :mod:`registry.compliance.elections`)."""
        return calendar(e for i, e in sorted(self.elections.items()) if i not in self.revocations)

    def _succeed(self, fact: Succession) -> None:
        """The successor holds the old key's office from the succession on; the old key ends."""
        old = self.keys.get(fact.old)
        if old is None:  # pragma: no cover - the policy admits successions of enrolled keys
            return
        self.keys[fact.new] = replace(old, idx=fact.idx, day=fact.day, kid=fact.new)
        self.key_ends.setdefault(fact.old, KeyEnd(fact.idx, fact.day, fact.old, fact.day))
        self.predecessor[fact.new] = fact.old

    def lineage(self, kid: bytes) -> list[bytes]:
        """``kid`` and the keys it succeeded, newest first."""
        chain = [kid]
        while chain[-1] in self.predecessor and len(chain) <= len(self.predecessor):
            chain.append(self.predecessor[chain[-1]])
        return chain

    async def catch_up(self, source: EntrySource, size: int) -> None:
        """Read entries from :attr:`size` up to ``size`` (exclusive) in pages and apply them."""
        while self.size < size:
            start = self.size
            page = await source.entries(start, min(size, start + PAGE))
            if not page:
                return
            self.apply(page)
            if self.size == start:  # pragma: no cover - the store returned another range
                return

    def snapshot(self, as_of: str) -> Snapshot:
        """The figures as of the end of day ``as_of`` (ISO date, WIB)."""
        found = self._snapshots.get(as_of)
        if found is None:
            found = Snapshot(self, as_of)
            self._snapshots[as_of] = found
            while len(self._snapshots) > SNAPSHOTS:
                self._snapshots.popitem(last=False)
        return found
