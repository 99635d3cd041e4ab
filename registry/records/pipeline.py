"""Writing appended batches in order while the sequencer admits the next (pipelined commit).

Group commit alone alternates: admit a batch, wait for its transaction to
reach the disk, admit the next.  With 64 clients that wait was half of every
cycle.  Here a batch appended to the in-memory tree is handed to
:class:`WritePipeline`, which writes batches strictly one after the other, in
log order, while the sequencer goes on admitting the next batch on top of the
unwritten ones.  Nothing changes for a caller: its receipt is still sent only
after its own batch's transaction committed and its checkpoint was pinned.

One writer takes every batch waiting when it is free and writes them as one
*group*: one transaction holding each batch's entries and signed checkpoint
(so one wait on the disk), then one pin of the group's last checkpoint, which
covers the batches before it (the pin says the log is at least that; it is
never ahead of the database).  So the sequencer may admit a batch as soon as
statements arrive, instead of holding them until the batch before is written,
and a statement waits for at most the write in progress and its own.  Atomic
batches (a bulk import's chunk) are written alone, as before: a chunk's write
fails or stands by itself.

If a write fails, the tree is cut back to where that group began and every
batch appended after it is void (its callers are told to send again): the
epoch counter says which batches were admitted on top of a failure.  The
registrar checks the epoch again, with no await in between, just before it
appends, so no batch is ever appended above a void one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from registry.i18n import Message
from registry.log.state import LogState
from registry.records.errors import Unavailable
from registry.store.models import CheckpointRecord, EntryRecord, KeyChange, RevokedEntryRecord

log = logging.getLogger(__name__)


@dataclass
class AppendedBatch:
    """A batch appended to the tree (its leaves from ``old_size``) and waiting to be written."""

    epoch: int
    old_size: int
    checkpoint: CheckpointRecord
    records: list[EntryRecord]
    key_changes: list[KeyChange]
    revocations: list[RevokedEntryRecord]
    admitted: list[Any] = field(repr=False)
    """The registrar's (pending item, statement, admission) triples, in log order."""
    atomic: bool = False
    """A bulk import's chunk: written in a transaction of its own."""


Store = Callable[[list[AppendedBatch]], Awaitable[None]]
"""Writes a group of batches in one transaction (raises: none of them is written)."""
Finish = Callable[[list[AppendedBatch]], Awaitable[None]]
"""Once a group is written: pins its last checkpoint, makes it current, answers its callers."""
Fail = Callable[[AppendedBatch, BaseException], None]
"""Answers the callers of a batch that was not written."""


class WritePipeline:
    """Writes appended batches in groups, in order; a failure voids those after it."""

    def __init__(self, state: LogState, store: Store, finish: Finish, fail: Fail) -> None:
        self.state = state
        self.epoch = 0
        self._store, self._finish, self._fail = store, finish, fail
        self.unwritten: list[AppendedBatch] = []
        """Batches appended and not yet written (or failed), in log order."""
        self._waiting: list[AppendedBatch] = []
        """Those of them the writer has not taken yet."""
        self._writer: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        """Set whenever a batch leaves :attr:`unwritten` or :attr:`_waiting`."""

    def submit(self, batch: AppendedBatch) -> None:
        """Write ``batch`` after every batch submitted before it."""
        self.unwritten.append(batch)
        self._waiting.append(batch)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="registry-batch-write")

    async def _write_all(self) -> None:
        while self._waiting:
            group = _next_group(self._waiting)
            del self._waiting[: len(group)]
            self._changed.set()
            try:
                await self._write(group)
            finally:
                for batch in group:
                    self.unwritten.remove(batch)
                self._changed.set()

    async def _write(self, taken: list[AppendedBatch]) -> None:
        # Those admitted on top of a batch that failed are void (they come first: a batch
        # admitted after the failure is appended where the tree was cut back to).
        group = [b for b in taken if b.epoch == self.epoch]
        for batch in (b for b in taken if b.epoch != self.epoch):
            self._fail(
                batch, Unavailable(Message("unavailable.earlier-batch-not-this"), retry_after=1)
            )
        if not group:
            return
        try:
            try:
                await self._store(group)
            except BaseException:
                self.epoch += 1
                self.state.rollback(group[0].old_size)
                raise
            await self._finish(group)
        except BaseException as exc:
            if not isinstance(exc, Unavailable | asyncio.CancelledError):
                log.exception("writing %d batches failed", len(group))
            for batch in group:
                self._fail(batch, exc)
            if isinstance(exc, asyncio.CancelledError):
                raise

    async def wait_for_room(self, unwritten: int) -> None:
        """Wait until at most ``unwritten`` batches are still to be written.

        A bulk import's next chunk is admitted only while the one before is
        written: its chunks are large, and a failure voids those on top.
        """
        while len(self.unwritten) > unwritten:
            await self._wait_change()

    async def wait_to_append(self, waiting: int) -> None:
        """Wait until fewer than ``waiting`` batches wait for the writer (not yet taken).

        What arrives meanwhile gathers into one batch instead of many small
        ones, each with its own signed checkpoint.
        """
        while len(self._waiting) >= waiting:
            await self._wait_change()

    async def _wait_change(self) -> None:
        self._changed.clear()
        await self._changed.wait()

    async def drain(self) -> None:
        """Wait until every submitted batch is written or failed."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait([self._writer])


def _next_group(waiting: list[AppendedBatch]) -> list[AppendedBatch]:
    """The batches the writer takes together: an atomic one alone, else every non-atomic
    batch up to the next atomic one."""
    if waiting[0].atomic:
        return waiting[:1]
    group = []
    for batch in waiting:
        if batch.atomic:
            break
        group.append(batch)
    return group
