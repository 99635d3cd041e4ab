"""Signed requests for personal data: each way a request is refused, named for its mutation."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from registry.compliance.access import (
    AccessDenied,
    ReplayGuard,
    may_read_identity,
    require,
    sign_request,
    verify_request,
)
from registry.records.directory import KeyDirectory
from registry.signing.cose import CoseSigner
from registry.store.models import SignerKeyRecord
from registry.verify.trust import b64url, unb64url
from tests.factories import fixed_key

NOW = 1_727_395_200
PATH = "/api/identities/" + "ab" * 32
SIGNER = CoseSigner(fixed_key("bawaslu"))


def record(signer: CoseSigner, role: str = "bawaslu", **changes: object) -> SignerKeyRecord:
    key = SignerKeyRecord(
        kid=signer.kid,
        public_key=signer.public_key,
        role=role,
        name="Rahmat",
        nip=None,
        jabatan="Ketua",
        instansi="Bawaslu RI",
        decree_number="Keppres 1",
        decree_date="2022-04-01",
        term_start="2022-04-12",
        term_end="2027-04-11",
        valid_from=0,
        valid_until=(NOW + 86_400) * 1000,
        enrolment_idx=1,
    )
    return dataclasses.replace(key, **changes)  # type: ignore[arg-type]


def check(
    header: str | None, keys: KeyDirectory | None = None, **kwargs: object
) -> SignerKeyRecord:
    directory = keys or KeyDirectory([record(SIGNER)])
    method = str(kwargs.pop("method", "GET"))
    return verify_request(header, method, PATH, directory.get, ReplayGuard(), now_s=NOW, **kwargs)  # type: ignore[arg-type]


def refused(header: str | None, keys: KeyDirectory | None = None) -> AccessDenied:
    with pytest.raises(AccessDenied) as caught:
        check(header, keys)
    return caught.value


def test_a_fresh_signed_request_names_its_key() -> None:
    assert check(sign_request(SIGNER, "GET", PATH, NOW)).kid == SIGNER.kid


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "unauthenticated"),
        ("Bearer abc", "unauthenticated"),
        ("Registry-Signed ", "unauthenticated"),
        ("Registry-Signed %%%", "malformed-request-signature"),
        ("Registry-Signed " + b64url(b"\xa0"), "malformed-request-signature"),
        (sign_request(SIGNER, "GET", PATH, NOW - 301), "stale-request"),
        (sign_request(SIGNER, "GET", PATH, NOW + 301), "stale-request"),
        (sign_request(SIGNER, "DELETE", PATH, NOW), "wrong-request"),
        (sign_request(SIGNER, "GET", PATH + "0", NOW), "wrong-request"),
        (sign_request(CoseSigner(fixed_key("stranger")), "GET", PATH, NOW), "unknown-key"),
    ],
    ids=[
        "no-header",
        "other-scheme",
        "empty-token",
        "not-base64url",
        "not-cose",
        "iat-301s-old",
        "iat-301s-ahead",
        "other-method",
        "other-path",
        "unenrolled-key",
    ],
)
def test_refused_requests(header: str | None, code: str) -> None:
    denied = refused(header)
    assert (denied.code, denied.status) == (code, 401)


def test_modified_signature_is_refused() -> None:
    token = bytearray(unb64url(sign_request(SIGNER, "GET", PATH, NOW).split()[1]))
    token[-1] ^= 1
    assert refused("Registry-Signed " + b64url(bytes(token))).code == "bad-signature"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"revoked_at": NOW * 1000 - 1}, "revoked-key"),
        ({"valid_until": NOW * 1000}, "outside-term"),
    ],
    ids=["revoked-key", "term-ended"],
)
def test_keys_no_longer_valid_are_refused(changes: dict[str, int], code: str) -> None:
    keys = KeyDirectory([record(SIGNER, **changes)])
    assert refused(sign_request(SIGNER, "GET", PATH, NOW), keys).code == code


def test_a_replayed_request_is_refused_once_used() -> None:
    guard = ReplayGuard()
    header = sign_request(SIGNER, "GET", PATH, NOW)
    keys = KeyDirectory([record(SIGNER)])
    verify_request(header, "GET", PATH, keys.get, guard, now_s=NOW)
    with pytest.raises(AccessDenied, match="already used"):
        verify_request(header, "GET", PATH, keys.get, guard, now_s=NOW + 10)


def test_the_replay_guard_forgets_after_the_window() -> None:
    guard = ReplayGuard()
    digest = hashlib.sha256(b"token").digest()
    assert guard.first_use(digest, 0)
    assert not guard.first_use(digest, 599)
    assert guard.first_use(digest, 601)


def test_who_may_read_an_identity() -> None:
    ppk = CoseSigner(fixed_key("ppk"))
    addressed = [(ppk.kid, "Pemerintah Kota Bogor")]
    assert may_read_identity(record(SIGNER, role="recommender"), [])
    assert may_read_identity(record(SIGNER, role="bkn"), [])
    assert may_read_identity(record(ppk, role="ppk", instansi="X"), addressed)
    successor = record(SIGNER, role="ppk", instansi="Pemerintah Kota Bogor")
    assert may_read_identity(successor, addressed)
    assert not may_read_identity(record(SIGNER, role="ppk", instansi="X"), addressed)
    assert not may_read_identity(record(SIGNER, role="asn"), addressed)
    assert not may_read_identity(record(SIGNER, role="admin"), addressed)
    with pytest.raises(AccessDenied) as caught:
        require(False, "asn", "read this identity")
    assert (caught.value.code, caught.value.status) == ("forbidden", 403)
