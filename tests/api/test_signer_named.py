"""A pact's, declaration's or follow-up's ``signer`` is the signing key's enrolment (issue 13).

The name and office an offline verifier shows come from the signed payload; registration
refuses one that differs from the enrolment, field by field, with a problem naming the field.
"""

from __future__ import annotations

from typing import Any

import pytest

from registry.records.schemas import Pact, RecordError, parse_record
from tests.api.helpers import NOW_S, Registry, enrolment, pact
from tests.api.test_registration import assert_problem
from tests.api.test_signing import PASSPHRASE, create_key, json_pact
from tests.factories import SIGNER, declaration_payload

JSON = {"accept": "application/json"}


def declaration(**changes: Any) -> dict[str, Any]:
    """A declaration citing the fixture declaration template (a pact template would be
    refused as ``wrong-template-kind``), signed as :data:`SIGNER`."""
    return declaration_payload(**changes)


MUTATIONS = {
    "name-changed": ("name", "Ridwan Kamil"),
    "jabatan-changed": ("jabatan", "Gubernur Jawa Barat"),
    "instansi-changed": ("instansi", "Pemerintah Provinsi Banten"),
}


@pytest.mark.parametrize(("field", "value"), MUTATIONS.values(), ids=MUTATIONS.keys())
@pytest.mark.parametrize("make", [pact, declaration], ids=["pact", "declaration"])
def test_a_signer_other_than_the_enrolment_is_refused(
    registry: Registry, make: Any, field: str, value: str
) -> None:
    registry.enrol("ppk-jabar")
    payload = make()
    payload["signer"] = {**payload["signer"], field: value}
    statement = registry.sign("ppk-jabar", payload)
    registry.register_citations(statement)  # the template and election it cites stand
    size = registry.client.get("/health").json()["size"]
    body = assert_problem(registry.post(statement), 403, "signer-mismatch")
    assert body["evidence"]["field"] == field
    assert value in body["detail"]
    assert registry.client.get("/health").json()["size"] == size  # nothing was written


def test_the_refusal_is_worded_in_indonesian(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    payload = pact(signer={**SIGNER, "name": "Ridwan Kamil"})
    response = registry.client.post(
        "/entries",
        content=registry.sign("ppk-jabar", payload),
        headers={"content-type": "application/cose", "accept-language": "id"},
    )
    body = assert_problem(response, 403, "signer-mismatch")
    assert body["title"] == "Penandatangan yang disebut rekaman bukan pendaftaran kuncinya"
    assert "'Ridwan Kamil'" in body["detail"]
    assert "'Bey Machmudin'" in body["detail"]


@pytest.mark.parametrize("make", [pact, declaration], ids=["pact", "declaration"])
def test_a_new_pledge_without_signer_is_refused(registry: Registry, make: Any) -> None:
    registry.enrol("ppk-jabar")
    payload = {k: v for k, v in make().items() if k != "signer"}
    body = assert_problem(
        registry.post(registry.sign("ppk-jabar", payload)), 422, "schema-violation"
    )
    assert [e["field"] for e in body["errors"]] == ["signer"]


def test_the_enrolled_signer_is_registered_and_shown(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    response = registry.post(registry.sign("ppk-jabar", pact()))
    assert response.status_code == 201, response.text
    view = registry.client.get(response.headers["location"], headers=JSON).json()
    assert view["payload"]["signer"] == SIGNER


def test_a_follow_up_naming_another_signer_is_refused(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    registry.enrol("kasn", "recommender", name="KASN", jabatan="Ketua", instansi="KASN")
    ppk_kid = registry.signer("ppk-jabar").kid
    recommendation = {
        "type": "recommendation",
        "case_number": "001/REK/KASN/IX/2024",
        "election": "pilkada-2024",
        "instansi": SIGNER["instansi"],
        "ppk_kid": ppk_kid,
        "subject_commitment": b"\x07" * 32,
        "category": "social-media",
        "sanction": "moral",
        "deadline": "2024-10-11",
    }
    answer = registry.post(registry.sign("kasn", recommendation))
    assert answer.status_code == 201, answer.text
    index = int(answer.headers["location"].rsplit("/", 1)[1])
    follow_up = {
        "type": "follow-up",
        "recommendation": index,
        "action": "refused",
        "reason": "Bukti tidak cukup",
        "signer": {**SIGNER, "jabatan": "Gubernur Jawa Barat"},
    }
    body = assert_problem(
        registry.post(registry.sign("ppk-jabar", follow_up)), 403, "signer-mismatch"
    )
    assert body["evidence"]["field"] == "jabatan"
    follow_up["signer"] = dict(SIGNER)
    assert registry.post(registry.sign("ppk-jabar", follow_up)).status_code == 201


def test_a_pact_logged_before_signers_were_named_still_loads() -> None:
    old = {k: v for k, v in pact().items() if k != "signer"}
    with pytest.raises(RecordError, match="signer"):
        parse_record(old)
    loaded = parse_record(old, logged=True)
    assert isinstance(loaded, Pact)
    assert loaded.signer is None


def test_custodial_signing_names_the_signer_as_enrolled(registry: Registry) -> None:
    _, kid, public = create_key(registry)
    enrolment_statement = registry.operator.admin.sign_statement(
        enrolment(public, "ppk", name="Bupati Bogor", term_end="2099-12-31"), "operator", NOW_S
    )
    assert registry.post(enrolment_statement).status_code == 201
    registry.register_citations(registry.sign("operator", pact()))  # what json_pact() cites
    record = {k: v for k, v in json_pact().items() if k != "signer"}
    response = registry.client.post(
        "/sign", json={"kid": kid.hex(), "passphrase": PASSPHRASE, "record": record}
    )
    assert response.status_code == 201, response.text
    view = registry.client.get(response.headers["location"], headers=JSON).json()
    assert view["payload"]["signer"] == {**SIGNER, "name": "Bupati Bogor"}
