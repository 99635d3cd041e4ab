"""The registry as one object: open it from settings, register statements, read the log.

The API calls this and nothing below it.  Reads are served from memory (the
tree, the latest checkpoint, a cache of receipts) so the hot GETs never wait
for a database round trip; writes go through the :class:`Registrar`.

Whatever is read from the database for an answer or a figure goes through
:class:`~registry.records.verified.VerifiedEntries` (``reads``), which checks it
against the log first; an entry's receipt and statement are checked once, when
they enter the in-memory cache, and served from there without another check.
The reads are :class:`~registry.records.reading.RegistryReads`' (entries, keys) and
:class:`~registry.records.proofs.LogProofs`' (checkpoints, proofs, tiles), which it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from registry.config import Settings
from registry.i18n import Message
from registry.log.state import LogState
from registry.records import cluster, saved_state, tree_snapshot
from registry.records.complaints import Complaints
from registry.records.custodial import Clock, CustodialSigning, wall_clock_ms
from registry.records.derived import DerivedTables
from registry.records.enrolment_requests import EnrolmentRequests
from registry.records.errors import Unavailable, refusal_for
from registry.records.handoff import HandoffClient, HandoffServer, Reply, handoff_socket
from registry.records.identities import Identities, Person
from registry.records.import_desk import register_handed
from registry.records.operator import OperatorKeys
from registry.records.queued import Registered
from registry.records.reading import RegistryReads
from registry.records.registration import Registrar
from registry.records.search_table import SearchTable
from registry.records.segments import PURPOSE, SealedSegments
from registry.records.shared_table import shared_or_none
from registry.records.startup import Pinning, checkpoint_pin, load_log
from registry.records.verified import EntryChecker, VerifiedEntries
from registry.records.wakeups import Outcomes
from registry.records.witnessing import Witnessing
from registry.store.migrate import upgrade
from registry.store.models import EntryRecord
from registry.store.repository import Store
from registry.verify.result import Reason
from registry.verify.statement import Statement, read_verified_statement, verify_statement

log = logging.getLogger(__name__)


class RegistryService(RegistryReads):
    """Opened with :meth:`open`; closed with :meth:`close`."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: OperatorKeys,
        state: LogState,
        tables: DerivedTables,
        registrar: Registrar,
    ) -> None:
        super().__init__(settings, store, keys, state, tables, registrar.reads)
        self.identities = Identities(store)
        self.search_table = SearchTable(store)
        """``search_records``, where the record search keeps what it finds entries by."""
        self.segments = SealedSegments(store, state, keys.log.sealer(PURPOSE))
        """Derived state saved for the next start, sealed and checked against this tree."""
        """The personal data behind commitments, and the signed requests used."""
        self.registrar = registrar
        self.witnessing: Witnessing | None = None
        """On the sequencer: the rounds that submit each checkpoint to the witnesses."""
        self._lock = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._refreshing: asyncio.Future[None] | None = None
        self._next_refresh: asyncio.Future[None] | None = None
        self.catching_up = asyncio.Lock()
        """Held by :func:`cluster.catch_up`: one read extends the tree at a time."""
        self.pinning: Pinning | None = None
        self.handoff_path = handoff_socket(settings)
        self.handoff_server: HandoffServer | None = None
        self.handoff_client = (
            None if self.handoff_path is None else HandoffClient(self.handoff_path)
        )
        self.outcomes: Outcomes | None = None
        """On PostgreSQL, once a statement is handed over through ``pending``: the wake-ups."""

    @classmethod
    async def open(cls, settings: Settings, keys: OperatorKeys) -> RegistryService:
        """Migrate the database, load the log into memory, check it, and start sequencing
        (or following the process that does).

        Raises :class:`LogContradiction`, and serves nothing, if the stored log
        contradicts its own latest checkpoint or the checkpoint pinned in the
        data directory (a database edited, rolled back or restored from an old
        backup): the message names both sizes and roots and what to do.
        """
        await upgrade(settings.database_url)
        store = Store.open(settings.database_url)
        pin = checkpoint_pin(settings, keys)
        try:
            state, tables = await load_log(store, settings, keys, pin)
        except BaseException:
            await store.close()
            raise
        reads = VerifiedEntries(store, EntryChecker(state, tables.directory, tables.alarm))
        registrar = Registrar(
            store,
            state,
            tables.directory,
            reads=reads,
            revoked=tables.revoked,
            bootstrap_admin=(keys.admin.kid, keys.admin.public_key),
            batch_max=settings.batch_max,
            batch_wait_ms=settings.batch_wait_ms,
            max_statement_age_s=settings.max_statement_age_hours * 3600,
        )
        registrar.seen_sealer = keys.log.sealer(saved_state.PURPOSE)
        service = cls(settings, store, keys, state, tables, registrar)
        service.pinning = None if pin is None else Pinning(pin, state)
        registrar.on_commit.append(service._remember_committed)
        try:
            await service.cosigned.load(store, state.latest)
            if not await service.try_become_sequencer():
                service._tasks.append(asyncio.create_task(cluster.follow(service)))
        except BaseException:
            await service.close()
            raise
        role = "sequencing" if service.is_sequencer else "following the sequencer"
        log.info("log loaded: %d entries, checked against its checkpoints; %s", state.size, role)
        return service

    async def try_become_sequencer(self) -> bool:
        """Take the sequencer lock if it is free, and start sequencing; whether this is it now.

        On SQLite the one process always is; on PostgreSQL the advisory lock
        decides.  Raises :class:`LogContradiction` (and lets the lock go) if
        the log caught up to does not extend the pinned checkpoint.
        """
        if self.is_sequencer:
            return True
        held = await self._lock.enter_async_context(self.store.sequencer_lock())
        if not held:
            await self._release_lock()
            return False
        try:
            await cluster.catch_up(self)
            if self.pinning is not None:
                await self.reads.tiles.ensure(self.pinning.take_over)
                self.registrar.pin = self.pinning
            await self.registrar.start()
        except BaseException:
            self.registrar.pin = None
            await self._release_lock()
            raise
        self.is_sequencer = True
        # Witnessing never holds a registration up: a commit only wakes it.
        self.witnessing = Witnessing(self.store, self.state, self.cosigned)
        self.registrar.on_commit.append(lambda _: self._notify_witnessing())
        await self.witnessing.start()
        if self.handoff_client is not None:
            await self.handoff_client.close()
            self.handoff_client = None
        if self.handoff_path is not None:
            self.handoff_server = HandoffServer(
                self.handoff_path, self._submit_handed_off, self._register_handed_chunk
            )
            await self.handoff_server.start()
        if self.store.backend == "postgresql":
            self._tasks.append(asyncio.create_task(cluster.pump(self, self.registrar)))
        return True

    async def _release_lock(self) -> None:
        await self._lock.aclose()
        self._lock = contextlib.AsyncExitStack()

    @property
    def followers(self) -> int:
        """The follower processes handing statements to this one now (0 unless it sequences
        and a follower is connected to its hand-off socket)."""
        return 0 if self.handoff_server is None else self.handoff_server.followers

    def _notify_witnessing(self) -> None:
        if self.witnessing is not None:
            self.witnessing.notify()

    async def close(self) -> None:
        """Stop sequencing or following, release the lock and close the database."""
        if self.witnessing is not None:
            await self.witnessing.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.handoff_server is not None:
            await self.handoff_server.close()
        if self.handoff_client is not None:
            await self.handoff_client.close()
        if self.outcomes is not None:
            await self.outcomes.stop()
        await self.registrar.stop()
        if self.is_sequencer and self.registrar.seen_sealer is not None:
            tables = (self.tables.directory, self.tables.revoked, self.tables.saved_to)
            await saved_state.save_at_stop(
                self.store, self.state, self.registrar.seen_sealer, tables, self.registrar.seen
            )
        if self.is_sequencer:  # the next start reads only the leaf hashes after it
            sealer = self.keys.log.sealer(tree_snapshot.PURPOSE)
            await tree_snapshot.save_if_behind(
                self.store, self.state.tree, self.state.committed_size, sealer
            )
        await self._lock.aclose()
        await self.store.close()
        if self.pinning is not None:
            self.pinning.pin.close()

    async def refresh(self) -> None:
        """On a follower, catch up with what the sequencer wrote; callers at once share one read.

        A read already in flight may have started before the caller's own write committed,
        so a caller never joins it: it waits for the next read, which callers arriving
        meanwhile share (one read at a time, at most one waiting).
        """
        if self.is_sequencer:
            return
        running = self._refreshing
        if running is None or running.done():
            self._refreshing = asyncio.ensure_future(cluster.catch_up(self))
            await asyncio.shield(self._refreshing)
            return
        if self._next_refresh is None or self._next_refresh.done():
            self._next_refresh = asyncio.ensure_future(self._refresh_after(running))
        await asyncio.shield(self._next_refresh)

    async def _refresh_after(self, running: asyncio.Future[None]) -> None:
        """Catch up once ``running`` (a read that may predate a caller's write) has ended."""
        with contextlib.suppress(Exception):
            await asyncio.shield(running)  # its own callers see its failure
        self._next_refresh = None  # a caller from now on may predate this read: it waits anew
        self._refreshing = asyncio.ensure_future(cluster.catch_up(self))
        await asyncio.shield(self._refreshing)

    # -- writes ------------------------------------------------------------------------

    async def register(self, statement: bytes) -> Registered:
        """Register a signed statement: here if this process sequences, else via the sequencer.

        The signature is checked here first, so that with several processes
        the checks run on every core and the sequencer only admits and appends.
        """
        verified = self._verify_ahead(statement)
        if self.is_sequencer:
            result = await self.registrar.register(statement, verified)
        else:
            result = await cluster.forward(self, statement, verified)
            if not result.existed:
                # Its bytes are these, its receipt the sequencer's answer: neither comes from
                # the database, so a GET of it here is served as issued, as on the sequencer.
                self.remember_entry(result.index, result.receipt, statement)
        if verified is None:
            return result
        return replace(result, statement_type=verified.statement_type)

    def _verify_ahead(self, statement: bytes) -> Statement | None:
        """The verified statement; None if its key is not known here (the sequencer decides)."""
        verdict = verify_statement(statement, self.registrar.lookup)
        if verdict.ok and verdict.value is not None:
            return verdict.value
        if verdict.reason is Reason.UNKNOWN_KEY:
            return None
        raise refusal_for(verdict.reason, verdict.detail, verdict.evidence)

    def _submit_handed_off(
        self, statement: bytes, checked_with: bytes | None, read: Statement | None, reply: Reply
    ) -> None:
        """Register what a follower handed over, trusting its check with ``checked_with``
        (and its reading of the bytes, ``read``, if it sent one); ``reply`` is answered."""
        if read is None and checked_with is not None:
            again = read_verified_statement(statement, checked_with)
            read = again.value if again.ok else None
        self.registrar.submit(statement, read, reply)

    async def _register_handed_chunk(self, chunk: bytes) -> bytes:
        """Register a bulk import's chunk a follower handed over (``import_desk.py``)."""
        return await register_handed(self, chunk)

    async def register_atomic(
        self,
        statements: Sequence[bytes],
        identities: Sequence[Person] = (),
        verified: Sequence[Statement | None] = (),
        on_appended: Callable[[], None] | None = None,
    ) -> list[Registered]:
        """Register all ``statements`` in one transaction or none (see ``Registrar``).

        The ``identities`` their commitments name are kept first, and erased
        again if the batch is refused (:meth:`Identities.kept_for`).  Only the
        sequencer process can; a follower refuses with ``Unavailable``.
        ``verified``: the statements as the caller verified them (or none).
        ``on_appended``: called once they are appended, before they are written.
        """
        if not self.is_sequencer:
            raise Unavailable(Message("unavailable.bulk-on-sequencer"))
        registrar = self.registrar
        if not identities:
            return await registrar.register_atomic(statements, verified, on_appended)
        return await self.identities.kept_for(
            identities,
            statements,
            lambda: registrar.register_atomic(statements, verified, on_appended),
        )

    def custodial_signing(
        self, *, clock_ms: Clock = wall_clock_ms, attempts: Path | None = None
    ) -> CustodialSigning:
        """A custodial signer for this registry (``POST /sign``); make one per process.

        ``clock_ms`` times the lockouts of wrong passphrases (tests move it); ``attempts``,
        when given, is the file where they are counted with every process using it
        (``registry serve``'s workers), else this process counts its own.
        """
        shared = None if attempts is None else shared_or_none(attempts)
        return CustodialSigning(
            self.store, self.settings, self.register, clock_ms=clock_ms, shared=shared
        )

    def complaints(self) -> Complaints:
        """The public complaints held until an institution decides (``/api/complaints``)."""
        return Complaints(self.store, self.identities, self.register, self.enrolled)

    def enrolment_requests(self) -> EnrolmentRequests:
        """The enrolment requests browsers sent (``POST /enrolment-requests``); one per process."""
        return EnrolmentRequests(self.store)

    def on_commit(self, hook: Callable[[list[EntryRecord]], None]) -> None:
        """Call ``hook`` with the entries of every batch this process commits, in log order."""
        self.registrar.on_commit.append(hook)

    def _remember_committed(self, records: list[EntryRecord]) -> None:
        for record in records:
            self.remember_entry(record.idx, record.receipt, record.statement)

    # -- metadata ----------------------------------------------------------------------

    async def get_meta(self, name: str) -> str | None:
        """The registry's metadata ``name`` (for example how far a demo load got), if set."""
        return await self.store.get_meta(name)

    async def put_meta(self, name: str, value: str) -> None:
        """Set the registry's metadata ``name`` to ``value``."""
        await self.store.put_meta(name, value)
