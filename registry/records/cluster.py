"""Several registry processes on one log: one sequences, the others hand it work.

The process holding the sequencer lock (`Store.sequencer_lock`: an advisory
lock on PostgreSQL, a file lock on SQLite) runs the :class:`Registrar`.
Every other process is a follower: it verifies what it is sent, hands it to
the sequencer (through the sequencer's Unix socket on the same host, see
``handoff.py``; on PostgreSQL, from any host, through the ``pending`` table
that the sequencer's pump drains, each side woken by the other's NOTIFY, see
``wakeups.py``), waits for the outcome, and keeps its
in-memory view of the log (tree, checkpoints, keys) caught up by reading what
the sequencer wrote.  A follower keeps trying the lock and takes over when
the sequencer goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from registry.i18n import Message
from registry.records import wakeups
from registry.records.errors import RegistrationRefused, TamperedEntry, Unavailable, oversized
from registry.records.handoff import SequencerUnreachable
from registry.records.queued import Registered
from registry.records.registration import Registrar
from registry.records.startup import extend_derived, log_verifier
from registry.records.wakeups import Outcomes, Wakeups
from registry.store._notify import PENDING_CHANNEL
from registry.store._queue import Claim
from registry.store.models import PendingRecord
from registry.verify.cbor import MAX_CBOR_SIZE
from registry.verify.statement import Statement

if TYPE_CHECKING:
    from registry.records.service import RegistryService

log = logging.getLogger(__name__)

FORWARD_TIMEOUT_S = 30.0
FOLLOW_INTERVAL_S = 0.2
PENDING_KEPT_S = 2 * FORWARD_TIMEOUT_S
"""How long a handled submission stays in ``pending``: past it, no follower polls it any more."""
PURGE_INTERVAL_S = 60.0
"""How often the sequencer deletes handled submissions older than :data:`PENDING_KEPT_S`."""


async def catch_up(service: RegistryService) -> None:
    """Bring a follower's in-memory log up to the latest checkpoint the sequencer wrote.

    One bounded read (:meth:`Store.read_log`): leaves, checkpoints and key
    changes all stop at that checkpoint, however many batches are committed
    meanwhile.  No receipt or statement is read here: a follower reads one
    when it is first asked for, checked against the log
    (:meth:`RegistryService.entry`), and most are never asked for here.  The
    keys and revocations the new entries make are derived from them
    (:mod:`registry.records.derived`).  Raises
    :class:`LogContradiction` (and keeps the log as it was) if the checkpoint
    is not signed by the log's key or does not match the stored leaves, or if
    a new entry that enrols or revokes a key differs from what its leaf vouches for.

    Reads run one at a time (``service.catching_up``): two at once (a refresh
    started beside another, or a take-over beside a refresh) would both read
    from the same size, and the second would extend a tree the first had
    already grown (``ValueError``: a snapshot from entry n for a tree of m).
    """
    async with service.catching_up:
        await _catch_up(service)


async def _catch_up(service: RegistryService) -> None:
    state = service.state
    start = state.size
    snapshot = await service.store.read_log(
        start, after_checkpoint=state.checkpoint_sizes[-1] if state.checkpoint_sizes else -1
    )
    if snapshot.size <= start:
        return
    await extend_derived(service.store, state, snapshot, log_verifier(service.keys), service.tables)


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
            return await client.register(statement, verified)
        except SequencerUnreachable:
            if service.store.backend != "postgresql":
                raise
            # The sequencer of this host is gone (its stale socket is removed): another
            # process, maybe on another host, sequences now; reach it through the table.
    if service.store.backend != "postgresql":
        raise Unavailable(Message("unavailable.no-sequencer"), retry_after=1)
    outcomes = service.outcomes
    if outcomes is None:
        outcomes = service.outcomes = Outcomes(service.store)
    await outcomes.started()
    pending_id = await service.store.submit_pending(statement)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FORWARD_TIMEOUT_S
    try:
        while loop.time() < deadline:
            await outcomes.wait(pending_id, min(wakeups.SAFETY_POLL_S, deadline - loop.time()))
            record = await service.store.pending_result(pending_id)
            if record is not None and record.status == "refused":
                raise RegistrationRefused.from_json(record.error or "")
            if record is not None and record.status == "done" and record.result_idx is not None:
                await service.refresh()
                entry = await service.entry(record.result_idx)
                existed = entry.registered_at < record.submitted_at
                return Registered(record.result_idx, entry.receipt, existed=existed)
    finally:
        outcomes.forget(pending_id)
    raise Unavailable(Message("unavailable.sequencer-timeout"), retry_after=5)


async def _finish(registrar: Registrar, claim: Claim, item: PendingRecord) -> bool:
    """Register ``item`` and record its outcome on ``claim``; False if it must wait."""
    try:
        result = await registrar.register(item.statement)
    except RegistrationRefused as refused:
        claim.refused(item.id, refused.to_json())
    except TamperedEntry as tampered:  # the entry it repeats was edited in the database
        claim.refused(item.id, tampered.as_refusal().to_json())
    except Unavailable:
        return False  # left waiting: claimed again on the next round
    else:
        claim.done(item.id, result.index)
    return True


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
    the outcomes nobody waits for any more (at start, then every :data:`PURGE_INTERVAL_S`).

    Woken by the followers' NOTIFY; reads the queue every
    :data:`wakeups.SAFETY_POLL_S` anyway, for a notification that was lost.
    """
    await service.store.requeue_claimed()  # rows an older release left claimed
    wake = asyncio.Event()
    listener = Wakeups(service.store, PENDING_CHANNEL, lambda _payload: wake.set())
    listener.start()
    loop = asyncio.get_running_loop()
    next_purge = loop.time()
    try:
        while True:
            if loop.time() >= next_purge:
                next_purge = loop.time() + PURGE_INTERVAL_S
                await purge_handled(service)
            wake.clear()  # before claiming: a submission during the claim wakes the next round
            try:
                async with service.store.claimed(registrar.batch_max) as claim:
                    finished = await asyncio.gather(
                        *(_finish(registrar, claim, item) for item in claim.items)
                    )
            except Exception:  # a database hiccup must not stop the pump
                log.exception("claiming pending statements failed")
                await asyncio.sleep(1)
                continue
            if claim.items and all(finished):
                continue  # maybe more waiting than one claim takes
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wakeups.SAFETY_POLL_S):  # (wait_for may lose a cancel)
                    await wake.wait()
    finally:
        await listener.stop()


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
