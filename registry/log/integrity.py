"""Checks that the log loaded from storage is the log this registry signed.

Someone with access to the database can edit it behind the registry's back,
and an operator can restore an old backup.  Either way the stored tree no
longer matches a checkpoint the registry already signed and published; if the
registry went on from there it would sign a second, different root for a size
it signed before (a fork its verifiers and witnesses would prove against it).
So before a process serves or extends a loaded log it checks the tree against
the latest stored checkpoint (signature, origin, size, root) and against the
pinned checkpoint kept outside the database (:mod:`registry.log.pin`), and
refuses with the evidence (both sizes, both roots) when they disagree.

Each check is one signature and one root computed over hashes already in
memory (O(log n) stored nodes), so start-up stays fast at any size.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping

from registry.i18n import Message
from registry.log.tree import MerkleTree
from registry.store.models import CheckpointRecord
from registry.verify.checkpoint import Checkpoint, verify_checkpoint
from registry.verify.note import VerifierKey


class LogContradiction(Exception):
    """The stored log contradicts a checkpoint this registry signed; serving it would fork the log.

    ``message`` says what disagrees and what the operator can do, in the
    operator's language; ``evidence`` holds the values compared (sizes in
    decimal, roots in base64 as checkpoints show them).
    """

    def __init__(self, message: Message, evidence: Mapping[str, str]) -> None:
        self.message = message
        self.evidence = dict(evidence)
        super().__init__(message.render("en"))


def b64(root: bytes) -> str:
    """A root hash as checkpoints write it (standard base64)."""
    return base64.b64encode(root).decode("ascii")


def check_stored_checkpoint(
    tree: MerkleTree, record: CheckpointRecord, log_key: VerifierKey, origin: str
) -> None:
    """Raise :class:`LogContradiction` unless ``record`` is a checkpoint of this log that
    the tree (which must reach its size) matches: signed by ``log_key`` for ``origin``,
    naming the record's size and root, and the tree's root at that size is that root."""
    verdict = verify_checkpoint(record.note, [log_key], origin=origin)
    signed = verdict.value
    if not verdict.ok or signed is None:
        evidence = {"size": str(record.size), "detail": verdict.detail}
        raise LogContradiction(Message("log.checkpoint-unsigned", evidence), evidence)
    if (signed.size, signed.root) != (record.size, record.root):
        evidence = {
            "size": str(record.size),
            "root": b64(record.root),
            "signed_size": str(signed.size),
            "signed_root": b64(signed.root),
        }
        raise LogContradiction(Message("log.checkpoint-mismatch", evidence), evidence)
    tree_root = tree.root(record.size)
    if tree_root != record.root:
        evidence = {"size": str(record.size), "root": b64(record.root), "tree_root": b64(tree_root)}
        raise LogContradiction(Message("log.checkpoint-root", evidence), evidence)


def check_pinned(tree: MerkleTree, pinned: Checkpoint, pin_file: str) -> None:
    """Raise :class:`LogContradiction` unless the tree extends the pinned checkpoint:
    it reaches the pinned size and has the pinned root there."""
    evidence = {
        "pinned_size": str(pinned.size),
        "pinned_root": b64(pinned.root),
        "size": str(tree.size),
        "pin_file": pin_file,
    }
    if tree.size < pinned.size:
        evidence["root"] = b64(tree.root(tree.size))
        raise LogContradiction(Message("log.pin-ahead", evidence), evidence)
    tree_root = tree.root(pinned.size)
    if tree_root != pinned.root:
        evidence["root"] = b64(tree_root)
        raise LogContradiction(Message("log.pin-root", evidence), evidence)
