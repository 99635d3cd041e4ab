"""The registry as one object: open it from settings, register statements, read the log.

The API calls this and nothing below it.  Reads are served from memory (the
tree, the latest checkpoint, a cache of receipts) so the hot GETs never wait
for a database round trip; writes go through the :class:`Registrar`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry.config import Settings
from registry.log.state import LogState
from registry.log.tiles import TilePathError  # noqa: F401  (re-exported for the API)
from registry.log.tree import ProofRequestError
from registry.records import cluster
from registry.records.directory import KeyDirectory
from registry.records.errors import NotFound, Unavailable, refusal_for
from registry.records.handoff import HandoffClient, HandoffServer, handoff_socket
from registry.records.operator import OperatorKeys
from registry.records.registration import Registered, Registrar
from registry.records.startup import Pinning, checkpoint_pin, load_log
from registry.store.migrate import upgrade
from registry.store.models import EntryRecord
from registry.store.repository import Store
from registry.verify.leaf import decode_leaf
from registry.verify.result import Reason
from registry.verify.statement import Statement, read_verified_statement, verify_statement
from registry.verify.trust import b64url

log = logging.getLogger(__name__)

RECENT_ENTRIES = 100_000
"""Entries whose receipt and statement bytes a process keeps in memory, the newest
(about 150 MB at most): what signers and QR verifiers read back is mostly recent."""


@dataclass(frozen=True)
class InclusionProof:
    """An inclusion proof of entry ``index`` in the tree of ``size`` with ``root``."""

    index: int
    size: int
    root: bytes
    leaf_hash: bytes
    path: list[bytes]


class RegistryService:
    """Opened with :meth:`open`; closed with :meth:`close`."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: OperatorKeys,
        state: LogState,
        directory: KeyDirectory,
        registrar: Registrar,
    ) -> None:
        self.settings = settings
        self.store = store
        self.keys = keys
        self.state = state
        self.directory = directory
        self.registrar = registrar
        self._recent: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        """Entry index -> (receipt, statement bytes), newest last."""
        self._cosigned_note: tuple[int, str] | None = None
        self._lock = contextlib.AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []
        self._refreshing: asyncio.Future[None] | None = None
        self.is_sequencer = False
        self.pinning: Pinning | None = None
        self.handoff_path = handoff_socket(settings)
        self.handoff_server: HandoffServer | None = None
        self.handoff_client = (
            None if self.handoff_path is None else HandoffClient(self.handoff_path)
        )

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
            state, directory = await load_log(store, settings, keys, pin)
        except BaseException:
            await store.close()
            raise
        registrar = Registrar(
            store,
            state,
            directory,
            bootstrap_admin=(keys.admin.kid, keys.admin.public_key),
            batch_max=settings.batch_max,
            batch_wait_ms=settings.batch_wait_ms,
        )
        service = cls(settings, store, keys, state, directory, registrar)
        service.pinning = None if pin is None else Pinning(pin, state)
        registrar.on_commit.append(service._remember_committed)
        try:
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
                self.pinning.take_over()
                self.registrar.pin = self.pinning.committed
            await self.registrar.start()
        except BaseException:
            self.registrar.pin = None
            await self._release_lock()
            raise
        self.is_sequencer = True
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

    async def close(self) -> None:
        """Stop sequencing or following, release the lock and close the database."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.handoff_server is not None:
            await self.handoff_server.close()
        if self.handoff_client is not None:
            await self.handoff_client.close()
        await self.registrar.stop()
        if self.pinning is not None:
            self.pinning.close()
        await self._lock.aclose()
        await self.store.close()

    async def refresh(self) -> None:
        """On a follower, catch up with what the sequencer wrote; callers at once share one read."""
        if self.is_sequencer:
            return
        if self._refreshing is None or self._refreshing.done():
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
            return await self.registrar.register(statement, verified)
        return await cluster.forward(self, statement, verified)

    def _verify_ahead(self, statement: bytes) -> Statement | None:
        """The verified statement; None if its key is not known here (the sequencer decides)."""
        verdict = verify_statement(statement, self.registrar.lookup)
        if verdict.ok and verdict.value is not None:
            return verdict.value
        if verdict.reason is Reason.UNKNOWN_KEY:
            return None
        raise refusal_for(verdict.reason, verdict.detail, verdict.evidence)

    async def _register_handed_off(
        self, statement: bytes, checked_with: bytes | None
    ) -> Registered:
        """Register what a follower handed over, trusting its check with ``checked_with``."""
        verified = None
        if checked_with is not None:
            read = read_verified_statement(statement, checked_with)
            verified = read.value if read.ok else None
        return await self.registrar.register(statement, verified)

    async def register_atomic(self, statements: Sequence[bytes]) -> list[Registered]:
        """Register all ``statements`` in one transaction or none (see ``Registrar``).

        Only the sequencer process can; a follower refuses with ``Unavailable``.
        """
        if not self.is_sequencer:
            raise Unavailable("bulk registration runs on the sequencing process; retry there")
        return await self.registrar.register_atomic(statements)

    def _remember_committed(self, records: list[EntryRecord]) -> None:
        for record in records:
            self.remember_entry(record.idx, record.receipt, record.statement)

    recent_limit = RECENT_ENTRIES
    """How many of the newest entries :meth:`remember_entry` keeps."""

    def remember_entry(self, idx: int, receipt: bytes, statement: bytes) -> None:
        """Keep entry ``idx``'s receipt and statement in memory (the newest
        ``recent_limit`` are kept): both are immutable once committed."""
        self._recent[idx] = (receipt, statement)
        self._recent.move_to_end(idx)
        if len(self._recent) > self.recent_limit:
            self._recent.popitem(last=False)

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
            raise NotFound(f"entry {idx} (the log has {self.size} entries)")

    async def entry(self, idx: int) -> EntryRecord:
        """The entry at ``idx``."""
        await self._check_index(idx)
        record = await self.store.get_entry(idx)
        if record is None:
            raise NotFound(f"entry {idx}")
        return record

    async def receipt(self, idx: int) -> bytes:
        """The receipt issued when entry ``idx`` was registered (immutable)."""
        return (await self._receipt_and_statement(idx))[0]

    async def statement(self, idx: int) -> bytes:
        """The signed statement bytes of entry ``idx``, exactly as registered."""
        return (await self._receipt_and_statement(idx))[1]

    async def _receipt_and_statement(self, idx: int) -> tuple[bytes, bytes]:
        await self._check_index(idx)
        cached = self._recent.get(idx)
        if cached is not None:
            return cached
        record = await self.entry(idx)
        self.remember_entry(idx, record.receipt, record.statement)
        return record.receipt, record.statement

    async def checkpoint(self) -> str:
        """The latest signed checkpoint with the witnesses' cosignatures."""
        latest = self.state.latest
        if latest is None:
            raise NotFound("checkpoint: the log is empty")
        if self._cosigned_note is not None and self._cosigned_note[0] == latest.size:
            return self._cosigned_note[1]
        return latest.note

    def set_cosigned(self, size: int, note: str) -> None:
        """Serve ``note`` (the checkpoint with cosignatures merged) for ``size``."""
        self._cosigned_note = (size, note)

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        """Proof that entry ``index`` is in the tree of ``size`` (default: the latest)."""
        size = self.size if size is None else size
        if size > self.size:
            raise NotFound(f"tree size {size} (the log has {self.size} entries)")
        try:
            path = self.state.tree.inclusion_proof(index, size)
            return InclusionProof(
                index, size, self.state.tree.root(size), self.state.tree.node(0, index), path
            )
        except ProofRequestError as exc:
            raise NotFound(str(exc)) from exc

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """Proof that the tree of ``old`` is a prefix of the tree of ``new``."""
        new = self.size if new is None else new
        if new > self.size:
            raise NotFound(f"tree size {new} (the log has {self.size} entries)")
        try:
            return self.state.tree.consistency_proof(old, new)
        except ProofRequestError as exc:
            raise NotFound(str(exc)) from exc

    def configuration(self) -> dict[str, Any]:
        """The ``/.well-known/transparency-configuration`` document."""
        log_key = self.keys.log
        return {
            "issuer": self.settings.origin,
            "origin": self.settings.origin,
            "registration_endpoint": "/entries",
            "supported_signature_algorithms": ["EdDSA"],
            "verifiable_data_structures": ["RFC9162_SHA256"],
            "keys": [
                {
                    "kid": log_key.kid.hex(),
                    "use": ["receipt", "checkpoint"],
                    "jwk": {
                        "kty": "OKP",
                        "crv": "Ed25519",
                        "alg": "EdDSA",
                        "x": b64url(log_key.public_key),
                        "kid": log_key.kid.hex(),
                    },
                    "note_verifier_key": self.keys.note.verifier_key_string,
                    "valid_from": None,
                    "valid_until": None,
                    "current": True,
                }
            ],
            "admin_keys": [
                {"kid": self.keys.admin.kid.hex(), "public_key": b64url(self.keys.admin.public_key)}
            ],
            "witnesses": [],
            "witnesses_required": 0,
        }

    async def entry_view(self, idx: int) -> dict[str, Any]:
        """The JSON view of an entry: type, payload, signer, leaf, proof, checkpoint, status."""
        record = await self.entry(idx)
        signer = self.directory.get(record.signer_kid)
        proof = self.inclusion_proof(idx)
        revocation = await self.store.revocation_of(idx)
        leaf = decode_leaf(record.leaf).unwrap()
        return {
            "index": idx,
            "type": record.type,
            "payload": json.loads(record.payload_json),
            "signer": None
            if signer is None
            else {
                "kid": b64url(signer.kid),
                "public_key": b64url(signer.public_key),
                "name": signer.name,
                "role": signer.role,
                "jabatan": signer.jabatan,
                "instansi": signer.instansi,
                "decree_number": signer.decree_number,
                "term_start": signer.term_start,
                "term_end": signer.term_end,
                "revoked": signer.revoked_at is not None,
            },
            "leaf": {
                "bytes": b64url(record.leaf),
                "hash": b64url(record.leaf_hash),
                "index": leaf.index,
                "prev_leaf_hash": b64url(leaf.prev_leaf_hash),
                "registered_at": leaf.registered_at,
                "statement_sha256": b64url(leaf.statement_sha256),
            },
            "inclusion_proof": {
                "size": proof.size,
                "root": b64url(proof.root),
                "path": [b64url(h) for h in proof.path],
            },
            "checkpoint": await self.checkpoint(),
            "status": {
                "revoked": revocation is not None,
                "revoked_by": None if revocation is None else revocation.revocation_idx,
                "reason": None if revocation is None else revocation.reason,
            },
            "statement_url": f"/entries/{idx}/statement",
            "receipt_url": f"/entries/{idx}",
        }
