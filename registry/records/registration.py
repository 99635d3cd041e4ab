"""The write path: verify, admit, batch, append, commit, receipt.

One :class:`Registrar` per log sequences every registration (group commit):
statements queue up, the sequencer takes all that are waiting (up to a batch
size), checks each (signature, enrolment, role, term, schema, type rules),
appends the admitted ones to the tree, signs one checkpoint, and writes
entries, key changes and checkpoint in one transaction.  Only then does any
caller get its receipt: a receipt means the entry is on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from registry.i18n import Message
from registry.log.state import LogState
from registry.records.cited import CitedEntries
from registry.records.directory import KID, KeyDirectory, RevokedEntries
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
from registry.records.references import LogView, prefetch
from registry.records.saved_state import load_seen
from registry.records.schemas import LogKeyRotation
from registry.records.seen import SeenStatements
from registry.records.verified import EntryChecker, TamperAlarm, VerifiedEntries
from registry.signing.seal import Sealer
from registry.store.models import CheckpointRecord, EntryRecord
from registry.store.repository import Store
from registry.verify.cbor import MAX_CBOR_SIZE, decode
from registry.verify.cose import HEADER_CWT_CLAIMS, key_id, parse_sign1
from registry.verify.result import Verdict
from registry.verify.statement import (
    CWT_IAT,
    Statement,
    statement_content,
    verify_statement,
)

log = logging.getLogger(__name__)

WAITING_BATCHES = 8
"""Batches appended while the writer is busy before the sequencer holds what arrives (it
then gathers into one): each has its own signed checkpoint, and the writer takes them all
in one transaction when it is free (``pipeline.py``)."""

REFERENCE_FIELDS = ("entry", "recommendation", "report", "recommendations", "enrolment")
"""Payload fields that name earlier entries, looked up before a batch is admitted."""


class Pin(Protocol):
    """Pins a committed checkpoint outside the database (``startup.Pinning``)."""

    def write(self, checkpoint: CheckpointRecord) -> bool:
        """Pin it, in the calling thread; whether it was written.  Never raises."""

    def written(self, checkpoint: CheckpointRecord) -> None:
        """Record that it is pinned (on the event loop)."""


@dataclass(frozen=True)
class Registered:
    """A registered statement: its entry index, the receipt, and whether it was there before."""

    index: int
    receipt: bytes
    existed: bool
    statement_type: str | None = field(default=None, compare=False)
    """The statement's type, when the process that answers verified it (else read it again)."""


@dataclass
class _Pending:
    statement: bytes
    sha256: bytes
    future: asyncio.Future[Registered] = field(repr=False)
    verified: Statement | None = None
    """Set when the caller verified the statement already (another core did the dear part)."""
    content: bytes | None = None
    """What its signature covers, hashed (:func:`statement_content`): the log holds one entry
    per content, so a statement re-encoded or signed again is the entry already there."""

    @classmethod
    def of(
        cls,
        statement: bytes,
        future: asyncio.Future[Registered],
        verified: Statement | None = None,
    ) -> _Pending:
        """A statement to register, with its hash and its content's hash."""
        if verified is not None:
            return cls(statement, verified.sha256, future, verified, verified.content_sha256)
        sha256 = hashlib.sha256(statement).digest()
        return cls(statement, sha256, future, None, statement_content(statement))


@dataclass
class _Group:
    """Statements to admit all together or not at all (a bulk import)."""

    items: list[_Pending]
    future: asyncio.Future[list[Registered]] = field(repr=False)
    on_appended: Callable[[], None] | None = field(default=None, repr=False)
    """Called once the group is appended to the tree: its entries' indexes are fixed (a bulk
    import then hands the sequencer its next chunk, so chunks are logged in file order)."""


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
        self._attestations = False
        """Whether the batch being admitted needs the attestations (one claims an old time)."""
        self._queue: asyncio.Queue[_Pending | _Group] = asyncio.Queue(queue_max)
        self._task: asyncio.Task[None] | None = None
        self._answering: set[asyncio.Task[None]] = set()
        """Groups written (or being written) whose callers are still to be answered."""
        self.pipeline = WritePipeline(state, self._store, self._finish, _fail)
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
        if len(statement) > MAX_CBOR_SIZE:
            raise oversized(len(statement))
        if self._task is None:
            raise Unavailable(Message("unavailable.not-accepting"))
        future: asyncio.Future[Registered] = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Pending.of(statement, future, verified))
        except asyncio.QueueFull:
            raise Unavailable(Message("unavailable.queue-full"), retry_after=1) from None
        # Shielded: a caller that goes away (a follower's hand-off connection closing, a
        # client hanging up) must not cancel the registration for the repeats of the same
        # content that wait on it (``_follow``); the entry is written all the same.
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            if not future.cancelled():
                raise  # this caller was cancelled; the registration goes on
            # The same content was in an atomic group that was refused: nothing was written.
            raise Unavailable(Message("unavailable.send-again")) from None

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
        items = [
            _Pending.of(s, loop.create_future(), v) for s, v in zip(statements, ahead, strict=True)
        ]
        oversized = [
            (i, oversized(len(s))) for i, s in enumerate(statements) if len(s) > MAX_CBOR_SIZE
        ]
        if oversized:
            raise BatchRefused(oversized)
        group = _Group(items, loop.create_future(), on_appended)
        try:
            self._queue.put_nowait(group)
        except asyncio.QueueFull:
            raise Unavailable(Message("unavailable.queue-full"), retry_after=1) from None
        return await group.future

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            if isinstance(first, _Group):
                await self._guarded_group(first)
                continue
            batch = [first]
            group: _Group | None = None
            await self.pipeline.wait_to_append(WAITING_BATCHES)
            if self._queue.empty() and self.batch_wait > 0:
                await asyncio.sleep(self.batch_wait)
            while len(batch) < self.batch_max and not self._queue.empty():
                item = self._queue.get_nowait()
                if isinstance(item, _Group):
                    group = item
                    break
                batch.append(item)
            await self._guarded(batch, self._process(batch))
            if group is not None:
                await self._guarded_group(group)

    async def _guarded(self, items: list[_Pending], work: Awaitable[None]) -> None:
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

    async def _guarded_group(self, group: _Group) -> None:
        """Admit a group and hand its write to the pipeline; its caller is answered once
        every statement of it is (:meth:`_answer_group`), while the sequencer goes on.

        Like a batch, a group is admitted on top of the batches still being
        written (at most one: a bulk import's next chunk is admitted while the
        one before is written), and written in one transaction after them; if
        one of those fails, the group is void and none of it is written.
        """
        await self.pipeline.wait_for_room(1)
        appended = group.on_appended
        await self._guarded(group.items, self._process(group.items, atomic=True, then=appended))
        answer = asyncio.create_task(self._answer_group(group), name="registry-group-answer")
        self._answering.add(answer)
        answer.add_done_callback(self._answering.discard)

    async def _answer_group(self, group: _Group) -> None:
        """Answer a group's caller once each of its statements is answered: its entries,
        the refusals by position (nothing was written), or why it was not written."""
        await asyncio.wait([i.future for i in group.items])
        if group.future.done():  # its caller went away
            return
        refusals: list[tuple[int, RegistrationRefused]] = []
        results: list[Registered] = []
        failure: BaseException | None = None
        for position, item in enumerate(group.items):
            if item.future.cancelled():  # admitted, but another of the group was refused
                continue
            error = item.future.exception()
            if isinstance(error, RegistrationRefused):
                refusals.append((position, error))
            elif error is not None:
                failure = failure or error
            else:
                results.append(item.future.result())
        if failure is not None:
            group.future.set_exception(failure)
        elif refusals:
            group.future.set_exception(BatchRefused(refusals))
        elif len(results) == len(group.items):
            group.future.set_result(results)
        else:
            group.future.set_exception(Unavailable(Message("unavailable.group-not-written")))

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

    async def _references(self, batch: list[_Pending], reads: VerifiedEntries, now: int) -> LogView:
        """Earlier entries the batch's payloads name or its rules need, read before admitting."""
        payloads, claimed, signers = [], [], []
        for item in batch:
            if item.verified is not None:
                payloads.append(item.verified.payload)
                claimed.append(item.verified.issued_at)
                signers.append(item.verified.kid)
            else:
                payload, iat, kid = _peek(item.statement)
                payloads.append(payload)
                claimed.append(iat)
                signers.extend(() if kid is None else (kid,))
        # The full records of the keys the batch signs with or names, read from their
        # enrolment entries (those not held already), before the policy asks for them.
        # One whose enrolment entry was edited is not loaded: the statements that need it
        # are refused with the read's evidence (tampered-entry).
        await reads.checker.directory.load([*signers, *named_keys(payloads)])
        oldest = now // 1000 - self.max_age_s
        self._attestations = any(iat < oldest for iat in claimed)
        try:
            return await self._prefetch(reads, payloads)
        except TamperedEntry:
            pass
        # One of them refers to an entry edited in the database: answer those that do with
        # that (tampered-entry), and admit the others against what they read.
        kept = []
        for item, payload in zip(batch, payloads, strict=True):
            try:
                await self._prefetch(reads, [payload])
            except TamperedEntry as tampered:
                item.future.set_exception(tampered)
            else:
                kept.append(payload)
        return await self._prefetch(reads, kept)

    async def _prefetch(self, reads: VerifiedEntries, payloads: list[dict[str, Any]]) -> LogView:
        return await prefetch(
            reads,
            self.directory,
            self.revoked,
            self.state.size,
            payloads,
            REFERENCE_FIELDS,
            attestations=self._attestations,
            kept=self.cited,
        )

    def _keys_with(self, unwritten: list[AppendedBatch]) -> KeyDirectory:
        """The enrolled keys with those of the batches appended but not yet written."""
        keys = self.directory.overlay()
        for earlier in unwritten:
            for change in earlier.key_changes:
                keys.apply(change)
        return keys

    async def _contents_in_log(self, batch: list[_Pending]) -> dict[bytes, tuple[int, bytes]]:
        """(index, statement SHA-256) of the entries with the signed content of ``batch``'s
        statements, asking the store only about those the filter may have seen."""
        maybe = [p.content for p in batch if p.content and self.seen.may_contain(p.content)]
        return await self.store.find_by_content_sha256(maybe) if maybe else {}

    async def _process(
        self,
        batch: list[_Pending],
        atomic: bool = False,
        then: Callable[[], None] | None = None,
    ) -> None:
        now = self.clock_ms()
        # Batches appended but not yet written: taken before the reads below, which may
        # not see them yet; their statements, keys and entries count as in the log.
        epoch, unwritten = self.pipeline.epoch, list(self.pipeline.unwritten)
        # One entry per signed content: a statement whose content the log (or this batch, or
        # one being written) has already is answered with that entry, not appended again.
        existing = await self._contents_in_log(batch)
        keys = self._keys_with(unwritten)
        # Entries are checked against keys that include those being written (their instansi).
        reads = self.reads.with_keys(keys)
        entries = await self._references(batch, reads, now)
        first_seen: dict[bytes, _Pending] = {}
        for earlier in unwritten:
            for (item, statement, admission), record in zip(
                earlier.admitted, earlier.records, strict=True
            ):
                entries.admitted(record.idx, statement, admission)
                first_seen[statement.content_sha256] = item
        lookup = self._public_key(keys)
        bootstrap = self.bootstrap_admin[0] if self.bootstrap_admin else None
        duplicates: list[tuple[_Pending, _Pending]] = []
        old_indexes: list[tuple[_Pending, int]] = []
        admitted: list[tuple[_Pending, Statement, Admission]] = []
        # A log key rotation must start from the log key in force after the statements
        # admitted before it, this batch's included.
        log_key = self.state.keys.current.public_key
        # (one answered already, for referring to an edited entry, is left out)
        for item in [i for i in batch if not i.future.done()]:
            repeat = _repeat(item, existing, first_seen, lookup)
            if isinstance(repeat, _Pending):  # earlier in this batch, or in one being written
                duplicates.append((item, repeat))
            elif repeat is not None and repeat != REFUSED_HERE:
                old_indexes.append((item, repeat))
            if repeat is not None:
                continue
            # Verified one by one, so a key enrolled earlier in this batch signs later in it.
            verdict = _verified(item, lookup)
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
            if not await self._group_stands(batch, admitted, old_indexes, duplicates, reads):
                return
            old_indexes = []  # answered
        if admitted:
            appended = self._append(admitted, now, epoch, atomic)
            if appended is not None:
                self.pipeline.submit(appended)
                if then is not None:
                    then()
        for item, idx in old_indexes:
            await self._resolve_existing(item, idx, reads)
        for item, original in duplicates:
            _follow(item, original)

    async def _group_stands(
        self,
        group: list[_Pending],
        admitted: list[tuple[_Pending, Statement, Admission]],
        old_indexes: list[tuple[_Pending, int]],
        duplicates: list[tuple[_Pending, _Pending]],
        reads: VerifiedEntries,
    ) -> bool:
        """Whether an atomic group is written: not if one of it was refused, nor if an entry
        it finds in the log fails its check (edited in the database); then none of it is,
        and the callers of the rest are cancelled.  The entries it finds are answered here,
        before any of the group is appended."""
        kept = [i for i, _, _ in admitted] + [i for i, _ in duplicates]
        if len(admitted) + len(old_indexes) + len(duplicates) < len(group):
            for item in kept + [i for i, _ in old_indexes]:
                item.future.cancel()
            return False
        for item, idx in old_indexes:
            await self._resolve_existing(item, idx, reads)
        if any(item.future.exception() is not None for item, _ in old_indexes):
            for item in kept:
                item.future.cancel()
            return False
        return True

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
        admitted: list[tuple[_Pending, Statement, Admission]],
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
        """Store a group of appended batches in one transaction, then pin its last
        checkpoint (which covers the others) in the thread that wrote it."""
        checkpoint, pin, pinned = group[-1].checkpoint, self.pin, []

        def pin_it() -> None:
            if pin is not None and pin.write(checkpoint):
                pinned.append(checkpoint)

        then = None if pin is None else pin_it

        if len(group) == 1:
            batch = group[0]
            await self.store.append_batch(
                batch.records,
                batch.checkpoint,
                key_changes=batch.key_changes,
                revocations=batch.revocations,
                then=then,
            )
        else:
            await self.store.append_batches(
                [(b.records, b.checkpoint, b.key_changes, b.revocations) for b in group],
                then=then,
            )
        if pin is not None and pinned:
            pin.written(checkpoint)

    async def _finish(self, group: list[AppendedBatch]) -> None:
        """Once a group is stored and pinned: make each batch current in order and answer
        its callers."""
        for batch in group:
            self.state.commit(batch.checkpoint)
            for change in batch.key_changes:
                self.directory.apply(change)
            for revocation in batch.revocations:
                self.revoked.add(revocation)
            for hook in self.on_commit:
                hook(batch.records)
            for (item, _, _), record in zip(batch.admitted, batch.records, strict=True):
                if not item.future.done():
                    item.future.set_result(Registered(record.idx, record.receipt, existed=False))

    async def _resolve_existing(self, item: _Pending, idx: int, reads: VerifiedEntries) -> None:
        """Answer ``item`` with entry ``idx``, which has its signed content, once checked."""
        try:
            entry = await reads.entry(idx)
        except TamperedEntry as tampered:  # its content_sha256 (or more) was edited
            item.future.set_exception(tampered)
            return
        if entry is None:  # pragma: no cover - the index came from the store
            item.future.set_exception(Unavailable(Message("unavailable.entry-vanished")))
            return
        item.future.set_result(Registered(idx, entry.receipt, existed=True))


def _fail(batch: AppendedBatch, error: BaseException) -> None:
    """Tell the callers of a batch that was not written why."""
    reason = error if isinstance(error, Unavailable) else None
    for item, _, _ in batch.admitted:
        if not item.future.done():
            item.future.set_exception(
                reason or Unavailable(Message("unavailable.not-written", {"error": str(error)}))
            )


def _follow(item: _Pending, original: _Pending) -> None:
    """Answer a repeat of ``original`` (its content, in this batch or one being written)."""

    def answer(done: asyncio.Future[Registered]) -> None:
        if item.future.done():
            return
        if done.cancelled():
            item.future.cancel()
        elif (error := done.exception()) is not None:
            item.future.set_exception(error)
        else:
            result = done.result()
            item.future.set_result(Registered(result.index, result.receipt, existed=True))

    original.future.add_done_callback(answer)


REFUSED_HERE = -1
"""What :func:`_repeat` answers for a statement it refused."""


def _repeat(
    item: _Pending,
    existing: dict[bytes, tuple[int, bytes]],
    first_seen: dict[bytes, _Pending],
    lookup: Callable[[bytes], bytes | None],
) -> int | _Pending | None:
    """Whether ``item``'s signed content is in the log already: None if not; else the entry's
    index, or the first statement with it still on its way (in this batch, or being written).

    Other bytes with the same content (another signature) count only if they verify on
    their own, or anyone could claim any entry: if they do not, ``item`` is refused here
    and :data:`REFUSED_HERE` returned.
    """
    if item.content is None:
        return None
    found = existing.get(item.content)
    original = first_seen.get(item.content)
    if found is None and original is None:
        return None
    same_bytes = (found is not None and found[1] == item.sha256) or (
        original is not None and original.sha256 == item.sha256
    )
    if not same_bytes:
        checked = _verified(item, lookup)
        if not checked.ok:
            item.future.set_exception(refusal_for(checked.reason, checked.detail, checked.evidence))
            return REFUSED_HERE
    return found[0] if found is not None else original


def _verified(item: _Pending, lookup: Callable[[bytes], bytes | None]) -> Verdict[Statement]:
    """The verified statement: checked here, or by the caller with the key still enrolled."""
    ahead = item.verified
    if ahead is not None and lookup(ahead.kid) == ahead.public_key:
        return Verdict.passed("signed statement", ahead)
    return verify_statement(item.statement, lookup)


def _peek(statement: bytes) -> tuple[dict[str, Any], int, bytes | None]:
    """The payload, claimed time and kid of a statement not yet verified (only to prefetch
    what it refers to); ``{}``, 0 and None for what cannot be read."""
    # Only to prefetch: verification refuses what is not in its one encoding.
    parsed = parse_sign1(statement, canonical=False)
    if not parsed.ok or parsed.value is None or parsed.value.payload is None:
        return {}, 0, None
    claims = parsed.value.protected.get(HEADER_CWT_CLAIMS)
    iat = claims.get(CWT_IAT) if isinstance(claims, dict) else None
    payload = decode(parsed.value.payload, "payload")
    found = payload.value if payload.ok and isinstance(payload.value, dict) else {}
    return found, iat if isinstance(iat, int) else 0, parsed.value.kid


def named_keys(payloads: list[dict[str, Any]]) -> list[bytes]:
    """The kids ``payloads`` name (any 32-byte value), and those of the public keys they
    name: the keys the policy may look up for them."""
    kids = []
    for payload in payloads:
        for name, value in payload.items():
            if isinstance(value, bytes) and len(value) == KID:
                kids.append(key_id(value) if name == "public_key" else value)
    return kids
