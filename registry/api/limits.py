"""Per-client rate limits: a small token bucket per (bucket, client address), in process.

``guards=[rate_limited("identity")]`` on a handler lets each client address
make at most ``limit`` requests per ``period_s`` seconds to that bucket; one
more is refused with :class:`RateLimited` (429, ``Retry-After``; mapped in
``registry/api/errors.py``).  The buckets live in the app's state, so each
app (each test) starts afresh; each process of a cluster counts on its own,
so a client spread over ``n`` workers gets at most ``n`` times the limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from registry.i18n import Message


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` requests per ``period_s`` seconds."""

    limit: int
    period_s: float


LIMITS: Mapping[str, Limit] = {
    "identity": Limit(30, 60.0),
}
"""The buckets and their limits; a bucket not listed gets :data:`DEFAULT_LIMIT`."""
DEFAULT_LIMIT = Limit(60, 60.0)
MAX_CLIENTS = 100_000
"""Clients remembered per bucket (the least recently seen are forgotten first)."""


class RateLimited(Exception):
    """A client over its limit: try again in ``retry_after`` seconds."""

    def __init__(self, bucket: str, limit: Limit, retry_after: int) -> None:
        super().__init__(f"rate limit of {bucket}: {limit.limit} per {limit.period_s:g} s")
        self.bucket, self.limit, self.retry_after = bucket, limit, retry_after
        self.title = Message("access.too-many.title")
        self.detail = Message(
            "access.too-many.detail",
            {
                "limit": limit.limit,
                "seconds": f"{limit.period_s:g}",
                "bucket": bucket,
                "retry": retry_after,
            },
        )


class Buckets:
    """Token buckets by client, for one named bucket."""

    def __init__(self, name: str, limit: Limit) -> None:
        self.name, self.limit = name, limit
        self._clients: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float) -> None:
        """Spend one token of ``client``'s, or raise :class:`RateLimited`."""
        rate = self.limit.limit / self.limit.period_s
        tokens, seen = self._clients.pop(client, (float(self.limit.limit), now))
        tokens = min(float(self.limit.limit), tokens + (now - seen) * rate)
        if tokens < 1:
            self._clients[client] = (tokens, now)
            raise RateLimited(self.name, self.limit, max(1, math.ceil((1 - tokens) / rate)))
        self._clients[client] = (tokens - 1, now)
        while len(self._clients) > MAX_CLIENTS:
            self._clients.popitem(last=False)


def _buckets(connection: ASGIConnection[Any, Any, Any, Any], name: str) -> Buckets:
    state = connection.app.state
    table: dict[str, Buckets] | None = state.get("rate_limits")
    if table is None:
        table = {}
        state["rate_limits"] = table
    found = table.get(name)
    if found is None:
        found = table[name] = Buckets(name, LIMITS.get(name, DEFAULT_LIMIT))
    return found


def rate_limited(
    bucket: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A guard that counts each client's requests to ``bucket`` (by address) and refuses
    those over the limit."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        client = connection.client.host if connection.client else "unknown"
        _buckets(connection, bucket).take(client, time.monotonic())

    return guard
