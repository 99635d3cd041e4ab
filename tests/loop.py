"""One event loop a test process for the properties that run many short coroutines.

A property over random histories runs a coroutine (feed a tally, page a figure, find a record)
for every day or entry of every example: thousands a test.  ``asyncio.run`` makes and closes a
loop each time, which was 30 to 45 % of such a test's CPU (``test_figure_pages``, profiled).
:func:`in_loop` runs each on one loop kept for the test process; the code run is plain
computation over in-memory data (no connection, no task left behind), so what one leaves
cannot reach the next.  ``tests/conftest.py`` closes the loop at the end of the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_RUNNERS: list[asyncio.Runner] = []


def in_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` on the test process's one loop."""
    if not _RUNNERS:
        _RUNNERS.append(asyncio.Runner())
    return _RUNNERS[0].run(coroutine)


def close_loop() -> None:
    """Close the loop, if one was made."""
    while _RUNNERS:
        _RUNNERS.pop().close()
