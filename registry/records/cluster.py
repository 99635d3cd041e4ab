"""Several registry processes on one log: one sequences, the others hand it work.

The process holding the sequencer lock (`Store.sequencer_lock`: an advisory
lock on PostgreSQL, a file lock on SQLite) runs the :class:`Registrar`.
Every other process is a follower: it verifies what it is sent, hands it to
the sequencer (through the sequencer's Unix socket on the same host, see
``handoff.py``; on PostgreSQL, from any host, through the ``pending`` table
that the sequencer's pump drains), waits for the outcome, and keeps its
in-memory view of the log (tree, checkpoints, keys) caught up by reading what
the sequencer wrote.  A follower keeps trying the lock and takes over when
the sequencer goes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from registry.i18n import Message
from registry.records.errors import RegistrationRefused, TamperedEntry, Unavailable, oversized
from registry.records.handoff import SequencerUnreachable
from registry.records.registration import Registered, Registrar
from registry.records.startup import extend_derived, log_verifier
from registry.store.models import PendingRecord
from registry.verify.cbor import MAX_CBOR_SIZE
from registry.verify.statement import Statement

if TYPE_CHECKING:
    from registry.records.service import RegistryService

log = logging.getLogger(__name__)

FORWARD_TIMEOUT_S = 30.0
PUMP_IDLE_S = 0.005
PUMP_IDLE_MAX_S = 0.25
FOLLOW_INTERVAL_S = 0.2
PENDING_KEPT_S = 2 * FORWARD_TIMEOUT_S
"""How long a handled submission stays in ``pending``: past it, no follower polls it any more."""
PURGE_INTERVAL_S = 60.0
"""How often the sequencer deletes handled submissions older than :data:`PENDING_KEPT_S`."""


async def catch_up(service: RegistryService) -> None:
    """Bring a follower's in-memory log up to the latest checkpoint the sequencer wrote.

    One bounded read (:meth:`Store.read_log`): leaves, checkpoints, key
    changes and the newest receipts all stop at that checkpoint, however many
    batches are committed meanwhile.  The keys and revocations the new entries
    make are derived from them (:mod:`registry.records.derived`).  Raises
    :class:`LogContradiction` (and keeps the log as it was) if the checkpoint
    is not signed by the log's key or does not match the stored leaves, or if
    a new entry that enrols or revokes a key differs from what its leaf vouches for.
    """
    state = service.state
    start = state.size
    snapshot = await service.store.read_log(
        start,
        after_checkpoint=state.checkpoint_sizes[-1] if state.checkpoint_sizes else -1,
        recent=service.recent_limit,
    )
    if snapshot.size <= start:
        return
    await extend_derived(service.store, state, snapshot, log_verifier(service.keys), service.tables)
    # The receipts and statements of what was registered elsewhere, so that reading
    # them here (as often as on the sequencer) costs no database query either; each
    # is checked against the log the first time it is asked for.
    for idx, receipt, statement in snapshot.recent:
        service.read_ahead(idx, receipt, statement)


async def forward(
    service: RegistryService, statement: bytes, verified: Statement | None = None
) -> Registered:
    """Hand ``statement`` to the sequencer process and wait for its outcome.

    Through the sequencer's socket when it runs on this host (``verified``
    tells it the signature was checked here, and with which key); else, on
    PostgreSQL, through the ``pending`` table that any host can reach.
    """
    if len(statement) > MAX_CBOR_SIZE:
        raise oversized(len(statement))
    client = service.handoff_client
    if client is not None and client.available:
        try:
            return await client.register(
                statement, None if verified is None else verified.public_key
            )
        except SequencerUnreachable:
            if service.store.backend != "postgresql":
                raise
            # The sequencer of this host is gone (its stale socket is removed): another
            # process, maybe on another host, sequences now; reach it through the table.
    if service.store.backend != "postgresql":
        raise Unavailable(Message("unavailable.no-sequencer"), retry_after=1)
    pending_id = await service.store.submit_pending(statement)
    delay = 0.002
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FORWARD_TIMEOUT_S
    while loop.time() < deadline:
        record = await service.store.pending_result(pending_id)
        if record is not None and record.status == "refused":
            raise RegistrationRefused.from_json(record.error or "")
        if record is not None and record.status == "done" and record.result_idx is not None:
            await service.refresh()
            entry = await service.entry(record.result_idx)
            existed = entry.registered_at < record.submitted_at
            return Registered(record.result_idx, entry.receipt, existed=existed)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)
    raise Unavailable(Message("unavailable.sequencer-timeout"), retry_after=5)


async def _finish(service: RegistryService, registrar: Registrar, item: PendingRecord) -> None:
    try:
        result = await registrar.register(item.statement)
    except RegistrationRefused as refused:
        await service.store.finish_pending(item.id, error=refused.to_json())
    except TamperedEntry as tampered:  # the entry it repeats was edited in the database
        await service.store.finish_pending(item.id, error=tampered.as_refusal().to_json())
    except Unavailable:
        await service.store.requeue_claimed()
    else:
        await service.store.finish_pending(item.id, idx=result.index)


async def purge_handled(service: RegistryService) -> int:
    """Delete the submissions handled more than :data:`PENDING_KEPT_S` ago; how many."""
    before = int((time.time() - PENDING_KEPT_S) * 1000)
    try:
        return await service.store.purge_pending(submitted_before=before)
    except Exception:  # a database hiccup must not stop the pump; the next purge catches up
        log.exception("purging handled submissions failed")
        return 0


async def pump(service: RegistryService, registrar: Registrar) -> None:
    """On the sequencer: register what followers queued, record each outcome, and purge
    the outcomes nobody waits for any more (at start, then every :data:`PURGE_INTERVAL_S`)."""
    await service.store.requeue_claimed()
    loop = asyncio.get_running_loop()
    next_purge = loop.time()
    idle = PUMP_IDLE_S
    while True:
        if loop.time() >= next_purge:
            next_purge = loop.time() + PURGE_INTERVAL_S
            await purge_handled(service)
        try:
            claimed = await service.store.claim_pending(registrar.batch_max)
        except Exception:  # a database hiccup must not stop the pump
            log.exception("claiming pending statements failed")
            await asyncio.sleep(1)
            continue
        if not claimed:
            await asyncio.sleep(idle)
            idle = min(idle * 2, PUMP_IDLE_MAX_S)
            continue
        idle = PUMP_IDLE_S
        await asyncio.gather(*(_finish(service, registrar, item) for item in claimed))


async def follow(service: RegistryService) -> None:
    """On a follower: keep caught up, and take over sequencing when the lock frees."""
    while True:
        await asyncio.sleep(FOLLOW_INTERVAL_S)
        try:
            await service.refresh()
            await service.cosigned.load(service.store, service.state.latest)
            if await service.try_become_sequencer():
                return
        except Exception:
            log.exception("following the sequencer failed")
