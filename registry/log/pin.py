"""The last checkpoint the registry signed, kept outside the database (the pin).

A database restored from an old backup, or rolled back by a careless edit,
no longer holds the newest entries; a registry that carried on from it would
sign a second, different root for a size it had already signed and published.
The sequencer therefore keeps its latest checkpoint (the signed note, as
served at ``/checkpoint``) in a file of the data directory, where a database
rollback cannot reach, written after each batch commits and before anyone is
shown the batch.  At start-up the stored tree is checked against it
(:func:`registry.log.integrity.check_pinned`).

**Format: one file of two fixed slots.**  The file is :data:`PIN_FILE_SIZE`
bytes, two slots of :data:`SLOT_SIZE`; each holds a record: ``PIN2``, the
note's length (4 bytes, big-endian), the SHA-256 of the note, the note.  One
file rather than two: one name to back up, to name in messages and to replace
atomically (the upgrade and ``registry repin`` below), and no state where one
file of a pair is missing.  The slots start 64 KiB apart, so no disk sector
or page holds bytes of both and a torn write can only damage the slot written.

**Writing** (only the sequencing process writes): the record goes to the slot
*not* holding the newest checkpoint, with one ``os.pwrite`` (zero-padded to
whole 4 KiB blocks; what lies past the length is never read) on a descriptor
kept open, then one ``os.fdatasync``.  The file's size never changes after it
is created, and it is created written whole (no hole for a later write to
allocate), so there is no rename, no directory to sync, no metadata that
``fdatasync`` must flush (it leaves out the times) and no "disk full": a write
costs one data flush, where the previous single-file pin (a temporary file, fsync,
rename, fsync of the directory) cost three flushes and a journal commit.

**Reading** verifies both slots (length and digest, then the signature with
the log's key or an ``also`` key) and returns the verified one of the larger
size.  A crash or power cut tears at most the slot being written; it fails
its digest (a torn length points past the slot or at bytes that do not match
the digest) or its signature, and the other slot, one checkpoint behind,
wins.  That is safe because the batch whose pin write was torn was never
shown to anyone (its receipts wait for the pin): the pin then guards less,
never wrongly.  It never reads as "nothing pinned": the other slot was
written and flushed before this write began.  Both slots failing is damage,
not a crash, and raises :class:`LogContradiction` with each slot's reason.
A reader in another process may catch the slot being written half done; it
takes the other, and re-reads before calling both slots damaged.

**Creating, upgrading, moving back**: the first write (no file yet, or the
single-note file of the previous release, read as before) builds the whole
file with the new note in both slots in a temporary file, flushes it, renames
it over the pin and flushes the directory: a crash leaves the old pin or the
new one, never nothing.  :meth:`CheckpointPin.reset` (``registry repin``,
which may move the pin *backwards*) does the same, because an in-place write
of one slot would leave the old, larger checkpoint in the other and it would
win at the next read; with a rename a crash leaves the old pin, and the
operator runs ``repin`` again.  Accepting an empty database removes the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import weakref
from collections.abc import Sequence
from pathlib import Path

from registry.i18n import Message
from registry.log.durable import sync_directory
from registry.log.integrity import LogContradiction
from registry.verify.checkpoint import Checkpoint, verify_checkpoint
from registry.verify.note import VerifierKey

MAX_PIN_SIZE = 64 * 1024
"""The largest single-note pin file of the previous release: a checkpoint note with its
cosignatures is well under this; more is not a pin."""

SLOT_SIZE = 64 * 1024
PIN_FILE_SIZE = 2 * SLOT_SIZE
"""The size of a two-slot pin file: never that of a single-note one (at most MAX_PIN_SIZE)."""

_HEADER = struct.Struct(">4sI32s")
_MAGIC = b"PIN2"
_BLOCK = 4096
_READ_ATTEMPTS = 3
_sync_data = getattr(os, "fdatasync", os.fsync)


def pin_path(data_dir: Path, origin: str) -> Path:
    """Where the log named ``origin`` pins its checkpoint in ``data_dir``.

    One file per log (origin), since the data directory holds the log's key:
    two databases served with the same key and origin are one log, and one
    pin keeps them from diverging.
    """
    digest = hashlib.sha256(origin.encode()).hexdigest()[:16]
    return data_dir / f"checkpoint-{digest}.pinned"


def slot_record(note: str) -> bytes:
    """The bytes a slot holds for ``note``, padded to whole 4 KiB blocks."""
    body = note.encode()
    if len(body) > SLOT_SIZE - _HEADER.size:
        raise ValueError(f"a checkpoint note of {len(body)} bytes does not fit a pin slot")
    record = _HEADER.pack(_MAGIC, len(body), hashlib.sha256(body).digest()) + body
    return record.ljust(-(-len(record) // _BLOCK) * _BLOCK, b"\0")


def slot_note(data: bytes, index: int) -> tuple[bytes | None, str]:
    """The note slot ``index`` of a two-slot file holds, or None and why it holds none."""
    start = index * SLOT_SIZE
    magic, length, digest = _HEADER.unpack_from(data, start)
    if magic != _MAGIC:
        return None, "no record"
    if length > SLOT_SIZE - _HEADER.size:
        return None, "a length past the slot (torn or damaged)"
    body = data[start + _HEADER.size : start + _HEADER.size + length]
    if hashlib.sha256(body).digest() != digest:
        return None, "the note does not match its digest (torn or damaged)"
    return body, ""


class _Descriptor:
    """The pin file kept open for writing (closed when the pin is dropped)."""

    def __init__(self) -> None:
        self.fd: int | None = None

    def close(self) -> None:
        fd, self.fd = self.fd, None
        if fd is not None:
            os.close(fd)


class CheckpointPin:
    """The pin file of one log: read (verified with the log's key) and written in place."""

    def __init__(
        self, path: Path, log_key: VerifierKey, origin: str, also: Sequence[VerifierKey] = ()
    ) -> None:
        self.path = path
        self.log_key = log_key
        self.origin = origin
        self.also = tuple(also)
        """Other keys the pin may be signed with: the successor of a log key rotation cut
        short between its commit and the key files' renaming."""
        self._file = _Descriptor()
        self._newest: int | None = None
        """The slot holding the newest checkpoint, as this process last read or wrote it."""
        weakref.finalize(self, self._file.close)

    def close(self) -> None:
        """Close the descriptor kept for writing (a later write opens it again)."""
        self._file.close()

    def read(self) -> Checkpoint | None:
        """The pinned checkpoint; ``None`` if none was pinned yet.

        Raises :class:`LogContradiction` if the file is there but neither slot
        (nor, for a file of the previous release, the file) is a checkpoint of
        this log signed by its key (damaged, or written by hand).
        """
        found = self._pinned()
        return None if found is None else found[0]

    def note(self) -> str | None:
        """The signed note of the pinned checkpoint (as :meth:`read`, which it raises)."""
        found = self._pinned()
        return None if found is None else found[1].decode()

    def _pinned(self) -> tuple[Checkpoint, bytes] | None:
        problems: list[str] = []
        for _ in range(_READ_ATTEMPTS):
            data = self._read_file()
            if data is None:
                return None
            if len(data) != PIN_FILE_SIZE:
                return self._read_single(data)
            found: list[tuple[int, int, int, Checkpoint, bytes]] = []
            problems = []
            for index in (0, 1):
                note, detail = slot_note(data, index)
                checkpoint, detail = (None, detail) if note is None else self._verify(note)
                if checkpoint is None or note is None:
                    problems.append(f"slot {index}: {detail}")
                else:
                    found.append((checkpoint.size, -index, index, checkpoint, note))
            if found:  # the larger size; on a tie (both slots after a reset) slot 0
                _, _, self._newest, checkpoint, note = max(found, key=lambda item: item[:2])
                return checkpoint, note
        raise self._unreadable("; ".join(problems))

    def write(self, note: str) -> None:
        """Pin the signed checkpoint ``note``, newer than the one pinned: afterwards
        :meth:`read` returns it, even after a crash or a power cut (one data flush)."""
        record = slot_record(note)
        fd = self._open()
        if fd is None:  # the first pin, or the upgrade of a single-note file
            self._replace(record)
            return
        if self._newest is None:
            self.read()
        target = 1 - (self._newest or 0)
        if os.pwrite(fd, record, target * SLOT_SIZE) != len(record):
            raise OSError(f"a short write to {self.path}")
        _sync_data(fd)
        self._newest = target

    def reset(self, note: str | None) -> None:
        """Pin ``note`` in both slots whatever was pinned, or nothing (``None``): for
        ``registry repin``, which may move the pin backwards.  Atomic: a crash leaves
        the old pin or the new one."""
        if note is not None:
            self._replace(slot_record(note))
            return
        self.close()
        self._newest = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
            sync_directory(self.path.parent)

    def _read_file(self) -> bytes | None:
        try:
            with self.path.open("rb") as file:
                kept = self._file.fd
                if kept is not None and os.fstat(kept).st_ino != os.fstat(file.fileno()).st_ino:
                    self.close()  # replaced by another process (an upgrade)
                return file.read(PIN_FILE_SIZE + 1)
        except FileNotFoundError:
            self.close()
            return None

    def _read_single(self, data: bytes) -> tuple[Checkpoint, bytes]:
        """A pin file of the previous release: the note alone."""
        self._newest = None
        detail = f"more than {MAX_PIN_SIZE} bytes" if len(data) > MAX_PIN_SIZE else ""
        if not detail:
            checkpoint, detail = self._verify(data)
            if checkpoint is not None:
                return checkpoint, data
        raise self._unreadable(detail)

    def _verify(self, note: bytes) -> tuple[Checkpoint | None, str]:
        verdict = verify_checkpoint(note, [self.log_key, *self.also], origin=self.origin)
        if verdict.ok and verdict.value is not None:
            return verdict.value, ""
        return None, verdict.detail

    def _unreadable(self, detail: str) -> LogContradiction:
        evidence = {"pin_file": str(self.path), "detail": detail}
        return LogContradiction(Message("log.pin-unreadable", evidence), evidence)

    def _open(self) -> int | None:
        """The descriptor of a two-slot pin file; None if there is no such file yet."""
        if self._file.fd is None:
            try:
                fd = os.open(self.path, os.O_RDWR)
            except FileNotFoundError:
                return None
            if os.fstat(fd).st_size != PIN_FILE_SIZE:
                os.close(fd)
                return None
            self._file.fd = fd
        return self._file.fd

    def _replace(self, record: bytes) -> None:
        """Make the pin a new two-slot file holding ``record`` in both slots, atomically."""
        slot = record.ljust(SLOT_SIZE, b"\0")
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(slot + slot)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        sync_directory(self.path.parent)
        self.close()
        self._newest = 0
