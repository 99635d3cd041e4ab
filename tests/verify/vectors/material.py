"""What the shared cases are made of: fixed keys, the trust they need, a small log, COSE by hand."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.log.checkpoint import sign_checkpoint
from registry.log.receipt import issue_receipt
from registry.log.tree import MerkleTree
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.signing.timestamp import sign_entry_timestamp
from registry.verify.cbor import encode_deterministic
from registry.verify.cose import sig_structure
from registry.verify.leaf import ZERO_HASH, Leaf
from registry.verify.trust import b64url
from tests.factories import ISSUED_AT, SIGNER, fixed_key, pact_payload

FOLDER = Path(__file__).resolve().parents[2] / "vectors" / "verify"
ORIGIN = "vectors.example/pakta"
BASE_URL = "https://vectors.example"
ISSUER = "ppk-vectors"
OK = "ok"

LOG_KEY = fixed_key("vectors-log")
LOG = CoseSigner(LOG_KEY)
NOTE = NoteSigner(LOG_KEY, ORIGIN)
ADMIN = CoseSigner(fixed_key("vectors-admin"))
PPK_KEY = fixed_key("vectors-ppk")
PPK = CoseSigner(PPK_KEY)
OTHER_KEY = fixed_key("vectors-other")
OTHER = CoseSigner(OTHER_KEY)

CONFIGURATION: dict[str, Any] = {
    "issuer": ORIGIN,
    "origin": ORIGIN,
    "keys": [
        {
            "kid": LOG.kid.hex(),
            "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(LOG.public_key)},
            "note_verifier_key": NOTE.verifier_key_string,
        }
    ],
    "admin_keys": [{"kid": ADMIN.kid.hex(), "public_key": b64url(ADMIN.public_key)}],
    "witnesses": [],
    "witnesses_required": 0,
}
"""The registry's ``/.well-known/transparency-configuration``, as far as verifiers read it."""
SIGNER_TRUST = {"signer_public_key": b64url(PPK.public_key)}
REGISTRY_TRUST = {"configuration": CONFIGURATION}


SIGNED_BY: dict[str, str] = {"type": "pact", **SIGNER}
"""Who the vectors' pacts name as their signer, as a verifier reports it (``signed_by``)."""


@dataclass(frozen=True)
class Case:
    """One case: ``input`` is bytes (written base64url), text, or a JSON object.

    A valid offline QR's case also says whom its verified payload names as signer
    (``signed_by``: :data:`SIGNED_BY` unless given; None for a record that names none).
    """

    name: str
    kind: str
    description: str
    input: Any
    trust: dict[str, Any]
    expect: str
    signed_by: dict[str, str] | None = field(default_factory=lambda: dict(SIGNED_BY))

    def to_json(self) -> str:
        """The case file's text (stable: the test compares it byte for byte)."""
        document = {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "input": b64url(self.input) if isinstance(self.input, bytes) else self.input,
            "trust": self.trust,
            "expect": self.expect,
        }
        if self.kind == "offline-qr" and self.expect == OK:
            document["signed_by"] = self.signed_by
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# -- CBOR and COSE by hand ----------------------------------------------------------------


def enc(value: Any) -> bytes:
    """Deterministic CBOR."""
    return encode_deterministic(value)


def bstr(data: bytes) -> bytes:
    return enc(data)


def sign1(
    protected: bytes,
    unprotected: bytes,
    payload: bytes | None,
    signature: bytes,
    *,
    tag: bool = True,
) -> bytes:
    """A COSE_Sign1 from already encoded parts (``unprotected`` is encoded CBOR)."""
    body = b"\x84" + bstr(protected) + unprotected + (b"\xf6" if payload is None else bstr(payload))
    return (b"\xd2" if tag else b"") + body + bstr(signature)


def claims(statement_type: str = "pact", **changes: Any) -> dict[int, Any]:
    found: dict[int, Any] = {1: ISSUER, 2: statement_type, 6: ISSUED_AT}
    for key, value in changes.items():
        label = {"iss": 1, "sub": 2, "iat": 6}[key]
        if value is None:
            found.pop(label)
        else:
            found[label] = value
    return found


def protected_map(signer: CoseSigner = PPK, **changes: Any) -> dict[int, Any]:
    header: dict[int, Any] = {1: -8, 3: "application/cbor", 4: signer.kid, 15: claims()}
    for key, value in changes.items():
        label = {"alg": 1, "cty": 3, "kid": 4, "cwt": 15}[key]
        if value is None:
            header.pop(label)
        else:
            header[label] = value
    return header


def signed(
    protected: bytes,
    payload: bytes,
    *,
    key: Ed25519PrivateKey = PPK_KEY,
    unprotected: bytes = b"\xa0",
    tag: bool = True,
) -> bytes:
    """A statement over exactly these bytes, signed with ``key`` (so only its encoding is off)."""
    return sign1(
        protected, unprotected, payload, key.sign(sig_structure(protected, payload)), tag=tag
    )


PAYLOAD = enc(pact_payload())
PROTECTED = enc(protected_map())
STATEMENT = PPK.sign_statement(pact_payload(), ISSUER, ISSUED_AT)
assert signed(PROTECTED, PAYLOAD) == STATEMENT


def flip(data: bytes, at: int, bit: int = 0) -> bytes:
    """``data`` with bit ``bit`` of byte ``at`` inverted (negative ``at`` counts from the end)."""
    out = bytearray(data)
    out[at] ^= 1 << bit
    return bytes(out)


# -- a small log: five statements, their leaves, receipts and checkpoint -----------------


def _log() -> tuple[list[bytes], list[bytes], MerkleTree]:
    statements = [STATEMENT if i == 2 else _numbered(i) for i in range(5)]
    leaves: list[bytes] = []
    tree = MerkleTree()
    prev = ZERO_HASH
    for index, statement in enumerate(statements):
        leaf = Leaf(
            index, prev, (ISSUED_AT + 60 * index) * 1000, hashlib.sha256(statement).digest()
        )
        leaves.append(leaf.to_bytes())
        prev = leaf.leaf_hash()
        tree.append(prev)
    return statements, leaves, tree


def _numbered(index: int) -> bytes:
    payload = pact_payload(place=f"Tempat {index}")
    if index == UNNAMED_INDEX:  # logged before pacts named their signer
        del payload["signer"]
    return PPK.sign_statement(payload, ISSUER, ISSUED_AT + index)


UNNAMED_INDEX = 1
"""The entry of the small log whose pact names no signer (as entries logged before it could)."""


STATEMENTS, LEAVES, TREE = _log()
SIZE = TREE.size
ROOT = TREE.root(SIZE)
INDEX = 2
LEAF = LEAVES[INDEX]


def receipt_for(
    index: int = INDEX,
    *,
    signer: CoseSigner = LOG,
    origin: str = ORIGIN,
    size: int = SIZE,
    leaf: bytes | None = None,
) -> bytes:
    return issue_receipt(
        signer,
        origin,
        LEAVES[index] if leaf is None else leaf,
        index,
        size,
        TREE.inclusion_proof(index, SIZE),
        ROOT,
        ISSUED_AT,
    )


RECEIPT = receipt_for()
PROOF = TREE.inclusion_proof(INDEX, SIZE)


def receipt_parts(
    *,
    protected: dict[Any, Any] | None = None,
    unprotected: dict[Any, Any] | None = None,
    payload: bytes | None = None,
    signer: Ed25519PrivateKey = LOG_KEY,
    signed_root: bytes = ROOT,
) -> bytes:
    """A receipt for entry 2 from (changed) parts, signed over ``signed_root``."""
    header = protected if protected is not None else _receipt_protected()
    unprot = unprotected if unprotected is not None else _receipt_unprotected()
    encoded = enc(header)
    return sign1(encoded, enc(unprot), payload, signer.sign(sig_structure(encoded, signed_root)))


def _receipt_protected(changes: dict[int, Any] | None = None) -> dict[int, Any]:
    """Entry 2's receipt's protected header, with ``changes`` (None removes a label)."""
    header: dict[int, Any] = {
        1: -8,
        4: LOG.kid,
        15: {1: ORIGIN, 6: ISSUED_AT},
        395: 1,
        -65538: SIZE,
    }
    header.update(changes or {})
    return {k: v for k, v in header.items() if v is not None}


def _receipt_unprotected(
    proof: bytes | None = None, changes: dict[int, Any] | None = None
) -> dict[int, Any]:
    """Entry 2's receipt's unprotected header, with ``changes`` (None removes a label)."""
    inclusion = enc([SIZE, INDEX, PROOF]) if proof is None else proof
    header: dict[int, Any] = {396: {-1: [inclusion]}, -65537: LEAF}
    header.update(changes or {})
    return {k: v for k, v in header.items() if v is not None}


CHECKPOINT = sign_checkpoint(NOTE, ORIGIN, SIZE, ROOT)
TIMESTAMP = sign_entry_timestamp(LOG, ORIGIN, LEAF, ISSUED_AT + 120)
