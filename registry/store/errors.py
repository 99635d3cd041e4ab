"""Errors raised by :class:`registry.store.Store`.

Every error is a :class:`StoreError`; each says in words what was refused and
carries the values involved, so the caller can map it to a response.  A
refused write leaves nothing written.
"""

from __future__ import annotations


class StoreError(Exception):
    """Something the store refused or could not do."""


class DamagedLog(StoreError):
    """The stored leaves do not reach the latest stored checkpoint (rows deleted or edited)."""


class DuplicateStatement(StoreError):
    """Statement bytes with this SHA-256, or their signed content, are already in the log
    (or twice in one batch)."""

    def __init__(self, statement_sha256: bytes, existing_idx: int | None) -> None:
        self.statement_sha256 = statement_sha256
        self.existing_idx = existing_idx
        where = (
            "twice in the same batch"
            if existing_idx is None
            else f"already registered as entry {existing_idx}"
        )
        super().__init__(f"statement {statement_sha256.hex()} is {where}")


class NotContiguous(StoreError):
    """A batch does not continue the log exactly where it ends."""


class CheckpointConflict(StoreError):
    """A checkpoint for this size is already stored (the registry never signs two)."""

    def __init__(self, size: int, existing_root: bytes | None, new_root: bytes) -> None:
        self.size = size
        self.existing_root = existing_root
        self.new_root = new_root
        existing = "?" if existing_root is None else existing_root.hex()
        super().__init__(
            f"a checkpoint for size {size} already exists (root {existing});"
            f" refusing another (root {new_root.hex()})"
        )


class UnknownCheckpoint(StoreError):
    """No checkpoint is stored for the size given."""


class KeyAlreadyEnrolled(StoreError):
    """A key with this kid is already enrolled."""


class UnknownKey(StoreError):
    """No key with this kid is enrolled (or held in custody)."""


class KeyAlreadyRevoked(StoreError):
    """The enrolled key was revoked before."""


class EntryAlreadyRevoked(StoreError):
    """The entry was revoked before."""


class UnknownEntry(StoreError):
    """A record refers to an entry index that is not in the log."""


class UnknownPending(StoreError):
    """No pending submission with this id (or it is not waiting for a result)."""
