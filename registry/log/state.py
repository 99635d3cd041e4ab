"""The log as the sequencer and the readers see it: tree, chain head, keys, checkpoints.

Plain code with no storage: the registrar loads it from the store at start and
advances it batch by batch.  Every read (roots, proofs, receipts, tiles) is
served from here, in memory, without a database query.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from registry.i18n import Message
from registry.log.checkpoint import sign_checkpoint
from registry.log.integrity import LogContradiction, b64
from registry.log.log_keys import LogKeys
from registry.log.receipt import issue_receipt, issue_receipts
from registry.log.tiled_store import TiledHashStore
from registry.log.tree import MerkleTree
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.store.models import CheckpointRecord, LogSnapshot
from registry.verify.checkpoint import Checkpoint
from registry.verify.leaf import ZERO_HASH, Leaf
from registry.verify.merkle import HASH_SIZE


@dataclass(frozen=True)
class NewLeaf:
    """A leaf made for a statement in a batch."""

    leaf: Leaf
    leaf_bytes: bytes
    leaf_hash: bytes


class LogState:
    """The in-memory view of the log that one sequencer advances.

    ``checkpoint_sizes`` lists the size of every checkpoint ever signed, so the
    receipt of any entry can be issued against the checkpoint it was first
    logged under, identically every time (Ed25519 signatures are deterministic).
    """

    def __init__(
        self,
        origin: str,
        log_key: CoseSigner,
        note_signer: NoteSigner,
        tree: MerkleTree | None = None,
        last_leaf_hash: bytes = ZERO_HASH,
    ) -> None:
        self.origin = origin
        self.keys = LogKeys.single(log_key, note_signer)
        """The log's keys over time (rotations) and the private keys held here."""
        self.tree = tree or MerkleTree(TiledHashStore())
        """Levels 8 and up, the unsettled leaves and a cache of leaf tiles (see
        :mod:`registry.log.tiled_store`): reads below level 8 in an old tile raise
        ``TilesNeeded``, which ``registry.records.tree_tiles`` answers."""
        self._pin_checked: tuple[int, bytes] | None = None
        self.last_leaf_hash = last_leaf_hash
        self.checkpoint_sizes: list[int] = []
        self.checkpoint_times: list[int] = []
        self.latest: CheckpointRecord | None = None
        self.pinned: Checkpoint | None = None
        """The checkpoint pinned outside the database (set on the sequencer): every
        checkpoint :meth:`append` signs extends it."""

    @property
    def log_key(self) -> CoseSigner:
        """The key that signs the next receipts (the current log key)."""
        self.keys.check_held()
        assert self.keys.current.signer is not None
        return self.keys.current.signer

    @property
    def note_signer(self) -> NoteSigner:
        """The key that signs the next checkpoint (the current log key, as a note signer)."""
        self.keys.check_held()
        assert self.keys.current.note is not None
        return self.keys.current.note

    def rotate(self, previous: bytes, public_key: bytes, index: int, now_ms: int) -> None:
        """Make ``public_key`` (held in standby) the log key from tree size ``index + 1`` on:
        the rotation appended as entry ``index``.  Undone by :meth:`rollback`."""
        if not self.keys.holds(public_key):
            raise ValueError(f"no private key held for the new log key {public_key.hex()}")
        self.keys.announce(previous, public_key, index + 1, now_ms)

    @property
    def size(self) -> int:
        """Entries in the tree, including appended batches not yet written."""
        return self.tree.size

    @property
    def committed_size(self) -> int:
        """Entries under the latest checkpoint: what is on disk and may be shown."""
        return 0 if self.latest is None else self.latest.size

    def load_checkpoint(self, checkpoint: CheckpointRecord) -> None:
        """Record a checkpoint read from storage (in increasing size order)."""
        self.checkpoint_sizes.append(checkpoint.size)
        self.checkpoint_times.append(checkpoint.created_at)
        self.latest = checkpoint

    def extend(
        self,
        snapshot: LogSnapshot,
        check: Callable[[MerkleTree, CheckpointRecord], None] | None = None,
    ) -> None:
        """Append the leaves of ``snapshot`` (read from this tree's size on) and load
        its checkpoints up to the size reached, so the tree and ``latest`` agree.

        ``check`` sees the grown tree and the snapshot's latest checkpoint
        first; if it raises, the leaves are taken off again and nothing changes.
        """
        if snapshot.hashes_start != self.size:
            raise ValueError(
                f"a snapshot from entry {snapshot.hashes_start} for a tree of {self.size}"
            )
        hashes = snapshot.leaf_hashes
        if not hashes and not snapshot.checkpoints:
            return
        self.tree.extend([hashes[i : i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)])
        if check is not None and snapshot.latest is not None:
            try:
                check(self.tree, snapshot.latest)
            except BaseException:
                self.tree.truncate(snapshot.hashes_start)
                raise
        if hashes:
            self.last_leaf_hash = hashes[-HASH_SIZE:]
        for record in snapshot.checkpoints:
            if record.size <= self.size:
                self.load_checkpoint(record)
        self.tree.settle(self.committed_size)

    def make_leaves(self, statement_hashes: Sequence[bytes], registered_at: int) -> list[NewLeaf]:
        """Leaves for the next statements, each chained to the one before; nothing is appended."""
        leaves: list[NewLeaf] = []
        prev = self.last_leaf_hash
        for offset, digest in enumerate(statement_hashes):
            leaf = Leaf(self.size + offset, prev, registered_at, digest)
            data = leaf.to_bytes()
            prev = hashlib.sha256(b"\x00" + data).digest()
            leaves.append(NewLeaf(leaf, data, prev))
        return leaves

    def append(self, leaves: Sequence[NewLeaf], now_ms: int) -> CheckpointRecord:
        """Append ``leaves`` and sign the new checkpoint; undo with :meth:`rollback`.

        The chain head moves on at once, so the next batch may be made and
        appended before this one is written.
        """
        for new in leaves:
            self.tree.append(new.leaf_hash)
        if leaves:
            self.last_leaf_hash = leaves[-1].leaf_hash
        size = self.tree.size
        root = self.tree.root(size)
        if self.pinned is not None and not self._extends_pin(self.pinned, size):
            # Never reached while the tree only grows from a checked start; if it ever
            # were, signing would fork the log, so nothing is signed.
            evidence = {
                "pinned_size": str(self.pinned.size),
                "pinned_root": b64(self.pinned.root),
                "size": str(size),
                "root": b64(root),
            }
            self.rollback(size - len(leaves))
            raise LogContradiction(Message("log.sign-inconsistent", evidence), evidence)
        note = sign_checkpoint(self.note_signer, self.origin, size, root)
        return CheckpointRecord(size, root, note, now_ms)

    def _extends_pin(self, pinned: Checkpoint, size: int) -> bool:
        """Whether the tree of ``size`` leaves extends ``pinned``.  Appends never change the
        root at an older size, so a pin checked once is not hashed again (its tile may have
        left memory); a cut below it is caught by the size."""
        if size < pinned.size:
            return False
        if self._pin_checked == (pinned.size, pinned.root):
            return True
        if self.tree.root(pinned.size) != pinned.root:
            return False
        self._pin_checked = (pinned.size, pinned.root)
        return True

    def commit(self, checkpoint: CheckpointRecord) -> None:
        """Make an appended batch current once it is on disk (its checkpoint the latest)."""
        self.load_checkpoint(checkpoint)
        self.tree.settle(checkpoint.size)

    def rollback(self, size: int) -> None:
        """Forget leaves appended past ``size`` (their batch was not written)."""
        self.keys.rollback(size)
        if size >= self.tree.size:
            return
        if self._pin_checked is not None and size < self._pin_checked[0]:
            self._pin_checked = None
        self.tree.truncate(size)
        self.last_leaf_hash = self.tree.node(0, size - 1) if size else ZERO_HASH

    def checkpoint_size_for(self, index: int) -> tuple[int, int]:
        """The first checkpoint that covers entry ``index``: its size and time (ms)."""
        position = bisect.bisect_right(self.checkpoint_sizes, index)
        if position == len(self.checkpoint_sizes):
            raise IndexError(f"no checkpoint covers entry {index}")
        return self.checkpoint_sizes[position], self.checkpoint_times[position]

    def receipt(
        self,
        leaf_bytes: bytes,
        index: int,
        size: int | None = None,
        issued_at_ms: int | None = None,
    ) -> bytes:
        """The receipt for entry ``index`` (by default under its first checkpoint)."""
        if size is None:
            size, issued_at_ms = self.checkpoint_size_for(index)
        root = self.tree.root(size)
        proof = self.tree.inclusion_proof(index, size)
        issued = (issued_at_ms or 0) // 1000
        held = self.keys.signers_for(size)
        if held is None:
            raise LookupError(f"no log key held here may sign a tree of {size} entries")
        return issue_receipt(held[0], self.origin, leaf_bytes, index, size, proof, root, issued)

    def receipts(
        self, leaves: Sequence[tuple[bytes, int]], size: int, issued_at_ms: int
    ) -> list[bytes]:
        """The receipts of the entries (leaf bytes, index) of ``leaves`` under the tree of
        ``size``: the bytes :meth:`receipt` gives each, signed once for them all."""
        root = self.tree.root(size)
        held = self.keys.signers_for(size)
        if held is None:
            raise LookupError(f"no log key held here may sign a tree of {size} entries")
        entries = [(data, i, self.tree.inclusion_proof(i, size)) for data, i in leaves]
        return issue_receipts(held[0], self.origin, entries, size, root, issued_at_ms // 1000)
