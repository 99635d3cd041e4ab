"""Which follow-ups answer each recommendation, in 8 bytes a follow-up.

The national tally (:mod:`registry.compliance.tally`) takes a follow-up or a
revocation without the compliance index: it reads the recommendation and its
other follow-ups from the log when it needs them.  What it cannot read from
the log without an index is *which* entries answer a recommendation, so it
keeps that here: each follow-up as one 64-bit number (the recommendation's
index in the high half, the follow-up's in the low half) in sorted arrays
(runs), found by bisection in each.  New ones wait in a small dict until
there are :data:`MERGE` of them, then make a run; a run is merged with the
one before it while that one is at most twice its size, so there are about
log2(n / MERGE) runs and each number is merged about as many times, by the
sort in C (at 1.7 million follow-ups: 1 s of merging in all, against 24 s
merging everything into one array each time).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable

HALF = 32
LOW = (1 << HALF) - 1
MERGE = 4096
"""New follow-ups kept in a dict before they make a sorted run."""


class Answers:
    """Recommendation -> the indexes of the follow-ups answering it (in log order)."""

    __slots__ = ("_pending", "_recent", "_runs")

    def __init__(self, runs: Iterable[bytes] = ()) -> None:
        self._runs: list[array[int]] = []
        for data in runs:  # sorted by :meth:`packed` (a saved tally is sealed)
            run = array("q")
            run.frombytes(data)
            if run:
                self._runs.append(run)
        self._recent: dict[int, list[int]] = {}
        self._pending = 0

    def __len__(self) -> int:
        return sum(map(len, self._runs)) + self._pending

    def add(self, recommendation: int, follow_up: int) -> None:
        """``follow_up`` answers ``recommendation`` (taken in log order)."""
        if not (0 <= recommendation <= LOW and 0 <= follow_up <= LOW):
            raise ValueError(f"entry indexes past {LOW} are not kept")
        self._recent.setdefault(recommendation, []).append(follow_up)
        self._pending += 1
        if self._pending >= MERGE:
            self._flush()

    def of(self, recommendation: int) -> list[int]:
        """The follow-ups answering ``recommendation``, in log order."""
        if not 0 <= recommendation <= LOW:
            return []
        found: list[int] = []
        for run in self._runs:  # oldest first
            low = bisect_left(run, recommendation << HALF)
            high = bisect_left(run, (recommendation + 1) << HALF, low)
            found += [packed & LOW for packed in run[low:high]]
        return found + self._recent.get(recommendation, [])

    def _flush(self) -> None:
        if not self._pending:
            return
        pairs = ((r << HALF) | f for r, answers in self._recent.items() for f in answers)
        self._runs.append(array("q", sorted(pairs)))
        self._recent.clear()
        self._pending = 0
        runs = self._runs
        while len(runs) > 1 and len(runs[-2]) <= 2 * len(runs[-1]):
            last = runs.pop()
            runs[-1] = array("q", sorted([*runs[-1], *last]))  # two runs: merged in C

    def packed(self) -> list[bytes]:
        """The sorted runs' bytes (what a saved tally holds)."""
        self._flush()
        return [run.tobytes() for run in self._runs]
