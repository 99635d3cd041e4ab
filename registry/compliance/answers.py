"""Which follow-ups answer each recommendation, in 8 bytes a follow-up.

The national tally (:mod:`registry.compliance.tally`) takes a follow-up or a
revocation without the compliance index: it reads the recommendation and its
other follow-ups from the log when it needs them.  What it cannot read from
the log without an index is *which* entries answer a recommendation, so it
keeps that here: each follow-up as one 64-bit number (the recommendation's
index in the high half, the follow-up's in the low half) in a sorted array,
found by bisection.  New ones wait in a small dict, merged into the array
once they are an eighth of it (so the merges cost a constant per follow-up).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from heapq import merge

HALF = 32
LOW = (1 << HALF) - 1
MERGE = 4096
"""The fewest new follow-ups merged into the sorted array at once."""


class Answers:
    """Recommendation -> the indexes of the follow-ups answering it (in log order)."""

    __slots__ = ("_pending", "_recent", "_sorted")

    def __init__(self, packed: bytes = b"") -> None:
        self._sorted = array("q")
        self._sorted.frombytes(packed)  # sorted by :meth:`packed` (a saved tally is sealed)
        self._recent: dict[int, list[int]] = {}
        self._pending = 0

    def __len__(self) -> int:
        return len(self._sorted) + self._pending

    def add(self, recommendation: int, follow_up: int) -> None:
        """``follow_up`` answers ``recommendation`` (taken in log order)."""
        if not (0 <= recommendation <= LOW and 0 <= follow_up <= LOW):
            raise ValueError(f"entry indexes past {LOW} are not kept")
        self._recent.setdefault(recommendation, []).append(follow_up)
        self._pending += 1
        if self._pending >= max(MERGE, len(self._sorted) // 8):
            self._merge()

    def of(self, recommendation: int) -> list[int]:
        """The follow-ups answering ``recommendation``, in log order."""
        if not 0 <= recommendation <= LOW:
            return []
        low = bisect_left(self._sorted, recommendation << HALF)
        high = bisect_left(self._sorted, (recommendation + 1) << HALF, low)
        found = [packed & LOW for packed in self._sorted[low:high]]
        return found + self._recent.get(recommendation, [])

    def _merge(self) -> None:
        new = sorted((r << HALF) | f for r, answers in self._recent.items() for f in answers)
        self._sorted = array("q", merge(self._sorted, new))
        self._recent.clear()
        self._pending = 0

    def packed(self) -> bytes:
        """Every pair as the sorted array's bytes (what a saved tally holds)."""
        self._merge()
        return self._sorted.tobytes()
