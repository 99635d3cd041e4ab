"""The hand-off between API processes and the sequencer on one host: a Unix socket.

Several ``registry serve`` workers share one log; the one holding the
sequencer lock appends, the others verify what they are sent and hand it over
here, so the signature checks (the dearest part of a registration) run on
every core while the sequencer only admits, appends and commits.

One connection per follower process, many requests in flight on it, answered
in any order; the frames are described in ``handoff_frames.py``.

A sequencer holds an exclusive ``flock`` on ``<socket>.lock`` for as long as it
listens, and takes it before it replaces a socket file.  A sequencer killed
outright (SIGKILL, power cut) leaves its socket file behind; the kernel drops
its lock.  A follower whose connection is refused takes the lock without
waiting: if it gets it, nobody serves the file, and it removes it (then hands
over through the database on PostgreSQL, or answers "retry" on SQLite until a
new sequencer listens); if it does not, a sequencer is starting up there.  So
a restarted process never keeps knocking at a dead socket (issue 11), and
never removes a live one.

The socket is created with mode 0600 in a directory only the registry's user
reads (the data directory by default, which holds the operator's keys): a
request that says "checked with key K" is trusted, so only the registry's own
processes may connect.  Registration is idempotent (identical bytes return the
existing entry), so a request lost with a dropped connection is safely sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from registry.config import Settings
from registry.i18n import Message
from registry.records.errors import RegistrationRefused, Unavailable
from registry.records.handoff_frames import (
    HandoffError,
    chunk_of,
    decode_answer,
    decode_request,
    encode_answer,
    encode_chunk,
    encode_chunk_answer,
    encode_request,
    is_chunk,
    read_frame,
)
from registry.records.queued import Registered
from registry.store.engine import database_backend, sqlite_file
from registry.verify.statement import Statement

log = logging.getLogger(__name__)

MAX_SOCKET_PATH = 100
"""A Unix socket path is at most 107 bytes on Linux; longer ones move to a short private path."""
LOCK_WAIT_S = 5.0
"""How long a starting sequencer waits for the socket's lock (a follower holds it an instant)."""

Reply = Callable[[Registered | BaseException], None]
"""Answers one request with its outcome: the entry, or the exception to answer with."""
Submit = Callable[[bytes, bytes | None, Statement | None, Reply], None]
"""The sequencer's registration: statement, the key a follower checked it with (or None),
what it read of it (or None: the sequencer reads it), and the reply to call once it is
decided (``Registrar.submit``); raises at once what it refuses before queueing."""


Chunk = Callable[[bytes], Awaitable[bytes]]
"""The sequencer's registration of a bulk import's chunk: its answer, or the refusal raised."""


class SequencerUnreachable(Unavailable):
    """No sequencer listens on the hand-off socket (a stale one was removed if found)."""


def _lock_file(socket_path: Path) -> Path:
    return socket_path.with_name(socket_path.name + ".lock")


def _try_lock(socket_path: Path) -> int | None:
    """The descriptor holding the socket's lock, or None if a live process holds it."""
    descriptor = os.open(_lock_file(socket_path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def remove_stale_socket(socket_path: Path) -> bool:
    """Remove the socket file at ``socket_path`` if no live sequencer holds it; whether it did.

    A sequencer holds the socket's lock while it lives; if the lock is free,
    the file was left by one that died.
    """
    descriptor = _try_lock(socket_path)
    if descriptor is None:
        return False
    try:
        socket_path.unlink()
    except FileNotFoundError:
        return False
    finally:
        os.close(descriptor)  # releases the lock
    log.warning("removed %s, left by a sequencer that is gone", socket_path)
    return True


def handoff_socket(settings: Settings) -> Path | None:
    """Where the sequencer of ``settings``' log listens; None for a private in-memory log.

    ``sequencer-<hash of the database URL>.sock`` in the data directory, so
    registries sharing a data directory never share a socket; in a per-user
    private directory under the temporary directory when that path is too
    long for a Unix socket.
    """
    if database_backend(settings.database_url) == "sqlite" and (
        sqlite_file(settings.database_url) is None
    ):
        return None
    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:16]
    preferred = settings.data_dir.resolve() / f"sequencer-{digest}.sock"
    if len(str(preferred).encode()) <= MAX_SOCKET_PATH:
        return preferred
    private = Path(tempfile.gettempdir()) / f"registry-{os.getuid()}"
    private.mkdir(mode=0o700, exist_ok=True)
    if private.stat().st_uid != os.getuid() or private.stat().st_mode & 0o077:
        raise Unavailable(Message("unavailable.socket-dir", {"path": str(private)}))
    name = hashlib.sha256(f"{preferred}\0{settings.database_url}".encode()).hexdigest()[:24]
    return private / f"{name}.sock"


class HandoffServer:
    """On the sequencer: take statements from followers and answer with their outcome."""

    def __init__(self, path: Path, submit: Submit, chunk: Chunk | None = None) -> None:
        self.path = path
        self._submit = submit
        self._chunk = chunk
        self._chunks: set[asyncio.Task[None]] = set()
        """Chunks being registered (each a transaction of its own, answered when it ends)."""
        self._server: asyncio.AbstractServer | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._lock: int | None = None

    @property
    def followers(self) -> int:
        """The follower connections open now."""
        return len(self._connections)

    async def start(self) -> None:
        """Take the socket's lock and listen, replacing a stale socket left by a sequencer
        that died.  Raises :class:`Unavailable` if another live process holds the lock."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_S
        while (descriptor := _try_lock(self.path)) is None:
            if loop.time() > deadline:
                raise Unavailable(f"another process serves {self.path}")
            await asyncio.sleep(0.01)
        self._lock = descriptor
        try:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            old_umask = os.umask(0o177)
            try:
                self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
            finally:
                os.umask(old_umask)
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    async def close(self) -> None:
        """Stop listening and drop every connection (followers resend what was in flight)."""
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        for writer in list(self._connections.values()):
            writer.close()  # the connection's reader sees the end and returns
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=5)
        if self._chunks:  # a chunk ends in its transaction or not at all: let it end
            await asyncio.wait(list(self._chunks), timeout=30)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        self._release()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while True:
                frame = await read_frame(reader)
                if is_chunk(frame):
                    self._start_chunk(writer, *chunk_of(frame))
                    continue
                request_id, statement, checked_with, read = decode_request(frame)
                # Answered from the sequencer's cycle when decided, not by a task awaiting it:
                # a connection that closes meanwhile drops its answers, not the registrations.
                reply = _replier(writer, request_id)
                try:
                    self._submit(statement, checked_with, read, reply)
                except (RegistrationRefused, Unavailable) as refused:
                    reply(refused)
                except Exception as exc:
                    log.exception("a handed-off registration failed")
                    reply(Unavailable(Message("unavailable.not-written", {"error": str(exc)})))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except HandoffError:
            log.exception("dropping a hand-off connection that sent a malformed frame")
        finally:
            writer.close()
            self._connections.pop(task, None)

    def _start_chunk(self, writer: asyncio.StreamWriter, request_id: int, chunk: bytes) -> None:
        task = asyncio.create_task(self._register_chunk(writer, request_id, chunk))
        self._chunks.add(task)
        task.add_done_callback(self._chunks.discard)

    async def _register_chunk(
        self, writer: asyncio.StreamWriter, request_id: int, chunk: bytes
    ) -> None:
        reply = _replier(writer, request_id)
        try:
            if self._chunk is None:
                raise Unavailable(Message("unavailable.bulk-on-sequencer"), retry_after=1)
            answer = await self._chunk(chunk)
        except (RegistrationRefused, Unavailable) as refused:
            reply(refused)
        except Exception as exc:
            log.exception("a handed-off import chunk failed")
            reply(Unavailable(Message("unavailable.not-written", {"error": str(exc)})))
        else:
            if not writer.is_closing():
                writer.write(encode_chunk_answer(request_id, answer))


def _replier(writer: asyncio.StreamWriter, request_id: int) -> Reply:
    """The reply to request ``request_id``: its answer frame, unless the connection closed."""

    def reply(outcome: Registered | BaseException) -> None:
        if not writer.is_closing():
            writer.write(encode_answer(request_id, outcome))

    return reply


class HandoffClient:
    """On a follower: one connection to the sequencer, many registrations in flight."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[Registered | bytes]] = {}
        self._next_id = 0
        self._connecting = asyncio.Lock()

    @property
    def available(self) -> bool:
        """Whether a sequencer socket exists to connect to."""
        return self._writer is not None or self.path.exists()

    async def register(self, statement: bytes, verified: Statement | None) -> Registered:
        """Hand ``statement`` (``verified`` here, or not) to the sequencer; its outcome,
        or the refusal raised.

        A connection lost with the request in flight is opened again and the
        request sent once more (registration is idempotent).  Raises
        :class:`SequencerUnreachable` if no sequencer listens.
        """
        outcome = await self._exchange(lambda i: encode_request(i, statement, verified))
        if not isinstance(outcome, Registered):
            raise HandoffError("a registration was answered as a chunk")
        return outcome

    async def register_chunk(self, chunk: bytes) -> bytes:
        """Hand a bulk import's ``chunk`` to the sequencer; its answer, or the refusal raised.

        Sent once more on a connection lost in flight, as a statement is: a chunk
        registered already is answered as in the log (``existed``).
        """
        outcome = await self._exchange(lambda i: encode_chunk(i, chunk))
        if isinstance(outcome, Registered):
            raise HandoffError("a chunk was answered as a registration")
        return outcome

    async def _exchange(self, request: Callable[[int], bytes]) -> Registered | bytes:
        for attempt in (1, 2):
            try:
                return await self._send(request)
            except (ConnectionError, OSError) as exc:
                await self._drop()
                if attempt == 2:
                    raise Unavailable(
                        Message("unavailable.sequencer-unreachable", {"error": str(exc)}),
                        retry_after=1,
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        """Close the connection; registrations in flight fail as unavailable."""
        await self._drop()

    async def _send(self, request: Callable[[int], bytes]) -> Registered | bytes:
        writer = await self._connection()
        self._next_id = (self._next_id + 1) & 0xFFFFFFFF
        request_id = self._next_id
        future: asyncio.Future[Registered | bytes] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            writer.write(request(request_id))
            return await future
        finally:
            self._waiting.pop(request_id, None)

    async def _connection(self) -> asyncio.StreamWriter:
        async with self._connecting:
            if self._writer is None or self._writer.is_closing():
                try:
                    reader, writer = await asyncio.open_unix_connection(str(self.path))
                except (ConnectionRefusedError, FileNotFoundError) as exc:
                    remove_stale_socket(self.path)
                    raise SequencerUnreachable(
                        f"no sequencer listens on {self.path} ({exc}); send the statement again",
                        retry_after=1,
                    ) from exc
                self._writer = writer
                self._reader_task = asyncio.create_task(self._read_answers(reader, writer))
            return self._writer

    async def _read_answers(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        error: Exception = ConnectionResetError("the sequencer closed the connection")
        try:
            while True:
                request_id, outcome = decode_answer(await read_frame(reader))
                future = self._waiting.get(request_id)
                if future is None or future.done():
                    continue
                if isinstance(outcome, Registered | bytes):
                    future.set_result(outcome)
                else:
                    future.set_exception(outcome)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            error = ConnectionResetError(f"the sequencer connection was lost: {exc}")
        except HandoffError as exc:
            log.exception("the sequencer sent a malformed answer")
            error = ConnectionResetError(str(exc))
        finally:
            writer.close()
            if self._writer is writer:
                self._writer = None
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(error)

    async def _drop(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
            self._reader_task = None
