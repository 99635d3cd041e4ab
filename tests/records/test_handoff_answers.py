"""The sequencer answers a follower's statement from its cycle: no task a statement on its
loop, a reply that fails does not fail its batch, and it counts the followers connected
(so the tally keeper leaves its rounds to them: ``tests/compliance/test_keeper.py``)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from registry.records.queued import Registered
from registry.records.service import RegistryService
from tests.records.test_handoff import _Log
from tests.waiting import until


def _handoff_tasks() -> list[asyncio.Task[Any]]:
    """The tasks of the sequencer's hand-off server running now."""
    return [
        t
        for t in asyncio.all_tasks()
        if "HandoffServer" in getattr(t.get_coro(), "__qualname__", "")
    ]


def _queued(service: RegistryService) -> int:
    return service.registrar._queue.qsize()


def test_statements_in_flight_from_a_follower_hold_no_task_on_the_sequencer(
    tmp_path: Path,
) -> None:
    log = _Log(tmp_path)

    async def scenario() -> None:
        sequencer, follower = await log.open()
        held = asyncio.Event()
        try:
            await follower.register(log.pact("Bogor"))  # the connection is open
            pipeline = sequencer.registrar.pipeline
            write = pipeline._store

            async def held_back(group: Any) -> None:
                await held.wait()
                await write(group)

            pipeline._store = held_back  # the writer waits: the statements stay in flight
            places = [f"Kota {n}" for n in range(12)]
            sent = [asyncio.create_task(follower.register(log.pact(p))) for p in places]
            await until(
                lambda: (
                    sum(len(b.records) for b in pipeline.unwritten) == 12 and not _queued(sequencer)
                ),
                "twelve statements appended, none written",
            )
            assert len(_handoff_tasks()) == 1  # the connection's reader; none a statement
            held.set()
            answers = await asyncio.gather(*sent)
            assert len({a.index for a in answers}) == 12
            assert not any(a.existed for a in answers)
        finally:
            held.set()  # a failed assertion leaves nothing held
            await follower.close()
            await sequencer.close()

    asyncio.run(scenario())


def test_a_reply_that_fails_leaves_its_batch_written_and_answered(tmp_path: Path) -> None:
    log = _Log(tmp_path)

    async def scenario() -> None:
        sequencer, follower = await log.open()
        replies: list[Registered | BaseException] = []

        def broken(outcome: Registered | BaseException) -> None:
            replies.append(outcome)
            raise ConnectionResetError("the follower went away")

        try:
            first = log.pact("Bandung")
            sequencer.registrar.submit(first, None, broken)
            other = await sequencer.register(log.pact("Cimahi"))  # the same batch
            assert not other.existed
            await until(lambda: bool(replies), "the reply called")
            (outcome,) = replies
            assert isinstance(outcome, Registered)
            assert not outcome.existed
            again = await sequencer.register(first)  # written all the same
            assert again.existed
            assert again.index == outcome.index
        finally:
            await follower.close()
            await sequencer.close()

    asyncio.run(scenario())


def test_the_sequencer_counts_the_followers_connected(tmp_path: Path) -> None:
    log = _Log(tmp_path)

    async def scenario() -> None:
        sequencer, follower = await log.open()
        try:
            assert sequencer.followers == 0  # none has handed a statement over yet
            assert follower.followers == 0  # a follower sequences nothing
            await follower.register(log.pact("Garut"))
            assert sequencer.followers == 1
            await follower.close()
            await until(lambda: sequencer.followers == 0, "the follower's connection closed")
        finally:
            await sequencer.close()

    asyncio.run(scenario())
