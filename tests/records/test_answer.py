"""A queued statement's answer (``queued.Answer``): decided by the sequencer alone, passed to
its caller's waiter at once, to its followers whatever the caller did."""

from __future__ import annotations

import asyncio

import pytest

from registry.i18n import Message
from registry.records.errors import Unavailable
from registry.records.queued import Answer, Group, Queued, Registered, answer_group, follow


def _registered(index: int) -> Registered:
    return Registered(index, b"receipt", existed=False)


def _statement_and_repeat() -> tuple[Queued, Queued]:
    """A queued statement, each with its caller's future, and a repeat that follows it."""
    loop = asyncio.get_running_loop()
    first = Queued(b"s", b"h", Answer(loop.create_future()))
    repeat = Queued(b"s", b"h", Answer(loop.create_future()))
    follow(repeat, first)
    return first, repeat


def test_an_answer_decided_after_its_caller_went_away_still_reaches_its_repeats() -> None:
    async def scenario() -> None:
        first, repeat = _statement_and_repeat()
        assert first.future.waiter is not None
        first.future.waiter.cancel()  # the caller went away
        first.future.set_result(_registered(7))
        assert not first.future.cancelled()
        assert first.future.result().index == 7
        assert repeat.future.waiter is not None
        assert repeat.future.waiter.done()
        answered = repeat.future.waiter.result()
        assert (answered.index, answered.existed) == (7, True)

    asyncio.run(scenario())


def test_an_answer_reaches_its_waiter_without_waiting_for_the_loop() -> None:
    async def scenario() -> None:
        waiter: asyncio.Future[Registered] = asyncio.get_running_loop().create_future()
        answer = Answer(waiter)
        answer.set_exception(Unavailable(Message("unavailable.send-again")))
        assert waiter.done()  # set at once, not from a callback the loop runs later
        assert isinstance(waiter.exception(), Unavailable)
        assert isinstance(answer.exception(), Unavailable)
        other: asyncio.Future[Registered] = asyncio.get_running_loop().create_future()
        Answer(other).set_result(_registered(3))
        assert other.done()
        assert other.result().index == 3

    asyncio.run(scenario())


def test_an_answer_is_decided_once() -> None:
    answer = Answer()
    answer.set_result(_registered(1))
    with pytest.raises(asyncio.InvalidStateError):
        answer.set_exception(Unavailable(Message("unavailable.send-again")))
    answer.cancel()  # too late: no effect
    assert answer.result().index == 1
    assert not answer.cancelled()


def test_a_cancelled_answer_cancels_its_waiter_and_its_repeats() -> None:
    async def scenario() -> None:
        first, repeat = _statement_and_repeat()
        first.future.cancel()
        assert first.future.waiter is not None
        assert first.future.waiter.cancelled()
        assert repeat.future.cancelled()
        assert first.future.exception() is None

    asyncio.run(scenario())


def test_a_group_is_answered_only_once_every_statement_is() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        items = [Queued(bytes([i]), bytes([i]), Answer()) for i in range(3)]
        group = Group(items, loop.create_future())
        answering = asyncio.create_task(answer_group(group))
        items[0].future.set_result(_registered(0))
        items[1].future.set_result(_registered(1))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not group.future.done()
        items[2].future.set_result(_registered(2))
        await answering
        assert [r.index for r in group.future.result()] == [0, 1, 2]

    asyncio.run(scenario())
