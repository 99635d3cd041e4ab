"""Test data from fixed keys and dates, so failures reproduce (python-tuf's generator idea)."""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.log.receipt import issue_receipt
from registry.log.tree import MerkleTree
from registry.signing.cose import CoseSigner
from registry.verify.cbor import encode_deterministic
from registry.verify.cose import sig_structure
from registry.verify.leaf import ZERO_HASH, Leaf
from tests.ed25519 import sign_with_nonce

ISSUED_AT = 1_727_395_200  # 2024-09-27, a pact-signing day
SIGNER = {
    "name": "Bey Machmudin",
    "jabatan": "Penjabat Gubernur Jawa Barat",
    "instansi": "Pemerintah Provinsi Jawa Barat",
}
"""Who signs :func:`pact_payload`: the enrolment tests/api/helpers.py makes by default."""
PACT_TEMPLATE_TEXT = "Pakta Integritas Netralitas ASN"
TEMPLATE_SHA256 = hashlib.sha256(PACT_TEMPLATE_TEXT.encode()).digest()
DECLARATION_TEMPLATE_TEXT = "Deklarasi Netralitas ASN"
DECLARATION_TEMPLATE_SHA256 = hashlib.sha256(DECLARATION_TEMPLATE_TEXT.encode()).digest()
TEMPLATE_TEXTS = {TEMPLATE_SHA256: ("pact", PACT_TEMPLATE_TEXT)}
TEMPLATE_TEXTS[DECLARATION_TEMPLATE_SHA256] = ("declaration", DECLARATION_TEMPLATE_TEXT)
"""The fixture templates by the SHA-256 pledges cite: kind and text."""

ELECTIONS: dict[str, dict[str, Any]] = {
    "pilkada-2024": {
        "kind": "pilkada",
        "title": "Pilkada Serentak 2024",
        "voting_day": "2024-11-27",
        "campaign_start": "2024-09-25",
        "campaign_end": "2024-11-23",
        "regions": ["Jawa Barat", "Kota Bekasi", "Kota Bogor"],
    },
    "pilkada-2020": {
        "kind": "pilkada",
        "title": "Pilkada Serentak 2020",
        "voting_day": "2020-12-09",
        "campaign_start": "2020-09-26",
        "campaign_end": "2020-12-05",
        "regions": ["Jawa Barat", "Kota Bekasi"],
    },
    "pemilu-2024": {
        "kind": "pemilu",
        "title": "Pemilu 2024",
        "voting_day": "2024-02-14",
        "campaign_start": "2023-11-28",
        "campaign_end": "2024-02-10",
        "regions": ["national"],
    },
}
"""The fixture elections by name; tests register the one a record cites before it."""


def fixed_key(label: str) -> Ed25519PrivateKey:
    """A deterministic Ed25519 key named by ``label``."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def forkable_tree(leaves: int, fork_at: int | None = None) -> MerkleTree:
    """A Merkle tree of ``leaves`` fixed leaves; from index ``fork_at`` on, other ones (a fork)."""
    t = MerkleTree()
    for i in range(leaves):
        label = f"fork-{i}" if fork_at is not None and i >= fork_at else f"leaf-{i}"
        t.append(hashlib.sha256(label.encode()).digest())
    return t


def pact_payload(**changes: Any) -> dict[str, Any]:
    """A valid pact record; its ``signer`` is :data:`SIGNER` in the ``instansi`` it names."""
    payload: dict[str, Any] = {
        "type": "pact",
        "template": TEMPLATE_SHA256,
        "election": "pilkada-2024",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "place": "Bandung",
        "date": "2024-09-27",
        "witnesses": [
            {"name": "Rahmat Bagja", "jabatan": "Ketua", "instansi": "Bawaslu RI"},
        ],
        "signer": {**SIGNER, "instansi": changes.get("instansi", SIGNER["instansi"])},
    }
    payload.update(changes)
    return payload


def declaration_payload(**changes: Any) -> dict[str, Any]:
    """A valid declaration record (citing the fixture declaration template), signed as
    :data:`SIGNER` in the ``instansi`` it names."""
    payload: dict[str, Any] = {
        "type": "declaration",
        "template": DECLARATION_TEMPLATE_SHA256,
        "election": "pilkada-2024",
        "instansi": "Pemerintah Provinsi Jawa Barat",
        "date": "2024-09-27",
        "signer": {**SIGNER, "instansi": changes.get("instansi", SIGNER["instansi"])},
    }
    payload.update(changes)
    return payload


def template_payload(sha256: bytes = TEMPLATE_SHA256) -> dict[str, Any]:
    """The template record of the fixture template cited by ``sha256``."""
    kind, text = TEMPLATE_TEXTS[sha256]
    return {"type": "template", "kind": kind, "title": f"Naskah {kind}", "text": text}


def election_payload(name: str = "pilkada-2024", **changes: Any) -> dict[str, Any]:
    """The election record of the fixture election ``name`` (or a made-up one, with ``changes``)."""
    payload: dict[str, Any] = {"type": "election", "name": name, **ELECTIONS.get(name, {})}
    payload.update(changes)
    return payload


def citations(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The fixture template and election records ``payload`` cites (none it cites otherwise):
    what must be registered before it."""
    needed = []
    if payload.get("type") in ("pact", "declaration") and payload.get("template") in TEMPLATE_TEXTS:
        needed.append(template_payload(payload["template"]))
    citing = payload.get("type") in ("pact", "declaration", "report", "recommendation")
    if citing and payload.get("election") in ELECTIONS:
        needed.append(election_payload(payload["election"]))
    return needed


def cited_statements(
    admin: CoseSigner, *payloads: dict[str, Any], issued_at: int = ISSUED_AT
) -> list[bytes]:
    """The fixture template and election records ``payloads`` (default: a pact) cite, each
    once, signed by the operator's ``admin`` key: to register before them."""
    records: list[dict[str, Any]] = []
    for payload in payloads or (pact_payload(),):
        records += [r for r in citations(payload) if r not in records]
    return [admin.sign_statement(r, "operator", issued_at) for r in records]


def signed_pact(label: str = "ppk-jabar", **changes: Any) -> bytes:
    """A pact signed by the fixed key ``label``."""
    signer = CoseSigner(fixed_key(label))
    return signer.sign_statement(pact_payload(**changes), issuer=label, issued_at=ISSUED_AT)


def logged(
    statements: list[bytes], origin: str = "test.example/log"
) -> tuple[list[bytes], list[bytes], CoseSigner]:
    """Log ``statements``; return their leaves, their receipts, and the registry signer."""
    registry = CoseSigner(fixed_key("registry"))
    tree = MerkleTree()
    leaves: list[bytes] = []
    prev = ZERO_HASH
    for index, statement in enumerate(statements):
        leaf = Leaf(index, prev, ISSUED_AT * 1000 + index, hashlib.sha256(statement).digest())
        leaves.append(leaf.to_bytes())
        prev = leaf.leaf_hash()
        tree.append(prev)
    size = tree.size
    root = tree.root(size)
    receipts = [
        issue_receipt(
            registry, origin, leaf, i, size, tree.inclusion_proof(i, size), root, ISSUED_AT
        )
        for i, leaf in enumerate(leaves)
    ]
    return leaves, receipts, registry


def signed_again(statement: bytes, key: Ed25519PrivateKey, nonce: bytes = b"again") -> bytes:
    """``statement`` (same protected header and payload) with another valid signature by ``key``.

    What a non-deterministic signer makes, or one holding the key: other bytes, same content.
    """
    protected, unprotected, payload, _ = cbor2.loads(statement).value
    signature = sign_with_nonce(key, sig_structure(protected, payload), nonce)
    return encode_deterministic(cbor2.CBORTag(18, [protected, unprotected, payload, signature]))


def reencodings(statement: bytes) -> dict[str, bytes]:
    """``statement`` re-encoded by someone without the key, each way, by name.

    The signature still holds over every one of them: only the COSE envelope
    around the signed protected header and payload changes.
    """
    protected, _, payload, signature = cbor2.loads(statement).value
    items = [encode_deterministic(x) for x in (protected, {}, payload, signature)]
    return {
        "untagged": statement[1:],
        "tag-in-two-bytes": b"\xd8\x12" + statement[1:],
        "indefinite-length-array": b"\xd2\x9f" + b"".join(items) + b"\xff",
        "array-head-in-two-bytes": b"\xd2\x98\x04" + b"".join(items),
        "signature-length-in-three-bytes": b"\xd2\x84"
        + b"".join(items[:3])
        + b"\x59\x00\x40"
        + signature,
        "unprotected-header-kid": encode_deterministic(
            cbor2.CBORTag(18, [protected, {4: cbor2.loads(protected)[4]}, payload, signature])
        ),
        "unprotected-header-text": encode_deterministic(
            cbor2.CBORTag(18, [protected, {"note": "replay"}, payload, signature])
        ),
        "unprotected-header-indefinite-map": b"\xd2\x84"
        + items[0]
        + b"\xbf\xff"
        + b"".join(items[2:]),
        "trailing-byte": statement + b"\x00",
    }


HISTORY_HOURS = 24 * 365 * 100
"""A maximum statement age for tests that sign dated statements (2024) on today's clock: the
registry's default (48 hours) would refuse them as stale (tests/api/test_policy_holes.py and the
CLI import tests keep the default)."""
