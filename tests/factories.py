"""Test data from fixed keys and dates, so failures reproduce (python-tuf's generator idea)."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.log.receipt import issue_receipt
from registry.log.tree import MerkleTree
from registry.signing.cose import CoseSigner
from registry.verify.leaf import ZERO_HASH, Leaf

ISSUED_AT = 1_727_395_200  # 2024-09-27, a pact-signing day
TEMPLATE_SHA256 = hashlib.sha256(b"Pakta Integritas Netralitas ASN").digest()


def fixed_key(label: str) -> Ed25519PrivateKey:
    """A deterministic Ed25519 key named by ``label``."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def pact_payload(**changes: Any) -> dict[str, Any]:
    """A valid pact record."""
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
    }
    payload.update(changes)
    return payload


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
