"""The frames of the hand-off socket (``handoff.py``): requests and answers, encoded and read.

Every frame is a 4-byte big-endian length, then:

- request: request id (u32), flags (u8), the public key the follower checked
  the signature with (32 bytes, zero if it did not check), then with flag
  ``READ`` the length (u32) and bytes of what it read of the statement
  (``handed_statement.py``: the sequencer need not read the COSE again), then
  the statement; with flag ``CHUNK`` instead (and no key), a chunk of a bulk
  import (``import_desk.py``), registered in one transaction by the sequencer;
- answer: request id (u32), outcome (u8), then for ``REGISTERED`` or
  ``EXISTED`` the entry index (u64) and the receipt, for ``REFUSED`` the
  refusal as JSON, for ``UNAVAILABLE`` a text, for ``CHUNK_DONE`` the
  chunk's answer.
"""

from __future__ import annotations

import asyncio
import struct

from registry.records.errors import RegistrationRefused, TamperedEntry, Unavailable
from registry.records.handed_statement import decode_read, encode_read
from registry.records.queued import Registered
from registry.verify.statement import Statement

MAX_FRAME = 1 << 25
"""A chunk of a bulk import is at most 16 MiB (``api/imports.py``); a statement at most 64 KiB."""
KEY_SIZE = 32
NO_KEY = bytes(KEY_SIZE)

_LENGTH = struct.Struct(">I")
_REQUEST = struct.Struct(">IB32s")
_ANSWER = struct.Struct(">IB")
_INDEX = struct.Struct(">Q")
_ID = struct.Struct(">I")
READ = 1
"""Request flag: what the follower read of the statement comes before it."""
CHUNK = 2
"""Request flag: the body is a chunk of a bulk import, not a statement."""

REGISTERED, EXISTED, REFUSED, UNAVAILABLE, CHUNK_DONE = 0, 1, 2, 3, 4


class HandoffError(Exception):
    """A frame on the hand-off socket is malformed."""


def is_chunk(frame: bytes) -> bool:
    """Whether a request frame (after its length) hands over a chunk, not a statement."""
    return len(frame) > _REQUEST.size and bool(frame[4] & CHUNK)


def chunk_of(frame: bytes) -> tuple[int, bytes]:
    """A chunk request's id and chunk (``frame`` after its length)."""
    (request_id,) = _ID.unpack_from(frame)
    return request_id, frame[_REQUEST.size :]


def encode_chunk_answer(request_id: int, answer: bytes) -> bytes:
    """The answer frame for a chunk registered: its answer."""
    return framed(_ANSWER.pack(request_id, CHUNK_DONE), answer)


def encode_request(request_id: int, statement: bytes, verified: Statement | None) -> bytes:
    """The request frame handing over ``statement``, ``verified`` by the follower (or not)."""
    if verified is None:
        return framed(_REQUEST.pack(request_id, 0, NO_KEY), statement)
    read = encode_read(verified)
    if read is None:
        return framed(_REQUEST.pack(request_id, 0, verified.public_key), statement)
    header = _REQUEST.pack(request_id, READ, verified.public_key)
    return framed(header, _LENGTH.pack(len(read)), read, statement)


def decode_request(frame: bytes) -> tuple[int, bytes, bytes | None, Statement | None]:
    """Request id, statement, the key it was checked with and what was read of it.

    Raises :class:`HandoffError` if the frame is malformed.
    """
    if len(frame) < _REQUEST.size:
        raise HandoffError("a request frame is shorter than its header")
    request_id, flags, key = _REQUEST.unpack_from(frame)
    checked_with = None if key == NO_KEY else key
    body = memoryview(frame)[_REQUEST.size :]
    if not flags & READ:
        return request_id, bytes(body), checked_with, None
    if checked_with is None or len(body) < _LENGTH.size:
        raise HandoffError("a request that says what it read names no key or no length")
    (size,) = _LENGTH.unpack_from(body)
    end = _LENGTH.size + size
    if end > len(body):
        raise HandoffError("a request's reading runs past its frame")
    statement = bytes(body[end:])
    return (
        request_id,
        statement,
        checked_with,
        decode_read(body[_LENGTH.size : end], statement, checked_with),
    )


def encode_chunk(request_id: int, chunk: bytes) -> bytes:
    """The request frame handing over a bulk import's ``chunk``."""
    return framed(_REQUEST.pack(request_id, CHUNK, NO_KEY), chunk)


def framed(*parts: bytes) -> bytes:
    size = sum(len(p) for p in parts)
    return _LENGTH.pack(size) + b"".join(parts)


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    (size,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if size > MAX_FRAME:
        raise HandoffError(f"a {size}-byte frame is over the {MAX_FRAME}-byte limit")
    return await reader.readexactly(size)


def encode_answer(request_id: int, outcome: Registered | BaseException) -> bytes:
    """The answer frame for a registration's outcome."""
    if isinstance(outcome, Registered):
        code = EXISTED if outcome.existed else REGISTERED
        return framed(_ANSWER.pack(request_id, code), _INDEX.pack(outcome.index), outcome.receipt)
    if isinstance(outcome, TamperedEntry):  # answered as the refusal that carries it
        outcome = outcome.as_refusal()
    if isinstance(outcome, RegistrationRefused):
        return framed(_ANSWER.pack(request_id, REFUSED), outcome.to_json().encode())
    unavailable = outcome if isinstance(outcome, Unavailable) else Unavailable(str(outcome))
    return framed(_ANSWER.pack(request_id, UNAVAILABLE), unavailable.to_json().encode())


def decode_answer(frame: bytes) -> tuple[int, Registered | bytes | Exception]:
    """A request id and its outcome: the registration (a chunk's answer), or the exception
    to raise."""
    if len(frame) < _ANSWER.size:
        raise HandoffError("an answer frame is shorter than its header")
    request_id, code = _ANSWER.unpack_from(frame)
    body = frame[_ANSWER.size :]
    if code in (REGISTERED, EXISTED):
        if len(body) < _INDEX.size:
            raise HandoffError("a registration answer has no entry index")
        (index,) = _INDEX.unpack_from(body)
        return request_id, Registered(index, body[_INDEX.size :], existed=code == EXISTED)
    if code == REFUSED:
        return request_id, RegistrationRefused.from_json(body.decode(errors="replace"))
    if code == UNAVAILABLE:
        return request_id, Unavailable.from_json(body.decode(errors="replace"))
    if code == CHUNK_DONE:
        return request_id, bytes(body)
    raise HandoffError(f"unknown answer outcome {code}")
