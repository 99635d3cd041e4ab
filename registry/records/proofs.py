"""The log's tree as the registry serves it: checkpoints, proofs, receipts and tiles.

:class:`LogProofs` answers from the tree in memory and the latest checkpoint, so these
reads never wait for the database (but for a tile's entry bundle, and a witnessed
checkpoint's cosignatures); a leaf hash the store holds is checked as it is read
(``reads.tiles``).  :class:`~registry.records.service.RegistryService` is one (through
:class:`~registry.records.reading.RegistryReads`) and catches a follower up
(:meth:`LogProofs.refresh`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

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
from registry.records.errors import NotFound
from registry.records.operator import OperatorKeys
from registry.records.verified import VerifiedEntries
from registry.records.views import ConsistencyProof, InclusionProof
from registry.records.witnessing import CosignedView, witness_peers
from registry.store.models import CheckpointRecord, CosignatureRecord
from registry.store.repository import Store


@dataclass(frozen=True)
class Tile:
    """A C2SP tlog-tiles resource's bytes, and whether they are final (a full tile or bundle)."""

    data: bytes
    immutable: bool


class LogProofs(ABC):
    """The checkpoints, proofs and tiles of the log ``state`` holds."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: OperatorKeys,
        state: LogState,
        reads: VerifiedEntries,
    ) -> None:
        self.settings = settings
        self.store = store
        self.keys = keys
        self.state = state
        self.reads = reads
        """The one way entries come out of the database: checked against the log."""
        self.cosigned = CosignedView(
            witness_peers(settings),
            settings.witnesses_required,
            keys.note.verifier_key,
            settings.origin,
        )
        """The witnesses' cosignatures this process serves (``GET /checkpoint``...)."""
        self.cosigned.log_keys = state.keys

    @abstractmethod
    async def refresh(self) -> None:
        """On a follower, catch up with what the sequencer wrote."""

    @property
    def size(self) -> int:
        """Entries in the log: those under the latest checkpoint, all on disk.

        The sequencer's tree may hold more (batches appended and being
        written); nothing about them is shown before their checkpoint is.
        """
        return self.state.committed_size

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

    async def checkpoint_at(self, size: int) -> CheckpointRecord | None:
        """The checkpoint the registry signed for tree ``size``, if it signed one (checked:
        signed by the log's key for this tree's root at that size)."""
        if size > self.size:
            return None
        return await self.reads.checkpoint_at(size)
