"""Per-client rate limits: a token bucket per (bucket, client address), in this process.

A route takes part by naming its bucket in a guard::

    @post("/", guards=[rate_limited("write")])

(a route on the hot path declares itself with :class:`LimitedPost` instead of ``post``: the
same guard, without the copy of the handler Litestar makes for each guard it runs).

Each bucket's rate (``REGISTRY_RATE_LIMITS``, :class:`registry.config.Settings`) is
*n* requests per *s* seconds: a client may send *n* at once, then one every *s/n*
seconds.  A bucket the settings do not name takes the ``default`` rate, so a new
route can name a bucket of its own before anyone configures it.  A request over
its bucket's rate is refused before the handler reads anything: 429 problem
``rate-limited`` with ``Retry-After`` (whole seconds).

The client is the connection's peer address (behind a reverse proxy, the proxy's,
unless the server is told to trust its forwarded headers: docs/operate.md).
:class:`RateLimiter` keeps the buckets in its process's memory: at most
:data:`MAX_CLIENTS` addresses per bucket, the least recently seen forgotten first
(a forgotten client starts with a full bucket, so forgetting never refuses
anyone).  The workers of ``registry serve`` share theirs through a file in the
data folder instead (:mod:`registry.api.limits_file`), so with *k* workers a
client still gets its rate once, not *k* times.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from litestar import HttpMethod
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.handlers.http_handlers.base import HTTPRouteHandler

DEFAULT_BUCKET = "default"
MAX_CLIENTS = 65_536


@dataclass(frozen=True)
class Rate:
    """``requests`` per ``seconds`` (a burst of ``requests``, refilled evenly)."""

    requests: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.requests}/{self.seconds}"


class RateLimited(Exception):
    """A client went over its bucket's rate; ``retry_after`` is the whole seconds to wait."""

    def __init__(self, bucket: str, rate: Rate, retry_after: int) -> None:
        self.bucket, self.rate, self.retry_after = bucket, rate, retry_after
        super().__init__(f"rate limit of {bucket} ({rate}) reached; retry after {retry_after}s")


class RateLimiter:
    """Token buckets per (bucket, client); ``rates`` maps a bucket to its rate or ``None`` (off).

    ``clock`` gives seconds (monotonic); tests pass their own to move time.
    """

    def __init__(
        self,
        rates: Mapping[str, Rate | None],
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self._rates = dict(rates)
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: dict[str, OrderedDict[str, tuple[float, float]]] = {}

    def rate(self, bucket: str) -> Rate | None:
        """The rate of ``bucket`` (the default's when it is not named; ``None``: no limit)."""
        if bucket in self._rates:
            return self._rates[bucket]
        return self._rates.get(DEFAULT_BUCKET)

    def take(self, bucket: str, client: str) -> None:
        """Count one request of ``client`` in ``bucket``; raises :class:`RateLimited` if over."""
        rate = self.rate(bucket)
        if rate is None:
            return
        wait = self._count(bucket, client, rate, self._clock())
        if wait:
            raise RateLimited(bucket, rate, wait)

    def _count(self, bucket: str, client: str, rate: Rate, now: float) -> int:
        """Spend one of the client's tokens: 0, or the seconds to wait when it has none."""
        clients = self._buckets.setdefault(bucket, OrderedDict())
        tokens, then = clients.pop(client, (float(rate.requests), now))
        tokens, wait = spend(rate, tokens, then, now)
        clients[client] = (tokens, now)
        while len(clients) > self._max_clients:
            clients.popitem(last=False)
        return wait


def spend(rate: Rate, tokens: float, then: float, now: float) -> tuple[float, int]:
    """A bucket holding ``tokens`` at ``then``, asked for one at ``now``: the tokens it holds
    after, and 0 when the request may go, else the whole seconds until it may.

    The bucket refills evenly from ``then``; a ``then`` after ``now`` (a clock that went
    back, a machine restarted) refills nothing, so it never holds a client back longer
    than its rate says.  Tokens outside 0 to the burst (a damaged record) count as a full
    bucket: forgetting never refuses anyone.
    """
    per_second = rate.requests / rate.seconds
    if not 0 <= tokens <= rate.requests:  # also NaN
        tokens = float(rate.requests)
    tokens = min(float(rate.requests), tokens + max(0.0, now - then) * per_second)
    if tokens < 1:
        return tokens, max(1, math.ceil((1 - tokens) / per_second))
    return tokens - 1, 0


def client_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The address a request came from (the connection's peer)."""
    client = connection.scope.get("client")
    return str(client[0]) if client else "unknown"


def rate_limited(
    bucket: str,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A Litestar guard counting each request in ``bucket`` for its client.

    The limiter is the app's ``state.rate_limiter`` (:class:`RateLimiter`); an app
    without one limits nothing.  A coroutine function, though it never waits: Litestar
    runs a plain function guard in a thread, a hop to another thread and back on every
    request (on ``POST /entries`` about a tenth of a worker's time under load).
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        limiter: RateLimiter | None = connection.app.state.get("rate_limiter")
        if limiter is not None:
            limiter.take(bucket, client_of(connection))

    guard.__name__ = f"rate_limited_{bucket}"
    return guard


class LimitedPost(HTTPRouteHandler):
    """Litestar's ``post`` (the same arguments), whose guards are given the handler itself
    rather than a copy.

    Litestar's ``authorize_connection`` hands each guard ``copy(handler)``: a copy of a
    route handler of 41 slots, about 36 µs of CPU a request on this machine under load
    (about a tenth of a verify-only POST), made only for a guard that might change it.
    :func:`rate_limited`'s guard never reads it, so a route whose guards are all of that
    kind runs them here without the copy, in the same place (after routing, before the
    body is read or any ``before_request`` hook runs), with the same refusals.
    """

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(path, http_method=HttpMethod.POST, **kwargs)

    async def authorize_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        """Run the route's guards in order, each given this handler."""
        for guard in self.resolve_guards():
            waiting = guard(connection, self)  # Litestar made every guard a coroutine function
            if waiting is not None:
                await waiting
