"""A small table of counts shared by the processes of one server, in a file of its data folder.

``registry serve`` runs several worker processes, and the requests of one
client land on any of them: counts kept in each worker's memory (rate limits,
wrong passphrases) give a client *k* times its allowance with *k* workers.
A :class:`SharedTable` keeps them in one file instead, mapped into every
process's memory, read and written under an exclusive ``flock`` of the file
(a few microseconds; the kernel drops the lock if a process dies holding it).

The file is :data:`SLOTS` fixed slots after a header naming its format and a
random key.  A slot holds a keyed BLAKE2b hash of what it counts (never the
client's address or a key id in the clear), two numbers, and when it was last
written.  A name's slot is looked for in a window of :data:`WINDOW` slots from
where its hash points; when the window is full, the slot written longest ago
is taken over (its count is forgotten: the tables here are made so that
forgetting never refuses anyone).  The key is drawn when the file is made, so
no one can choose names whose slots fall on another's window.

The file is made when the first process finds none (made aside, then linked
into place, so two processes starting at once share one) and made again when
it is of another format.  It holds nothing to keep: removing it resets the
counts.  Several hosts behind one address each count their own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import mmap
import os
import struct
from collections.abc import Iterator
from pathlib import Path

MAGIC = b"RGTABL01"
HEADER = struct.Struct("<8sI4x16s")
"""Magic, slot count, padding, the hashing key."""
SLOT = struct.Struct("<16sddd")
"""Name hash (all zero: an empty slot), two numbers, when written."""
SLOTS = 65_536
WINDOW = 8
EMPTY = bytes(16)

Values = tuple[float, float, float]
"""A slot's two numbers and when it was written."""


def file_size(slots: int) -> int:
    """The bytes of a table of ``slots`` slots."""
    return HEADER.size + slots * SLOT.size


class SharedTable:
    """The table at ``path`` (made if missing); read and write it inside :meth:`locked`."""

    def __init__(self, path: Path, slots: int = SLOTS) -> None:
        self.path = path
        self.slots = slots
        self._fd, self._map, self._salt = _open(path, slots)
        try:  # a file system without locks fails here, not on every request
            with self.locked():
                pass
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        """Let go of the file (the table must not be used after)."""
        self._map.close()
        os.close(self._fd)

    def name(self, *parts: bytes) -> bytes:
        """The slot name of ``parts`` (a keyed hash: what is counted is not written)."""
        digest = hashlib.blake2b(b"\0".join(parts), digest_size=16, key=self._salt).digest()
        return b"\x01" + digest[1:] if digest == EMPTY else digest

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the table for a read and write that no other process may split."""
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def get(self, name: bytes) -> Values | None:
        """The numbers under ``name``, None if it has none (hold :meth:`locked`)."""
        return self.find(name)[1]

    def find(self, name: bytes) -> tuple[int, Values | None]:
        """Where ``name``'s numbers are or would go, and the numbers (None if it has none), for
        a :meth:`put` at once after (hold :meth:`locked` for both)."""
        offset, found = self._slot(name)
        if not found:
            return offset, None
        _, first, second, when = SLOT.unpack_from(self._map, offset)
        return offset, (first, second, when)

    def put(
        self, name: bytes, first: float, second: float, when: float, at: int | None = None
    ) -> None:
        """Set the numbers under ``name`` (hold :meth:`locked`); ``at`` is where :meth:`find`
        said they go, in the same hold."""
        offset = self._slot(name)[0] if at is None else at
        SLOT.pack_into(self._map, offset, name, first, second, when)

    def drop(self, name: bytes) -> None:
        """Forget ``name`` (hold :meth:`locked`)."""
        offset, found = self._slot(name)
        if found:
            SLOT.pack_into(self._map, offset, EMPTY, 0.0, 0.0, 0.0)

    def _slot(self, name: bytes) -> tuple[int, bool]:
        """Where ``name``'s slot is in its window, and whether it is there already; else the
        first empty slot, else the one written longest ago."""
        start = int.from_bytes(name[:8], "little") % self.slots
        chosen, oldest = -1, float("inf")
        for step in range(WINDOW):
            offset = HEADER.size + (start + step) % self.slots * SLOT.size
            held, _, _, when = SLOT.unpack_from(self._map, offset)
            if held == name:
                return offset, True
            if held == EMPTY:
                if oldest > float("-inf"):
                    chosen, oldest = offset, float("-inf")
            elif not when >= oldest:  # NaN (a damaged slot) is taken over first
                chosen, oldest = offset, when
        return chosen, False


def shared_or_none(path: Path, slots: int = SLOTS) -> SharedTable | None:
    """The table at ``path``, or None when it cannot be made or locked there (a read-only
    folder, a file system without locks), said in the log: the caller then counts in its
    own process, since a server that refuses every counted request is worse."""
    try:
        return SharedTable(path, slots)
    except OSError as exc:
        logging.getLogger(__name__).warning(
            "counted per worker: %s cannot be shared (%s)", path, exc
        )
        return None


def _open(path: Path, slots: int) -> tuple[int, mmap.mmap, bytes]:
    """The table at ``path`` opened and mapped, made (or made again) when it is not one of
    ``slots`` slots in this format."""
    for _ in range(5):
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            _make(path, slots, replace=False)
            continue
        salt = _header(fd, slots)
        if salt is not None:
            return fd, mmap.mmap(fd, file_size(slots)), salt
        os.close(fd)
        _make(path, slots, replace=True)
    raise OSError(f"{path}: cannot make a shared table there")


def _header(fd: int, slots: int) -> bytes | None:
    """The hashing key of the table open at ``fd``, or None if it is not ``slots`` slots of
    this format."""
    if os.fstat(fd).st_size != file_size(slots):
        return None
    magic, count, salt = HEADER.unpack(os.pread(fd, HEADER.size, 0))
    return salt if magic == MAGIC and count == slots else None


def _make(path: Path, slots: int, *, replace: bool) -> None:
    """A new, empty table at ``path``: made aside, then linked into place (a table another
    process linked first is kept) or, with ``replace``, put in the place of the one there."""
    aside = path.with_name(f"{path.name}.{os.getpid()}.new")
    fd = os.open(aside, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.ftruncate(fd, file_size(slots))
        os.pwrite(fd, HEADER.pack(MAGIC, slots, os.urandom(16)), 0)
    finally:
        os.close(fd)
    try:
        if replace:
            os.replace(aside, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(aside, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(aside)
