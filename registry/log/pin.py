"""The last checkpoint the registry signed, kept outside the database (the pin).

A database restored from an old backup, or rolled back by a careless edit,
no longer holds the newest entries; a registry that carried on from it would
sign a second, different root for a size it had already signed and published.
The sequencer therefore keeps its latest checkpoint (the signed note, as
served at ``/checkpoint``) in a file of the data directory, where a database
rollback cannot reach, written after each batch commits and before anyone is
shown the batch.  At start-up the stored tree is checked against it
(:func:`registry.log.integrity.check_pinned`).

The file is replaced atomically (a temporary file, fsync, rename, fsync of the
directory), so a crash leaves the old pin or the new one, never a torn one.
Only the process that sequences writes it; other processes on the host read it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from registry.i18n import Message
from registry.log.integrity import LogContradiction
from registry.verify.checkpoint import Checkpoint, verify_checkpoint
from registry.verify.note import VerifierKey

MAX_PIN_SIZE = 64 * 1024
"""A checkpoint note with its cosignatures is well under this; more is not a pin."""


def pin_path(data_dir: Path, origin: str) -> Path:
    """Where the log named ``origin`` pins its checkpoint in ``data_dir``.

    One file per log (origin), since the data directory holds the log's key:
    two databases served with the same key and origin are one log, and one
    pin keeps them from diverging.
    """
    digest = hashlib.sha256(origin.encode()).hexdigest()[:16]
    return data_dir / f"checkpoint-{digest}.pinned"


class CheckpointPin:
    """The pin file of one log: read (verified with the log's key) and replaced atomically."""

    def __init__(
        self, path: Path, log_key: VerifierKey, origin: str, also: Sequence[VerifierKey] = ()
    ) -> None:
        self.path = path
        self.log_key = log_key
        self.origin = origin
        self.also = tuple(also)
        """Other keys the pin may be signed with: the successor of a log key rotation cut
        short between its commit and the key files' renaming."""

    def read(self) -> Checkpoint | None:
        """The pinned checkpoint; ``None`` if none was pinned yet.

        Raises :class:`LogContradiction` if the file is there but is not a
        checkpoint of this log signed by its key (damaged, or written by hand).
        """
        try:
            with self.path.open("rb") as file:
                data = file.read(MAX_PIN_SIZE + 1)
        except FileNotFoundError:
            return None
        detail = f"more than {MAX_PIN_SIZE} bytes" if len(data) > MAX_PIN_SIZE else ""
        if not detail:
            verdict = verify_checkpoint(data, [self.log_key, *self.also], origin=self.origin)
            if verdict.ok and verdict.value is not None:
                return verdict.value
            detail = verdict.detail
        evidence = {"pin_file": str(self.path), "detail": detail}
        raise LogContradiction(Message("log.pin-unreadable", evidence), evidence)

    def write(self, note: str) -> None:
        """Pin the signed checkpoint ``note``: afterwards :meth:`read` returns it, even
        after a crash or a power cut (the rename and the directory are synced)."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(note.encode())
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
