"""Being woken by the other hosts of a PostgreSQL log instead of polling a table.

:class:`Wakeups` keeps a LISTEN connection (``Store.listening``) open for as
long as it runs, opening it again when it is lost; each time it (re)connects it
calls its callback with an empty payload, since notifications sent meanwhile are
lost.  :class:`Outcomes` is the followers' side: who waits for which submission,
woken when the sequencer notifies that submission's id.  Notifications are only
hints; whoever is woken reads the ``pending`` table, and also does so every
:data:`SAFETY_POLL_S` without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable

from registry.store import Store
from registry.store._notify import DONE_CHANNEL, parse_ids

log = logging.getLogger(__name__)

SAFETY_POLL_S = 1.0
"""How often a waiting process reads the table anyway, for a notification that was lost."""
READY_WAIT_S = 2.0
"""How long a first submission waits for the follower's LISTEN to be in place (else it polls)."""
RECENT_KEPT = 10_000
"""Finished ids remembered for a waiter that registers after the notification came."""


class Wakeups:
    """A LISTEN on one channel, kept open (re-opened after a loss) while running."""

    def __init__(self, store: Store, what: str, on_notify: Callable[[str], None]) -> None:
        self.store = store
        self.what = what
        self.on_notify = on_notify
        self.ready = asyncio.Event()
        """Set while the LISTEN is in place."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start listening (in a task of its own)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.ready.clear()

    async def _run(self) -> None:
        while True:
            try:
                async with self.store.listening(self.what, self.on_notify) as lost:
                    self.ready.set()
                    self.on_notify("")  # what was notified before this LISTEN is not delivered
                    await lost.wait()
                log.warning("the %s notifications' connection was lost; reconnecting", self.what)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("listening for %s notifications failed; polling meanwhile", self.what)
            finally:
                self.ready.clear()
            await asyncio.sleep(SAFETY_POLL_S)


class Outcomes:
    """On a follower: the submissions waited for, woken when the sequencer finishes them."""

    def __init__(self, store: Store) -> None:
        self._waiting: dict[int, asyncio.Event] = {}
        self._recent: OrderedDict[int, None] = OrderedDict()
        self.wakeups = Wakeups(store, DONE_CHANNEL, self._notified)

    async def started(self) -> None:
        """Listen, and wait (a little) until the LISTEN is in place."""
        self.wakeups.start()
        if not self.wakeups.ready.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(READY_WAIT_S):  # (wait_for may lose a cancel)
                    await self.wakeups.ready.wait()

    def _notified(self, payload: str) -> None:
        if not payload:  # (re)connected: what finished meanwhile was not notified
            for everyone in self._waiting.values():
                everyone.set()
            return
        for pending_id in parse_ids(payload):
            waiter = self._waiting.get(pending_id)
            if waiter is not None:
                waiter.set()
                continue
            self._recent[pending_id] = None
            if len(self._recent) > RECENT_KEPT:
                self._recent.popitem(last=False)

    async def wait(self, pending_id: int, timeout: float) -> None:
        """Return once ``pending_id`` is notified finished, or after ``timeout`` seconds."""
        if self._recent.pop(pending_id, "absent") is None:
            return
        event = self._waiting.setdefault(pending_id, asyncio.Event())
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):  # (wait_for may lose a cancel)
                    await event.wait()
        finally:
            event.clear()

    def forget(self, pending_id: int) -> None:
        """No one waits for ``pending_id`` any more."""
        self._waiting.pop(pending_id, None)

    async def stop(self) -> None:
        """Stop listening."""
        await self.wakeups.stop()
