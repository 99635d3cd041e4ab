"""The national tally fed from the log, without the compliance index.

A worker that restored the saved national tally (:mod:`registry.compliance.saved`)
answers today's national row from it; the entries registered since the tally's
end are read from the log in pages and each fact is taken by the tally
(:meth:`~registry.compliance.tally.NationalTally.take`), which asks for the few
earlier facts it needs (:meth:`~registry.compliance.tally.NationalTally.wanted`:
the recommendation a follow-up answers and its other follow-ups, the entry a
revocation names).  Those are read from the log one entry at a time, through
the same checked reads as every entry (``RegistryService.entries``: an entry
whose row differs from what the tree vouches for raises ``TamperedEntry``, and
the tally is left as it was before that fact).  Nothing of the index is built.

The provinces table groups by the enrolment of a recommendation's PPK and of a
pact's or declaration's signer: each key a take asks for
(:meth:`~registry.compliance.tally.NationalTally.wanted_keys`) is located by
the worker's key directory (its enrolment entry, or its succession's) and that
entry read and checked like any other (:meth:`LogFacts.key`; the last
:data:`KEYS_KEPT` kept); an enrolment at or after the fact being taken is not
one as of it.  The directory holds one enrolment a key (the policy refuses a
second: ``already-enrolled``); an enrolment the directory does not locate at its
own entry makes the provinces inexact (answered from the index).
"""

from __future__ import annotations

from collections import ChainMap, OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol

from registry.compliance.facts import Fact, Key, Succession, read_entry
from registry.compliance.index import EntrySource
from registry.compliance.provinces import Enrolled, Enrolment, Keys
from registry.compliance.tally import NationalTally
from registry.store.models import EntryRecord, SignerKeyRecord

PAGE = 1000
"""Entries read per query while feeding."""
KEYS_KEPT = 4096
"""Enrolments read for the provinces table kept (a PPK's serves each recommendation to it)."""
PREFETCH_ROUNDS = 3
"""Rounds of reads before a page is taken (a revocation's target, then what it names)."""


class FactLog(Protocol):
    """The facts of the log's entries, read as checked entries."""

    async def facts(self, start: int, end: int) -> list[Fact | None]:
        """The fact of each entry ``start <= idx < end`` (None for one without), in order."""
        ...

    async def facts_at(self, indexes: Sequence[int]) -> dict[int, Fact | None]:
        """The fact of each entry at ``indexes`` the log holds (None for one without), read
        in one round; an index it does not hold is left out."""
        ...

    async def key(self, kid: bytes) -> Enrolled | None:
        """The enrolment of ``kid`` in the log (the latest the worker knows), if any."""
        ...

    async def keys(self, kids: Sequence[bytes]) -> dict[bytes, Enrolled | None]:
        """:meth:`key` of each of ``kids``, the enrolments not kept read in one round."""
        ...


class Entries(EntrySource, Protocol):
    """Checked entries by range and by index (a ``RegistryService``)."""

    async def entries_at(self, idxs: Sequence[int]) -> list[EntryRecord]:
        """The entries at ``idxs`` below the log's size, in that order, read in one round
        (one missing below it raises ``TamperedEntry``, as a range read's check does)."""
        ...


class Log(Entries, Protocol):
    """The log as the compliance figures read it (a ``RegistryService``): its entries
    by range and by index, and what follows."""

    @property
    def size(self) -> int:
        """Entries in the log (under its latest checkpoint)."""
        ...

    def on_commit(self, hook: Callable[[list[EntryRecord]], None]) -> None:
        """Call ``hook`` with every batch committed by this process."""
        ...

    async def refresh(self) -> None:
        """Catch up with what another process of the registry wrote."""
        ...

    def signer(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid``, if any (among the keys held: see load_signer_of)."""
        ...

    async def load_signer_of(self, signed: bytes) -> None:
        """Read the key that signed the COSE_Sign1 ``signed``, so that :meth:`signer` has it."""
        ...

    def enrolment_of(self, kid: bytes) -> int | None:
        """The entry that enrolled ``kid`` (its enrolment or succession), if any."""
        ...

    def key_entries(self, kid: bytes) -> tuple[int, int | None] | None:
        """The entries that enrolled ``kid`` and ended it (a key revocation, or a succession
        by another key; None while it stands), if it is enrolled: the key directory's."""
        ...

    def revoked_by(self, idx: int) -> int | None:
        """The entry that revoked entry ``idx`` (a revocation), if one did."""
        ...


class LogFacts:
    """The facts of a log's entries (a :class:`Log`), read with
    :func:`~registry.compliance.facts.read_entry` from entries checked against the tree."""

    def __init__(
        self,
        log: Entries,
        follow_up_days: int,
        locate: Callable[[bytes], int | None] | None = None,
    ) -> None:
        self._log = log
        self._days = follow_up_days
        self._locate = locate
        """A key's enrolment (or succession) entry, from the worker's key directory."""
        self._keys: OrderedDict[bytes, Enrolled | None] = OrderedDict()
        self.read = 0
        """Entries read so far (pages and single entries)."""

    async def facts(self, start: int, end: int) -> list[Fact | None]:
        records = await self._log.entries(start, end)
        self.read += len(records)
        found: list[Fact | None] = []
        for offset, record in enumerate(records):
            if record.idx != start + offset:  # pragma: no cover - the store returned another range
                break
            found.append(read_entry(record, self._days))
        return found

    async def facts_at(self, indexes: Sequence[int]) -> dict[int, Fact | None]:
        records = await self._log.entries_at(indexes)
        self.read += len(records)
        return {record.idx: read_entry(record, self._days) for record in records}

    async def key(self, kid: bytes) -> Enrolled | None:
        """The enrolment the key directory locates for ``kid``, read from its entry (a
        successor's: the succession's entry and day, its predecessor's province)."""
        at = self._located(kid)
        if at is None:
            return None
        kept = self._keys.get(kid)
        if kept is not None and kept.idx == at:
            self._keys.move_to_end(kid)
            return kept
        read = await self.facts(at, at + 1)
        if not read:  # appended, not yet under a checkpoint: after every fact fed
            return None
        return await self._enrolled(kid, at, read[0])

    async def keys(self, kids: Sequence[bytes]) -> dict[bytes, Enrolled | None]:
        """See :class:`FactLog`: a page's signers cost one read, not one each."""
        unread: dict[bytes, int] = {}
        for kid in dict.fromkeys(kids):
            at = self._located(kid)
            kept = self._keys.get(kid)
            if at is not None and (kept is None or kept.idx != at):
                unread[kid] = at
        if len(unread) > 1:
            read = await self.facts_at(list(unread.values()))
            for kid, at in unread.items():
                if at in read:
                    await self._enrolled(kid, at, read[at])
        return {kid: await self.key(kid) for kid in kids}

    def _located(self, kid: bytes) -> int | None:
        return None if self._locate is None else self._locate(kid)

    async def _enrolled(self, kid: bytes, at: int, fact: Fact | None) -> Enrolled | None:
        """The enrolment of ``kid`` by ``fact`` (the entry at ``at``), kept."""
        found: Enrolled | None = None
        if isinstance(fact, Key) and fact.kid == kid:
            found = Enrolment(at, fact.day, fact.province, fact.head_type, fact.role)
        elif isinstance(fact, Succession) and fact.new == kid and fact.old != kid:
            old = await self.key(fact.old)
            found = (
                None
                if old is None or old.idx >= at
                else Enrolment(at, fact.day, old.province, old.head_type, old.role)
            )
        self._keys[kid] = found
        while len(self._keys) > KEYS_KEPT:
            self._keys.popitem(last=False)
        return found


async def take(
    tally: NationalTally, fact: Fact, log: FactLog, known: dict[int, Fact | None]
) -> None:
    """Have ``tally`` take ``fact``, reading what it needs that ``known`` lacks into it."""
    while missing := tally.wanted(fact, known):
        known.update(await _read(log, missing, f"entry {fact.idx} names"))
    found = await log.keys(tally.wanted_keys(fact, known.__getitem__))
    if isinstance(fact, Key | Succession):
        kid = fact.kid if isinstance(fact, Key) else fact.new
        located = found[kid]
        if located is None or located.idx != fact.idx:  # enrolled again elsewhere
            tally.provinces.exact = False
    tally.take(fact, known.__getitem__, _before(found, fact.idx))


def _before(found: dict[bytes, Enrolled | None], end: int) -> Keys:
    """The enrolments of ``found`` as they stand before entry ``end``."""

    def key(kid: bytes) -> Enrolled | None:
        enrolled = found[kid]
        return enrolled if enrolled is not None and enrolled.idx < end else None

    return key


async def advance(tally: NationalTally, day: str, log: FactLog) -> bool:
    """Move ``tally`` to ``day`` (:meth:`~NationalTally.advance`), reading what it needs."""
    known: dict[int, Fact | None] = {}
    while missing := tally.wanted_to_advance(known):  # a pact first, then its recommendations
        known.update(await _read(log, missing, "a fact dated after the tally's day names"))
    found = await log.keys(tally.wanted_keys_to_advance(known.__getitem__))
    return tally.advance(day, known.__getitem__, _before(found, tally.size))


async def _read(log: FactLog, indexes: list[int], why: str) -> dict[int, Fact | None]:
    """The facts of entries ``indexes``, in one round (LookupError if one is not in the log)."""
    found = await log.facts_at(indexes)
    for idx in indexes:
        if idx not in found:
            raise LookupError(f"entry {idx}, which {why}, is not in the log")
    return found


async def _prefetched(
    tally: NationalTally, page: list[Fact | None], start: int, log: FactLog
) -> dict[int, Fact | None]:
    """What taking ``page`` (entries from ``start``) reads before it, in a few rounds
    instead of an entry at a time: the earlier facts its facts name as the tally stands
    now, and the enrolments of the keys they ask for (kept by ``log``).  Only a shortcut:
    :func:`take` still reads whatever this did not."""
    in_page = dict(enumerate(page, start))
    facts = [fact for fact in page if fact is not None]
    known: dict[int, Fact | None] = {}
    seen = ChainMap(known, in_page)
    for _ in range(PREFETCH_ROUNDS):
        missing = {idx for fact in facts for idx in tally.wanted(fact, seen)}
        if not missing:
            break
        known.update(await log.facts_at(sorted(missing)))
    await log.keys([kid for fact in facts for kid in tally.wanted_keys(fact, seen.get)])
    return known


async def feed(tally: NationalTally, log: FactLog, size: int) -> None:
    """Take the facts of entries ``tally.size .. size - 1`` into ``tally``, in log order."""
    while tally.size < size:
        start = tally.size
        page = await log.facts(start, min(size, start + PAGE))
        if not page:
            return
        known = await _prefetched(tally, page, start, log)
        for idx, fact in enumerate(page, start):
            if fact is not None:
                await take(tally, fact, log, known)
                known[idx] = fact
            tally.size = idx + 1
