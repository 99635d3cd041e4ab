"""The hand-off's frames written together: one write a loop turn on each side of the socket.

A batch's answers are ready in one turn of the sequencer's loop, and the requests of the
clients they wake on a follower in one turn of its loop; each side writes those frames
in one write, so the other reads them at once (and the sequencer admits them as one
batch instead of a few at a time).  Counted here by the writes each side makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from registry.records.errors import Unavailable
from registry.records.handoff import HandoffClient, HandoffServer, Outbox, decode_request
from registry.records.queued import Registered
from registry.verify.statement import Statement

STATEMENTS = [f"statement {n}".encode() for n in range(12)]


class _Sequencer:
    """A hand-off server whose registrations wait at a gate, then answer all at once."""

    def __init__(self, path: Path) -> None:
        self.gate = asyncio.Event()
        self.arrived: list[bytes] = []
        self.server = HandoffServer(path, self.register)

    async def register(
        self, statement: bytes, checked_with: bytes | None, read: Statement | None
    ) -> Registered:
        self.arrived.append(statement)
        await self.gate.wait()
        return Registered(STATEMENTS.index(statement), b"receipt " + statement, existed=False)

    async def until_arrived(self, count: int) -> None:
        while len(self.arrived) < count:
            await asyncio.sleep(0.001)


@contextlib.asynccontextmanager
async def _connected(path: Path) -> AsyncIterator[tuple[_Sequencer, HandoffClient]]:
    """A sequencer answering at once and a client connected to it (one registration made)."""
    sequencer = _Sequencer(path)
    sequencer.gate.set()
    await sequencer.server.start()
    client = HandoffClient(sequencer.server.path)
    try:
        await client.register(STATEMENTS[0], None)
        yield sequencer, client
    finally:
        await client.close()
        await sequencer.server.close()


def _spy(writer: asyncio.StreamWriter) -> list[bytes]:
    """The bytes of each write made on ``writer`` from now on."""
    writes: list[bytes] = []
    write = writer.write

    def spied(data: bytes | bytearray | memoryview) -> None:
        writes.append(bytes(data))
        write(data)

    writer.write = spied  # type: ignore[method-assign]
    return writes


def _frames(data: bytes) -> list[bytes]:
    frames, pos = [], 0
    while pos < len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        frames.append(data[pos + 4 : pos + 4 + size])
        pos += 4 + size
    return frames


def test_the_answers_ready_in_one_turn_leave_in_one_write(tmp_path: Path) -> None:
    async def scenario() -> None:
        sequencer = _Sequencer(tmp_path / "s.sock")
        await sequencer.server.start()
        client = HandoffClient(sequencer.server.path)
        try:
            sending = asyncio.gather(*(client.register(s, None) for s in STATEMENTS))
            await sequencer.until_arrived(len(STATEMENTS))
            (writer,) = sequencer.server._connections.values()
            writes = _spy(writer)
            sequencer.gate.set()  # every registration is answered in the same turn
            results = await sending
            assert [r.index for r in results] == list(range(len(STATEMENTS)))
            assert [r.receipt for r in results] == [b"receipt " + s for s in STATEMENTS]
            assert len(writes) == 1  # one write per answer before
            assert len(_frames(writes[0])) == len(STATEMENTS)
        finally:
            await client.close()
            await sequencer.server.close()

    asyncio.run(scenario())


def test_the_requests_sent_in_one_turn_leave_in_one_write_in_their_order(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with _connected(tmp_path / "s.sock") as (sequencer, client):
            assert client._writer is not None
            writes = _spy(client._writer)
            results = await asyncio.gather(*(client.register(s, None) for s in STATEMENTS))
            assert [r.index for r in results] == list(range(len(STATEMENTS)))
            assert len(writes) == 1  # one write per request before
            sent = [decode_request(frame)[1] for frame in _frames(writes[0])]
            assert sent == STATEMENTS
            assert sequencer.arrived[1:] == STATEMENTS

    asyncio.run(scenario())


def test_frames_sent_in_later_turns_are_written_in_later_writes() -> None:
    async def scenario() -> None:
        reader_side, writer_side, other = await _pair()
        try:
            outbox = Outbox(writer_side)
            writes = _spy(writer_side)
            outbox.send(b"\x00\x00\x00\x01a")
            outbox.send(b"\x00\x00\x00\x01b")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            outbox.send(b"\x00\x00\x00\x01c")
            assert await reader_side.readexactly(15) == (
                b"\x00\x00\x00\x01a\x00\x00\x00\x01b\x00\x00\x00\x01c"
            )
            assert writes == [b"\x00\x00\x00\x01a\x00\x00\x00\x01b", b"\x00\x00\x00\x01c"]
        finally:
            for writer in (writer_side, other):
                writer.close()
                await writer.wait_closed()

    asyncio.run(scenario())


async def _pair() -> tuple[asyncio.StreamReader, asyncio.StreamWriter, asyncio.StreamWriter]:
    """Streams on both ends of a new Unix socket pair: the reader of one end, the
    writer of the other, and the first end's writer (to close)."""
    one, other = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    reader, reader_writer = await asyncio.open_unix_connection(sock=one)
    _, writer = await asyncio.open_unix_connection(sock=other)
    return reader, writer, reader_writer


def test_a_request_queued_on_a_connection_that_closes_is_sent_on_a_new_one(
    tmp_path: Path,
) -> None:
    """A request waiting for the end of the turn when its connection closes is not lost:
    the client connects again and sends it (registration is idempotent)."""

    async def scenario() -> None:
        async with _connected(tmp_path / "s.sock") as (_, client):
            first = client._writer
            sending = asyncio.ensure_future(client.register(STATEMENTS[1], None))
            await asyncio.sleep(0)  # queued in the outbox, not written yet
            assert first is not None
            first.close()
            result = await asyncio.wait_for(sending, 5)
            assert result.index == 1
            assert client._writer is not None
            assert client._writer is not first

    asyncio.run(scenario())


def test_the_hand_off_still_answers_each_request_with_its_own_outcome(tmp_path: Path) -> None:
    """Answers written together go to their own requests, refusals included."""

    async def register(
        statement: bytes, checked_with: bytes | None, read: Statement | None
    ) -> Registered:
        position = STATEMENTS.index(statement)
        if position % 3 == 0:
            raise Unavailable(f"busy {position}")
        return Registered(position, b"r", existed=position % 2 == 0)

    async def scenario() -> None:
        server = HandoffServer(tmp_path / "s.sock", register)
        await server.start()
        client = HandoffClient(server.path)
        try:
            outcomes = await asyncio.gather(
                *(client.register(s, None) for s in STATEMENTS), return_exceptions=True
            )
            for position, outcome in enumerate(outcomes):
                if position % 3 == 0:
                    assert isinstance(outcome, Unavailable)
                    assert f"busy {position}" in str(outcome)
                else:
                    assert outcome == Registered(position, b"r", existed=position % 2 == 0)
        finally:
            await client.close()
            await server.close()

    asyncio.run(scenario())
