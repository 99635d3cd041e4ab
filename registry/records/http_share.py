"""How many of the HTTP registrations the sequencing worker answers itself.

``registry serve`` runs several worker processes on one listening socket; the
kernel gives each new connection to one of them, and a client keeps its
connection.  With two workers the sequencing one answered about half the
registrations over HTTP (parse, signature check, answer) *and* ran the
sequencer's cycle for all of them, while the other worker only answered and
handed over: in a quiet run the sequencing worker used 0.9 of a core and the
other 0.4 (docs/benchmarks.md, "Registrations: the sequencing worker's HTTP
share").

So the sequencing worker keeps only its fair share of the connections that
register: when it answers more than that share, it asks some of its clients to
close their connection (``Connection: close`` on the answer, the registration
itself done and answered as always); a client's next connection goes to any
worker, so connections drift to the followers until the share is right, then
nothing is closed any more.  This moves no check and changes no answer: a
client that keeps its connection open anyway is served as before.

The fair share follows from what each worker spends a registration: the
sequencer's cycle and the hand-over cost about ``CYCLE_TO_HTTP`` of what a
follower spends answering one over HTTP and handing it over, so with ``F``
followers the loads are equal when the sequencing worker answers
``(1 - CYCLE_TO_HTTP * F) / (F + 1)`` of them (0.15 with one follower, none with
two or more).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable

WINDOW = 256
"""Registrations counted (answered here or handed over) before the share is judged again."""
CYCLE_TO_HTTP = 0.7
"""The sequencer's cycle and hand-over (about 460 µs) over a follower's HTTP answer and
hand-off (about 630 µs) a registration, measured on a quiet machine (docs/benchmarks.md)."""
SLACK = 1.25
"""A share up to this many times the fair one is left alone (no connection closed for noise)."""


def fair_share(followers: int) -> float:
    """The share of HTTP registrations the sequencing worker answers itself with ``followers``
    local followers that leaves every worker equally busy."""
    if followers <= 0:
        return 1.0
    return max(0.0, (1.0 - CYCLE_TO_HTTP * followers) / (followers + 1))


class HttpShare:
    """On the sequencer: counts registrations answered here and handed over, and says which
    of this worker's HTTP connections to ask to close so that its share stays fair."""

    def __init__(self, followers: Callable[[], int]) -> None:
        self._followers = followers
        self._here = 0
        self._handed = 0
        self._connections: set[Hashable] = set()
        """Those that registered here in this window."""
        self._to_close = 0
        """How many more connections to close in this window (decided at the last one's end)."""
        self._closed: set[Hashable] = set()

    @property
    def share(self) -> float:
        """The share answered here in the window so far (1.0 before any registration)."""
        total = self._here + self._handed
        return self._here / total if total else 1.0

    def handed(self) -> None:
        """Count a registration a follower handed over."""
        self._handed += 1
        self._next_window()

    def here(self, connection: Hashable | None) -> bool:
        """Count a registration answered over HTTP here, on ``connection`` (the client's
        address and port; None if unknown); whether to ask that client to close it."""
        self._here += 1
        close = False
        if connection is not None:
            self._connections.add(connection)
            if self._to_close > 0 and connection not in self._closed:
                self._to_close -= 1
                self._closed.add(connection)
                close = True
        self._next_window()
        return close

    def _next_window(self) -> None:
        if self._here + self._handed < WINDOW:
            return
        share, fair = self.share, fair_share(self._followers())
        connections = len(self._connections - self._closed)
        self._to_close = 0
        if share > fair * SLACK and connections:
            keep = math.ceil(connections * fair / share)
            self._to_close = connections - keep
        self._here = self._handed = 0
        self._connections.clear()
        self._closed.clear()
