"""``/api/compliance/signers/{kid}`` of a key that is no PPK's, today, without the index.

The history of ``test_saved_tally_key_rows`` (a PPK, its recommendations and pact, the
recommender's key), its tally saved; then an ASN enrolled in Bali who declares twice and
revokes the first declaration.  At a restart the ASN's record and the recommender's are
read from their own entries (:mod:`registry.compliance.other_key_record`), equal to the
index's, without restoring it; a search row of the ASN deleted, moved to another key, or
added, leaves the answer to the index (the tables disagree), which gives the same record;
so does a search table still behind the log; an edited declaration is refused, never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import ENTRIES, SEARCH_RECORDS
from registry.verify.trust import b64url
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, register
from tests.compliance.test_browsing import stall
from tests.compliance.test_saved import running
from tests.compliance.test_saved_tally import index_restored, revocation
from tests.compliance.test_saved_tally_key_rows import indexed_record, record, saved_history
from tests.databases import copied
from tests.factories import declaration_payload
from tests.records.test_tampering import assert_tampered, edit


def declared_and_revoked(settings: Settings, operator: OperatorKeys) -> tuple[bytes, list[int]]:
    """The saved history, then the ASN's two declarations and its revocation of the first:
    the ASN's key and those three entries.  Built once a session per backend and per what
    its building reads, then copied (:func:`tests.databases.copied`)."""
    build = partial(_declared_and_revoked, operator=operator)
    asn, entries = copied("declared-and-revoked", settings, build, operator.admin.kid)
    return bytes.fromhex(asn), entries


def _declared_and_revoked(settings: Settings, operator: OperatorKeys) -> tuple[str, list[int]]:
    saved_history(settings, operator)
    later = NOW_S + 3 * DAY
    with running(settings, operator) as registry:
        asn = registry.enrol("asn-bali", "asn", province="Bali", term_end="2099-12-31").kid
        first = register(registry, "asn-bali", declaration_payload(), later)
        second = register(registry, "asn-bali", declaration_payload(), later + 60)
        revoked = register(registry, "asn-bali", revocation(first), later + 120)
        registry.client.get("/api/compliance/national")  # the tally saved at its size
        registry.client.blocking_portal.call(registry.components.records.catch_up)
    return asn.hex(), [first, second, revoked]


def answered(registry: Registry, kid: bytes) -> dict[str, Any]:
    found = record(registry, b64url(kid))
    assert found.status_code == 200, found.text
    return dict(found.json())


def test_a_restart_answers_an_asns_and_a_recommenders_record_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    asn, (first, second, revoked) = declared_and_revoked(settings, operator)
    with running(settings, operator) as registry:
        recommender = registry.signer("recommender").kid
        mine = answered(registry, asn)
        theirs = answered(registry, recommender)
        assert not index_restored(registry), "read from their own entries"
        assert (mine["role"], mine["province"]) == ("asn", "Bali")
        assert mine["declarations"] == {"value": 1, "entries": [second]}, "the first revoked"
        assert mine["recommendations"] == {"value": 0, "entries": []}
        assert theirs["role"] == "recommender"
        assert registry.components.compliance.facts.read >= 4, "enrolment, two, revocation"
        assert mine.pop("as_of") == theirs.pop("as_of")
        assert mine == indexed_record(registry, asn)
        assert theirs == indexed_record(registry, recommender)
        assert revoked > second > first


@pytest.mark.parametrize(
    "edited",
    ["row-deleted", "row-moved-to-another-key", "row-added"],
)
def test_a_search_row_edited_away_leaves_the_record_to_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], edited: str
) -> None:
    asn, (first, second, revoked) = declared_and_revoked(settings, operator)
    rows = SEARCH_RECORDS
    if edited == "row-deleted":
        edit(settings, delete(rows).where(rows.c.idx == second))
    elif edited == "row-moved-to-another-key":
        edit(settings, update(rows).where(rows.c.idx == second).values(kid=bytes(32)))
    else:  # a row for the revocation (never listed) claiming the ASN declared it
        row = {"idx": revoked, "type": "declaration", "claimed": "2024-10-01", "kid": asn}
        edit(settings, insert(rows).values(instansi="I", **row))
    with running(settings, operator) as registry:
        found = answered(registry, asn)
        assert index_restored(registry), "the tables disagree: the index answers"
        found.pop("as_of")
        assert found == indexed_record(registry, asn)
        assert found["declarations"]["entries"] == [second]
        assert first not in found["declarations"]["entries"]


def test_a_search_table_behind_leaves_the_record_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asn, (_, second, _) = declared_and_revoked(settings, operator)
    with running(settings, operator) as registry:
        stall(registry.components.records, monkeypatch)
        third = register(registry, "asn-bali", declaration_payload(), NOW_S + 3 * DAY + 300)
        found = answered(registry, asn)
        assert index_restored(registry), "the search cannot say yet: the index"
        assert found["declarations"]["entries"] == [second, third]


def test_an_edited_declaration_is_refused_never_shown(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    asn, (_, second, _) = declared_and_revoked(settings, operator)
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == second).values(instansi="Bawaslu RI"))
    with running(settings, operator) as registry:
        assert_tampered(record(registry, b64url(asn)), second, "instansi")
