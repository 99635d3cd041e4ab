"""SCRAPI conformance: ``/.well-known/scitt-keys`` and concise problem details (RFC 9290).

The draft (draft-ietf-scitt-scrapi) asks for the Transparency Service's keys as
a COSE_KeySet in CBOR, one key by its kid (base64url when the kid is not
URL-safe, 404 with concise problem details when none matches), and errors as
``application/concise-problem-details+cbor``: ``-1`` title, ``-2`` detail.
"""

from __future__ import annotations

from typing import Any

from registry.signing.cose import CoseSigner
from registry.verify.cbor import decode_deterministic
from registry.verify.trust import b64url
from tests.api.helpers import Registry, other_key, pact

CBOR = "application/cbor"
CONCISE = "application/concise-problem-details+cbor"
TYPE = "urn:pakta-integritas:problem:"


def _cbor(response: Any) -> Any:
    return decode_deterministic(response.content, "answer").unwrap()


def _concise(response: Any, status: int, code: str) -> dict[Any, Any]:
    assert response.status_code == status, response.content
    assert response.headers["content-type"].startswith(CONCISE)
    body: dict[Any, Any] = _cbor(response)
    assert isinstance(body[-1], str)
    assert body[-1]
    assert isinstance(body[-2], str)
    assert body[-2]
    assert body[TYPE + code]["status"] == status
    return body


def test_scitt_keys_is_a_cose_key_set_of_the_log_key(registry: Registry) -> None:
    response = registry.client.get("/.well-known/scitt-keys", headers={"accept": CBOR})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(CBOR)
    log = registry.operator.log
    assert _cbor(response) == [{1: 1, 2: log.kid, 3: -8, -1: 6, -2: log.public_key}]


def test_one_scitt_key_by_its_kid_in_base64url_or_hex(registry: Registry) -> None:
    log = registry.operator.log
    for kid in (b64url(log.kid), log.kid.hex()):
        response = registry.client.get(f"/.well-known/scitt-keys/{kid}", headers={"accept": CBOR})
        assert response.status_code == 200
        assert _cbor(response) == {1: 1, 2: log.kid, 3: -8, -1: 6, -2: log.public_key}


def test_an_unknown_kid_is_404_in_concise_problem_details(registry: Registry) -> None:
    unknown = b64url(bytes(32))
    response = registry.client.get(f"/.well-known/scitt-keys/{unknown}", headers={"accept": CBOR})
    body = _concise(response, 404, "no-such-key")
    assert body[-1] == "No such key"
    assert body[-3] == f"/.well-known/scitt-keys/{unknown}"


def test_a_cose_client_gets_a_refusal_as_concise_problem_details(registry: Registry) -> None:
    statement = CoseSigner(other_key()).sign_statement(pact(), "x")
    headers = {"content-type": "application/cose", "accept": "application/cose"}
    response = registry.client.post("/entries", content=statement, headers=headers)
    body = _concise(response, 403, "unknown-key")
    assert body[-1] == "Signer key is not enrolled"
    assert body[TYPE + "unknown-key"]["evidence"]["kid"] == CoseSigner(other_key()).kid.hex()
    indonesian = registry.client.post(
        "/entries", content=statement, headers={**headers, "accept-language": "id"}
    )
    assert _concise(indonesian, 403, "unknown-key")[-1] == "Kunci penanda tangan belum didaftarkan"


def test_a_cose_body_without_accept_gets_cbor_and_json_when_asked(registry: Registry) -> None:
    statement = CoseSigner(other_key()).sign_statement(pact(), "x")
    bare = registry.client.post(
        "/entries", content=statement, headers={"content-type": "application/cose", "accept": ""}
    )
    _concise(bare, 403, "unknown-key")
    for accept in ("*/*", "application/problem+json", "application/cose, application/json"):
        answer = registry.client.post(
            "/entries",
            content=statement,
            headers={"content-type": "application/cose", "accept": accept},
        )
        assert answer.headers["content-type"].startswith("application/problem+json"), accept
        assert answer.json()["type"] == TYPE + "unknown-key"


def test_a_cbor_client_gets_a_malformed_statement_in_cbor(registry: Registry) -> None:
    response = registry.client.post(
        "/entries",
        content=b"\xd2\x84not cose",
        headers={"content-type": "application/cose", "accept": CONCISE},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(CONCISE)
    assert _cbor(response)[-2]
