"""Rate limits shared by the processes of one server, through a file in its data folder.

``registry serve`` runs several worker processes, and the connections of one
client land on any of them: limits kept in each worker's memory let a client
send *k* times its rate with *k* workers (a flood of complaints, of
enrolment requests, of signing attempts).  :class:`SharedRateLimiter` keeps
the token buckets in ``rate-limits`` in the data folder instead, mapped into
every worker's memory, so the count is one per server whatever worker takes
the request.

The file is a table of :data:`SLOTS` fixed slots (2 MiB) after a header naming
its format and a random key.  A slot holds a keyed BLAKE2b hash of (bucket,
client), the tokens left and when they were counted (``time.monotonic``, one
clock for every process of the machine).  A client's slot is looked for in a
window of :data:`WINDOW` slots from where its hash points; when the window is
full, the slot counted longest ago is taken over, and its client starts again
with a full bucket (as a forgotten client of the in-memory limiter: forgetting
never refuses anyone).  The key is drawn when the file is made, so no one can
choose addresses whose slots fall on another client's window.

Each request reads and writes its slot under an exclusive ``flock`` of the
file (a few microseconds; the kernel drops it if a worker dies holding it).
The file is made when the first worker finds none (made aside, then linked
into place, so two workers starting at once share one) and made again when it
is of another format.  It holds nothing to keep: removing it resets the limits.
A clock that went back (the machine restarted, the monotonic clock with it)
refills nothing until it passes the recorded time (:func:`registry.api.limits.spend`).
Limits are per server: several hosts behind one address each count their own.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import mmap
import os
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from registry.api.limits import MAX_CLIENTS, Rate, RateLimiter, spend

FILE_NAME = "rate-limits"
MAGIC = b"RGRATE01"
HEADER = struct.Struct("<8sI4x16s")
"""Magic, slot count, padding, the hashing key."""
SLOT = struct.Struct("<16sdd")
"""Key hash (all zero: an empty slot), tokens, when counted."""
SLOTS = MAX_CLIENTS
WINDOW = 8
EMPTY = bytes(16)


def file_size(slots: int) -> int:
    """The bytes of a table of ``slots`` slots."""
    return HEADER.size + slots * SLOT.size


class SharedRateLimiter(RateLimiter):
    """A :class:`RateLimiter` whose buckets live in the table at ``path`` (made if missing).

    Every process opening the same file counts in the same buckets.
    """

    def __init__(
        self,
        path: Path,
        rates: Mapping[str, Rate | None],
        clock: Callable[[], float] = time.monotonic,
        slots: int = SLOTS,
    ) -> None:
        super().__init__(rates, clock, slots)
        self.path = path
        self._slots = slots
        self._fd, self._map, self._salt = _open(path, slots)
        try:  # a file system without locks fails here, not on every request
            with self._locked():
                pass
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        """Let go of the file (the limiter must not be used after)."""
        self._map.close()
        os.close(self._fd)

    def _count(self, bucket: str, client: str, rate: Rate, now: float) -> int:
        key = hashlib.blake2b(
            bucket.encode() + b"\0" + client.encode(), digest_size=16, key=self._salt
        ).digest()
        if key == EMPTY:
            key = b"\x01" + key[1:]
        start = int.from_bytes(key[:8], "little") % self._slots
        with self._locked():
            offset, found = self._slot(key, start)
            if found:
                _, tokens, then = SLOT.unpack_from(self._map, offset)
            else:
                tokens, then = float(rate.requests), now
            tokens, wait = spend(rate, tokens, then, now)
            SLOT.pack_into(self._map, offset, key, tokens, now)
        return wait

    def _slot(self, key: bytes, start: int) -> tuple[int, bool]:
        """Where ``key``'s slot is in its window, and whether it is there already; else the
        first empty slot, else the one counted longest ago."""
        chosen, oldest = -1, float("inf")
        for step in range(WINDOW):
            offset = HEADER.size + (start + step) % self._slots * SLOT.size
            held, _, then = SLOT.unpack_from(self._map, offset)
            if held == key:
                return offset, True
            if held == EMPTY:
                if oldest > float("-inf"):
                    chosen, oldest = offset, float("-inf")
            elif then < oldest:
                chosen, oldest = offset, then
        return chosen, False

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


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
    raise OSError(f"{path}: cannot make a rate-limit table there")


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
