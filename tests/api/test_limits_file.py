"""Rate limits counted in one file by every process of a server (registry/api/limits_file.py).

The rules themselves (burst, refill, buckets, the default) are tested for both
kinds of limiter in test_limits.py; here, what sharing a file adds: processes
that count together, a file of another format, a clock that went back, a full
window, a damaged slot, and no client address written to disk.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from multiprocessing.queues import SimpleQueue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.api.limits import Rate, RateLimited, RateLimiter
from registry.api.limits_file import SharedRateLimiter
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.records.shared_table import (
    HEADER,
    MAGIC,
    SLOT,
    SLOTS,
    WINDOW,
    SharedTable,
    file_size,
)
from tests.api.test_limits import Clock

RATE = {"complaint": Rate(3, 60)}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "rate-limits"


@pytest.fixture
def opened() -> Iterator[list[SharedRateLimiter]]:
    """Limiters a test opens, closed after it."""
    limiters: list[SharedRateLimiter] = []
    yield limiters
    for limiter in limiters:
        limiter.close()


def shared(
    path: Path,
    rates: Mapping[str, Rate | None],
    clock: Callable[[], float] = time.monotonic,
    slots: int = SLOTS,
) -> SharedRateLimiter:
    """A limiter counting in the table at ``path``."""
    return SharedRateLimiter(SharedTable(path, slots), rates, clock)


def allowed(limiter: SharedRateLimiter, client: str, times: int, bucket: str = "complaint") -> int:
    """How many of ``times`` requests of ``client`` went through."""
    through = 0
    for _ in range(times):
        try:
            limiter.take(bucket, client)
        except RateLimited:
            continue
        through += 1
    return through


def test_two_limiters_on_one_file_spend_one_clients_tokens_together(
    path: Path, opened: list[SharedRateLimiter]
) -> None:
    clock = Clock()
    first = shared(path, RATE, clock)
    second = shared(path, RATE, clock)
    opened += [first, second]
    assert allowed(first, "10.0.0.1", 2) == 2
    assert allowed(second, "10.0.0.1", 5) == 1  # one token was left, not a burst of its own
    assert allowed(second, "10.0.0.2", 5) == 3  # another client has its own bucket
    clock.now += 20  # a token back, seen by both
    assert allowed(first, "10.0.0.1", 5) == 1


TAKES = 3_000
SLOW = Rate(3 * TAKES, 10**9)
"""A burst of exactly what three processes take, refilled too slowly to matter."""


def _take_many(path: Path, start: Barrier, through: SimpleQueue[int]) -> None:
    limiter = shared(path, {"complaint": SLOW})
    start.wait()
    through.put(allowed(limiter, "203.0.113.9", TAKES))


def test_processes_taking_at_once_spend_every_token_once(
    path: Path, opened: list[SharedRateLimiter]
) -> None:
    # Three worker processes spending one client's tokens at the same moment: each
    # read-and-write of the slot is whole (under the file's lock), so after all of them
    # the bucket is empty. A lost write would leave tokens, and let one more through.
    context = multiprocessing.get_context("fork")
    start = context.Barrier(3)
    through: SimpleQueue[int] = context.SimpleQueue()
    workers = [context.Process(target=_take_many, args=(path, start, through)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    assert [through.get() for _ in workers] == [TAKES] * 3
    limiter = shared(path, {"complaint": SLOW})
    opened.append(limiter)
    assert allowed(limiter, "203.0.113.9", 1) == 0


@pytest.mark.parametrize(
    "mutation",
    ["empty-file", "cut-short", "another-magic", "another-slot-count", "random-bytes"],
)
def test_a_file_of_another_format_is_made_again(
    path: Path, opened: list[SharedRateLimiter], mutation: str
) -> None:
    slots = 64
    good = HEADER.pack(MAGIC, slots, bytes(16)) + bytes(slots * SLOT.size)
    found = {
        "empty-file": b"",
        "cut-short": good[:-1],
        "another-magic": HEADER.pack(b"RGTABL00", slots, bytes(16)) + good[HEADER.size :],
        "another-slot-count": HEADER.pack(MAGIC, slots * 2, bytes(16)) + good[HEADER.size :],
        "random-bytes": bytes(range(256)) * (len(good) // 256),
    }[mutation]
    path.write_bytes(found)
    limiter = shared(path, RATE, Clock(), slots=slots)
    opened.append(limiter)
    assert allowed(limiter, "10.0.0.1", 5) == 3
    data = path.read_bytes()
    assert len(data) == file_size(slots)
    magic, count, salt = HEADER.unpack_from(data)
    assert (magic, count) == (MAGIC, slots)
    assert salt != bytes(16)  # a key drawn for the new file
    assert not list(path.parent.glob("*.new"))  # nothing left aside


def test_a_clock_that_went_back_holds_no_one_past_their_rate(
    path: Path, opened: list[SharedRateLimiter]
) -> None:
    # The machine restarted: time.monotonic starts again below the times in the file.
    clock = Clock()
    limiter = shared(path, {"complaint": Rate(1, 60)}, clock)
    opened.append(limiter)
    assert allowed(limiter, "10.0.0.1", 2) == 1
    clock.now = 5.0
    with pytest.raises(RateLimited) as refused:
        limiter.take("complaint", "10.0.0.1")
    assert refused.value.retry_after == 60  # not the 995 s until the old time comes back
    clock.now += 60
    assert allowed(limiter, "10.0.0.1", 2) == 1


def test_a_full_window_forgets_the_client_counted_longest_ago(
    path: Path, opened: list[SharedRateLimiter]
) -> None:
    # A table as small as one window: every client's window is the whole table.
    clock = Clock()
    limiter = shared(path, {"complaint": Rate(1, 3600)}, clock, slots=WINDOW)
    opened.append(limiter)
    for n in range(WINDOW):
        clock.now += 1
        assert allowed(limiter, f"10.0.0.{n}", 2) == 1
    clock.now += 1
    assert allowed(limiter, "10.0.1.1", 2) == 1  # takes over 10.0.0.0's slot
    assert allowed(limiter, "10.0.0.0", 1) == 1  # forgotten: a full bucket, never refused
    assert allowed(limiter, "10.0.1.1", 1) == 0  # its slot kept its count
    assert allowed(limiter, f"10.0.0.{WINDOW - 1}", 1) == 0  # counted last: still held


@pytest.mark.parametrize("tokens", [math.nan, -1.0, 1e9])
def test_a_damaged_slot_counts_as_a_full_bucket(
    path: Path, opened: list[SharedRateLimiter], tokens: float
) -> None:
    clock = Clock()
    limiter = shared(path, RATE, clock, slots=WINDOW)
    opened.append(limiter)
    assert allowed(limiter, "10.0.0.1", 5) == 3
    data = bytearray(path.read_bytes())
    (offset,) = [
        HEADER.size + n * SLOT.size
        for n in range(WINDOW)
        if SLOT.unpack_from(data, HEADER.size + n * SLOT.size)[0] != bytes(16)
    ]
    struct.pack_into("<d", data, offset + 16, tokens)
    path.write_bytes(data)
    assert allowed(limiter, "10.0.0.1", 5) == 3


def test_no_client_address_is_written_to_the_file(
    path: Path, opened: list[SharedRateLimiter]
) -> None:
    limiter = shared(path, RATE, Clock())
    opened.append(limiter)
    limiter.take("complaint", "198.51.100.23")
    limiter.take("complaint", "2001:db8::17")
    data = path.read_bytes()
    for written in (b"198.51.100.23", b"2001:db8::17", b"complaint"):
        assert written not in data


class Said(logging.Handler):
    """The records a logger passed on, whatever the server's logging sends them to."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_folder_where_no_file_can_be_made_leaves_each_worker_its_own_count(
    settings: Settings, operator: OperatorKeys
) -> None:
    # A server started by hand with the file somewhere it cannot be made (or on a file
    # system without locks): the app still limits, per worker as before the file existed,
    # and says why, instead of failing every limited request.
    missing = settings.data_dir / "no-such-folder"
    said = Said()
    logger = logging.getLogger("registry.records.shared_table")
    logger.addHandler(said)
    try:
        app = create_app(settings, operator, counts_dir=missing)
    finally:
        logger.removeHandler(said)
    limiter = app.state.rate_limiter
    assert type(limiter) is RateLimiter
    said_twice = [r.getMessage() for r in said.records if r.levelno == logging.WARNING]
    assert f"counted per worker: {missing / 'rate-limits'} cannot be shared" in said_twice[0]
    for _ in range(20):
        limiter.take("complaint", "10.0.0.1")
    with pytest.raises(RateLimited):
        limiter.take("complaint", "10.0.0.1")


def test_apps_given_one_folder_count_together(settings: Settings, operator: OperatorKeys) -> None:
    first = create_app(settings, operator, counts_dir=settings.data_dir)
    second = create_app(settings, operator, counts_dir=settings.data_dir)
    with TestClient(first):  # started: its custodial signer counts in the folder too
        assert first.state.components.custodial.shared_counts is not None
        assert (settings.data_dir / "custodial-attempts").stat().st_size > 2**21
    for _ in range(20):  # the complaint bucket's default burst, spent through the first app
        first.state.rate_limiter.take("complaint", "10.0.0.1")
    with pytest.raises(RateLimited):
        second.state.rate_limiter.take("complaint", "10.0.0.1")
