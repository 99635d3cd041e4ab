"""check_access and check_role: pure checks of an institution page's access statement.

Each negative case changes one thing in an access statement or the key's enrolment and is
named after it; the refusal code says which check caught it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from registry.records.errors import RegistrationRefused
from registry.records.institution_access import (
    ACCESS_TTL_S,
    access_payload,
    check_access,
    check_role,
)
from registry.signing.cose import CoseSigner
from registry.store.models import SignerKeyRecord
from tests.factories import fixed_key

NOW = 1_796_000_000  # 2026-11-30
ORIGIN = "test.example/pakta"
SIGNER = CoseSigner(fixed_key("bkn-unit"))
KEY = SignerKeyRecord(
    kid=SIGNER.kid,
    public_key=SIGNER.public_key,
    role="bkn",
    name="Kepala BKN",
    nip=None,
    jabatan="Kepala",
    instansi="BKN",
    decree_number="1/2025",
    decree_date="2025-01-01",
    term_start="2025-01-01",
    term_end="2029-12-31",
    valid_from=0,
    valid_until=2**62,
    enrolment_idx=3,
)


def statement(page: str = "bkn", issued_at: int = NOW, **payload: Any) -> bytes:
    body = access_payload(page, ORIGIN) | payload
    return SIGNER.sign_statement(body, SIGNER.kid.hex(), issued_at)


def keys_of(key: SignerKeyRecord | None) -> Any:
    return lambda kid: key if key is not None and kid == key.kid else None


def refusal(data: bytes, key: SignerKeyRecord | None = KEY, page: str = "bkn") -> str:
    with pytest.raises(RegistrationRefused) as caught:
        check_access(data, page, ORIGIN, keys_of(key), NOW)
    return caught.value.code


def test_a_fresh_statement_by_a_key_of_the_pages_role_stands_for_its_time() -> None:
    found = check_access(statement(), "bkn", ORIGIN, keys_of(KEY), NOW)
    assert found.key == KEY
    assert found.expires == NOW + ACCESS_TTL_S
    assert found.as_json()["role"] == "bkn"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("page-changed", statement(page="operator"), "bad-access"),
        ("origin-changed", statement(origin="elsewhere.example"), "bad-access"),
        ("type-changed", statement(type="pact"), "bad-access"),
        ("issued-past-ttl", statement(issued_at=NOW - ACCESS_TTL_S - 1), "bad-access"),
        ("issued-in-the-future", statement(issued_at=NOW + 3600), "bad-access"),
        ("not-cose", b"\xa0", "bad-access"),
        ("trailing-garbage", statement() + b"\x00", "bad-access"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_changed_statement_is_refused(name: str, data: bytes, code: str) -> None:
    assert refusal(data) == code


def test_a_statement_by_a_key_nobody_enrolled_is_refused() -> None:
    assert refusal(statement(), key=None) == "unknown-key"


@pytest.mark.parametrize(
    ("name", "change", "code"),
    [
        ("role-ppk", {"role": "ppk"}, "wrong-role-for-page"),
        ("role-admin", {"role": "admin"}, "wrong-role-for-page"),
        ("revoked-before-now", {"revoked_at": (NOW - 60) * 1000}, "revoked-key"),
        ("term-ended", {"term_end": "2026-01-31"}, "outside-term"),
        ("term-not-begun", {"term_start": "2027-01-01"}, "outside-term"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_changed_enrolment_is_refused(name: str, change: dict[str, Any], code: str) -> None:
    assert refusal(statement(), key=dataclasses.replace(KEY, **change)) == code


def test_a_revocation_dated_after_now_does_not_refuse_yet() -> None:
    later = dataclasses.replace(KEY, revoked_at=(NOW + 86_400) * 1000)
    assert check_role("bkn", later, NOW) == later


def test_an_unknown_page_is_not_found() -> None:
    with pytest.raises(RegistrationRefused) as caught:
        check_role("bawaslu", KEY, NOW)
    assert (caught.value.code, caught.value.status) == ("unknown-page", 404)


def test_each_page_names_one_role_and_the_ppk_none() -> None:
    for page in ("recommender", "bkn", "operator"):
        with pytest.raises(RegistrationRefused):
            check_role(page, dataclasses.replace(KEY, role="ppk"), NOW)
