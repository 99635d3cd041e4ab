"""The page of a PPK key with more recommendations and declarations than the tally lists,
today, without the index (``/signers/{kid}``, ``/api/profiles/signers/{kid}``).

The history of ``test_saved_tally_key_rows`` (a PPK with two recommendations, 7 followed up
and 8 overdue after its deadline, and a pact), then three declarations of the PPK and a
revocation of the first, saved with a group bound of one: the tally only counts the key's
recommendations and declarations.  At a restart they are found through the search table
(the declarations also through the ``entries`` table's signer column), read, and checked
against the tally's counts (:mod:`registry.compliance.key_search`): the page equals the
index's without restoring it.  A search row deleted, moved to another key, or added, and the
search table still behind, leave it to the index, which gives the same page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, update

from registry.compliance.dashboard import signer_page
from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.tables import ENTRIES, SEARCH_RECORDS
from registry.verify.trust import b64url
from tests.api.helpers import NOW_S, Registry
from tests.api.test_compliance import DAY, register
from tests.compliance.test_browsing import stall
from tests.compliance.test_saved import fill, running
from tests.compliance.test_saved_tally import AFTER_DUE, index_restored, revocation, tallied
from tests.compliance.test_saved_tally_many_recommendations import same
from tests.factories import declaration_payload
from tests.records.test_tampering import assert_tampered, edit, stored

Busy = tuple[bytes, list[int]]
"""The PPK's key, and its three declarations and the revocation of the first."""


@pytest.fixture
def busy(settings: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch) -> Busy:
    monkeypatch.setattr("registry.compliance.tally.GROUP_BOUND", 1)
    later = NOW_S + 4 * DAY
    with running(settings, operator) as registry:
        fill(Registry.bootstrapped(registry.client, operator))
        ppk = registry.signer("ppk-jabar").kid
        declared = [
            register(registry, "ppk-jabar", declaration_payload(), later + n * 60) for n in range(3)
        ]
        revoked = register(registry, "ppk-jabar", revocation(declared[0]), later + 240)
        tallied(registry)  # saves the tally at its size
        registry.client.blocking_portal.call(registry.components.records.catch_up)
    return ppk, [*declared, revoked]


def profile(registry: Registry, kid: bytes) -> dict[str, Any]:
    """``/api/profiles/signers/{kid}`` as it answers, without its checkpoint."""
    found = registry.client.get(f"/api/profiles/signers/{b64url(kid)}")
    assert found.status_code == 200, found.text
    answer = dict(found.json())
    answer.pop("checkpoint")
    assert answer.pop("as_of") == AFTER_DUE
    return answer


def indexed_page(registry: Registry, kid: bytes) -> dict[str, Any] | None:
    """Today's page of ``kid`` computed from the index (restores it)."""
    compliance = registry.components.compliance
    return signer_page(registry.client.blocking_portal.call(compliance.snapshot), kid)


def listed(answer: dict[str, Any]) -> tuple[list[int], list[int]]:
    return (
        [o["index"] for o in answer["recommendation_outcomes"]],
        [s["index"] for s in answer["signed"]],
    )


def test_a_restart_serves_a_busy_ppks_page_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], busy: Busy
) -> None:
    ppk, (first, second, third, _) = busy
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        answer = profile(registry, ppk)
        html = registry.client.get(f"/signers/{b64url(ppk)}", headers={"accept-language": "en"})
        assert html.status_code == 200, html.text
        assert not index_restored(registry), "found through the search table, counted"
        assert not registry.components.compliance.index_held
        assert answer["declarations"]["entries_total"] == 2, "counted, not listed"
        assert listed(answer) == ([7, 8], [9, second, third]), "the revoked one left out"
        assert re.search(f'href="/v/{third}[?"]', html.text), "its declaration on the page"
        assert not re.search(f'href="/v/{first}[?"]', html.text), "not the revoked one"
        same(answer, indexed_page(registry, ppk))


EDITS = ["declaration-deleted", "declaration-moved", "declaration-added", "recommendation-deleted"]


@pytest.mark.parametrize("edited", EDITS)
def test_a_search_row_edited_leaves_the_busy_page_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    busy: Busy,
    edited: str,
) -> None:
    ppk, (_, second, third, _) = busy
    rows = SEARCH_RECORDS
    if edited == "declaration-deleted":
        edit(settings, delete(rows).where(rows.c.idx == second))
    elif edited == "declaration-moved":
        edit(settings, update(rows).where(rows.c.idx == third).values(kid=bytes(32)))
    elif edited == "declaration-added":  # the pact's row, made a declaration of the PPK
        edit(settings, update(rows).where(rows.c.idx == 9).values(type="declaration"))
    else:
        edit(settings, delete(rows).where(rows.c.idx == 8))
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        answer = profile(registry, ppk)
        assert index_restored(registry), "the tables disagree, or one short: the index"
        assert listed(answer) == ([7, 8], [9, second, third])
        same(answer, indexed_page(registry, ppk))


def test_a_search_table_behind_leaves_the_busy_page_to_the_index(
    settings: Settings,
    operator: OperatorKeys,
    today: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    busy: Busy,
) -> None:
    ppk, (_, second, third, _) = busy
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        stall(registry.components.records, monkeypatch)
        registry.components.records.held = 0  # its mark still says it holds the log
        answer = profile(registry, ppk)
        assert index_restored(registry)
        assert listed(answer) == ([7, 8], [9, second, third])
        same(answer, indexed_page(registry, ppk))


def test_an_edited_declaration_on_a_busy_page_is_refused_never_shown(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None], busy: Busy
) -> None:
    ppk, (_, _, third, _) = busy
    statement = bytes(stored(settings, third).statement)
    edited = statement[:-1] + bytes([statement[-1] ^ 1])
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == third).values(statement=edited))
    today(AFTER_DUE)
    with running(settings, operator) as registry:
        found = registry.client.get(f"/api/profiles/signers/{b64url(ppk)}")
        assert_tampered(found, third, "statement")
        assert not index_restored(registry)
