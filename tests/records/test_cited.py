"""The sequencer's elections and templates, read once and kept (registry/records/cited.py)."""

from __future__ import annotations

import asyncio

from registry.records.cited import CitedEntries
from registry.store.models import EntryRecord


def _record(idx: int, kind: str) -> EntryRecord:
    return EntryRecord(
        idx=idx,
        statement=b"",
        statement_sha256=b"",
        leaf=b"",
        leaf_hash=b"",
        registered_at=0,
        type=kind,
        signer_kid=b"",
        instansi=None,
        payload_json="{}",
        receipt=b"",
    )


class _Store:
    """What the checked search would answer: the committed entries of a type."""

    def __init__(self) -> None:
        self.entries: list[EntryRecord] = []
        self.searches = 0
        self.during: CitedEntries | None = None  # commits one meanwhile, if set

    async def search(self, kind: str) -> list[EntryRecord]:
        self.searches += 1
        if self.during is not None:
            committed = _record(99, "election")
            self.entries.append(committed)
            self.during.committed([committed])
            self.during = None
        return [e for e in self.entries if e.type == kind]


def test_they_are_read_once_then_kept_with_what_this_process_commits() -> None:
    async def scenario() -> None:
        store, kept = _Store(), CitedEntries()
        store.entries = [_record(1, "election"), _record(2, "template"), _record(3, "pact")]
        assert [r.idx for r in await kept.of_kind("election", store.search)] == [1]
        assert [r.idx for r in await kept.of_kind("template", store.search)] == [2]
        searched = store.searches
        kept.committed([_record(4, "pact"), _record(5, "election")])
        assert [r.idx for r in await kept.of_kind("election", store.search)] == [1, 5]
        assert store.searches == searched  # not read again
        kept.forget()
        store.entries.append(_record(5, "election"))
        await kept.of_kind("election", store.search)
        assert store.searches > searched

    asyncio.run(scenario())


def test_a_read_that_spans_a_commit_is_not_kept() -> None:
    """An election committed while they are read may be missing from what was read:
    that read answers its batch (as a search did) and the next batch reads again."""

    async def scenario() -> None:
        store, kept = _Store(), CitedEntries()
        store.entries = [_record(1, "election")]
        store.during = kept
        await kept.of_kind("election", store.search)
        searched = store.searches
        assert [r.idx for r in await kept.of_kind("election", store.search)] == [1, 99]
        assert store.searches > searched

    asyncio.run(scenario())
