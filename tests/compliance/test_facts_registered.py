"""A follow-up's fact carries the day the log registered it beside the day its signer claims."""

from __future__ import annotations

from registry.compliance.facts import FollowUp, read_entry
from registry.signing.cose import CoseSigner
from registry.store.models import EntryRecord
from tests.factories import fixed_key

CLAIMED = 1_727_395_200  # 2024-09-27 WIB
DAY_MS = 86_400_000


def follow_up_entry(registered_ms: int) -> EntryRecord:
    signer = CoseSigner(fixed_key("ppk-jabar"))
    payload = {
        "type": "follow-up",
        "recommendation": 3,
        "action": "sanctioned",
        "decree_number": "800/1/2024",
        "decree_date": "2024-09-26",
    }
    statement = signer.sign_statement(payload, "ppk-jabar", CLAIMED)
    return EntryRecord(
        idx=4,
        statement=statement,
        statement_sha256=b"\0" * 32,
        leaf=b"",
        leaf_hash=b"\0" * 32,
        registered_at=registered_ms,
        type="follow-up",
        signer_kid=signer.kid,
        instansi="Pemerintah Provinsi Jawa Barat",
        payload_json="{}",
        receipt=b"",
    )


def test_a_follow_up_registered_the_day_it_claims_is_not_flagged() -> None:
    fact = read_entry(follow_up_entry(CLAIMED * 1000 + 3_600_000))
    assert isinstance(fact, FollowUp)
    assert (fact.day, fact.registered, fact.lag_days) == ("2024-09-27", "2024-09-27", 0)
    assert not fact.backdated


def test_a_follow_up_registered_months_after_its_claimed_day_is_flagged() -> None:
    fact = read_entry(follow_up_entry(CLAIMED * 1000 + 120 * DAY_MS))
    assert isinstance(fact, FollowUp)
    assert fact.day == "2024-09-27"
    assert fact.registered == "2025-01-25"
    assert fact.lag_days == 120
    assert fact.backdated
