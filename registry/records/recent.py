"""The newest entries' receipts and statements in memory, checked once before they are served.

What signers and QR verifiers read back is mostly recent, so a process keeps
the newest entries' receipt and statement bytes and answers the hot GETs from
here without a database query or any check per request.  Only bytes this
process made (a batch it committed) or checked against the log
(:class:`~registry.records.verified.EntryChecker`) are kept as served; a
follower's read-ahead of what the sequencer wrote waits apart and is checked
the first time it is asked for.
"""

from __future__ import annotations

from collections import OrderedDict

from registry.records.verified import EntryChecker

RECENT_ENTRIES = 100_000
"""Entries whose receipt and statement bytes a process keeps in memory, the newest
(about 150 MB at most)."""


class RecentEntries:
    """Receipt and statement bytes by entry index, the newest ``limit`` kept."""

    def __init__(self, checker: EntryChecker, limit: int = RECENT_ENTRIES) -> None:
        self.checker = checker
        self.limit = limit
        self.checked: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        """Index -> (receipt, statement), made or checked here: served as they are."""
        self._ahead: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        """Index -> (receipt, statement) read ahead from the database, not checked yet."""

    def remember(self, idx: int, receipt: bytes, statement: bytes) -> None:
        """Keep entry ``idx``'s bytes, made or checked by this process, to serve as they are."""
        _keep(self.checked, idx, (receipt, statement), self.limit)
        self._ahead.pop(idx, None)

    def read_ahead(self, idx: int, receipt: bytes, statement: bytes) -> None:
        """Keep entry ``idx``'s bytes read from the database ahead of any request, unchecked."""
        if idx not in self.checked:
            _keep(self._ahead, idx, (receipt, statement), self.limit)

    def from_ahead(self, idx: int) -> tuple[bytes, bytes] | None:
        """Entry ``idx``'s bytes read ahead, checked now and kept as checked; None if none.

        Raises :class:`~registry.records.errors.TamperedEntry` (and keeps nothing)
        if they are not what the log vouches for.
        """
        ahead = self._ahead.pop(idx, None)
        if ahead is None:
            return None
        self.checker.served(idx, *ahead)
        self.remember(idx, *ahead)
        return ahead


def _keep(
    cache: OrderedDict[int, tuple[bytes, bytes]],
    idx: int,
    value: tuple[bytes, bytes],
    limit: int,
) -> None:
    """Put ``value`` in ``cache`` as its newest, dropping the oldest past ``limit``."""
    cache[idx] = value
    cache.move_to_end(idx)
    if len(cache) > limit:
        cache.popitem(last=False)
