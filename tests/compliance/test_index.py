"""The compliance index: applied in log order, once each, caught up from the store in pages."""

from __future__ import annotations

import hashlib
from typing import Any

from registry.compliance.facts import read_entry
from registry.compliance.index import ComplianceIndex
from registry.signing.cose import CoseSigner
from registry.store.models import EntryRecord
from tests.factories import TEMPLATE_SHA256, fixed_key

PPK = CoseSigner(fixed_key("ppk"))
DAY = 86_400
T0 = 1_600_000_000  # 2020-09-13


def entry(idx: int, signer: CoseSigner, payload: dict[str, Any], iat: int = T0) -> EntryRecord:
    statement = signer.sign_statement(payload, "test", iat)
    return EntryRecord(
        idx, statement, hashlib.sha256(statement).digest(), b"", b"", 0,
        payload["type"], signer.kid, None, "{}", b"",
    )  # fmt: skip


def pact(n: int) -> dict[str, Any]:
    return {
        "type": "pact",
        "template": TEMPLATE_SHA256,
        "election": "pilkada-2020",
        "instansi": "Pemerintah Kota Bogor",
        "place": f"Bogor {n}",
        "date": "2020-09-13",
    }


LOG = [entry(i, PPK, pact(i)) for i in range(5)] + [
    entry(5, PPK, {"type": "revocation", "entry": 1, "reason": "ganda"}, T0 + DAY),
    entry(6, PPK, {"type": "template", "kind": "pact", "title": "t", "text": "x"}),
]


def test_an_entry_logged_in_another_encoding_is_still_read() -> None:
    # Before statements had one accepted encoding, an untagged one could be logged: the log
    # keeps it, and what it states still counts as it always did.
    logged = LOG[0]
    untagged = EntryRecord(
        0, logged.statement[1:], hashlib.sha256(logged.statement[1:]).digest(), b"", b"", 0,
        "pact", PPK.kid, None, "{}", b"",
    )  # fmt: skip
    assert read_entry(untagged) == read_entry(logged) is not None


class Source:
    def __init__(self) -> None:
        self.reads: list[tuple[int, int]] = []

    async def entries(self, start: int, end: int) -> list[EntryRecord]:
        self.reads.append((start, end))
        return LOG[start:end]


def test_entries_apply_in_order_once_and_gaps_wait() -> None:
    index = ComplianceIndex()
    index.apply(LOG[:2])
    index.apply(LOG[1:3])
    assert index.size == 3
    index.apply(LOG[4:5])
    assert index.size == 3, "entry 4 waits for entry 3"
    assert sorted(index.signed) == [0, 1, 2]


async def test_catch_up_reads_what_the_hooks_missed() -> None:
    index = ComplianceIndex()
    index.apply(LOG[:2])
    source = Source()
    await index.catch_up(source, len(LOG))
    assert index.size == len(LOG)
    assert source.reads == [(2, len(LOG))]
    await index.catch_up(source, len(LOG))
    assert len(source.reads) == 1


def test_revoked_entries_stop_counting_from_the_revocation_day() -> None:
    index = ComplianceIndex()
    index.apply(LOG)
    before = index.snapshot("2020-09-13")
    after = index.snapshot("2020-09-14")
    assert [p.idx for p in before.pacts] == [0, 1, 2, 3, 4]
    assert [p.idx for p in after.pacts] == [0, 2, 3, 4]
    assert index.snapshot("2020-09-12").pacts == []


def test_snapshots_are_recomputed_after_new_entries() -> None:
    index = ComplianceIndex()
    index.apply(LOG[:1])
    assert len(index.snapshot("2021-01-01").pacts) == 1
    index.apply(LOG[1:2])
    assert len(index.snapshot("2021-01-01").pacts) == 2


def test_types_compliance_ignores_and_unreadable_statements() -> None:
    assert read_entry(LOG[6]) is None
    broken = EntryRecord(7, b"\x00", b"", b"", b"", 0, "pact", PPK.kid, None, "{}", b"")
    assert read_entry(broken) is None
