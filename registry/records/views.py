"""The JSON documents the service publishes: the configuration, an entry's view, search results.

Pure functions of what the service read: they do no I/O, so the same view is
built whichever process (sequencer or follower) answers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry.config import Settings
from registry.log.log_keys import LogKeys
from registry.records.operator import OperatorKeys
from registry.store.models import EntryRecord, RevokedEntryRecord, SignerKeyRecord
from registry.verify.cbor import encode_deterministic
from registry.verify.cose import key_id
from registry.verify.leaf import decode_leaf
from registry.verify.note import SignatureType, VerifierKey
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


def log_key_entries(origin: str, log_keys: LogKeys) -> list[dict[str, Any]]:
    """Every log key, past and current, with the tree sizes and times of its validity."""
    entries: list[dict[str, Any]] = []
    periods = log_keys.periods
    for number, (period, window) in enumerate(zip(periods, log_keys.windows(), strict=True)):
        kid = key_id(period.public_key).hex()
        successor = periods[number + 1] if number + 1 < len(periods) else None
        note = VerifierKey.ed25519(origin, period.public_key, SignatureType.ED25519)
        entries.append(
            {
                "kid": kid,
                "use": ["receipt", "checkpoint"],
                "jwk": {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "x": b64url(period.public_key),
                    "kid": kid,
                },
                "note_verifier_key": str(note),
                "valid_from": period.from_ms,
                "valid_until": None if successor is None else successor.from_ms,
                "valid_from_size": window.from_size,
                "valid_until_size": window.until_size,
                "current": successor is None,
            }
        )
    return entries


def configuration(
    settings: Settings,
    keys: OperatorKeys,
    log_keys: LogKeys | None = None,
    admins: Sequence[SignerKeyRecord] = (),
) -> dict[str, Any]:
    """The ``/.well-known/transparency-configuration`` document of a registry.

    ``keys`` lists every log key, past and current, with its validity (tree
    sizes, and times in ms: docs/formats.md); ``admin_keys`` the enrolled admin
    keys (``admins``, else the operator's own).  ``witnesses`` and
    ``witnesses_required`` are the trust policy verifiers apply to checkpoints
    (docs/witness.md): each witness's name, C2SP cosignature verifier key and
    URL, and how many must cosign.
    """
    origin = settings.origin
    log_key = keys.log
    admin_keys = [
        {
            "kid": admin.kid.hex(),
            "public_key": b64url(admin.public_key),
            "revoked_at": admin.revoked_at,
        }
        for admin in admins
    ] or [{"kid": keys.admin.kid.hex(), "public_key": b64url(keys.admin.public_key)}]
    if log_keys is None:
        log_keys = LogKeys.single(log_key, keys.note)
    return {
        "issuer": origin,
        "origin": origin,
        "registration_endpoint": "/entries",
        "supported_signature_algorithms": ["EdDSA"],
        "verifiable_data_structures": ["RFC9162_SHA256"],
        "keys": log_key_entries(origin, log_keys),
        "admin_keys": admin_keys,
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


COSE_KEY_KTY, COSE_KEY_KID, COSE_KEY_ALG, COSE_OKP_CRV, COSE_OKP_X = 1, 2, 3, -1, -2
KTY_OKP, CRV_ED25519, ALG_EDDSA = 1, 6, -8


def cose_key(public_key: bytes) -> dict[int, Any]:
    """An Ed25519 log key as a COSE_Key (RFC 9052 section 7, RFC 9053 OKP), kid its SHA-256."""
    return {
        COSE_KEY_KTY: KTY_OKP,
        COSE_KEY_KID: key_id(public_key),
        COSE_KEY_ALG: ALG_EDDSA,
        COSE_OKP_CRV: CRV_ED25519,
        COSE_OKP_X: public_key,
    }


def scitt_keys(log_keys: LogKeys) -> bytes:
    """``/.well-known/scitt-keys``: every log key, past and current, as a COSE_KeySet (CBOR)."""
    return encode_deterministic([cose_key(p.public_key) for p in log_keys.periods])


def scitt_key(log_keys: LogKeys, kid: bytes) -> bytes | None:
    """``/.well-known/scitt-keys/{kid}``: the log key of ``kid`` as a COSE_Key, if there is one."""
    for period in log_keys.periods:
        if key_id(period.public_key) == kid:
            return encode_deterministic(cose_key(period.public_key))
    return None
