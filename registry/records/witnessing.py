"""Witnessing the log: each new checkpoint goes to every witness; their cosignatures are kept
and served.

:class:`Witnessing` runs on the process that sequences.  After each batch it
wakes (registration never waits for it) and starts a *round*: the latest
checkpoint goes to every witness (``REGISTRY_WITNESSES``) that is not still
answering an earlier round, with the consistency proof from the size that
witness last cosigned (:func:`registry.log.cosigning.request_cosignature`).  All
witnesses are shown the same checkpoint in a round, so that under load their
cosignatures still land on common checkpoints and a quorum forms.  A round
waits at most :data:`ROUND_WAIT_S` for slow witnesses (their answers are kept
when they come); a witness that is down or refuses is tried again after a
delay that doubles up to :data:`RETRY_MAX_S`.

Each cosignature, verified, is stored (``cosignatures``) and merged into what
:class:`CosignedView` serves: ``GET /checkpoint`` is the latest checkpoint with
the cosignatures it has so far, ``GET /checkpoint/witnessed`` the latest one
that carries the quorum (``REGISTRY_WITNESS_QUORUM``).  The sequencer records
that size in ``registry_meta`` (``witnessed-checkpoint``); the other processes
read it and the latest checkpoint's cosignatures as they follow, and check the
witnessed checkpoint (log signature and quorum) before serving it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

import httpx

from registry.config import Settings
from registry.log.checkpoint import add_cosignatures
from registry.log.cosigning import (
    CONFLICT,
    COSIGNED,
    Cosigning,
    WitnessPeer,
    cosignature_line,
    request_cosignature,
)
from registry.log.log_keys import LogKeys
from registry.log.state import LogState
from registry.log.tiled_store import TilesNeeded
from registry.records.tree_tiles import TreeTiles
from registry.store.models import CheckpointRecord, CosignatureRecord
from registry.store.repository import Store
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.note import VerifierKey

log = logging.getLogger("registry.witnessing")

WITNESSED_META = "witnessed-checkpoint"
"""``registry_meta`` name of the size of the latest checkpoint that carries the quorum."""
ROUND_WAIT_S = 2.0
RETRY_MIN_S = 1.0
RETRY_MAX_S = 60.0
TRACKED_SIZES = 256
"""Checkpoint sizes whose cosignatures are kept in memory (the newest), while none reaches the
quorum: enough for a round's stragglers, bounded however long a quorum stays out of reach."""


def witness_peers(settings: Settings) -> list[WitnessPeer]:
    """The witnesses of ``settings`` as the client addresses them."""
    return [WitnessPeer.parse(w.url, w.verifier_key) for w in settings.witnesses]


@dataclass(frozen=True)
class WitnessedCheckpoint:
    """A checkpoint with the quorum of cosignatures: its size, root and the note served."""

    size: int
    root: bytes
    note: str
    created_at: int
    lines: tuple[str, ...]


class CosignedView:
    """The cosignatures a process serves: on the latest checkpoint, and the witnessed one."""

    def __init__(
        self, peers: Sequence[WitnessPeer], required: int, log_key: VerifierKey, origin: str
    ) -> None:
        self.peers = list(peers)
        self.required = required
        self.log_key = log_key
        self.origin = origin
        self.signers = [p.signer for p in self.peers]
        self.log_keys: LogKeys | None = None
        """Every log key with its validity (set by the service): a checkpoint witnessed
        before a log key rotation still verifies with the key of its size."""
        self._lines: dict[int, dict[str, str]] = {}
        self._served: tuple[tuple[int, tuple[str, ...]], str] | None = None
        self.witnessed: WitnessedCheckpoint | None = None

    def lines(self, size: int) -> list[str]:
        """The cosignature lines known on the checkpoint of ``size``, in the witnesses' order."""
        known = self._lines.get(size, {})
        return [known[s] for s in self.signers if s in known]

    def note(self, checkpoint: CheckpointRecord) -> str:
        """``checkpoint``'s note with the cosignatures known on it merged in."""
        lines = self.lines(checkpoint.size)
        if not lines:
            return checkpoint.note
        key = (checkpoint.size, tuple(lines))
        if self._served is None or self._served[0] != key:  # a hot read: merge once per change
            self._served = (key, add_cosignatures(checkpoint.note, lines))
        return self._served[1]

    def witnessed_note(self, latest: CheckpointRecord | None) -> str | None:
        """The latest checkpoint carrying the quorum (with no quorum to meet: the latest)."""
        if self.required == 0:
            return None if latest is None else self.note(latest)
        return None if self.witnessed is None else self.witnessed.note

    def add(self, checkpoint: CheckpointRecord, signer: str, line: str) -> bool:
        """Add ``signer``'s verified ``line`` on ``checkpoint``; whether a quorum is newly met."""
        self._lines.setdefault(checkpoint.size, {})[signer] = line
        if len(self._lines) > TRACKED_SIZES:
            for size in sorted(self._lines)[: len(self._lines) - TRACKED_SIZES]:
                del self._lines[size]
        return self._consider(checkpoint, self.lines(checkpoint.size))

    def _consider(self, checkpoint: CheckpointRecord, lines: list[str]) -> bool:
        if self.required == 0 or len(lines) < self.required:
            return False
        if self.witnessed is not None and checkpoint.size <= self.witnessed.size:
            return False
        note = add_cosignatures(checkpoint.note, lines)
        keys = [p.key for p in self.peers]
        schedule = self.log_keys
        logs = [self.log_key] if schedule is None else schedule.verifier_keys(self.origin)
        validity = None if schedule is None else schedule.validity()
        verdict = verify_checkpoint(note, logs, keys, self.required, self.origin, validity)
        if not verdict.ok:  # stored rows that do not verify are not served
            log.error(
                "cosignatures on checkpoint %d do not verify: %s",
                checkpoint.size,
                verdict.explain(),
            )
            return False
        self.witnessed = WitnessedCheckpoint(
            checkpoint.size, checkpoint.root, note, checkpoint.created_at, tuple(lines)
        )
        for size in [s for s in self._lines if s < checkpoint.size]:
            del self._lines[size]
        return True

    async def load(self, store: Store, latest: CheckpointRecord | None) -> None:
        """Catch up with what is stored: the witnessed checkpoint, the latest's cosignatures."""
        if not self.peers:
            return
        recorded = await store.get_meta(WITNESSED_META)
        size = int(recorded) if recorded and recorded.isdecimal() else 0
        if size and (self.witnessed is None or size > self.witnessed.size):
            found = await store.checkpoint_with_cosignatures(size, self.signers)
            if found is not None:
                checkpoint, rows = found
                by_signer = {r.witness: r.line for r in rows}
                self._consider(checkpoint, [by_signer[s] for s in self.signers if s in by_signer])
        if latest is not None:
            known = self._lines.setdefault(latest.size, {})
            peers = {p.signer: p for p in self.peers}
            for row in await store.cosignatures(latest.size):
                peer = peers.get(row.witness)
                if peer is None or known.get(row.witness) == row.line:
                    continue
                # Checked before it is served: an edited row must not make the log look forged.
                if cosignature_line(peer, latest.note, row.line.encode()) == row.line:
                    known[row.witness] = row.line
                else:
                    log.error(
                        "stored cosignature of %s on size %d does not verify: not served",
                        row.witness,
                        latest.size,
                    )


@dataclass
class _Peer:
    """What the sequencer knows of one witness between rounds."""

    peer: WitnessPeer
    size: int | None = None
    cosigned: int = -1
    busy: asyncio.Task[None] | None = None
    retry_at: float = 0.0
    delay: float = RETRY_MIN_S


class Witnessing:
    """The sequencer's rounds (see the module docstring); :meth:`notify` after each batch."""

    def __init__(self, store: Store, state: LogState, view: CosignedView) -> None:
        self.store = store
        self.state = state
        self.view = view
        self._tiles = TreeTiles(store, state, lambda tampered: tampered)
        self._peers = [_Peer(p) for p in view.peers]
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def notify(self) -> None:
        """A new checkpoint is committed (called by the registrar; never blocks)."""
        self._wake.set()

    async def start(self) -> None:
        """Start the rounds, and submit the latest checkpoint at once."""
        if self._task is None and self._peers:
            self._client = httpx.AsyncClient()
            self._task = asyncio.create_task(self._run(), name="registry-witnessing")
            self.notify()

    async def stop(self) -> None:
        """Stop the rounds and every request in flight."""
        tasks = [p.busy for p in self._peers if p.busy is not None]
        if self._task is not None:
            tasks.append(self._task)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            latest = self.state.latest
            due = [
                p
                for p in self._peers
                if latest is not None
                and p.cosigned < latest.size
                and (p.busy is None or p.busy.done())
                and p.retry_at <= loop.time()
            ]
            if latest is not None and due:
                started = [self._start(p, latest) for p in due]
                await asyncio.wait(started, timeout=ROUND_WAIT_S)
            # Sleep until a new checkpoint, an answer (a busy witness wakes this when done),
            # or the first witness in back-off is due again.
            waiting = [
                p.retry_at
                for p in self._peers
                if latest is not None
                and p.cosigned < latest.size
                and (p.busy is None or p.busy.done())
            ]
            pause = max(0.0, min(waiting) - loop.time()) if waiting else None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):  # (wait_for may lose a cancel)
                    await self._wake.wait()
            self._wake.clear()

    def _start(self, peer: _Peer, checkpoint: CheckpointRecord) -> asyncio.Task[None]:
        peer.busy = asyncio.create_task(self._ask(peer, checkpoint))
        return peer.busy

    async def _ask(self, peer: _Peer, checkpoint: CheckpointRecord) -> None:
        try:
            await self._ask_once(peer, checkpoint)
        except Exception:  # a bug here must not stop witnessing: back off and try again
            log.exception("asking witness %s failed", peer.peer.signer)
            self._back_off(peer)
        finally:
            self.notify()  # the runner plans the next request to this witness

    @staticmethod
    def _back_off(peer: _Peer) -> None:
        peer.retry_at = asyncio.get_running_loop().time() + peer.delay
        peer.delay = min(peer.delay * 2, RETRY_MAX_S)

    async def _ask_once(self, peer: _Peer, checkpoint: CheckpointRecord) -> None:
        assert self._client is not None
        tree, size = self.state.tree, checkpoint.size
        # The proof from the size the witness is known at is made here, with the leaf
        # tiles it needs read from the store; another size (a witness's 409) is proved
        # from memory if it can be, else asked again on the next round.
        ready: dict[int, list[bytes]] = {}
        if peer.size is not None and 0 < peer.size <= size:
            known = peer.size
            ready[known] = await self._tiles.ensure(lambda: tree.consistency_proof(known, size))
        client = self._client

        def ask() -> Awaitable[Cosigning]:
            return request_cosignature(
                client,
                peer.peer,
                checkpoint.note,
                peer.size,
                lambda old: ready.get(old) or tree.consistency_proof(old, size),
            )

        try:
            answer = await ask()
        except TilesNeeded as need:  # a 409 named a size whose tiles are not in memory
            await self._tiles.load(need.tiles)
            answer = await ask()
        peer.size = answer.size
        if answer.outcome != COSIGNED or answer.line is None:
            level = logging.ERROR if answer.outcome == CONFLICT else logging.WARNING
            log.log(
                level,
                "witness %s did not cosign size %d (%s): %s",
                peer.peer.signer,
                checkpoint.size,
                answer.outcome,
                answer.detail,
            )
            self._back_off(peer)
            return
        peer.cosigned, peer.delay, peer.retry_at = checkpoint.size, RETRY_MIN_S, 0.0
        await self._keep(checkpoint, peer.peer.signer, answer.line)

    async def _keep(self, checkpoint: CheckpointRecord, signer: str, line: str) -> None:
        try:
            await self.store.add_cosignature(CosignatureRecord(checkpoint.size, signer, line))
            if self.view.add(checkpoint, signer, line):
                await self.store.put_meta(WITNESSED_META, str(checkpoint.size))
        except Exception:  # a database hiccup loses one cosignature; the next round has more
            log.exception("keeping %s's cosignature on size %d failed", signer, checkpoint.size)
