"""The registry as one object: open it from settings, register statements, read the log.

The API calls this and nothing below it.  Reads are served from memory (the
tree, the latest checkpoint, a cache of receipts) so the hot GETs never wait
for a database round trip; writes go through the :class:`Registrar`.

Whatever is read from the database for an answer or a figure goes through
:class:`~registry.records.verified.VerifiedEntries` (``reads``), which checks it
against the log first; an entry's receipt and statement are checked once, when
they enter the in-memory cache, and served from there without another check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from registry.config import Settings
from registry.i18n import Message
from registry.log.state import LogState
from registry.log.tiles import (
    EntryBundle,
    TileRequestError,
    encode_entry_bundle,
    parse_path,
    tile_bytes,
)
from registry.log.tree import ProofRequestError
from registry.records import cluster, saved_state, tree_snapshot, views
from registry.records.complaints import Complaints
from registry.records.custodial import Clock, CustodialSigning, wall_clock_ms
from registry.records.derived import DerivedTables
from registry.records.enrolment_requests import EnrolmentRequests
from registry.records.enrolment_view import enrolment_status, pact_status, timing
from registry.records.errors import NotFound, Unavailable, refusal_for
from registry.records.handoff import HandoffClient, HandoffServer, handoff_socket
from registry.records.identities import Identities, Person
from registry.records.operator import OperatorKeys
from registry.records.queued import Registered
from registry.records.recent import RecentEntries
from registry.records.registration import Registrar
from registry.records.search_table import SearchTable
from registry.records.segments import PURPOSE, SealedSegments
from registry.records.shared_table import shared_or_none
from registry.records.startup import Pinning, checkpoint_pin, load_log
from registry.records.verified import EntryChecker, VerifiedEntries
from registry.records.views import ConsistencyProof, InclusionProof
from registry.records.wakeups import Outcomes
from registry.records.witnessing import CosignedView, Witnessing, witness_peers
from registry.store.migrate import upgrade
from registry.store.models import (
    CheckpointRecord,
    CosignatureRecord,
    EntryRecord,
    RevokedEntryRecord,
    SignerKeyRecord,
)
from registry.store.repository import Store
from registry.verify.cose import parse_sign1
from registry.verify.result import Reason
from registry.verify.statement import Statement, read_verified_statement, verify_statement

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tile:
    """A C2SP tlog-tiles resource's bytes, and whether they are final (a full tile or bundle)."""

    data: bytes
    immutable: bool


class RegistryService:
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
        self.settings = settings
        self.store = store
        self.keys = keys
        self.state = state
        self.tables = tables
        """Who may sign and what no longer stands, derived from the log, and what was
        found edited behind the registry's back."""
        self.directory = tables.directory
        self.reads = registrar.reads
        """The one way entries come out of the database: checked against the log."""
        self.identities = Identities(store)
        self.search_table = SearchTable(store)
        """``search_records``, where the record search keeps what it finds entries by."""
        self.segments = SealedSegments(store, state, keys.log.sealer(PURPOSE))
        """Derived state saved for the next start, sealed and checked against this tree."""
        """The personal data behind commitments, and the signed requests used."""
        self.registrar = registrar
        self.recent = RecentEntries()
        """The newest entries' receipts and statements, checked, served from memory."""
        self._recent = self.recent.checked
        """(The hot reads look there directly: entry index -> (receipt, statement).)"""
        self.cosigned = CosignedView(
            witness_peers(settings),
            settings.witnesses_required,
            keys.note.verifier_key,
            settings.origin,
        )
        """The witnesses' cosignatures this process serves (``GET /checkpoint``...)."""
        self.cosigned.log_keys = state.keys
        self.witnessing: Witnessing | None = None
        """On the sequencer: the rounds that submit each checkpoint to the witnesses."""
        self._lock = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._refreshing: asyncio.Future[None] | None = None
        self._next_refresh: asyncio.Future[None] | None = None
        self.catching_up = asyncio.Lock()
        """Held by :func:`cluster.catch_up`: one read extends the tree at a time."""
        self.is_sequencer = False
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
            self.handoff_server = HandoffServer(self.handoff_path, self._register_handed_off)
            await self.handoff_server.start()
        if self.store.backend == "postgresql":
            self._tasks.append(asyncio.create_task(cluster.pump(self, self.registrar)))
        return True

    async def _release_lock(self) -> None:
        await self._lock.aclose()
        self._lock = contextlib.AsyncExitStack()

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

    async def _register_handed_off(
        self, statement: bytes, checked_with: bytes | None, read: Statement | None = None
    ) -> Registered:
        """Register what a follower handed over, trusting its check with ``checked_with``
        (and its reading of the bytes, ``read``, if it sent one)."""
        if read is None and checked_with is not None:
            again = read_verified_statement(statement, checked_with)
            read = again.value if again.ok else None
        return await self.registrar.register(statement, read)

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

    @property
    def recent_limit(self) -> int:
        """How many of the newest entries' receipts and statements are kept in memory."""
        return self.recent.limit

    def remember_entry(self, idx: int, receipt: bytes, statement: bytes) -> None:
        """Keep entry ``idx``'s receipt and statement in memory (the newest
        ``recent_limit`` are kept): both are immutable once committed.

        Only for bytes this process made or checked: they are served as they are.
        """
        self.recent.remember(idx, receipt, statement)

    # -- reads -------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Entries in the log: those under the latest checkpoint, all on disk.

        The sequencer's tree may hold more (batches appended and being
        written); nothing about them is shown before their checkpoint is.
        """
        return self.state.committed_size

    async def _check_index(self, idx: int) -> None:
        if idx >= self.size and not self.is_sequencer:
            await self.refresh()  # registered through another process a moment ago?
        if not 0 <= idx < self.size:
            raise NotFound(Message("notfound.entry-of", {"index": idx, "size": self.size}))

    async def entry(self, idx: int) -> EntryRecord:
        """The entry at ``idx``, every copy it holds (receipt too) checked against the log.

        Raises :class:`TamperedEntry` if one differs.
        """
        record = await self._read(idx, receipt=True)
        self.remember_entry(idx, record.receipt, record.statement)
        return record

    async def _read(self, idx: int, *, receipt: bool) -> EntryRecord:
        await self._check_index(idx)
        record = await self.reads.entry(idx, receipt=receipt)
        if record is None:  # pragma: no cover - below the checkpoint, a missing row raises
            raise NotFound(Message("notfound.entry", {"index": idx}))
        return record

    async def receipt(self, idx: int) -> bytes:
        """The receipt issued when entry ``idx`` was registered (immutable)."""
        # The hot read: a recent entry under the latest checkpoint is answered from memory
        # without another coroutine (a follower may hold entries not yet under it).
        cached = self._recent.get(idx)
        if cached is not None and idx < self.size:
            return cached[0]
        return (await self._receipt_and_statement(idx))[0]

    async def statement(self, idx: int) -> bytes:
        """The signed statement bytes of entry ``idx``, exactly as registered."""
        cached = self._recent.get(idx)
        if cached is not None and idx < self.size:
            return cached[1]
        return (await self._receipt_and_statement(idx))[1]

    async def _receipt_and_statement(self, idx: int) -> tuple[bytes, bytes]:
        await self._check_index(idx)
        cached = self._recent.get(idx)
        if cached is not None:
            return cached
        record = await self.entry(idx)
        return record.receipt, record.statement

    async def checkpoint(self) -> str:
        """The latest signed checkpoint with the witnesses' cosignatures known so far."""
        latest = self.state.latest
        if latest is None:
            raise NotFound(Message("notfound.checkpoint-empty"))
        return self.cosigned.note(latest)

    async def witnessed_checkpoint(self) -> str:
        """The latest checkpoint that carries the quorum of cosignatures (docs/witness.md).

        Raises :class:`NotFound` while no checkpoint has it ("not yet witnessed").
        """
        note = self.cosigned.witnessed_note(self.state.latest)
        if note is None:
            required = self.settings.witnesses_required
            raise NotFound(Message("notfound.witnessed-checkpoint", {"required": required}))
        return note

    async def witnessed_covering(
        self, index: int
    ) -> tuple[CheckpointRecord, list[CosignatureRecord]] | None:
        """The first checkpoint witnessed (by the quorum, or by one witness when no quorum is
        required) that covers entry ``index``, with its cosignatures; ``None`` if there is none.
        """
        view = self.cosigned
        size = await self.store.cosigned_size(view.signers, max(view.required, 1), above=index)
        if size is None:
            return None
        if size > self.state.committed_size:
            await self.refresh()
        if size > self.state.committed_size:
            return None
        return await self.store.checkpoint_with_cosignatures(size, view.signers)

    async def receipt_at(self, leaf: bytes, index: int, checkpoint: CheckpointRecord) -> bytes:
        """A receipt for entry ``index`` (its ``leaf`` bytes) under ``checkpoint``'s tree."""
        return await self.reads.tiles.ensure(
            lambda: self.state.receipt(leaf, index, checkpoint.size, checkpoint.created_at)
        )

    async def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        """Proof that entry ``index`` is in the tree of ``size`` (default: the latest).

        Raises :class:`TamperedEntry` if the leaf hashes it needs were edited in the store.
        """
        size = self.size if size is None else size
        if size > self.size:
            raise NotFound(Message("notfound.tree-size", {"size": size, "entries": self.size}))
        tree = self.state.tree

        def prove() -> InclusionProof:
            path = tree.inclusion_proof(index, size)
            return InclusionProof(index, size, tree.root(size), tree.node(0, index), path)

        try:
            return await self.reads.tiles.ensure(prove)
        except ProofRequestError as exc:
            raise NotFound(Message("notfound.proof", {"detail": str(exc)})) from exc

    async def consistency_proof(self, old: int, new: int | None = None) -> ConsistencyProof:
        """Proof that the tree of ``old`` is a prefix of the tree of ``new`` (default: latest)."""
        new = self.size if new is None else new
        if new > self.size:
            raise NotFound(Message("notfound.tree-size", {"size": new, "entries": self.size}))
        tree, new_size = self.state.tree, new

        def prove() -> ConsistencyProof:
            path = tree.consistency_proof(old, new_size)
            return ConsistencyProof(old, new_size, tree.root(old), tree.root(new_size), path)

        try:
            return await self.reads.tiles.ensure(prove)
        except ProofRequestError as exc:
            raise NotFound(Message("notfound.proof", {"detail": str(exc)})) from exc

    async def tile(self, path: str) -> Tile:
        """The C2SP tlog-tiles resource at ``tile/<path>``: a hash tile or an entry bundle.

        Raises :class:`registry.log.tiles.TilePathError` for a path that is not
        a tile's, and :class:`NotFound` for a tile beyond the log.
        """
        resource = parse_path("tile" + path)
        try:
            if isinstance(resource, EntryBundle):
                start = resource.index * 256
                if start + resource.width > self.size:
                    raise NotFound(
                        Message("notfound.tile-bundle", {"path": resource.path, "size": self.size})
                    )
                data = encode_entry_bundle(await self.reads.leaves(start, start + resource.width))
            else:
                tree, hashes = self.state.tree, resource
                data = await self.reads.tiles.ensure(lambda: tile_bytes(tree, hashes))
        except TileRequestError as exc:
            raise NotFound(Message("notfound.tile", {"detail": str(exc)})) from exc
        return Tile(data, immutable=not resource.is_partial)

    async def get_meta(self, name: str) -> str | None:
        """The registry's metadata ``name`` (for example how far a demo load got), if set."""
        return await self.store.get_meta(name)

    async def put_meta(self, name: str, value: str) -> None:
        """Set the registry's metadata ``name`` to ``value``."""
        await self.store.put_meta(name, value)

    async def entries(self, start: int, end: int) -> list[EntryRecord]:
        """The entries ``start <= idx < end`` on disk, in log order, checked against the log.

        Their ``receipt`` is empty (not checked here: :meth:`receipt` serves receipts).
        Raises :class:`TamperedEntry` if one differs from what the log vouches for.
        """
        return await self.reads.entries(start, end)

    async def entries_at(self, idxs: Sequence[int]) -> list[EntryRecord]:
        """The entries at ``idxs`` (each below the log's size) in that order, checked
        against the log as :meth:`entries` (receipts empty)."""
        return await self.reads.at([i for i in idxs if 0 <= i < self.size])

    async def search(
        self,
        *,
        type: str | None = None,
        signer_kid: bytes | None = None,
        instansi: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 50,
        offset: int = 0,
        after: int | None = None,
        count_cap: int | None = None,
    ) -> tuple[list[EntryRecord], int]:
        """One page of the entries matching every filter given (oldest first), and how many match.

        ``since_ms`` is inclusive and ``until_ms`` exclusive (registration time);
        ``after`` and ``count_cap`` as :meth:`Store.search_entries`.
        Each entry is checked against the log (receipts empty), as :meth:`entries`.
        """
        page = await self.reads.search(
            type=type,
            signer_kid=signer_kid,
            instansi=instansi,
            since_ms=since_ms,
            until_ms=until_ms,
            limit=limit,
            offset=offset,
            after=after,
            count_cap=count_cap,
        )
        return list(page.records), page.total

    async def latest_entries(self, limit: int) -> list[EntryRecord]:
        """The newest ``limit`` entries under the latest checkpoint, newest first."""
        page = await self.reads.search(limit=limit, newest_first=True)
        return [record for record in page.records if record.idx < self.size]

    async def checkpoint_at(self, size: int) -> CheckpointRecord | None:
        """The checkpoint the registry signed for tree ``size``, if it signed one (checked:
        signed by the log's key for this tree's root at that size)."""
        if size > self.size:
            return None
        return await self.reads.checkpoint_at(size)

    def revocation_of(self, idx: int) -> RevokedEntryRecord | None:
        """Why entry ``idx`` no longer stands (derived from the log), or ``None``."""
        return self.tables.revoked.of(idx)

    def tampering(self) -> tuple[int, list[dict[str, str]]]:
        """How many edits behind the registry's back this process found, and the first ones."""
        alarm = self.tables.alarm
        return alarm.count, alarm.findings()

    def signer(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid`` (revoked ones too), if any, among the keys held: one
        :meth:`enrolled` or :meth:`load_signer_of` read (else :class:`KeyNotLoaded`)."""
        return self.directory.get(kid)

    def enrolment_of(self, kid: bytes) -> int | None:
        """The entry that enrolled ``kid`` (its enrolment or succession), if any: the key
        directory's compact row, no read."""
        facts = self.directory.facts(kid)
        return None if facts is None else facts.enrolment_idx

    async def enrolled(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid`` (revoked ones too), if any, read from its enrolment entry
        unless held (:class:`TamperedEntry` if that entry was edited)."""
        await self.directory.load([kid])
        return self.directory.get(kid)

    async def load_signer_of(self, signed: bytes) -> None:
        """Read the key that signed the COSE_Sign1 ``signed`` (a request, an access
        statement), so that :meth:`signer` answers for it; nothing for bytes of no kid."""
        parsed = parse_sign1(signed, canonical=False)
        if parsed.ok and parsed.value is not None and parsed.value.kid is not None:
            await self.directory.load([parsed.value.kid])

    async def signers(self) -> list[SignerKeyRecord]:
        """Every enrolled key (revoked ones too): one entry read a key not held."""
        return await self.directory.all()

    async def signers_with_role(self, role: str) -> list[SignerKeyRecord]:
        """Every enrolled key of ``role`` (revoked ones too), found by the compact rows."""
        return await self.directory.of_role(role)

    def configuration(self) -> dict[str, Any]:
        """The ``/.well-known/transparency-configuration`` document."""
        admins = sorted(
            self.directory.held_of_role("admin"),
            key=lambda key: key.enrolment_idx,
        )
        return views.configuration(self.settings, self.keys, self.state.keys, admins)

    def scitt_keys(self) -> bytes:
        """``/.well-known/scitt-keys``: the log's keys, past and current (a COSE_KeySet)."""
        return views.scitt_keys(self.state.keys)

    def scitt_key(self, kid: bytes) -> bytes | None:
        """The log key of ``kid`` as a COSE_Key, if the log ever had one."""
        return views.scitt_key(self.state.keys, kid)

    async def entry_view(self, idx: int) -> dict[str, Any]:
        """The JSON view of an entry: type, payload, signer, leaf, proof, checkpoint, status.

        Its copies are checked against the log; the view carries no receipt, so the
        receipt's check is left to :meth:`receipt`.
        """
        record = await self._read(idx, receipt=False)
        view = views.entry_view(
            record,
            await self.enrolled(record.signer_kid),
            await self.inclusion_proof(idx),
            await self.checkpoint(),
            self.revocation_of(idx),
        )
        max_age_s = self.settings.max_statement_age_hours * 3600
        view["timing"] = await timing(self.reads, record, self.tables.revoked, max_age_s)
        if record.type == "enrolment":  # its evidence, and whether a second institution confirmed
            view["enrolment"] = await enrolment_status(self.reads, record, self.tables.revoked)
        elif record.type == "pact":  # the versions a key signed for one election
            view["pact"] = await pact_status(self.reads, record, self.tables.revoked)
        return view
