"""Writing appended batches in order while the sequencer admits the next (pipelined commit).

Group commit alone alternates: admit a batch, wait for its transaction to
reach the disk, admit the next.  With 64 clients that wait was half of every
cycle.  Here a batch appended to the in-memory tree is handed to
:class:`WritePipeline`, which writes batches strictly one after the other, in
log order, while the sequencer goes on admitting the next batch on top of the
unwritten ones.  Nothing changes for a caller: its receipt is still sent only
after its own batch's transaction committed.

If a write fails, the tree is cut back to where that batch began and every
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


class WritePipeline:
    """Writes appended batches one at a time, in order; a failure voids those after it."""

    def __init__(self, state: LogState) -> None:
        self.state = state
        self.epoch = 0
        self.unwritten: list[AppendedBatch] = []
        self._writing: list[asyncio.Task[None]] = []
        """The writing tasks not yet done, in log order."""

    def submit(
        self,
        batch: AppendedBatch,
        write: Callable[[AppendedBatch], Awaitable[None]],
        fail: Callable[[AppendedBatch, BaseException], None],
    ) -> asyncio.Task[None]:
        """Write ``batch`` after every batch submitted before it; returns the writing task.

        ``write`` stores the batch and answers its callers; ``fail`` answers
        them when it or an earlier batch could not be written.
        """
        previous = self._writing[-1] if self._writing else None
        self.unwritten.append(batch)

        async def run() -> None:
            try:
                if previous is not None:
                    await asyncio.wait([previous])
                if batch.epoch != self.epoch:
                    raise Unavailable(Message("unavailable.earlier-batch-not-this"), retry_after=1)
                try:
                    await write(batch)
                except BaseException:
                    self.epoch += 1
                    self.state.rollback(batch.old_size)
                    raise
            except BaseException as exc:
                if not isinstance(exc, Unavailable | asyncio.CancelledError):
                    log.exception("writing a batch of %d failed", len(batch.records))
                fail(batch, exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
            finally:
                self.unwritten.remove(batch)

        task = asyncio.create_task(run(), name="registry-batch-write")
        self._writing.append(task)
        task.add_done_callback(self._writing.remove)
        return task

    async def wait_for_room(self, unwritten: int) -> None:
        """Wait until at most ``unwritten`` batches are still to be written.

        The sequencer appends the next batch only while one is being written:
        what arrives meanwhile gathers into one batch instead of many small
        ones, each with its own transaction and signatures.
        """
        while len(self._writing) > unwritten:
            await asyncio.wait([self._writing[0]])

    async def drain(self) -> None:
        """Wait until every submitted batch is written or failed."""
        while self._writing:
            await asyncio.wait([self._writing[-1]])
