"""Rate limits counted once per server: the workers share them through a file in the data folder.

``registry serve`` runs several worker processes, and the connections of one
client land on any of them: limits kept in each worker's memory let a client
send *k* times its rate with *k* workers (a flood of complaints, of
enrolment requests, of signing attempts).  :class:`SharedRateLimiter` keeps
each token bucket in ``rate-limits`` in the data folder instead (a
:class:`~registry.records.shared_table.SharedTable`: 65,536 clients, keyed
hashes, never an address), so the count is one per server whatever worker
takes the request.  A client forgotten when its window is full starts again
with a full bucket, as one forgotten by the in-memory limiter: forgetting never
refuses anyone.  The bucket refills from ``time.monotonic`` (one clock for
every process of the machine); a clock that went back (the machine restarted)
refills nothing until it passes the recorded time
(:func:`registry.api.limits.spend`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from registry.api.limits import Rate, RateLimiter, spend
from registry.records.shared_table import SharedTable

RATE_LIMITS_FILE = "rate-limits"


class SharedRateLimiter(RateLimiter):
    """A :class:`RateLimiter` whose buckets live in ``table``: every process using the same
    file counts in the same buckets."""

    def __init__(
        self,
        table: SharedTable,
        rates: Mapping[str, Rate | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(rates, clock, table.slots)
        self.table = table

    def close(self) -> None:
        """Let go of the file (the limiter must not be used after)."""
        self.table.close()

    def _count(self, bucket: str, client: str, rate: Rate, now: float) -> int:
        table = self.table
        name = table.name(b"rate", bucket.encode(), client.encode())
        with table.locked():
            at, held = table.find(name)
            tokens, then = (float(rate.requests), now) if held is None else (held[0], held[2])
            tokens, wait = spend(rate, tokens, then, now)
            table.put(name, tokens, 0.0, now, at)
        return wait
