"""The newest entries' receipts and statements in memory, checked once before they are served.

What signers and QR verifiers read back is mostly recent, so a process keeps
the newest entries' receipt and statement bytes and answers the hot GETs from
here without a database query or any check per request.  Only bytes this
process made (a batch it committed, or on a follower the receipt the sequencer
answered for a statement it handed over) or read from the database and checked
against the log (:class:`~registry.records.verified.EntryChecker`) are kept.
A follower reads nothing ahead: what the sequencer wrote is read, and checked,
the first time it is asked for here.

The cache is bounded in bytes as well as in entries: the sequencing worker
remembers every entry it commits, so a bound in entries alone let it hold about
95 MiB more at 100,000 entries than a worker that only serves (issue 15).
"""

from __future__ import annotations

from collections import OrderedDict

RECENT_ENTRIES = 100_000
"""Entries whose receipt and statement bytes a process keeps in memory, the newest, at most."""

RECENT_BYTES = 32 * 1024 * 1024
"""What those entries may hold, counted as :func:`entry_cost` (about 30,000 entries of a
recommendation's size)."""

ENTRY_OVERHEAD = 232
"""Bytes an entry costs besides its receipt and statement: the index, the pair, the two
bytes objects' headers and the ordered dict's slot (measured with tracemalloc, CPython 3)."""


def entry_cost(receipt: bytes, statement: bytes) -> int:
    """What keeping one entry's ``receipt`` and ``statement`` costs in memory, in bytes."""
    return len(receipt) + len(statement) + ENTRY_OVERHEAD


class RecentEntries:
    """Receipt and statement bytes by entry index, the newest kept within ``limit`` entries
    and ``max_bytes`` bytes (:func:`entry_cost`)."""

    def __init__(self, limit: int = RECENT_ENTRIES, max_bytes: int = RECENT_BYTES) -> None:
        self.limit = limit
        self.max_bytes = max_bytes
        self.bytes = 0
        """What the entries kept cost, the sum of their :func:`entry_cost`."""
        self.checked: OrderedDict[int, tuple[bytes, bytes]] = OrderedDict()
        """Index -> (receipt, statement), made or checked here: served as they are."""

    def remember(self, idx: int, receipt: bytes, statement: bytes) -> None:
        """Keep entry ``idx``'s bytes, made or checked by this process, to serve as they are."""
        cache = self.checked
        old = cache.pop(idx, None)
        if old is not None:
            self.bytes -= entry_cost(*old)
        cache[idx] = (receipt, statement)
        self.bytes += entry_cost(receipt, statement)
        while cache and (len(cache) > self.limit or self.bytes > self.max_bytes):
            self.bytes -= entry_cost(*cache.popitem(last=False)[1])

    def clear(self) -> None:
        """Forget every entry kept."""
        self.checked.clear()
        self.bytes = 0
