"""A figure of the national tally: how many entries it counts, and which while they are few."""

from __future__ import annotations

from typing import Any

from registry.compliance.metrics import Figure

COUNT: Any = object()
"""A figure whose value is its count."""


class Members:
    """How many entries a figure counts, and which while they are at most ``bound``."""

    __slots__ = ("count", "entries")

    def __init__(self, count: int = 0, entries: set[int] | None = None) -> None:
        self.count = count
        self.entries: set[int] | None = set() if entries is None and count == 0 else entries

    def add(self, idx: int, bound: int) -> None:
        self.count += 1
        if self.entries is not None:
            self.entries.add(idx)
            if len(self.entries) > bound:
                self.entries = None

    def remove(self, idx: int) -> None:
        self.count -= 1
        if self.entries is not None:
            self.entries.discard(idx)

    def figure(self, value: Any = COUNT) -> Figure:
        """As a figure of ``value`` (default: the count; ``entries`` None when only the
        count is kept)."""
        entries = None if self.entries is None else sorted(self.entries)
        found: Figure = {"value": self.count if value is COUNT else value, "entries": entries}
        if entries is None:
            found["entries_total"] = self.count
        return found
