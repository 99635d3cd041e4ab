"""Waiting on a condition with a deadline, instead of sleeping and hoping it happened."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

DEADLINE_S = 10.0
"""How long a condition may take before the test fails (generous: the machine may be busy)."""


def wait_until(
    condition: Callable[[], bool], what: str, *, timeout: float = DEADLINE_S, every: float = 0.01
) -> None:
    """Return once ``condition()`` holds; fail the test naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)


async def until(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    *,
    timeout: float = DEADLINE_S,
    every: float = 0.005,
) -> None:
    """In a coroutine: return once ``condition()`` (or its awaited result) holds, else fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        held = condition()
        if not isinstance(held, bool):
            held = await held
        if held:
            return
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(every)
