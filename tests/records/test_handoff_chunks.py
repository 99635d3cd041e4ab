"""A bulk import's chunk handed to the sequencer over the hand-off socket (``CHUNK`` frames).

The frames and the server's dispatch, with a chunk handler of the test's own;
the chunk as handed over (``import_desk.Chunk``); a statement and a chunk in
flight on one connection answered each with its own; a sequencer with no
chunk handler, or one that refuses, answered as a refusal.  The chunk registered
through a served registry's workers is in ``tests/cli/test_import_chunks.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.i18n import Message
from registry.records import import_wire as wire
from registry.records.errors import Unavailable
from registry.records.handoff import (
    HandoffClient,
    HandoffServer,
    Reply,
    decode_answer,
    encode_chunk,
)
from registry.records.import_chunks import SignedRow
from registry.records.import_desk import Chunk
from registry.records.queued import Registered
from registry.verify.statement import Statement
from tests.waiting import until

rows = st.lists(
    st.builds(
        SignedRow,
        st.integers(0, 10**6),
        st.binary(max_size=64),
        st.none() | st.text(max_size=20),
        st.none() | st.text(max_size=20),
    ),
    max_size=5,
)


@given(rows, st.binary(min_size=32, max_size=32), st.sampled_from(["ppk", "recommender"]))
def test_a_chunk_reads_back_as_it_was_handed_over(
    signed: list[SignedRow], kid: bytes, role: str
) -> None:
    chunk = Chunk("recommendation", signed, kid, role)
    assert Chunk.from_wire(chunk.to_wire()) == Chunk("recommendation", signed, kid, role)


@pytest.mark.parametrize(
    "body",
    [
        {"type": "recommendation", "rows": [], "kid": "not bytes", "role": "ppk"},
        {"type": "recommendation", "rows": [[1, b"x", None]], "kid": b"k", "role": "ppk"},
        {"type": "recommendation", "rows": [[1, "text", None, None]], "kid": b"k", "role": "ppk"},
        {"type": "recommendation", "rows": "rows", "kid": b"k", "role": "ppk"},
        {"rows": [], "kid": b"k", "role": "ppk"},
    ],
)
def test_a_malformed_handed_chunk_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(wire.WireError):
        Chunk.from_wire(wire.dumps(body))


def test_a_chunk_answer_decodes_as_its_bytes() -> None:
    frame = encode_chunk(7, b"chunk")
    assert decode_answer(_answer_frame(7, b"jawaban")) == (7, b"jawaban")
    assert frame[4 + 4] & 2  # the CHUNK flag, after the length and the request id


def _answer_frame(request_id: int, body: bytes) -> bytes:
    header = request_id.to_bytes(4, "big") + bytes([4])  # CHUNK_DONE
    return header + body


def test_a_chunk_and_a_statement_on_one_connection_are_answered_each_with_its_own(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sequencer.sock"
    chunks: list[bytes] = []
    release = asyncio.Event()

    def submit(statement: bytes, key: bytes | None, read: Statement | None, reply: Reply) -> None:
        reply(Registered(3, b"receipt:" + statement, existed=False))

    async def chunk(data: bytes) -> bytes:
        chunks.append(data)
        await release.wait()  # a chunk's transaction takes a while: statements go on
        return b"answer:" + data

    async def scenario() -> None:
        server = HandoffServer(path, submit, chunk)
        await server.start()
        client = HandoffClient(path)
        try:
            pending = asyncio.create_task(client.register_chunk(b"rows"))
            await until(lambda: chunks == [b"rows"], "the chunk handed over")
            async with asyncio.timeout(10):  # not held behind the chunk
                registered = await client.register(b"pact", None)
            assert registered == Registered(3, b"receipt:pact", existed=False)
            assert not pending.done()
            release.set()
            assert await pending == b"answer:rows"
        finally:
            await client.close()
            await server.close()

    asyncio.run(scenario())


def test_a_sequencer_without_a_chunk_handler_answers_retry_and_a_refusal_is_carried(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sequencer.sock"

    def submit(statement: bytes, key: bytes | None, read: Statement | None, reply: Reply) -> None:
        raise AssertionError("no statement is sent")

    async def refusing(data: bytes) -> bytes:
        raise Unavailable(Message("unavailable.bulk-on-sequencer"), retry_after=1)

    async def failing(data: bytes) -> bytes:
        raise RuntimeError("disk full")

    async def scenario() -> None:
        for handler, expected in ((None, "sequenc"), (refusing, "sequenc"), (failing, "disk")):
            server = HandoffServer(path, submit, handler)
            await server.start()
            client = HandoffClient(path)
            try:
                with pytest.raises(Unavailable, match=expected):
                    await client.register_chunk(b"rows")
            finally:
                await client.close()
                await server.close()

    asyncio.run(scenario())
