"""How wrong passphrases for a custodial key are held back, so nobody can lock a signer out.

Two measures, neither of which ever refuses the right passphrase to a client
that has made no mistake:

* **Per client and key** (:class:`ClientLockouts`): the ``max_failures``-th
  wrong passphrase in a row *from one client* for one key locks that client
  out of that key for ``lockout_ms``; other clients, the key's owner among
  them, are not affected.  So a stranger who knows a kid cannot deny its
  owner, and one address cannot keep guessing.
* **Per key, for everyone** (:func:`next_turn_ms`): once a key has had
  ``max_failures`` wrong passphrases in a row from anywhere (the store's
  count, which only a success resets), each attempt on it waits until
  ``slow_down_ms`` after the previous one.  Attempts on one key are taken one
  at a time, so however many addresses guess, a key is tried at most once per
  ``slow_down_ms`` per process (per server when its workers share a table, below); the
  right passphrase still gets through, in
  its turn.

Kept in each process's memory, or, given a
:class:`~registry.records.shared_table.SharedTable` (``registry serve``'s
workers: ``custodial-attempts`` in the data folder), counted once for the
server: the per-client counts and each key's turns are then shared, so more
workers never mean more guesses.  A restart forgets the per-client counts (the
per-key count is in the store).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from registry.records.shared_table import SharedTable, Values

MAX_TRACKED = 65_536
"""(client, key) pairs remembered; the least recently seen are forgotten first."""


@dataclass(frozen=True)
class ClientState:
    """One client's wrong passphrases in a row for one key, and until when it is locked out."""

    failures: int = 0
    locked_until: int | None = None

    def is_locked(self, now_ms: int) -> bool:
        """Whether the client is locked out of the key at ``now_ms``."""
        return self.locked_until is not None and now_ms < self.locked_until


class ClientLockouts:
    """Wrong passphrases counted per (client, key); a client locked out leaves others alone."""

    def __init__(
        self,
        max_failures: int,
        lockout_ms: int,
        max_tracked: int = MAX_TRACKED,
        table: SharedTable | None = None,
    ) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        self.max_failures = max_failures
        self.lockout_ms = lockout_ms
        self._max_tracked = max_tracked
        self._states: OrderedDict[tuple[bytes, str], ClientState] = OrderedDict()
        self._table = table

    def state(self, kid: bytes, client: str) -> ClientState:
        """The state of ``client`` for ``kid`` (a fresh one if it made no mistake)."""
        if self._table is None:
            return self._states.get((kid, client), ClientState())
        table = self._table
        with table.locked():
            return self._shared(table.get(table.name(b"lockout", kid, client.encode())))

    def _shared(self, held: Values | None) -> ClientState:
        """The state a shared table's slot holds; a damaged one counts as fresh, since
        forgetting never refuses anyone."""
        if held is None:
            return ClientState()
        failures, locked_until, _ = held
        if not 0 <= failures < self.max_failures or not -1 <= locked_until < 2**62:
            return ClientState()
        return ClientState(int(failures), None if locked_until < 0 else int(locked_until))

    def failure(self, kid: bytes, client: str, now_ms: int) -> ClientState:
        """Count a wrong passphrase; the ``max_failures``-th in a row locks the client out.

        A lockout starts the count again from zero, so after it the client
        has ``max_failures`` tries again.
        """
        if self._table is not None:
            table = self._table
            name = table.name(b"lockout", kid, client.encode())
            with table.locked():
                at, held = table.find(name)
                updated = self._counted(self._shared(held), now_ms)
                until = -1 if updated.locked_until is None else updated.locked_until
                table.put(name, updated.failures, until, now_ms, at)
            return updated
        key = (kid, client)
        updated = self._counted(self._states.pop(key, ClientState()), now_ms)
        self._states[key] = updated
        while len(self._states) > self._max_tracked:
            self._states.popitem(last=False)
        return updated

    def _counted(self, state: ClientState, now_ms: int) -> ClientState:
        failures = state.failures + 1
        if failures >= self.max_failures:
            return ClientState(0, now_ms + self.lockout_ms)
        return ClientState(failures, state.locked_until)

    def success(self, kid: bytes, client: str) -> None:
        """The client opened the key: forget its mistakes."""
        if self._table is not None:
            with self._table.locked():
                self._table.drop(self._table.name(b"lockout", kid, client.encode()))
            return
        self._states.pop((kid, client), None)


QUEUE = 16
"""The most turns a key's attempts wait in a table shared by a server's workers (one per
worker in flight): a clock that went back delays an attempt by at most this many intervals."""


def next_turn_ms(
    key_failures: int,
    max_failures: int,
    last_turn_ms: float | None,
    now_ms: int,
    slow_ms: int,
    queue: int = 1,
) -> int:
    """When an attempt on a key may be made: now, unless the key has had ``max_failures`` or
    more wrong passphrases in a row (``key_failures``, from any client), in which case
    ``slow_ms`` after the turn taken last, and never more than ``queue`` intervals from now
    (even if the clock went back).  One process takes its attempts on a key one at a time
    (``queue`` 1: at most one interval); workers sharing their turns may each wait for one
    (``queue`` :data:`QUEUE`)."""
    if key_failures < max_failures or last_turn_ms is None or math.isnan(last_turn_ms):
        return now_ms
    return int(max(now_ms, min(last_turn_ms + slow_ms, now_ms + queue * slow_ms)))
