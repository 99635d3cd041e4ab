"""The elections and templates a sequencer admits pledges against, read once and kept.

Every batch holding a pact, declaration, report or recommendation needs all
the log's elections, and one holding a pledge all its templates
(:mod:`registry.records.citations`).  Read through the checked reads for
every batch, they were two searches and as many entry checks a batch, a
third of the sequencer's serial cycle for single registrations.  There are
few of them and a committed entry never changes, so the sequencer reads them
(checked against the log) the first time a batch needs them, then adds those
it commits itself (bytes it made).  Whether one still stands is not kept
here: the revoked entries are asked at each batch.

A database edit made after they were read is not seen by the admission,
which goes on with the entries as they were checked; it is caught as before
by every reader of those entries (their GETs, views, figures, the audit).
One made before is caught by the first read, and refuses the batch's
statements that cite them, as before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from registry.store.models import EntryRecord

KEPT_KINDS = ("election", "template")
"""The entry types kept: cited by kind (no instansi), few, read for many batches."""

Search = Callable[[str], Awaitable[list[EntryRecord]]]
"""Every committed entry of a type, checked (``references._search_all``)."""


class CitedEntries:
    """The committed entries of :data:`KEPT_KINDS`, by type and index, once read."""

    def __init__(self) -> None:
        self._kept: dict[str, dict[int, EntryRecord]] | None = None
        self._commits = 0
        """Entries of the kept kinds committed so far: a read that spans one is not kept."""

    def forget(self) -> None:
        """Read them again when next needed (a process becoming the sequencer)."""
        self._kept = None

    async def of_kind(self, kind: str, search: Search) -> list[EntryRecord]:
        """Every committed entry of ``kind`` (one of :data:`KEPT_KINDS`), in index order."""
        if self._kept is None:
            before = self._commits
            read = {name: {r.idx: r for r in await search(name)} for name in KEPT_KINDS}
            if self._commits != before:  # one committed meanwhile may be missing: not kept
                return sorted(read[kind].values(), key=lambda r: r.idx)
            self._kept = read
        return sorted(self._kept[kind].values(), key=lambda r: r.idx)

    def committed(self, records: list[EntryRecord]) -> None:
        """Add the entries of a batch this process committed (the ``on_commit`` hook)."""
        for record in records:
            if record.type in KEPT_KINDS:
                self._commits += 1
                if self._kept is not None:
                    self._kept[record.type][record.idx] = record
