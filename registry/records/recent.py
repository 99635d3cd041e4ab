"""The newest entries' receipts and statements in memory, checked once before they are served.

What signers and QR verifiers read back is mostly recent, so a process keeps
the newest entries' receipt and statement bytes and answers the hot GETs from
here without a database query or any check per request.  Only bytes this
process made (a batch it committed, or on a follower the receipt the sequencer
answered for a statement it handed over) or read from the database and checked
against the log (:class:`~registry.records.verified.EntryChecker`) are kept.
A follower reads nothing ahead: what the sequencer wrote is read, and checked,
the first time it is asked for here.
"""

from __future__ import annotations

from collections import OrderedDict

RECENT_ENTRIES = 100_000
"""Entries whose receipt and statement bytes a process keeps in memory, the newest
(about 150 MB at most)."""


class RecentEntries:
    """Receipt and statement bytes by entry index, the newest ``limit`` kept."""

    def __init__(self, limit: int = RECENT_ENTRIES) -> None:
        self.limit = limit
        self.checked: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        """Index -> (receipt, statement), made or checked here: served as they are."""

    def remember(self, idx: int, receipt: bytes, statement: bytes) -> None:
        """Keep entry ``idx``'s bytes, made or checked by this process, to serve as they are."""
        _keep(self.checked, idx, (receipt, statement), self.limit)


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
