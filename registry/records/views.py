"""The JSON documents the service publishes: the configuration, an entry's view, search results.

Pure functions of what the service read: they do no I/O, so the same view is
built whichever process (sequencer or follower) answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from registry.config import Settings
from registry.records.operator import OperatorKeys
from registry.store.models import EntryRecord, RevokedEntryRecord, SignerKeyRecord
from registry.verify.leaf import decode_leaf
from registry.verify.trust import b64url


@dataclass(frozen=True)
class InclusionProof:
    """An inclusion proof of entry ``index`` in the tree of ``size`` with ``root``."""

    index: int
    size: int
    root: bytes
    leaf_hash: bytes
    path: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    """Proof that the tree of ``old`` (``old_root``) is a prefix of that of ``new``."""

    old: int
    new: int
    old_root: bytes
    new_root: bytes
    path: list[bytes]


def configuration(settings: Settings, keys: OperatorKeys) -> dict[str, Any]:
    """The ``/.well-known/transparency-configuration`` document of a registry.

    ``witnesses`` and ``witnesses_required`` are the trust policy verifiers
    apply to checkpoints (docs/witness.md): each witness's name, C2SP
    cosignature verifier key and URL, and how many must cosign.
    """
    origin = settings.origin
    log_key = keys.log
    return {
        "issuer": origin,
        "origin": origin,
        "registration_endpoint": "/entries",
        "supported_signature_algorithms": ["EdDSA"],
        "verifiable_data_structures": ["RFC9162_SHA256"],
        "keys": [
            {
                "kid": log_key.kid.hex(),
                "use": ["receipt", "checkpoint"],
                "jwk": {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "x": b64url(log_key.public_key),
                    "kid": log_key.kid.hex(),
                },
                "note_verifier_key": keys.note.verifier_key_string,
                "valid_from": None,
                "valid_until": None,
                "current": True,
            }
        ],
        "admin_keys": [{"kid": keys.admin.kid.hex(), "public_key": b64url(keys.admin.public_key)}],
        "witnesses": [
            {"name": w.name, "verifier_key": w.verifier_key, "url": w.url}
            for w in settings.witnesses
        ],
        "witnesses_required": settings.witnesses_required,
    }


def entry_view(
    record: EntryRecord,
    signer: SignerKeyRecord | None,
    proof: InclusionProof,
    checkpoint: str,
    revocation: RevokedEntryRecord | None,
) -> dict[str, Any]:
    """The JSON view of an entry: type, payload, signer, leaf, proof, checkpoint, status."""
    idx = record.idx
    leaf = decode_leaf(record.leaf).unwrap()
    return {
        "index": idx,
        "type": record.type,
        "payload": json.loads(record.payload_json),
        "signer": None
        if signer is None
        else {
            "kid": b64url(signer.kid),
            "public_key": b64url(signer.public_key),
            "name": signer.name,
            "role": signer.role,
            "jabatan": signer.jabatan,
            "instansi": signer.instansi,
            "decree_number": signer.decree_number,
            "term_start": signer.term_start,
            "term_end": signer.term_end,
            "revoked": signer.revoked_at is not None,
        },
        "leaf": {
            "bytes": b64url(record.leaf),
            "hash": b64url(record.leaf_hash),
            "index": leaf.index,
            "prev_leaf_hash": b64url(leaf.prev_leaf_hash),
            "registered_at": leaf.registered_at,
            "statement_sha256": b64url(leaf.statement_sha256),
        },
        "inclusion_proof": {
            "size": proof.size,
            "root": b64url(proof.root),
            "path": [b64url(h) for h in proof.path],
        },
        "checkpoint": checkpoint,
        "status": {
            "revoked": revocation is not None,
            "revoked_by": None if revocation is None else revocation.revocation_idx,
            "reason": None if revocation is None else revocation.reason,
        },
        "statement_url": f"/entries/{idx}/statement",
        "receipt_url": f"/entries/{idx}",
    }


def search_item(record: EntryRecord) -> dict[str, Any]:
    """One search result (``GET /api/entries``): the entry's fields, decoded payload and URL."""
    return {
        "index": record.idx,
        "type": record.type,
        "signer": b64url(record.signer_kid),
        "instansi": record.instansi,
        "registered_at": record.registered_at,
        "payload": json.loads(record.payload_json),
        "url": f"/entries/{record.idx}",
    }
