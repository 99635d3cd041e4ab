"""The sequencing worker's share of HTTP registrations: which connections it asks to close."""

from __future__ import annotations

import asyncio
import math
import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.records.http_share import CYCLE_TO_HTTP, SLACK, WINDOW, HttpShare, fair_share
from tests.records.test_handoff import _Log


def _window(share: HttpShare, here: list[int], handed: int) -> list[bool]:
    """One window: ``handed`` hand-overs, then registrations here on connections ``here``."""
    for _ in range(handed):
        share.handed()
    return [share.here(("127.0.0.1", port)) for port in here]


def test_the_fair_share_is_the_whole_without_followers_and_none_with_two() -> None:
    assert fair_share(0) == 1.0
    assert 0.1 < fair_share(1) < 0.2
    assert fair_share(2) == fair_share(5) == 0.0


def test_a_sequencer_without_followers_never_closes_a_connection() -> None:
    share = HttpShare(lambda: 0)
    closes = [share.here(("127.0.0.1", n % 64)) for n in range(10 * WINDOW)]
    assert not any(closes)


def test_a_sequencer_answering_half_closes_all_but_its_fair_share_of_connections() -> None:
    share = HttpShare(lambda: 1)
    ports = [n % 32 for n in range(WINDOW // 2)]
    assert not any(_window(share, ports, WINDOW // 2))  # nothing is known before a window
    # 32 connections gave half the registrations: keep the fair share's worth of them
    closes = _window(share, [n % 32 for n in range(WINDOW)], 0)
    keep = math.ceil(32 * fair_share(1) / 0.5)
    assert sum(closes) == 32 - keep
    closed = [n % 32 for n, close in enumerate(closes) if close]
    assert len(set(closed)) == len(closed)  # each connection asked once


def test_a_share_within_the_slack_of_the_fair_one_closes_nothing() -> None:
    share = HttpShare(lambda: 1)
    here = int(WINDOW * fair_share(1) * SLACK * 0.9)
    for _ in range(5):
        closes = _window(share, [n % 8 for n in range(here)], WINDOW - here)
        assert not any(closes)


def test_a_connection_of_unknown_address_is_counted_but_never_closed() -> None:
    share = HttpShare(lambda: 1)
    assert not any(share.here(None) for _ in range(5 * WINDOW))
    assert share.share == 1.0


@given(seed=st.integers(0, 2**32 - 1), connections=st.integers(8, 128))
def test_connections_drift_to_the_follower_until_the_share_is_fair(
    seed: int, connections: int
) -> None:
    """Clients that reconnect where the kernel puts them (either worker at random) end with
    the sequencer answering about its fair share, from half, with few connections closed."""
    rng = random.Random(seed)
    on_sequencer = [rng.random() < 0.5 for _ in range(connections)]
    ports = list(range(connections))
    next_port = connections
    share = HttpShare(lambda: 1)
    shares, closes = [], 0
    rounds = 40 * WINDOW // connections  # forty windows
    for _ in range(rounds):  # every client registers once a round
        here = handed = 0
        for client in range(connections):
            if not on_sequencer[client]:
                share.handed()
                handed += 1
                continue
            here += 1
            if share.here(("127.0.0.1", ports[client])):
                closes += 1
                ports[client], next_port = next_port, next_port + 1
                on_sequencer[client] = rng.random() < 0.5
        shares.append(here / (here + handed))
    fair = fair_share(1)
    late = shares[-rounds // 4 :]
    assert max(late) <= fair * SLACK + 1 / connections
    assert min(late) >= fair / 3 - 1 / connections
    assert closes <= 2 * connections


def test_the_sequencer_counts_its_follower_and_asks_its_own_clients_to_move(
    tmp_path: Path,
) -> None:
    """A real sequencer and follower: once the follower has handed a statement over, the
    sequencer answering every registration itself asks some of its clients to close."""
    log = _Log(tmp_path)

    async def scenario() -> tuple[list[bool], list[bool], list[bool]]:
        sequencer, follower = await log.open()
        try:
            alone = [sequencer.answered_here(("127.0.0.1", n % 64)) for n in range(2 * WINDOW)]
            await follower.register(log.pact("Garut"))  # the follower connects
            assert sequencer.handoff_server is not None
            assert sequencer.handoff_server.followers == 1
            with_follower = []
            for n in range(2 * WINDOW - 1):  # one window with the hand-over, one after
                await sequencer.register(log.pact(f"Bandung {n}"))
                with_follower.append(sequencer.answered_here(("127.0.0.1", n % 64)))
            on_follower = [follower.answered_here(("127.0.0.1", n)) for n in range(WINDOW)]
            return alone, with_follower, on_follower
        finally:
            await follower.close()
            await sequencer.close()

    alone, with_follower, on_follower = asyncio.run(scenario())
    assert not any(alone)  # no follower yet: nobody to move to
    # the first window (255 of 256 here, 64 connections) decides what the second closes
    assert sum(with_follower) == 64 - math.ceil(64 * fair_share(1) / (255 / 256))
    assert not any(on_follower)  # a follower never sends its clients away


@pytest.mark.parametrize("followers", [1, 2, 3])
def test_the_fair_share_leaves_both_kinds_of_worker_equally_busy(followers: int) -> None:
    share = fair_share(followers)
    sequencer = CYCLE_TO_HTTP + share
    follower = (1 - share) / followers
    if share > 0:
        assert sequencer == pytest.approx(follower)
    else:  # the cycle alone is the busiest worker's load: it answers nobody itself
        assert sequencer >= follower
