"""The write path: verify, admit, batch, append, commit, receipt.

One :class:`Registrar` per log sequences every registration (group commit):
statements queue up, the sequencer takes all that are waiting (up to a batch
size), checks each (signature, enrolment, role, term, schema, type rules),
appends the admitted ones to the tree, signs one checkpoint, and writes
entries, key changes and checkpoint in one transaction.  Only then does any
caller get its receipt: a receipt means the entry is on disk.  Beside it: the queued
statements and their answers (``queued.py``), what a batch reads before it is admitted
(``batch_reads.py``), and a group's write, pin and commit (``commit.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from registry.i18n import Message
from registry.log.state import LogState
from registry.records.batch_reads import contents_in_log, keys_with, references
from registry.records.cited import CitedEntries
from registry.records.commit import Pin, finish_group, store_group
from registry.records.directory import KeyDirectory, RevokedEntries
from registry.records.entries import batch_rows
from registry.records.errors import (
    BatchRefused,
    RegistrationRefused,
    TamperedEntry,
    Unavailable,
    oversized,
    refusal_for,
)
from registry.records.log_key_rotation import admitted_rotation
from registry.records.pipeline import AppendedBatch, WritePipeline
from registry.records.policy import MAX_STATEMENT_AGE_S, Admission, admit
from registry.records.queued import (
    REFUSED_HERE,
    Answer,
    Group,
    Queued,
    Registered,
    answer_group,
    fail_batch,
    follow,
    group_stands,
    repeat_of,
    reply_with,
    resolve_existing,
    verdict_of,
)
from registry.records.references import LogView
from registry.records.saved_state import load_seen
from registry.records.schemas import LogKeyRotation
from registry.records.seen import SeenStatements
from registry.records.verified import EntryChecker, TamperAlarm, VerifiedEntries
from registry.signing.seal import Sealer
from registry.store.models import EntryRecord
from registry.store.repository import Store
from registry.verify.cbor import MAX_CBOR_SIZE
from registry.verify.statement import Statement

log = logging.getLogger(__name__)

WAITING_BATCHES = 8
"""Batches appended while the writer is busy before the sequencer holds what arrives (it
then gathers into one): each has its own signed checkpoint, and the writer takes them all
in one transaction when it is free (``pipeline.py``)."""


class Registrar:
    """Sequences registrations into the log with group commit."""

    def __init__(
        self,
        store: Store,
        state: LogState,
        directory: KeyDirectory,
        *,
        reads: VerifiedEntries | None = None,
        revoked: RevokedEntries | None = None,
        bootstrap_admin: tuple[bytes, bytes] | None = None,
        batch_max: int = 512,
        batch_wait_ms: int = 2,
        queue_max: int = 10_000,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        max_statement_age_s: int = MAX_STATEMENT_AGE_S,
    ) -> None:
        self.store = store
        self.state = state
        self.directory = directory
        self.reads = reads or VerifiedEntries(store, EntryChecker(state, directory, TamperAlarm()))
        """Earlier entries, read for the policy and for repeats, checked against the log."""
        self.revoked = RevokedEntries() if revoked is None else revoked
        """What no longer stands (derived from the log), kept current as batches commit."""
        self.bootstrap_admin = bootstrap_admin
        self.batch_max = batch_max
        self.batch_wait = batch_wait_ms / 1000
        self.clock_ms = clock_ms
        self.max_age_s = max_statement_age_s
        """How far before the clock a statement may claim to be signed, unless attested."""
        self._queue: asyncio.Queue[Queued | Group] = asyncio.Queue(queue_max)
        self._task: asyncio.Task[None] | None = None
        self._answering: set[asyncio.Task[None]] = set()
        """Groups written (or being written) whose callers are still to be answered."""
        self.pipeline = WritePipeline(state, self._store, self._finish, fail_batch)
        self.seen = SeenStatements()
        self.seen_sealer: Sealer | None = None
        """Seals the snapshot of :attr:`seen` (``registry.records.saved_state``), if kept."""
        self.cited = CitedEntries()
        """The elections and templates, read once then kept (``registry.records.cited``)."""
        self.on_commit: list[Callable[[list[EntryRecord]], None]] = [self.cited.committed]
        self.pin: Pin | None = None
        """Keeps each committed checkpoint outside the database before anyone sees it
        (``registry.records.startup.Pinning``)."""

    async def start(self) -> None:
        """Start the sequencing task (once the log in memory is the log on disk)."""
        if self._task is None:
            self.cited.forget()
            self.seen = await load_seen(self.store, self.state, self.seen_sealer)
            self._task = asyncio.create_task(self._run(), name="registry-sequencer")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        while not self._queue.empty():
            await asyncio.sleep(0.01)
        await self.pipeline.drain()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def register(self, statement: bytes, verified: Statement | None = None) -> Registered:
        """Register ``statement``; returns once it is on disk, or raises a refusal.

        ``verified`` is what :func:`verify_statement` made of these bytes, when
        the caller verified them already (with :meth:`lookup`'s key): the
        sequencer then only checks the key is still the one enrolled under its
        kid, and skips the signature.
        """
        waiter: asyncio.Future[Registered] = asyncio.get_running_loop().create_future()
        answer = Answer(waiter)
        self._enqueue(statement, answer, verified)
        # A caller that goes away (a follower's hand-off connection closing, a client
        # hanging up) cancels only its waiter, not the registration, for the repeats of the
        # same content that wait on it (``queued.follow``): the entry is written all the same.
        try:
            return await waiter
        except asyncio.CancelledError:
            if not answer.cancelled():
                raise  # this caller was cancelled; the registration goes on
            # The same content was in an atomic group that was refused: nothing was written.
            raise Unavailable(Message("unavailable.send-again")) from None

    def submit(
        self,
        statement: bytes,
        verified: Statement | None,
        reply: Callable[[Registered | BaseException], None],
    ) -> None:
        """:meth:`register` for a caller that answers by writing, not awaiting (the hand-off
        server, ``handoff.py``: no task, future and coroutines a statement on this loop):
        ``reply`` is called with the entry, or the exception ``register`` would raise, when
        the sequencer decides it (on the loop, in its cycle: one that raises is logged, and
        the batch goes on).  Refuses at once, as ``register``, calling nothing."""
        answer = Answer()
        answer.add_done_callback(lambda decided: reply_with(reply, decided))
        self._enqueue(statement, answer, verified)

    def _enqueue(self, statement: bytes, answer: Answer, verified: Statement | None) -> None:
        if len(statement) > MAX_CBOR_SIZE:
            raise oversized(len(statement))
        if self._task is None:
            raise Unavailable(Message("unavailable.not-accepting"))
        try:
            self._queue.put_nowait(Queued.of(statement, answer, verified))
        except asyncio.QueueFull:
            raise Unavailable(Message("unavailable.queue-full"), retry_after=1) from None

    async def register_atomic(
        self,
        statements: Sequence[bytes],
        verified: Sequence[Statement | None] = (),
        on_appended: Callable[[], None] | None = None,
    ) -> list[Registered]:
        """Register all ``statements`` in one transaction, or none of them.

        They are admitted in order as one batch (so later ones may refer to
        earlier ones); if any is refused, nothing is written and
        :class:`BatchRefused` lists every refusal by position.  Statements
        already in the log come back with ``existed=True``.  ``verified`` (one
        per statement, or none) are those the caller verified already, as in
        :meth:`register` (a bulk import verifies on every core).  ``on_appended`` is
        called when they are appended to the tree (not if they are refused or found in
        the log already), before they are written.
        """
        if self._task is None:
            raise Unavailable(Message("unavailable.not-accepting"))
        loop = asyncio.get_running_loop()
        ahead = list(verified) or [None] * len(statements)
        items = [Queued.of(s, Answer(), v) for s, v in zip(statements, ahead, strict=True)]
        oversized = [
            (i, oversized(len(s))) for i, s in enumerate(statements) if len(s) > MAX_CBOR_SIZE
        ]
        if oversized:
            raise BatchRefused(oversized)
        group = Group(items, loop.create_future(), on_appended)
        try:
            self._queue.put_nowait(group)
        except asyncio.QueueFull:
            raise Unavailable(Message("unavailable.queue-full"), retry_after=1) from None
        return await group.future

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            if isinstance(first, Group):
                await self._guarded_group(first)
                continue
            batch = [first]
            group: Group | None = None
            await self.pipeline.wait_to_append(WAITING_BATCHES)
            if self._queue.empty() and self.batch_wait > 0:
                await asyncio.sleep(self.batch_wait)
            while len(batch) < self.batch_max and not self._queue.empty():
                item = self._queue.get_nowait()
                if isinstance(item, Group):
                    group = item
                    break
                batch.append(item)
            await self._guarded(batch, self._process(batch))
            if group is not None:
                await self._guarded_group(group)

    async def _guarded(self, items: list[Queued], work: Awaitable[None]) -> None:
        """Run one batch; whatever fails, its callers hear so and the sequencer goes on."""
        try:
            await work
        except Exception as exc:
            log.exception("batch of %d failed", len(items))
            for item in items:
                if not item.future.done():
                    item.future.set_exception(
                        Unavailable(Message("unavailable.not-written", {"error": str(exc)}))
                    )

    async def _guarded_group(self, group: Group) -> None:
        """Admit a group and hand its write to the pipeline; its caller is answered once
        every statement of it is (:func:`answer_group`), while the sequencer goes on.

        Like a batch, a group is admitted on top of the batches still being
        written (at most one: a bulk import's next chunk is admitted while the
        one before is written), and written in one transaction after them; if
        one of those fails, the group is void and none of it is written.
        """
        await self.pipeline.wait_for_room(1)
        appended = group.on_appended
        await self._guarded(group.items, self._process(group.items, atomic=True, then=appended))
        answer = asyncio.create_task(answer_group(group), name="registry-group-answer")
        self._answering.add(answer)
        answer.add_done_callback(self._answering.discard)

    def lookup(self, kid: bytes) -> bytes | None:
        """The public key enrolled under ``kid`` now (for verifying ahead of the sequencer)."""
        return self._public_key(self.directory)(kid)

    def _public_key(self, keys: KeyDirectory) -> Callable[[bytes], bytes | None]:
        def lookup(kid: bytes) -> bytes | None:
            found = keys.public_key(kid)
            if found is None and self.bootstrap_admin and kid == self.bootstrap_admin[0]:
                return self.bootstrap_admin[1]
            return found

        return lookup

    async def _process(
        self,
        batch: list[Queued],
        atomic: bool = False,
        then: Callable[[], None] | None = None,
    ) -> None:
        now = self.clock_ms()
        # Batches appended but not yet written: taken before the reads below, which may
        # not see them yet; their statements, keys and entries count as in the log.
        epoch, unwritten = self.pipeline.epoch, list(self.pipeline.unwritten)
        # One entry per signed content: a statement whose content the log (or this batch, or
        # one being written) has already is answered with that entry, not appended again.
        existing = await contents_in_log(self.store, self.seen, batch)
        keys = keys_with(self.directory, unwritten)
        # Entries are checked against keys that include those being written (their instansi).
        reads = self.reads.with_keys(keys)
        entries = await references(
            batch, reads, now, self.max_age_s, self.state, self.directory, self.revoked, self.cited
        )
        first_seen: dict[bytes, Queued] = {}
        for earlier in unwritten:
            for (item, statement, admission), record in zip(
                earlier.admitted, earlier.records, strict=True
            ):
                entries.admitted(record.idx, statement, admission)
                first_seen[statement.content_sha256] = item
        lookup = self._public_key(keys)
        bootstrap = self.bootstrap_admin[0] if self.bootstrap_admin else None
        duplicates: list[tuple[Queued, Queued]] = []
        old_indexes: list[tuple[Queued, int]] = []
        admitted: list[tuple[Queued, Statement, Admission]] = []
        # A log key rotation must start from the log key in force after the statements
        # admitted before it, this batch's included.
        log_key = self.state.keys.current.public_key
        # (one answered already, for referring to an edited entry, is left out)
        for item in [i for i in batch if not i.future.done()]:
            repeat = repeat_of(item, existing, first_seen, lookup)
            if isinstance(repeat, Queued):  # earlier in this batch, or in one being written
                duplicates.append((item, repeat))
            elif repeat is not None and repeat != REFUSED_HERE:
                old_indexes.append((item, repeat))
            if repeat is not None:
                continue
            # Verified one by one, so a key enrolled earlier in this batch signs later in it.
            verdict = verdict_of(item, lookup)
            if not verdict.ok or verdict.value is None:
                item.future.set_exception(
                    refusal_for(verdict.reason, verdict.detail, verdict.evidence)
                )
                continue
            statement = verdict.value
            first_seen[statement.content_sha256] = item
            idx = self.state.size + len(admitted)
            try:
                admission, log_key = self._admit(
                    statement, idx, now, keys, entries, bootstrap, log_key
                )
            except (RegistrationRefused, TamperedEntry) as refused:
                item.future.set_exception(refused)
                continue
            for change in admission.key_changes:
                keys.apply(change)
            entries.admitted(idx, statement, admission)
            admitted.append((item, statement, admission))
        if atomic:
            if not await group_stands(batch, admitted, old_indexes, duplicates, reads):
                return
            old_indexes = []  # answered
        if admitted:
            appended = self._append(admitted, now, epoch, atomic)
            if appended is not None:
                self.pipeline.submit(appended)
                if then is not None:
                    then()
        for item, idx in old_indexes:
            await resolve_existing(item, idx, reads)
        for item, original in duplicates:
            follow(item, original)

    def _admit(
        self,
        statement: Statement,
        idx: int,
        now: int,
        keys: KeyDirectory,
        entries: LogView,
        bootstrap: bytes | None,
        log_key: bytes,
    ) -> tuple[Admission, bytes]:
        """:func:`admit`, and a log key rotation only if it starts from ``log_key`` (the one
        in force after the statements admitted before it, this batch's included); with
        the log key in force after it."""
        admission = admit(statement, idx, now, keys, entries, bootstrap, self.max_age_s)
        admitted_rotation(admission.record, self.state.keys, log_key)
        record = admission.record
        return admission, record.public_key if isinstance(record, LogKeyRotation) else log_key

    def _append(
        self,
        admitted: list[tuple[Queued, Statement, Admission]],
        now: int,
        epoch: int,
        atomic: bool,
    ) -> AppendedBatch | None:
        """Append the admitted statements to the tree and make their records and receipts.

        None (and the callers told to send again) if an earlier batch failed
        to be written while this one was admitted on top of it.
        """
        if epoch != self.pipeline.epoch:
            for item, _, _ in admitted:
                item.future.set_exception(Unavailable(Message("unavailable.earlier-batch")))
            return None
        old_size = self.state.size
        leaves = self.state.make_leaves([s.sha256 for _, s, _ in admitted], now)
        for _, statement, _ in admitted:
            self.seen.add(statement.content_sha256)
        for (_, _, admission), new in zip(admitted, leaves, strict=True):
            if isinstance(admission.record, LogKeyRotation):
                record = admission.record
                self.state.rotate(record.previous_key, record.public_key, new.leaf.index, now)
        checkpoint = self.state.append(leaves, now)
        try:
            records, key_changes, revocations = batch_rows(
                self.state, [(s, a) for _, s, a in admitted], leaves, checkpoint, now
            )
        except BaseException:
            self.state.rollback(old_size)
            raise
        return AppendedBatch(
            epoch, old_size, checkpoint, records, key_changes, revocations, admitted, atomic
        )

    async def _store(self, group: list[AppendedBatch]) -> None:
        await store_group(self.store, self.pin, group)

    async def _finish(self, group: list[AppendedBatch]) -> None:
        finish_group(self.state, self.directory, self.revoked, self.on_commit, group)
