"""What pledges, reports and recommendations cite, as a property of the registration rules:
a record is admitted exactly when it names a standing election (and, for a pledge, a standing
template of its kind), whatever elections the log holds (no server, no database)."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from registry.records.directory import KeyDirectory
from registry.records.errors import RegistrationRefused
from registry.records.policy import EntrySummary, admit
from registry.records.references import LogView
from registry.records.schemas import parse_record
from registry.verify.statement import Statement
from tests.factories import (
    DECLARATION_TEMPLATE_SHA256,
    TEMPLATE_SHA256,
    declaration_payload,
    election_payload,
    pact_payload,
    template_payload,
)
from tests.records.test_policy_followup import HISTORY_S, NOW_MS, at, key, kid

JABAR = "Pemerintah Provinsi Jawa Barat"
KEYS = KeyDirectory([key("ppk", "ppk", JABAR), key("admin", "admin", "Operator")])
PPK = {"name": "ppk", "jabatan": "jabatan ppk", "instansi": JABAR}
"""The signer the pledges name: the PPK key's enrolment in ``KEYS`` (else ``signer-mismatch``)."""
NAMES = st.sampled_from(["pilkada-2024", "pemilu-2024", "pilkada-2020", "pemilu-1955", "x-1"])


def view(elections: list[tuple[str, bool]], templates: list[tuple[bytes, bool]]) -> LogView:
    """A log holding ``elections`` (name, revoked) and the fixture ``templates`` (hash, revoked)."""
    found = [
        EntrySummary(i, "election", kid("admin"), revoked, election_payload(name))
        for i, (name, revoked) in enumerate(elections)
    ]
    found += [
        EntrySummary(100 + i, "template", kid("admin"), revoked, template_payload(sha256))
        for i, (sha256, revoked) in enumerate(templates)
    ]
    return LogView(found)


def admitted(entries: LogView, payload: dict[str, Any]) -> str | None:
    """None if ``payload`` signed by the PPK is admitted as entry 1000, else the refusal's code."""
    digest = hashlib.sha256(repr(payload).encode()).digest()
    statement = Statement(
        payload["type"], payload, kid("ppk"), b"", "test", at("2024-09-27"), digest, digest, b""
    )
    try:
        admit(statement, 1000, NOW_MS, KEYS, entries, max_age_s=HISTORY_S)
    except RegistrationRefused as refusal:
        return refusal.code
    return None


@given(
    elections=st.lists(st.tuples(NAMES, st.booleans()), max_size=6),
    cited=NAMES,
    declaration=st.booleans(),
)
def test_a_pledge_is_admitted_exactly_when_its_election_stands(
    elections: list[tuple[str, bool]], cited: str, declaration: bool
) -> None:
    templates = [(TEMPLATE_SHA256, False), (DECLARATION_TEMPLATE_SHA256, False)]
    payload = (declaration_payload if declaration else pact_payload)(election=cited, signer=PPK)
    standing = any(name == cited and not revoked for name, revoked in elections)
    known = any(name == cited for name, _ in elections)
    expected = None if standing else ("revoked-election" if known else "unknown-election")
    assert admitted(view(elections, templates), payload) == expected


@given(
    templates=st.lists(
        st.tuples(st.sampled_from([TEMPLATE_SHA256, DECLARATION_TEMPLATE_SHA256]), st.booleans()),
        max_size=4,
    ),
    declaration=st.booleans(),
)
def test_a_pledge_is_admitted_exactly_when_a_template_of_its_kind_stands(
    templates: list[tuple[bytes, bool]], declaration: bool
) -> None:
    own = DECLARATION_TEMPLATE_SHA256 if declaration else TEMPLATE_SHA256
    payload = (declaration_payload if declaration else pact_payload)(template=own, signer=PPK)
    found = [revoked for sha256, revoked in templates if sha256 == own]
    expected = None
    if not found:
        expected = "unknown-template"
    elif all(found):
        expected = "revoked-template"
    assert admitted(view([("pilkada-2024", False)], templates), payload) == expected


def test_an_entry_logged_without_an_election_still_loads() -> None:
    old_report = {
        "type": "report",
        "case_number": "NET.2020.00001",
        "reporter": "Bawaslu",
        "instansi": JABAR,
        "subject_commitment": b"\x01" * 32,
        "category": "social-media",
        "description": "Menyukai unggahan pasangan calon",
        "place": "Facebook",
        "date": "2020-09-20",
    }
    assert parse_record(old_report, logged=True).election is None  # type: ignore[union-attr]
    free_text_pact = pact_payload(election="Pilkada Serentak 2020")
    assert parse_record(free_text_pact, logged=True).election == "Pilkada Serentak 2020"  # type: ignore[union-attr]
