"""Wake-ups between registry processes on one PostgreSQL database: LISTEN/NOTIFY.

A follower that queues a statement in ``pending`` notifies the sequencer's
channel; the sequencer, having recorded outcomes, notifies the followers'
channel with the ids it finished.  Each channel is named after the schema
(``registry_<what>_<md5 of the schema>``), so registries in different schemas
of one database never wake each other.  A notification is only a hint that
something changed: every reader reads the table itself, and keeps a slow poll
for notifications lost with a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

PENDING_CHANNEL = "pending"
"""Notified when a statement is queued: the sequencer claims."""
DONE_CHANNEL = "done"
"""Notified with the ids (comma-separated) whose outcome was recorded."""
MAX_PAYLOAD = 7000
"""A notification's payload is under 8,000 bytes on PostgreSQL: longer id lists are split."""

_CHANNEL = "'registry_' || :what || '_' || left(md5(current_schema()), 16)"


async def notify(connection: AsyncConnection, what: str, payload: str = "") -> None:
    """Notify ``what``'s channel with ``payload`` when ``connection``'s transaction commits."""
    await connection.execute(
        text(f"SELECT pg_notify({_CHANNEL}, :payload)"), {"what": what, "payload": payload}
    )


def id_payloads(ids: Sequence[int]) -> list[str]:
    """``ids`` as comma-separated payloads, each short enough for one notification."""
    payloads: list[str] = []
    current: list[str] = []
    size = 0
    for number in ids:
        item = str(number)
        if current and size + len(item) + 1 > MAX_PAYLOAD:
            payloads.append(",".join(current))
            current, size = [], 0
        current.append(item)
        size += len(item) + 1
    if current:
        payloads.append(",".join(current))
    return payloads


def parse_ids(payload: str) -> list[int]:
    """The ids of a :data:`DONE_CHANNEL` payload (what is not a number is skipped)."""
    return [int(part) for part in payload.split(",") if part.strip().isdigit()]


class NotifyMixin:
    """LISTEN on a dedicated connection (PostgreSQL only)."""

    _engine: AsyncEngine

    @contextlib.asynccontextmanager
    async def listening(
        self, what: str, on_notify: Callable[[str], None]
    ) -> AsyncIterator[asyncio.Event]:
        """Call ``on_notify(payload)`` for each notification on ``what``'s channel.

        Holds one connection (outside any transaction) for the whole ``async
        with``; yields an event set if that connection is lost, after which no
        notification arrives any more.  Raises whatever connecting raises.
        """
        connection = await _connect(self._engine)
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            query = text(f"SELECT {_CHANNEL}")
            channel = str((await connection.execute(query, {"what": what})).scalar_one())
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            lost = asyncio.Event()

            def deliver(_connection: object, _pid: int, _channel: str, payload: str) -> None:
                on_notify(payload)

            def terminated(_connection: object) -> None:
                lost.set()

            driver.add_termination_listener(terminated)
            await driver.add_listener(channel, deliver)
            try:
                yield lost
            finally:
                if not lost.is_set():
                    with contextlib.suppress(Exception):
                        await driver.remove_listener(channel, deliver)
                driver.remove_termination_listener(terminated)
        finally:
            with contextlib.suppress(Exception):
                await connection.close()


async def _connect(engine: AsyncEngine) -> AsyncConnection:
    """A new connection; one cancelled while connecting is still closed, not left to the GC.

    A listener is stopped by cancelling its task, often just after it started (a service
    opened and closed at once): a connect interrupted half-way left its socket open.
    """
    connecting = asyncio.ensure_future(engine.connect())
    try:
        return await asyncio.shield(connecting)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            connection = await connecting
            await connection.close()
        raise
