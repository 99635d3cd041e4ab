"""Registrations queued for the sequencer, and how their callers are answered.

A statement handed to the :class:`~registry.records.registration.Registrar` waits as a
:class:`Queued` (a bulk import's chunk as one :class:`Group`) with a future its caller
awaits.  The functions here answer those futures: with the entry made for it
(:class:`Registered`), with the entry the log holds already for its signed content
(:func:`repeat_of`, :func:`resolve_existing`, :func:`follow`), or with why it was not
written (:func:`fail_batch`, :func:`answer_group`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from registry.i18n import Message
from registry.records.errors import (
    BatchRefused,
    RegistrationRefused,
    TamperedEntry,
    Unavailable,
    refusal_for,
)
from registry.records.pipeline import AppendedBatch
from registry.records.policy import Admission
from registry.records.verified import VerifiedEntries
from registry.verify.result import Verdict
from registry.verify.statement import Statement, statement_content, verify_statement

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registered:
    """A registered statement: its entry index, the receipt, and whether it was there before."""

    index: int
    receipt: bytes
    existed: bool
    statement_type: str | None = field(default=None, compare=False)
    """The statement's type, when the process that answers verified it (else read it again)."""


_PENDING, _RESULT, _ERROR, _CANCELLED = range(4)


class Answer:
    """A queued statement's answer, as the sequencer decides it: a result, an error, or
    cancelled (admitted in an atomic group that was refused, or the repeat of one).

    What the sequencer decides is kept here, whatever the caller does: a caller that goes
    away (a follower's hand-off connection closing, a client hanging up) cancels only its
    ``waiter``, and the registration goes on for the repeats of the same content that
    wait on it (:func:`follow`).  The answer is set on the waiter at once: one wake-up of
    the caller, where a future of its own and ``asyncio.shield`` took two and 8 to 10 µs
    of the sequencer's loop a registration (docs/benchmarks.md, helper ``seqcpu``).  Its
    callbacks run when it is decided, in order, before this returns.
    """

    __slots__ = ("_callbacks", "_state", "_value", "waiter")

    def __init__(self, waiter: asyncio.Future[Registered] | None = None) -> None:
        self.waiter = waiter
        """The caller's future (None for a group's statement: its caller awaits the group)."""
        self._state = _PENDING
        self._value: Registered | BaseException | None = None
        self._callbacks: list[Callable[[Answer], None]] = []

    def done(self) -> bool:
        """Whether it is decided."""
        return self._state != _PENDING

    def cancelled(self) -> bool:
        """Whether it was cancelled by the sequencer (never by the caller)."""
        return self._state == _CANCELLED

    def result(self) -> Registered:
        """The entry made or found (only once decided with one)."""
        if self._state != _RESULT or not isinstance(self._value, Registered):
            raise asyncio.InvalidStateError("no result")
        return self._value

    def exception(self) -> BaseException | None:
        """Why it was not registered (None if it was, or is cancelled)."""
        value = self._value
        return value if isinstance(value, BaseException) else None

    def set_result(self, result: Registered) -> None:
        """Answer with ``result``."""
        self._decide(_RESULT, result)

    def set_exception(self, error: BaseException) -> None:
        """Answer with ``error``."""
        self._decide(_ERROR, error)

    def cancel(self) -> None:
        """Cancel it (its caller then hears to send it again)."""
        if self._state == _PENDING:
            self._decide(_CANCELLED, None)

    def add_done_callback(self, callback: Callable[[Answer], None]) -> None:
        """Call ``callback(self)`` once decided (at once if it is)."""
        if self._state == _PENDING:
            self._callbacks.append(callback)
        else:
            callback(self)

    def _decide(self, state: int, value: Registered | BaseException | None) -> None:
        if self._state != _PENDING:
            raise asyncio.InvalidStateError("answered already")
        self._state, self._value = state, value
        waiter = self.waiter
        if waiter is not None and not waiter.done():  # done: its caller went away
            if state == _RESULT:
                waiter.set_result(self.result())
            elif state == _ERROR:
                assert isinstance(value, BaseException)
                waiter.set_exception(value)
            else:
                waiter.cancel()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)


@dataclass
class Queued:
    """A statement waiting for the sequencer, and its answer (which its caller awaits)."""

    statement: bytes
    sha256: bytes
    future: Answer = field(repr=False)
    verified: Statement | None = None
    """Set when the caller verified the statement already (another core did the dear part)."""
    content: bytes | None = None
    """What its signature covers, hashed (:func:`statement_content`): the log holds one entry
    per content, so a statement re-encoded or signed again is the entry already there."""

    @classmethod
    def of(
        cls,
        statement: bytes,
        future: Answer,
        verified: Statement | None = None,
    ) -> Queued:
        """A statement to register, with its hash and its content's hash."""
        if verified is not None:
            return cls(statement, verified.sha256, future, verified, verified.content_sha256)
        sha256 = hashlib.sha256(statement).digest()
        return cls(statement, sha256, future, None, statement_content(statement))


@dataclass
class Group:
    """Statements to admit all together or not at all (a bulk import)."""

    items: list[Queued]
    future: asyncio.Future[list[Registered]] = field(repr=False)
    on_appended: Callable[[], None] | None = field(default=None, repr=False)
    """Called once the group is appended to the tree: its entries' indexes are fixed (a bulk
    import then hands the sequencer its next chunk, so chunks are logged in file order)."""


def reply_with(reply: Callable[[Registered | BaseException], None], answer: Answer) -> None:
    """Give ``reply`` the decided ``answer`` as the registrar's ``register`` would return or
    raise it (``Registrar.submit``); a ``reply`` that fails is logged, never raised into
    the sequencer's cycle, which answers the rest of its batch all the same."""
    outcome: Registered | BaseException
    if answer.cancelled():  # the same content was in an atomic group that was refused
        outcome = Unavailable(Message("unavailable.send-again"))
    else:
        outcome = answer.exception() or answer.result()
    try:
        reply(outcome)
    except Exception:
        log.exception("answering a registration failed")


def fail_batch(batch: AppendedBatch, error: BaseException) -> None:
    """Tell the callers of a batch that was not written why."""
    reason = error if isinstance(error, Unavailable) else None
    for item, _, _ in batch.admitted:
        if not item.future.done():
            item.future.set_exception(
                reason or Unavailable(Message("unavailable.not-written", {"error": str(error)}))
            )


def follow(item: Queued, original: Queued) -> None:
    """Answer a repeat of ``original`` (its content, in this batch or one being written)."""

    def answer(done: Answer) -> None:
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
"""What :func:`repeat_of` answers for a statement it refused."""


def repeat_of(
    item: Queued,
    existing: dict[bytes, tuple[int, bytes]],
    first_seen: dict[bytes, Queued],
    lookup: Callable[[bytes], bytes | None],
) -> int | Queued | None:
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
        checked = verdict_of(item, lookup)
        if not checked.ok:
            item.future.set_exception(refusal_for(checked.reason, checked.detail, checked.evidence))
            return REFUSED_HERE
    return found[0] if found is not None else original


def verdict_of(item: Queued, lookup: Callable[[bytes], bytes | None]) -> Verdict[Statement]:
    """The verified statement: checked here, or by the caller with the key still enrolled."""
    ahead = item.verified
    if ahead is not None and lookup(ahead.kid) == ahead.public_key:
        return Verdict.passed("signed statement", ahead)
    return verify_statement(item.statement, lookup)


async def resolve_existing(item: Queued, idx: int, reads: VerifiedEntries) -> None:
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


async def group_stands(
    group: list[Queued],
    admitted: list[tuple[Queued, Statement, Admission]],
    old_indexes: list[tuple[Queued, int]],
    duplicates: list[tuple[Queued, Queued]],
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
        await resolve_existing(item, idx, reads)
    if any(item.future.exception() is not None for item, _ in old_indexes):
        for item in kept:
            item.future.cancel()
        return False
    return True


async def answer_group(group: Group) -> None:
    """Answer a group's caller once each of its statements is answered: its entries,
    the refusals by position (nothing was written), or why it was not written."""
    await _all_decided([i.future for i in group.items])
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


async def _all_decided(answers: list[Answer]) -> None:
    """Return once every one of ``answers`` is decided."""
    left = len(answers)
    if not left:
        return
    every: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def one(_: Answer) -> None:
        nonlocal left
        left -= 1
        if left == 0 and not every.done():
            every.set_result(None)

    for answer in answers:
        answer.add_done_callback(one)
    await every
