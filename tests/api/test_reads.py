"""The public reads: entries, statements, checkpoint, proofs, tiles, configuration, search."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from registry.log.tiles import parse_entry_bundle
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.merkle import leaf_hash, verify_consistency, verify_inclusion
from registry.verify.receipt import verify_receipt
from registry.verify.statement import verify_statement
from registry.verify.trust import unb64url
from tests.api.helpers import Registry, pact
from tests.api.test_registration import assert_problem

JSON = {"accept": "application/json"}


@pytest.fixture
def filled(registry: Registry) -> tuple[Registry, list[bytes]]:
    """A registry with an enrolled PPK and five pacts (entries 4..8; 2 and 3 are the template and
    the election they cite)."""
    registry.enrol("ppk-jabar")
    statements = [registry.sign("ppk-jabar", pact(place=f"Kota {i}")) for i in range(5)]
    for statement in statements:
        assert registry.post(statement).status_code == 201
    return registry, statements


def test_receipt_and_statement_are_served_as_registered(
    filled: tuple[Registry, list[bytes]],
) -> None:
    registry, statements = filled
    receipt = registry.client.get("/entries/6")
    assert receipt.headers["content-type"] == "application/cose"
    assert "immutable" in receipt.headers["cache-control"]
    assert receipt.headers["vary"] == "Accept"
    view = registry.client.get("/entries/6", headers=JSON)
    assert view.headers["content-type"] == "application/json"
    assert view.headers["vary"] == "Accept"
    assert "immutable" not in view.headers["cache-control"]
    served = registry.client.get("/entries/6/statement")
    assert served.headers["content-type"] == "application/cose"
    assert "immutable" in served.headers["cache-control"]
    statement = served.content
    assert statement == statements[2]
    info = verify_receipt(receipt.content, registry.trusted().by_kid, statement).unwrap()
    assert info.index == 6


def test_the_checkpoint_is_utf8_text_never_cached(registry: Registry) -> None:
    checkpoint = registry.client.get("/checkpoint")
    assert checkpoint.headers["content-type"] == "text/plain; charset=utf-8"
    assert checkpoint.headers["cache-control"] == "no-cache"
    assert verify_checkpoint(checkpoint.text, registry.trusted().log_keys).unwrap().size == 1


def test_json_view_carries_everything_to_check_the_entry(
    filled: tuple[Registry, list[bytes]],
) -> None:
    registry, statements = filled
    view: dict[str, Any] = registry.client.get("/entries/5", headers=JSON).json()
    assert view["type"] == "pact"
    assert view["payload"]["place"] == "Kota 1"
    assert view["signer"]["jabatan"] == "Penjabat Gubernur Jawa Barat"
    assert view["status"]["revoked"] is False
    public = unb64url(view["signer"]["public_key"])
    kid = hashlib.sha256(public).digest()
    assert verify_statement(statements[1], {kid: public}).ok
    leaf = unb64url(view["leaf"]["bytes"])
    assert unb64url(view["leaf"]["hash"]) == leaf_hash(leaf)
    assert unb64url(view["leaf"]["statement_sha256"]) == hashlib.sha256(statements[1]).digest()
    proof = view["inclusion_proof"]
    assert verify_inclusion(
        5,
        proof["size"],
        leaf_hash(leaf),
        [unb64url(h) for h in proof["path"]],
        unb64url(proof["root"]),
    ).ok
    checkpoint = verify_checkpoint(view["checkpoint"], registry.trusted().log_keys).unwrap()
    assert checkpoint.root == unb64url(proof["root"])


@pytest.mark.parametrize("path", ["/entries/99", "/entries/99/statement"])
def test_missing_entry_is_a_problem(filled: tuple[Registry, list[bytes]], path: str) -> None:
    assert_problem(filled[0].client.get(path), 404, "not-found")


def test_negative_index_is_a_problem(filled: tuple[Registry, list[bytes]]) -> None:
    response = filled[0].client.get("/entries/-1")
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("application/problem+json")


def test_inclusion_and_consistency_proofs_verify(filled: tuple[Registry, list[bytes]]) -> None:
    registry, _ = filled
    client = registry.client
    inclusion = client.get("/proofs/inclusion", params={"index": 2, "size": 5}).json()
    assert verify_inclusion(
        2,
        5,
        unb64url(inclusion["leaf_hash"]),
        [unb64url(h) for h in inclusion["path"]],
        unb64url(inclusion["root"]),
    ).ok
    consistency = client.get("/proofs/consistency", params={"old": 3, "new": 9}).json()
    assert verify_consistency(
        3,
        9,
        unb64url(consistency["old_root"]),
        unb64url(consistency["new_root"]),
        [unb64url(h) for h in consistency["path"]],
    ).ok
    latest = verify_checkpoint(client.get("/checkpoint").text, registry.trusted().log_keys).unwrap()
    assert unb64url(consistency["new_root"]) == latest.root


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"index": 9, "size": 9}, 404, "not-found"),
        ({"index": 2, "size": 70}, 404, "not-found"),
        ({"index": -1}, 400, "invalid-parameter"),
        ({"index": "abc"}, 400, "invalid-parameter"),
    ],
)
def test_bad_inclusion_requests(
    filled: tuple[Registry, list[bytes]], params: dict[str, Any], status: int, code: str
) -> None:
    assert_problem(filled[0].client.get("/proofs/inclusion", params=params), status, code)


def test_bad_consistency_request(filled: tuple[Registry, list[bytes]]) -> None:
    assert_problem(
        filled[0].client.get("/proofs/consistency", params={"old": 6, "new": 3}),
        400,
        "invalid-parameter",
    )


def test_tiles_hold_the_leaf_hashes_and_entries(filled: tuple[Registry, list[bytes]]) -> None:
    registry, _ = filled
    client = registry.client
    tile = client.get("/tile/0/000.p/9")
    assert tile.status_code == 200
    bundle = client.get("/tile/entries/000.p/9")
    leaves = parse_entry_bundle(bundle.content)
    assert len(leaves) == 9
    assert tile.content == b"".join(leaf_hash(leaf) for leaf in leaves)
    assert_problem(client.get("/tile/0/000.p/10"), 404, "not-found")
    assert_problem(client.get("/tile/0/000"), 404, "not-found")
    assert_problem(client.get("/tile/0/0001"), 404, "bad-tile-path")


def test_configuration_lists_the_log_key(filled: tuple[Registry, list[bytes]]) -> None:
    registry, _ = filled
    config = registry.client.get("/.well-known/transparency-configuration").json()
    assert config["origin"] == "test.example/pakta"
    assert config["keys"][0]["jwk"]["crv"] == "Ed25519"
    assert config["keys"][0]["note_verifier_key"].startswith("test.example/pakta+")
    assert unb64url(config["keys"][0]["jwk"]["x"]) == registry.operator.log.public_key


def test_openapi_and_health(filled: tuple[Registry, list[bytes]]) -> None:
    client = filled[0].client
    schema = client.get("/schema/openapi.json").json()
    assert "/entries" in schema["paths"]
    assert client.get("/health").json() == {
        "status": "ok",
        "size": 9,
        "origin": "test.example/pakta",
        "tampered": 0,
    }


def test_search_by_type_signer_and_instansi(filled: tuple[Registry, list[bytes]]) -> None:
    registry, _ = filled
    client = registry.client
    kid = registry.signer("ppk-jabar").kid.hex()
    page = client.get("/api/entries", params={"type": "pact", "signer": kid, "limit": 2}).json()
    assert page["total"] == 5
    assert [item["index"] for item in page["items"]] == [4, 5]
    assert page["items"][0]["payload"]["place"] == "Kota 0"
    enrolments = client.get("/api/entries", params={"type": "enrolment"}).json()
    assert enrolments["total"] == 2
    none = client.get("/api/entries", params={"instansi": "Kementerian Lain"}).json()
    assert none["total"] == 0
    future = client.get("/api/entries", params={"since": "2999-01-01"}).json()
    assert future["total"] == 0
    csv_export = client.get("/api/entries", params={"type": "pact", "format": "csv"})
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert len(csv_export.text.strip().splitlines()) == 6


def test_search_pages_with_after_and_says_where_the_next_page_starts(
    filled: tuple[Registry, list[bytes]],
) -> None:
    registry, _ = filled
    client = registry.client
    kid = registry.signer("ppk-jabar").kid.hex()
    query = {"type": "pact", "signer": kid, "limit": 2}
    first = client.get("/api/entries", params=query).json()
    assert (first["total"], first["total_exact"]) == (5, True)
    seen = [item["index"] for item in first["items"]]
    page = first
    while page["next_after"] is not None:
        page = client.get("/api/entries", params={**query, "after": page["next_after"]}).json()
        assert page["total"] == 5
        seen += [item["index"] for item in page["items"]]
    everything = client.get("/api/entries", params={**query, "limit": 50}).json()
    assert seen == [item["index"] for item in everything["items"]]
    assert len(seen) == 5
    assert everything["next_after"] is None


def test_search_total_past_the_cap_is_a_lower_bound(
    filled: tuple[Registry, list[bytes]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from registry.api import search

    registry, _ = filled
    monkeypatch.setattr(search, "COUNT_CAP", 3)
    page = registry.client.get("/api/entries", params={"type": "pact", "limit": 1}).json()
    assert (page["total"], page["total_exact"]) == (4, False)
    assert len(page["items"]) == 1
    exact = registry.client.get("/api/entries", params={"type": "enrolment"}).json()
    assert (exact["total"], exact["total_exact"]) == (2, True)


@pytest.mark.parametrize(
    "params",
    [
        {"type": "petition"},
        {"signer": "zz"},
        {"since": "kemarin"},
        {"limit": 0},
        {"format": "xml"},
        {"after": -2},
        {"after": "terakhir"},
    ],
)
def test_bad_search_parameters(
    filled: tuple[Registry, list[bytes]], params: dict[str, Any]
) -> None:
    assert_problem(filled[0].client.get("/api/entries", params=params), 400, "invalid-parameter")
