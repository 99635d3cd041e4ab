"""Problem details in Bahasa Indonesia when asked, English otherwise; the type never changes."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from registry.records.operator import OperatorKeys
from registry.signing.cose import CoseSigner
from tests.api.helpers import NOW_S, Registry, enrolment, other_key, pact
from tests.api.test_registration import assert_problem

pytestmark = pytest.mark.one_backend

INDONESIAN = {"accept-language": "id-ID,id;q=0.9,en;q=0.8"}


def both(send: Any) -> tuple[dict[str, Any], dict[str, Any], Any, Any]:
    """The same request in English (no Accept-Language) and in Indonesian."""
    english, indonesian = send({}), send(INDONESIAN)
    return english.json(), indonesian.json(), english, indonesian


def assert_languages(english: Any, indonesian: Any) -> None:
    assert english.headers["content-language"] == "en"
    assert indonesian.headers["content-language"] == "id"
    for answer in (english, indonesian):
        assert "accept-language" in answer.headers["vary"].lower()
    en, id_ = english.json(), indonesian.json()
    assert en["type"] == id_["type"]
    assert en["status"] == id_["status"]
    assert en["title"] != id_["title"]


def test_a_refusal_speaks_indonesian_when_asked(registry: Registry) -> None:
    registry.enrol("asn", role="asn")
    statement = registry.sign("asn", pact())
    en, id_, english, indonesian = both(
        lambda h: registry.client.post(
            "/entries", content=statement, headers={"content-type": "application/cose", **h}
        )
    )
    assert_problem(english, 403, "wrong-role")
    assert_languages(english, indonesian)
    assert en["title"] == "Signer's role may not sign this type"
    assert en["detail"] == "a asn key may not sign a pact; allowed: ppk"
    assert id_["title"] == "Peran penanda tangan tidak boleh menandatangani jenis ini"
    assert id_["detail"] == "kunci berperan asn tidak boleh menandatangani pact; yang boleh: ppk"
    assert id_["evidence"] == en["evidence"]


def test_an_unknown_signer_is_refused_in_indonesian(registry: Registry) -> None:
    statement = CoseSigner(other_key()).sign_statement(pact(), "x")
    response = registry.client.post(
        "/entries", content=statement, headers={"content-type": "application/cose", **INDONESIAN}
    )
    body = assert_problem(response, 403, "unknown-key")
    assert body["title"] == "Kunci penanda tangan belum didaftarkan"


def test_a_schema_violation_lists_every_bad_field_in_plain_words(registry: Registry) -> None:
    registry.enrol("ppk")
    bad = pact(date="14-02-2024", place="x" * 501, mood="senang", template=b"\x01" * 31)
    del bad["election"]
    statement = registry.sign("ppk", bad)
    en, id_, english, indonesian = both(
        lambda h: registry.client.post(
            "/entries", content=statement, headers={"content-type": "application/cose", **h}
        )
    )
    assert_problem(english, 422, "schema-violation")
    assert_languages(english, indonesian)
    assert [(e["field"], e["reason"]) for e in en["errors"]] == [
        ("mood", "unknown-field"),
        ("template", "wrong-hash-length"),
        ("election", "missing"),
        ("place", "too-long"),
        ("date", "not-a-date"),
    ]
    assert [(e["field"], e["reason"]) for e in id_["errors"]] == [
        (e["field"], e["reason"]) for e in en["errors"]
    ]
    said = {e["field"]: e["message"] for e in en["errors"]}
    assert said["date"] == "date: must be a date written YYYY-MM-DD, e.g. 2024-02-14"
    assert said["place"] == "place: is too long: 501 characters, at most 500"
    said = {e["field"]: e["message"] for e in id_["errors"]}
    assert said["date"] == "tanggal (date): harus berupa tanggal YYYY-MM-DD, misalnya 2024-02-14"
    assert said["election"] == "pemilihan (election): wajib diisi"
    for body in (en, id_):
        assert "regex" not in body["detail"]
        assert "\\d" not in body["detail"]
        for error in body["errors"]:
            assert error["message"] in body["detail"]


def test_a_calendar_day_that_does_not_exist_is_a_schema_violation(registry: Registry) -> None:
    registry.enrol("ppk")
    response = registry.post(registry.sign("ppk", pact(date="2024-02-30")))
    body = assert_problem(response, 422, "schema-violation")
    assert [(e["field"], e["reason"]) for e in body["errors"]] == [("date", "not-a-date")]


def test_not_found_in_indonesian(registry: Registry) -> None:
    en, id_, english, indonesian = both(lambda h: registry.client.get("/entries/99", headers=h))
    assert_problem(english, 404, "not-found")
    assert_languages(english, indonesian)
    assert en["detail"] == "no such entry 99 (the log has 1 entries)"
    assert id_["detail"] == "tidak ada entri 99 (log berisi 1 entri)"


@pytest.mark.parametrize(
    ("path", "field", "reason", "indonesian"),
    [
        ("/proofs/inclusion?index=abc&size=1", "index", "not-a-number", "harus berupa bilangan"),
        ("/proofs/inclusion?size=1", "index", "missing", "wajib diisi"),
        ("/api/compliance/signers?format=xml", "format", "one-of", "salah satu dari: json, csv"),
        ("/api/compliance/signers?limit=0", "limit", "too-small", "paling kecil 1"),
    ],
)
def test_bad_parameters_are_listed_in_plain_words(
    registry: Registry, path: str, field: str, reason: str, indonesian: str
) -> None:
    en, id_, english, answer = both(lambda h: registry.client.get(path, headers=h))
    assert_problem(english, 400, "invalid-parameter")
    assert_languages(english, answer)
    [error] = id_["errors"]
    assert (error["field"], error["reason"]) == (field, reason)
    assert indonesian in error["message"]
    assert indonesian in id_["detail"]
    assert "Expected" not in en["detail"]
    assert "regex" not in en["detail"] + id_["detail"]


def test_our_own_parameter_checks_speak_indonesian(registry: Registry) -> None:
    _, id_, english, indonesian = both(
        lambda h: registry.client.get("/api/entries?type=pakta", headers=h)
    )
    assert_problem(english, 400, "invalid-parameter")
    assert_languages(english, indonesian)
    assert id_["detail"].startswith("jenis 'pakta' tidak dikenal; yang dikenal: enrolment")


def test_litestar_404_405_413_415_speak_indonesian(registry: Registry) -> None:
    client = registry.client
    cases = [
        (lambda h: client.get("/tidak-ada", headers=h), 404, "not-found", "Tidak ditemukan"),
        (lambda h: client.delete("/checkpoint", headers=h), 405, "method-not-allowed", "Metode"),
        (
            lambda h: client.post(
                "/entries",
                content=b"\x00" * 2_000_000,
                headers={"content-type": "application/cose", **h},
            ),
            413,
            "too-large",
            "terlalu besar",
        ),
        (
            lambda h: client.post(
                "/entries", content=b"x", headers={"content-type": "text/plain", **h}
            ),
            415,
            "unsupported-media-type",
            "Jenis media",
        ),
    ]
    for send, status, code, words in cases:
        _, id_, english, indonesian = both(send)
        assert_problem(english, status, code)
        assert_problem(indonesian, status, code)
        assert_languages(english, indonesian)
        assert words in id_["title"] + id_["detail"], id_
    assert "GET" in client.delete("/checkpoint").headers["allow"]


def test_custodial_signing_problems_speak_indonesian(registry: Registry) -> None:
    body = {"kid": "ab" * 32, "passphrase": "x", "record": {"type": "pact", "date": "kemarin"}}
    _, id_, english, indonesian = both(
        lambda h: registry.client.post("/sign", json=body, headers=h)
    )
    assert_problem(english, 404, "not-found")
    assert_languages(english, indonesian)
    assert id_["detail"] == f"tidak ada kunci titipan {'ab' * 32}"
    bad = {"kid": "zz", "passphrase": "x", "record": {}}
    response = registry.client.post("/sign", json=bad, headers=INDONESIAN)
    answer = assert_problem(response, 400, "invalid-parameter")
    assert answer["errors"][0]["message"] == (
        "kid (pada isi permintaan): harus berupa ID kunci: 64 digit heksadesimal"
    )


def test_a_signed_request_refusal_speaks_indonesian(registry: Registry) -> None:
    path = "/api/identities/" + "ab" * 32
    _, id_, english, indonesian = both(lambda h: registry.client.get(path, headers=h))
    assert_problem(english, 401, "unauthenticated")
    assert_languages(english, indonesian)
    assert id_["title"] == "Permintaan harus ditandatangani"
    assert english.headers["www-authenticate"] == "Registry-Signed"


def test_a_refused_cross_origin_preflight_speaks_indonesian(
    client: TestClient,  # type: ignore[type-arg]
    operator: OperatorKeys,
) -> None:
    preflight = {"origin": "https://auditor.example", "access-control-request-method": "POST"}
    _, id_, english, indonesian = both(
        lambda h: client.options("/sign", headers={**preflight, **h})
    )
    assert english.status_code == indonesian.status_code == 403
    assert_languages(english, indonesian)
    assert id_["title"] == "Permintaan lintas asal ditolak"


def test_the_language_follows_accept_language_weights(registry: Registry) -> None:
    prefers_english = {"accept-language": "id;q=0.3, en;q=0.9"}
    prefers_indonesian = {"accept-language": "fr, id;q=0.5"}
    english = registry.client.get("/entries/99", headers=prefers_english)
    indonesian = registry.client.get("/entries/99", headers=prefers_indonesian)
    assert english.headers["content-language"] == "en"
    assert indonesian.headers["content-language"] == "id"


def test_an_enrolment_whose_term_is_not_in_the_calendar_is_a_schema_violation(
    registry: Registry,
) -> None:
    signer = registry.signer("ppk-baru")
    payload = enrolment(signer.public_key, "ppk", term_start="2024-02-30")
    statement = registry.operator.admin.sign_statement(payload, "operator", NOW_S)
    body = assert_problem(registry.post(statement), 422, "schema-violation")
    assert [(e["field"], e["reason"]) for e in body["errors"]] == [("term_start", "not-a-date")]
