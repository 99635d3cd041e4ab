"""The compliance index saved in sealed segments, so a start does not rebuild it from every entry.

Rebuilding the index reads and decodes every entry of the log (65.7 s at
1,000,516 entries).  Instead, the facts the index took are saved in segments
of :data:`SEGMENT` entries (``fact_segments``), and a process restores every
segment it can trust, then reads only the entries after the last one.

A segment is trusted only if all of this holds, otherwise it and every later
one are ignored and their entries read from the log again (and the segment is
saved anew once rebuilt):

- its **format** is this code's (:data:`FORMAT`: the fact classes' names and
  fields, the codec and the default follow-up days), so a release that reads
  facts otherwise never restores what an older one saved;
- its **seal** (:mod:`registry.signing.seal`, a key derived from the log key,
  which lives in the data directory, never in the database) covers its format,
  range, root and the SHA-256 of its bytes: an edit made straight in the
  database cannot move a figure;
- its **root** is the root of this process's tree at the segment's end, and
  that tree was checked against the log's signed checkpoint at start
  (promise 6): a segment saved for another log, or for a log since rolled
  back and grown otherwise, is not this log's.

Segments are made from facts the index took from checked entries
(``VerifiedEntries``), in log order, and saved while answering, once the index
has passed a segment's end: incremental, never in a batch's transaction, so
registration never waits for them.  Every process saves the same bytes for
the same segment, so two processes saving at once do no harm.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import logging
import struct
import typing
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any, Protocol

import msgspec

from registry.compliance import tally_bytes
from registry.compliance.facts import Fact
from registry.compliance.index import ComplianceIndex
from registry.compliance.tally import VERSION as TALLY_VERSION
from registry.compliance.tally import NationalTally
from registry.store.models import FactSegmentRecord

log = logging.getLogger(__name__)

SEGMENT = 16_384
"""Entries per saved segment (64 tiles): the most a start reads again from the log."""
CODEC = "msgpack-zlib-v1"
_INDEX = attrgetter("idx")
CLASSES: tuple[type[Any], ...] = typing.get_args(Fact)
"""The fact classes, in the order a segment lists them."""
_DECODER: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder(
    tuple.__class_getitem__(tuple(list.__class_getitem__(cls) for cls in CLASSES))
)


def format_of(follow_up_days: int) -> str:
    """The format name of segments made by this code with ``follow_up_days``.

    It changes whenever a fact class, a field, the codec or the default deadline
    does, so segments made otherwise are never restored (they are rebuilt).
    """
    shape = [
        (cls.__qualname__, [(f.name, str(f.type)) for f in dataclasses.fields(cls)])
        for cls in CLASSES
    ]
    described = repr((CODEC, follow_up_days, shape)).encode()
    return "compliance-" + hashlib.sha256(described).hexdigest()[:40]


TALLY = "compliance-tally-"
"""The format prefix of the saved national tally (one row, entries ``0 .. size``)."""


def tally_format(format: str) -> str:
    """The format of the tally saved beside segments of ``format`` (and its own version)."""
    return TALLY + hashlib.sha256(f"{format} {TALLY_VERSION}".encode()).hexdigest()[:40]


def encode_facts(facts: Iterable[Fact]) -> bytes:
    """The bytes of a segment holding ``facts`` (each list in log order)."""
    lists: dict[type[Any], list[Fact]] = {cls: [] for cls in CLASSES}
    for fact in facts:
        lists[type(fact)].append(fact)
    return zlib.compress(msgspec.msgpack.encode(tuple(lists[cls] for cls in CLASSES)), 6)


def decode_facts(data: bytes) -> list[Fact]:
    """The facts of a segment's bytes, in log order.

    Raises ``ValueError`` (``zlib.error``, ``msgspec.DecodeError``) if they are
    not a segment of this format.
    """
    lists: Sequence[list[Fact]] = _DECODER.decode(zlib.decompress(data))
    facts = [fact for kind in lists for fact in kind]
    facts.sort(key=_INDEX)  # a merge of sorted runs, in C
    return facts


def sealed_message(format: str, start: int, end: int, root: bytes, data: bytes) -> bytes:
    """What a segment's seal covers: its format, range, root and the SHA-256 of its bytes."""
    return b"".join(
        (
            b"fact-segment\n",
            format.encode(),
            b"\n",
            struct.pack(">QQ", start, end),
            root,
            hashlib.sha256(data).digest(),
        )
    )


class Segments(Protocol):
    """Where segments are kept and what checks them (``registry.records.segments``)."""

    async def load(self, format: str, start: int) -> FactSegmentRecord | None:
        """The saved segment of ``format`` starting at entry ``start``, if any (unchecked)."""
        ...

    async def save(self, record: FactSegmentRecord) -> None:
        """Save ``record``, replacing a segment of its format and start."""
        ...

    async def ends(self, prefix: str) -> dict[str, int]:
        """The format and end of each saved segment whose format starts with ``prefix``."""
        ...

    async def forget(self, formats: list[str]) -> None:
        """Delete the saved segments of ``formats``."""
        ...

    async def forget_except(self, format: str) -> int:
        """Delete the segments of every other format."""
        ...

    def root(self, size: int) -> bytes | None:
        """The root of the checked tree at ``size``; None if the log is smaller."""
        ...

    def seal(self, message: bytes) -> bytes:
        """The registry's seal of ``message``."""
        ...

    def opens(self, message: bytes, seal: bytes) -> bool:
        """Whether ``seal`` is the registry's seal of ``message``."""
        ...


class SavedIndex:
    """Restores a :class:`ComplianceIndex` from saved segments, and saves what it takes."""

    def __init__(self, index: ComplianceIndex, segments: Segments, size: int = SEGMENT) -> None:
        if size < 1:
            raise ValueError("a segment holds at least one entry")
        self.index = index
        self.segments = segments
        self.size = size
        self.format = format_of(index.follow_up_days)
        self.tally_format = tally_format(self.format)
        self._tally_loaded = False
        self.tally_saved = 0
        """The size of the national tally last saved or restored by this process."""
        self.saved_to = 0
        """Entries below this are in trusted saved segments."""
        self.restored = 0
        """Entries this process restored from segments rather than read (for the figures' cost)."""
        self._loaded = False
        index.journal = []

    @property
    def loaded(self) -> bool:
        """Whether this process restored the index's segments (or began to)."""
        return self._loaded

    async def restore(self) -> None:
        """Once, on an empty index: take in every segment that checks out, from entry 0 on.

        Stops at the first missing segment or the first that does not check
        out (logged with why); the index reads the entries from there.
        """
        if self._loaded:
            return
        self._loaded = True
        await self.restore_tally()
        if self.index.size != 0:
            # Fed from entry 0 by this process's commits (a new log): the journal holds
            # every fact, and the segments are saved from it.
            return
        await self.segments.forget_except(self.format)
        # Restoring makes a long-lived object per fact: with the collector on, each full
        # collection meanwhile walks every fact made so far (measured: 0.05 to 0.5 s a
        # segment, against 0.06 s without).  None of them is garbage, so the collector
        # waits, and what was restored is frozen out of its later walks, as the app does
        # with the loaded log at start.
        collecting = gc.isenabled()
        gc.disable()
        try:
            await self._restore()
        finally:
            if collecting:
                gc.enable()
            gc.freeze()

    async def _restore(self) -> None:
        tail: list[Fact] = []
        tail_start: int | None = None
        while True:
            start = self.index.size
            record = await self.segments.load(self.format, start)
            if record is None:
                break
            facts = self._trusted(record)
            if facts is None:
                break
            for fact in facts:
                self.index.take(fact)
            self.index.size = record.end_idx
            self.index.version += 1
            self.restored = record.end_idx
            if record.end_idx - start < self.size:
                # The rest saved at the last stop: saved again, whole, once complete.
                tail, tail_start = facts, start
                break
        self.saved_to = self.index.size if tail_start is None else tail_start
        self.index.journal = tail
        self.index.apply([])  # clears the cached snapshots

    def _trusted(self, record: FactSegmentRecord) -> list[Fact] | None:
        """The facts of ``record`` if it checks out for this log (see the module), else None."""
        start, end = record.start_idx, record.end_idx
        problem = self._problem(record)
        facts: list[Fact] = []
        if problem is None:
            try:
                facts = decode_facts(record.data)
            except (ValueError, zlib.error, msgspec.DecodeError) as exc:
                problem = f"its bytes do not decode ({exc})"
        if problem is None and any(not start <= fact.idx < end for fact in facts):
            problem = "it holds facts of entries outside its range"
        if problem is not None:
            log.warning(
                "compliance: saved segment of entries %d to %d not used, %s;"
                " its entries are read from the log again",
                start,
                end - 1,
                problem,
            )
            return None
        return facts

    def problem(self, record: FactSegmentRecord) -> str | None:
        """Why ``record`` is not this registry's saved state of this log (its seal, its
        range, the tree's root at its end), if it is not."""
        return self._problem(record)

    def _problem(self, record: FactSegmentRecord) -> str | None:
        """Why ``record`` is not this registry's saved state of this log, if it is not."""
        start, end = record.start_idx, record.end_idx
        message = sealed_message(record.format, start, end, record.root, record.data)
        if end <= start:
            return "an empty range"
        if not self.segments.opens(message, record.seal):
            return "its seal does not open: it was not saved as it is by this registry"
        root = self.segments.root(end)
        if root is None:
            return "it ends past the log's latest checkpoint"
        if root != record.root:
            return (
                f"it was made for a tree of root {record.root.hex()} at size {end},"
                f" the checked log's root there is {root.hex()}"
            )
        return None

    async def restore_tally(self) -> None:
        """Once, before any fact is taken: the saved national tally, if it checks out as a
        segment does (seal, root) and the index has taken no fact past its end."""
        if self._tally_loaded:
            return
        self._tally_loaded = True
        record = await self.segments.load(self.tally_format, 0)
        tally = None if record is None else self.checked_tally(record)
        if tally is not None and self.index.size <= tally.size and self.index.tally is None:
            self.index.tally = tally
            self.tally_saved = tally.size

    async def newer_tally(self, catch_up: Callable[[], Awaitable[None]]) -> bool:
        """Take the saved national tally in place of the one this process feeds from the log,
        if it holds more entries (another process of this registry fed it further:
        :mod:`registry.compliance.keeper`) and checks out as at a restore; whether it did.
        ``catch_up`` first reads the log up to it if this process has not yet (a follower
        told of new entries a moment after the process that saved it)."""
        tally = self.index.tally
        if tally is None or self.index.size >= tally.size:
            return False  # none, or the index restored here keeps it
        record = await self.segments.load(self.tally_format, 0)
        if record is None or record.end_idx <= tally.size:
            return False
        if self.segments.root(record.end_idx) is None:
            await catch_up()
        saved = self.checked_tally(record)
        if saved is None:
            return False
        self.index.tally = saved
        self.tally_saved = saved.size
        return True

    def checked_tally(self, record: FactSegmentRecord) -> NationalTally | None:
        """The national tally ``record`` holds if it checks out (seal, root at its end, its
        bytes); one that does not is said and ignored."""
        problem = self._problem(record)
        tally = None
        if problem is None:
            try:
                tally = tally_bytes.decode(record.data)
            except ValueError as exc:
                problem = str(exc)
        if tally is not None and tally.size != record.end_idx:
            problem = f"it holds {tally.size} entries, not the {record.end_idx} it is sealed for"
        if problem is not None or tally is None:
            log.warning(
                "compliance: saved national tally of entries 0 to %d not used, %s;"
                " it is computed from the facts again",
                record.end_idx - 1,
                problem,
            )
            return None
        return tally

    async def save_tally(self, every: int = 1) -> bool:
        """Save the national tally, if there is one and it holds at least ``every`` entries
        more than the one last saved or restored; whether it was.

        It holds the entries below the index's size when the index feeds it, and below
        its own when the log does (``registry.compliance.feed``).
        """
        tally = self.index.tally
        if tally is None:
            return False
        self.index.tally_to(self.index.size)
        if tally.size == 0 or tally.size < self.tally_saved + every:
            return False
        if not await self.save_record(self.tally_format, 0, tally.size, tally_bytes.encode(tally)):
            return False
        self.tally_saved = tally.size
        return True

    async def save_rest(self) -> None:
        """Save the entries past the last whole segment as a shorter one (at a stop).

        The next start then reads nothing from the log that was here at this
        stop; the shorter segment is replaced by the whole one once it is.
        Only once this process restored or built the index (else it has nothing).
        The national tally is saved too.
        """
        journal = self.index.journal
        if not self._loaded or journal is None:
            return
        if self.index.size > self.saved_to:
            await self._save(self.saved_to, self.index.size, journal)
        await self.save_tally()

    async def _save(self, start: int, end: int, facts: list[Fact]) -> bool:
        """Save the segment of entries ``start`` to ``end`` holding ``facts``; whether it was."""
        return await self.save_record(self.format, start, end, encode_facts(facts))

    async def save_record(self, format: str, start: int, end: int, data: bytes) -> bool:
        """Seal ``data`` as the state of entries ``start`` to ``end`` and save it."""
        root = self.segments.root(end)
        if root is None:  # pragma: no cover - the index never runs ahead of the tree
            return False
        message = sealed_message(format, start, end, root, data)
        record = FactSegmentRecord(format, start, end, root, data, self.segments.seal(message))
        try:
            await self.segments.save(record)
        except Exception:
            log.exception(
                "compliance: could not save the segment of entries %d to %d", start, end - 1
            )
            return False
        return True

    async def save_due(self) -> None:
        """Save every segment the index has passed since the last one saved.

        A failure is logged and leaves the journal as it was: the next answer
        tries again, and the figures never wait for it.
        """
        journal = self.index.journal
        if journal is None:
            return
        saved = False
        while self.index.size >= self.saved_to + self.size:
            start, end = self.saved_to, self.saved_to + self.size
            cut = next((i for i, fact in enumerate(journal) if fact.idx >= end), len(journal))
            if not await self._save(start, end, journal[:cut]):
                return
            del journal[:cut]
            self.saved_to = end
            saved = True
        if saved:
            await self.save_tally()
