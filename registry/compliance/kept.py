"""A figure of the national tally: how many entries it counts, and which while they are few.

The entries a figure lists (at most a bound, 100 by default) are kept as a sorted array of
8-byte integers, not a set: a tally holds tens of thousands of figures (one per figure of
every instansi, province, month, head type and PPK key), and a Python set of 100 entry
indexes costs about 7 kB (its hash table and an int object per entry) against 0.9 kB as an
array; an empty one 216 bytes against 64.  Entries mostly arrive in log order, so adding one
is an append; an out-of-order one is a binary search and an insert into at most ``bound``.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from typing import Any

from registry.compliance.metrics import Figure

COUNT: Any = object()
"""A figure whose value is its count."""


def entries_of(indexes: Iterable[int]) -> array[int]:
    """``indexes`` as kept: sorted, each once."""
    return array("q", sorted(set(indexes)))


def merged(parts: Iterable[array[int] | None]) -> array[int] | None:
    """The entries of every part, as kept; None if a part lists none (counts only)."""
    found: set[int] = set()
    for part in parts:
        if part is None:
            return None
        found.update(part)
    return entries_of(found)


class Members:
    """How many entries a figure counts, and which while they are at most ``bound``."""

    __slots__ = ("count", "entries")

    def __init__(self, count: int = 0, entries: Iterable[int] | None = None) -> None:
        self.count = count
        self.entries: array[int] | None
        if entries is not None:
            self.entries = entries_of(entries)
        else:  # nothing counted yet lists nothing; a count alone lists none
            self.entries = array("q") if count == 0 else None

    @classmethod
    def saved(cls, count: int, entries: Iterable[int] | None) -> Members:
        """As saved: ``entries`` None means only the count is kept, even at 0."""
        found = cls(count, entries)
        if entries is None:
            found.entries = None
        return found

    def add(self, idx: int, bound: int) -> None:
        self.count += 1
        kept = self.entries
        if kept is None:
            return
        if not kept or idx > kept[-1]:
            kept.append(idx)
        else:
            at = bisect_left(kept, idx)
            if at == len(kept) or kept[at] != idx:
                kept.insert(at, idx)
        if len(kept) > bound:
            self.entries = None

    def remove(self, idx: int) -> None:
        self.count -= 1
        kept = self.entries
        if kept is not None:
            at = bisect_left(kept, idx)
            if at < len(kept) and kept[at] == idx:
                del kept[at]

    def listed(self) -> list[int] | None:
        """The entries listed, in log order; None when only the count is kept."""
        return None if self.entries is None else self.entries.tolist()

    def figure(self, value: Any = COUNT) -> Figure:
        """As a figure of ``value`` (default: the count; ``entries`` None when only the
        count is kept)."""
        entries = self.listed()
        found: Figure = {"value": self.count if value is COUNT else value, "entries": entries}
        if entries is None:
            found["entries_total"] = self.count
        return found
