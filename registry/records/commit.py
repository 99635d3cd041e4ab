"""Committing a group of appended batches: one transaction, the pin, then make it current.

The :class:`~registry.records.pipeline.WritePipeline` hands the
:class:`~registry.records.registration.Registrar` each group of batches to write; these
are what the registrar does with it: :func:`store_group` writes the group in one
transaction and pins its last checkpoint outside the database (:class:`Pin`), then
:func:`finish_group` makes each batch current in order and answers its callers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from registry.log.state import LogState
from registry.records.directory import KeyDirectory, RevokedEntries
from registry.records.pipeline import AppendedBatch
from registry.records.queued import Registered
from registry.store.models import CheckpointRecord, EntryRecord
from registry.store.repository import Store


class Pin(Protocol):
    """Pins a committed checkpoint outside the database (``startup.Pinning``)."""

    def write(self, checkpoint: CheckpointRecord) -> bool:
        """Pin it, in the calling thread; whether it was written.  Never raises."""

    def written(self, checkpoint: CheckpointRecord) -> None:
        """Record that it is pinned (on the event loop)."""


async def store_group(store: Store, pin: Pin | None, group: list[AppendedBatch]) -> None:
    """Store a group of appended batches in one transaction, then pin its last
    checkpoint (which covers the others) in the thread that wrote it."""
    checkpoint, pinned = group[-1].checkpoint, []

    def pin_it() -> None:
        if pin is not None and pin.write(checkpoint):
            pinned.append(checkpoint)

    then = None if pin is None else pin_it

    if len(group) == 1:
        batch = group[0]
        await store.append_batch(
            batch.records,
            batch.checkpoint,
            key_changes=batch.key_changes,
            revocations=batch.revocations,
            then=then,
        )
    else:
        await store.append_batches(
            [(b.records, b.checkpoint, b.key_changes, b.revocations) for b in group],
            then=then,
        )
    if pin is not None and pinned:
        pin.written(checkpoint)


def finish_group(
    state: LogState,
    directory: KeyDirectory,
    revoked: RevokedEntries,
    on_commit: list[Callable[[list[EntryRecord]], None]],
    group: list[AppendedBatch],
) -> None:
    """Once a group is stored and pinned: make each batch current in order (the log's
    checkpoint, the key ``directory``, what is ``revoked``, then each ``on_commit`` hook)
    and answer its callers."""
    for batch in group:
        state.commit(batch.checkpoint)
        for change in batch.key_changes:
            directory.apply(change)
        for revocation in batch.revocations:
            revoked.add(revocation)
        for hook in on_commit:
            hook(batch.records)
        for (item, _, _), record in zip(batch.admitted, batch.records, strict=True):
            if not item.future.done():
                item.future.set_result(Registered(record.idx, record.receipt, existed=False))
