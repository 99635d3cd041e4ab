"""The dashboard filtered by a province or an instansi, today, without the index.

The history of ``test_saved_tally_other_keys`` (a Pj PPK of "Pemerintah Provinsi Jawa
Barat" in Jawa Barat with two recommendations, a follow-up and a pact; an ASN enrolled in
Bali who declares twice for that instansi and revokes the first), its tally saved.  At a
restart every dashboard table (JSON), the page and the entries behind a figure, filtered by
either province or by the instansi (with an election or head type added), come from an index
of just that scope's facts (:mod:`registry.compliance.scoped_filter`) without restoring the
whole index, and equal what the whole index answers.  A search row deleted or moved to
another province sends the answer to the index (the tally's rows of the scope disagree),
which gives the right one; a row added into the scope is read and left out; a search table
still behind goes to the index; an edited entry is refused, never shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, insert, update

from registry.compliance.dashboard import TABLES
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import ENTRIES, SEARCH_RECORDS
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, register
from tests.compliance.test_browsing import stall
from tests.compliance.test_saved import running
from tests.compliance.test_saved_tally import index_restored, restore_the_index, revocation
from tests.compliance.test_saved_tally_dashboard import page, shown
from tests.compliance.test_saved_tally_key_rows import saved_history
from tests.compliance.test_saved_tally_other_keys import declared_and_revoked
from tests.factories import declaration_payload
from tests.records.test_tampering import assert_tampered, edit

OFFICE = "Pemerintah Provinsi Jawa Barat"
FILTERS: list[dict[str, str]] = [
    {"province": "Jawa Barat"},
    {"province": "Bali"},
    {"instansi": OFFICE},
    {"instansi": OFFICE, "head_type": "pj"},
    {"province": "Bali", "election": "pilkada-2024"},
]


def tables(registry: Registry, **flt: str) -> dict[str, Any]:
    """Every dashboard table under ``flt`` (JSON), and what each counts."""
    found = {}
    for table in TABLES:
        answer = registry.client.get(f"/api/dashboard/{table}", params=flt)
        assert answer.status_code == 200, answer.text
        found[table] = answer.json()
    return found


def entries(registry: Registry, **flt: str) -> list[int]:
    answer = registry.client.get(
        "/api/dashboard/national/entries", params={"figure": "declarations", **flt}
    )
    assert answer.status_code == 200, answer.text
    return [item["index"] for item in answer.json()["items"]]


def restore(registry: Registry) -> None:
    """Make the worker restore the whole index (another day no longer asks for it: that
    day's own tally answers, stop 32)."""
    restore_the_index(registry)


def test_a_restart_answers_a_province_and_an_instansi_filter_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    _, (first, second, _) = declared_and_revoked(settings, operator)
    with running(settings, operator) as registry:
        scoped = {i: tables(registry, **flt) for i, flt in enumerate(FILTERS)}
        pages = {i: shown(page(registry, **flt)) for i, flt in enumerate(FILTERS)}
        listed = entries(registry, province="Bali")
        assert not index_restored(registry), "each from its scope's own facts"
        bali = scoped[1]["national"]["items"][0]
        assert bali["declarations"] == {"value": 1, "entries": [second]}, "the first revoked"
        assert bali["recommendations"]["value"] == 0
        west_java = scoped[0]["signers"]["items"]
        assert [row["recommendations"]["entries"] for row in west_java] == [[7, 8]]
        assert listed == [second]
        restore(registry)
        for i, flt in enumerate(FILTERS):
            assert tables(registry, **flt) == scoped[i], flt
            assert shown(page(registry, **flt)) == pages[i], flt
        assert entries(registry, province="Bali") == listed
        assert first < second


@pytest.mark.parametrize("edited", ["row-deleted", "enrolment-moved-to-another-province"])
def test_a_search_row_edited_away_from_a_province_leaves_the_filter_to_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], edited: str
) -> None:
    asn, (_, second, _) = declared_and_revoked(settings, operator)
    rows = SEARCH_RECORDS
    if edited == "row-deleted":
        edit(settings, delete(rows).where(rows.c.idx == second))
    else:
        enrolled = (rows.c.kid == asn) & (rows.c.type == "enrolment")
        edit(settings, update(rows).where(enrolled).values(province="Papua"))
    with running(settings, operator) as registry:
        found = tables(registry, province="Bali")
        assert index_restored(registry), "the tally's row of Bali disagrees: the index"
        assert found["national"]["items"][0]["declarations"]["entries"] == [second]


@pytest.mark.parametrize("edited", ["row-deleted", "row-moved-to-another-instansi"])
def test_a_recommendations_search_row_edited_away_leaves_an_instansi_filter_to_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], edited: str
) -> None:
    declared_and_revoked(settings, operator)
    row = SEARCH_RECORDS.c.idx == 8
    if edited == "row-deleted":
        edit(settings, delete(SEARCH_RECORDS).where(row))
    else:
        edit(settings, update(SEARCH_RECORDS).where(row).values(instansi="Bawaslu RI"))
    with running(settings, operator) as registry:
        found = tables(registry, instansi=OFFICE)
        assert index_restored(registry), "the tally's row of the instansi disagrees"
        assert found["national"]["items"][0]["recommendations"]["entries"] == [7, 8]


def test_a_search_row_added_into_a_province_is_read_and_left_out(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    _, (_, second, revoked) = declared_and_revoked(settings, operator)
    with running(settings, operator) as registry:
        want = tables(registry, province="Bali")
    # the PPK's recommendation 8 claimed as a report of Bali
    row = {"idx": 8, "type": "report", "claimed": "2024-10-01", "province": "Bali"}
    edit(settings, delete(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == 8))
    edit(settings, insert(SEARCH_RECORDS).values(instansi=OFFICE, **row))
    with running(settings, operator) as registry:
        assert tables(registry, province="Bali") == want
        assert not index_restored(registry), "the fact read is no report of Bali"
        assert want["national"]["items"][0]["reports"]["value"] == 0
        assert revoked > second


def test_a_search_table_behind_leaves_a_filter_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, (_, second, _) = declared_and_revoked(settings, operator)
    with running(settings, operator) as registry:
        stall(registry.components.records, monkeypatch)
        third = register(registry, "asn-bali", declaration_payload(), NOW_S + 3 * DAY + 300)
        found = tables(registry, province="Bali")
        assert index_restored(registry), "the search cannot say yet: the index"
        declared = found["national"]["items"][0]["declarations"]["entries"]
        assert declared == [second, third]


def test_an_edited_declaration_is_refused_never_shown(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    _, (_, second, _) = declared_and_revoked(settings, operator)
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == second).values(instansi="Bawaslu RI"))
    with running(settings, operator) as registry:
        answer = registry.client.get("/api/dashboard/national", params={"province": "Bali"})
        assert_tampered(answer, second, "instansi")


def test_an_unknown_province_is_refused_from_the_tallys_choices_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    declared_and_revoked(settings, operator)
    with running(settings, operator) as registry:
        for lang, words in (("id", "tidak mengenal"), ("en", "knows no")):
            answer = registry.client.get(
                "/api/dashboard/national",
                params={"province": "Atlantis"},
                headers={"accept-language": lang},
            )
            assert answer.status_code == 400, answer.text
            assert "Atlantis" in answer.text
            assert words in answer.text.lower(), answer.text
        assert not index_restored(registry), "the choices are the tally's"


def revoked_two_days_later(settings: Settings, operator: OperatorKeys) -> tuple[int, int]:
    """The saved history, then the Bali ASN's declaration on 2024-09-30 and its revocation on
    2024-10-02: the two entries."""
    saved_history(settings, operator)
    later = NOW_S + 3 * DAY
    with running(settings, operator) as registry:
        registry.enrol("asn-bali", "asn", province="Bali", term_end="2099-12-31")
        declared = register(registry, "asn-bali", declaration_payload(), later)
        revoked = register(registry, "asn-bali", revocation(declared), later + 2 * DAY)
        registry.client.get("/api/compliance/national")  # the tally saved at its size
        registry.client.blocking_portal.call(registry.components.records.catch_up)
    return declared, revoked


@pytest.mark.parametrize("edited", ["none", "revoked-row-deleted"])
def test_an_earlier_day_counts_what_stood_then_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], edited: str
) -> None:
    # Today's tally does not count the revoked declaration: it is read from the tally's
    # revoked entries, not found through its search row (deleted here).
    declared, _ = revoked_two_days_later(settings, operator)
    if edited != "none":
        edit(settings, delete(SEARCH_RECORDS).where(SEARCH_RECORDS.c.idx == declared))
    asked = [{"province": "Bali", "until": day} for day in ("2024-10-01", "2024-10-03")]
    asked.append({"instansi": OFFICE, "until": "2024-10-01"})
    with running(settings, operator) as registry:
        scoped = [tables(registry, **flt) for flt in asked]
        assert not index_restored(registry), "the scope's facts, an earlier day"
        declarations = [s["national"]["items"][0]["declarations"]["entries"] for s in scoped]
        assert declarations == [[declared], [], [declared]]
        restore(registry)
        assert [tables(registry, **flt) for flt in asked] == scoped
