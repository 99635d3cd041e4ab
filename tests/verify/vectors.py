"""The shared verification cases: valid items and named mutations, for both verifiers.

Each case is one JSON file under ``tests/vectors/verify/<group>/<mutation>.json``
(docs/verify.md, "Shared cases"): what to verify, the trust material it needs,
and the verdict both ``registry/verify`` and ``web/static/verify.js`` must
reach (``ok``, or the reason code of the refusal).  Everything comes from
fixed keys and dates, so the files never change unless this generator does;
``tests/verify/test_shared_cases.py`` regenerates them and compares the bytes
(as python-tuf does with its test metadata).  After changing this file::

    python -m tests.verify.vectors     # rewrites tests/vectors/verify/
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
from registry.verify.merkle import leaf_hash
from registry.verify.note import (
    Note,
    NoteSignature,
    SignatureType,
    compute_key_id,
    cosignature_message,
)
from registry.verify.qr import PREFIX, b45encode, link_text
from registry.verify.trust import b64url
from tests.ed25519 import malleate, sign_with_nonce
from tests.factories import ISSUED_AT, fixed_key, pact_payload

FOLDER = Path(__file__).resolve().parents[1] / "vectors" / "verify"
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


@dataclass(frozen=True)
class Case:
    """One case: ``input`` is bytes (written base64url), text, or a JSON object."""

    name: str
    kind: str
    description: str
    input: Any
    trust: dict[str, Any]
    expect: str

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
    return PPK.sign_statement(pact_payload(place=f"Tempat {index}"), ISSUER, ISSUED_AT + index)


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


# -- the groups of cases ------------------------------------------------------------------


def statement_cases() -> Iterator[Case]:
    def case(name: str, description: str, data: bytes, expect: str) -> Case:
        return Case(f"statement/{name}", "statement", description, data, SIGNER_TRUST, expect)

    body = STATEMENT[1:]  # the array after the tag
    parts = (bstr(PROTECTED), b"\xa0", bstr(PAYLOAD), bstr(STATEMENT[-64:]))
    yield case("valid", "a pact as the registry's signer makes it", STATEMENT, OK)
    yield case(
        "second-signature-same-content",
        "the same protected header and payload with another valid signature (another nonce, as"
        " a non-deterministic signer makes): valid, and the same statement for the registry",
        sign1(
            PROTECTED,
            b"\xa0",
            PAYLOAD,
            sign_with_nonce(PPK_KEY, sig_structure(PROTECTED, PAYLOAD), b"2"),
        ),
        OK,
    )
    yield case("untagged", "the COSE_Sign1 array without tag 18", body, "non-canonical-encoding")
    yield case(
        "indefinite-length-array",
        "the outer array of indefinite length (0x9f ... 0xff)",
        b"\xd2\x9f" + b"".join(parts) + b"\xff",
        "non-canonical-encoding",
    )
    yield case(
        "array-head-not-shortest",
        "the outer array's length written in one more byte than needed (0x98 0x04)",
        b"\xd2\x98\x04" + b"".join(parts),
        "non-canonical-encoding",
    )
    yield case(
        "tag-head-not-shortest",
        "tag 18 written in two bytes (0xd8 0x12)",
        b"\xd8\x12" + body,
        "non-canonical-encoding",
    )
    yield case(
        "signature-length-not-shortest",
        "the signature's length written in two bytes (0x59 0x00 0x40)",
        b"\xd2\x84" + b"".join(parts[:3]) + b"\x59\x00\x40" + STATEMENT[-64:],
        "non-canonical-encoding",
    )
    yield case(
        "payload-indefinite-length-byte-string",
        "the payload as an indefinite-length byte string of two chunks",
        b"\xd2\x84"
        + parts[0]
        + parts[1]
        + b"\x5f"
        + bstr(PAYLOAD[:10])
        + bstr(PAYLOAD[10:])
        + b"\xff"
        + parts[3],
        "non-canonical-encoding",
    )
    yield case(
        "unprotected-header-not-empty",
        'an unprotected header {"note": "hello"} added (it is not signed)',
        signed(PROTECTED, PAYLOAD, unprotected=enc({"note": "hello"})),
        "non-canonical-encoding",
    )
    yield case(
        "unprotected-header-kid",
        "the kid repeated in the unprotected header",
        signed(PROTECTED, PAYLOAD, unprotected=enc({4: PPK.kid})),
        "non-canonical-encoding",
    )
    yield case(
        "unprotected-header-indefinite-empty-map",
        "the empty unprotected header as an indefinite-length map (0xbf 0xff)",
        signed(PROTECTED, PAYLOAD, unprotected=b"\xbf\xff"),
        "non-canonical-encoding",
    )
    unsorted = (
        b"\xa4\x01\x27\x04"
        + bstr(PPK.kid)
        + b"\x03"
        + enc("application/cbor")
        + b"\x0f"
        + enc(claims())
    )
    yield case(
        "protected-header-not-deterministic",
        "the protected header's keys out of order (4 before 3), validly signed over those bytes",
        signed(unsorted, PAYLOAD),
        "non-canonical-encoding",
    )
    yield case(
        "protected-header-indefinite-map",
        "the protected header as an indefinite-length map, validly signed",
        signed(b"\xbf" + PROTECTED[1:] + b"\xff", PAYLOAD),
        "non-canonical-encoding",
    )
    yield case(
        "trailing-garbage", "a zero byte after the statement", STATEMENT + b"\x00", "trailing-data"
    )
    yield case("truncated", "the last ten bytes cut off", STATEMENT[:-10], "truncated")
    yield case("empty", "no bytes at all", b"", "empty")
    yield case(
        "oversized",
        "70,000 bytes (over 64 KiB)",
        b"\x5a\x00\x01\x11\x70" + bytes(70_000),
        "oversized",
    )
    yield case("other-tag", "tag 98 (COSE_Sign) instead of 18", b"\xd8\x62" + body, "malformed")
    yield case("tagged-twice", "tag 18 around tag 18", b"\xd2" + STATEMENT, "wrong-type")
    yield case(
        "three-items",
        "a COSE_Sign1 of three items",
        b"\xd2\x83" + b"".join(parts[:3]),
        "wrong-type",
    )
    yield case(
        "map-instead-of-array", "a map where the array should be", enc({"a": 1}), "wrong-type"
    )
    yield case(
        "protected-header-not-bytes",
        "the protected header as a map, not a byte string",
        b"\xd2\x84" + PROTECTED + b"".join(parts[1:]),
        "malformed",
    )
    yield case(
        "unprotected-header-not-map",
        "the unprotected header as an array",
        b"\xd2\x84" + parts[0] + b"\x80" + parts[2] + parts[3],
        "malformed",
    )
    yield case(
        "payload-not-bytes",
        "the payload as text",
        b"\xd2\x84" + parts[0] + parts[1] + enc("pact") + parts[3],
        "malformed",
    )
    yield case(
        "payload-detached",
        "the payload nil (detached), which a statement never is",
        sign1(PROTECTED, b"\xa0", None, STATEMENT[-64:]),
        "malformed",
    )
    yield case(
        "signature-not-bytes",
        "the signature as text",
        b"\xd2\x84" + b"".join(parts[:3]) + enc("signature"),
        "malformed",
    )
    yield case(
        "signature-63-bytes",
        "the signature's last byte cut off",
        sign1(PROTECTED, b"\xa0", PAYLOAD, STATEMENT[-64:-1]),
        "malformed",
    )
    yield case(
        "protected-header-empty",
        "an empty protected header (a zero-length byte string)",
        sign1(b"", b"\xa0", PAYLOAD, STATEMENT[-64:]),
        "wrong-algorithm",
    )
    yield case(
        "algorithm-es256",
        "alg -7 (ES256) instead of -8, validly signed",
        signed(enc(protected_map(alg=-7)), PAYLOAD),
        "wrong-algorithm",
    )
    yield case(
        "algorithm-missing",
        "no alg in the protected header, validly signed",
        signed(enc(protected_map(alg=None)), PAYLOAD),
        "wrong-algorithm",
    )
    yield case(
        "kid-missing",
        "no kid in the protected header, validly signed",
        signed(enc(protected_map(kid=None)), PAYLOAD),
        "malformed",
    )
    yield case(
        "kid-16-bytes",
        "a 16-byte kid, validly signed",
        signed(enc(protected_map(kid=PPK.kid[:16])), PAYLOAD),
        "malformed",
    )
    yield case(
        "signed-by-another-key",
        "signed by another key (its own kid): not the key trusted here",
        OTHER.sign_statement(pact_payload(), ISSUER, ISSUED_AT),
        "unknown-key",
    )
    yield case(
        "kid-of-another-key",
        "the kid of another key, signed by the trusted one",
        signed(enc(protected_map(kid=OTHER.kid)), PAYLOAD),
        "unknown-key",
    )
    yield case(
        "signature-bit-flipped",
        "bit 0 of the signature's first byte flipped",
        flip(STATEMENT, -64),
        "bad-signature",
    )
    yield case(
        "signature-s-plus-l",
        "the signature's S replaced by S + L (equal modulo the group order): RFC 8032 refuses it",
        sign1(PROTECTED, b"\xa0", PAYLOAD, malleate(STATEMENT[-64:])),
        "bad-signature",
    )
    yield case(
        "payload-swapped",
        "another pact's payload under this signature",
        sign1(PROTECTED, b"\xa0", enc(pact_payload(place="Jakarta")), STATEMENT[-64:]),
        "bad-signature",
    )
    yield case(
        "protected-header-swapped",
        "another issued-at under this signature",
        sign1(enc(protected_map(cwt=claims(iat=ISSUED_AT + 1))), b"\xa0", PAYLOAD, STATEMENT[-64:]),
        "bad-signature",
    )
    yield case(
        "payload-not-deterministic",
        "the payload's map keys out of order, validly signed",
        signed(PROTECTED, b"\xa2" + enc("type") + enc("pact") + enc("date") + enc("2024-09-27")),
        "not-deterministic",
    )
    yield case(
        "payload-float",
        "a float in the payload, validly signed",
        signed(
            PROTECTED, b"\xa2" + enc("x") + b"\xfb\x3f\xf8" + bytes(6) + enc("type") + enc("pact")
        ),
        "malformed",
    )
    yield case(
        "payload-integer-2^53",
        "the integer 2^53 in the payload (beyond what JavaScript holds exactly), validly signed",
        signed(PROTECTED, enc({"type": "pact", "n": 2**53})),
        "malformed",
    )
    yield case(
        "payload-integer-2^53-1",
        "the integer 2^53 - 1 in the payload, validly signed: the largest allowed",
        signed(PROTECTED, enc({"type": "pact", "n": 2**53 - 1})),
        OK,
    )
    yield case(
        "payload-integer-minus-2^53",
        "the integer -2^53 in the payload, validly signed: the smallest allowed",
        signed(PROTECTED, enc({"type": "pact", "n": -(2**53)})),
        OK,
    )
    yield case(
        "payload-other-tag",
        "tag 1 (epoch time) in the payload, validly signed",
        signed(
            PROTECTED, b"\xa2" + enc("t") + b"\xc1\x1a\x66\xf6\x11\x00" + enc("type") + enc("pact")
        ),
        "malformed",
    )
    yield case(
        "payload-undefined",
        "the simple value undefined in the payload, validly signed",
        signed(PROTECTED, b"\xa2" + enc("n") + b"\xf7" + enc("type") + enc("pact")),
        "malformed",
    )
    deep: Any = "x"
    for _ in range(16):  # the payload map at depth 0, the lists at 1 to 16, "x" at 17
        deep = [deep]
    yield case(
        "payload-nested-17-deep",
        "an item 17 levels below the payload map, validly signed",
        signed(PROTECTED, enc({"type": "pact", "d": deep})),
        "malformed",
    )
    yield case(
        "payload-nested-16-deep",
        "an item 16 levels below the payload map (the deepest allowed), validly signed",
        signed(PROTECTED, enc({"type": "pact", "d": deep[0]})),
        OK,
    )
    yield case(
        "payload-invalid-utf8",
        "a text string in the payload that is not UTF-8, validly signed",
        signed(PROTECTED, b"\xa2" + enc("p") + b"\x62\xc3\x28" + enc("type") + enc("pact")),
        "malformed",
    )
    yield case(
        "payload-bool-map-key",
        "a map key true in the payload, validly signed",
        signed(PROTECTED, b"\xa2" + enc("type") + enc("pact") + b"\xf5\x01"),
        "malformed",
    )
    yield case(
        "payload-not-a-map",
        "the payload an array, validly signed",
        signed(PROTECTED, enc(["pact"])),
        "malformed",
    )
    yield case(
        "payload-integer-key",
        "an integer key in the payload map, validly signed",
        signed(PROTECTED, enc({1: 2, "type": "pact"})),
        "malformed",
    )
    yield case(
        "payload-without-type",
        'no "type" in the payload, validly signed',
        signed(PROTECTED, enc({"place": "Bandung"})),
        "malformed",
    )
    yield case(
        "content-type-missing",
        "no content type in the protected header, validly signed",
        signed(enc(protected_map(cty=None)), PAYLOAD),
        "malformed",
    )
    yield case(
        "content-type-json",
        "content type application/json, validly signed",
        signed(enc(protected_map(cty="application/json")), PAYLOAD),
        "malformed",
    )
    yield case(
        "claims-missing",
        "no CWT claims, validly signed",
        signed(enc(protected_map(cwt=None)), PAYLOAD),
        "malformed",
    )
    yield case(
        "claims-issuer-empty",
        "an empty iss claim, validly signed",
        signed(enc(protected_map(cwt=claims(iss=""))), PAYLOAD),
        "malformed",
    )
    yield case(
        "claims-subject-not-the-type",
        'sub "declaration" over a pact, validly signed',
        signed(enc(protected_map(cwt=claims(sub="declaration"))), PAYLOAD),
        "malformed",
    )
    yield case(
        "claims-issued-at-negative",
        "a negative iat, validly signed",
        signed(enc(protected_map(cwt=claims(iat=-1))), PAYLOAD),
        "malformed",
    )


def receipt_cases() -> Iterator[Case]:
    def case(name: str, description: str, data: bytes, expect: str) -> Case:
        return Case(f"receipt/{name}", "receipt", description, data, REGISTRY_TRUST, expect)

    def with_proof(path: list[bytes], size: int = SIZE, index: int = INDEX) -> bytes:
        return receipt_parts(unprotected=_receipt_unprotected(enc([size, index, path])))

    yield case("valid", f"the receipt of entry {INDEX} in the log of {SIZE}", RECEIPT, OK)
    yield case(
        "proof[0]-bit-flipped",
        "bit 3 of the first byte of the inclusion path's first hash flipped",
        with_proof([flip(PROOF[0], 0, 3), *PROOF[1:]]),
        "bad-signature",
    )
    yield case(
        "proof-hash-31-bytes",
        "the inclusion path's first hash one byte short",
        with_proof([PROOF[0][:31], *PROOF[1:]]),
        "malformed",
    )
    yield case(
        "proof-too-short",
        "the inclusion path's last hash left out",
        with_proof(PROOF[:-1]),
        "wrong-proof-length",
    )
    yield case(
        "proof-too-long",
        "a hash added to the inclusion path",
        with_proof([*PROOF, ROOT]),
        "wrong-proof-length",
    )
    yield case(
        "proof-size-restated",
        "the proof claims a tree of 6 (the signed size is 5)",
        with_proof(PROOF, size=SIZE + 1),
        "size-mismatch",
    )
    yield case(
        "signed-size-missing",
        "no signed tree size (-65538), validly signed",
        receipt_parts(protected=_receipt_protected({-65538: None})),
        "size-mismatch",
    )
    other_leaf = Leaf(INDEX, bytes(32), ISSUED_AT * 1000, bytes(32)).to_bytes()
    yield case(
        "leaf-of-another-statement",
        "a well-formed leaf for the same index but another statement",
        receipt_parts(unprotected=_receipt_unprotected(changes={-65537: other_leaf})),
        "bad-signature",
    )
    yield case(
        "leaf-of-entry-3",
        "entry 3's leaf in entry 2's receipt",
        receipt_parts(unprotected={396: {-1: [enc([SIZE, INDEX, PROOF])]}, -65537: LEAVES[3]}),
        "wrong-leaf",
    )
    yield case(
        "leaf-not-deterministic",
        "the leaf's version written in two bytes",
        receipt_parts(
            unprotected={396: {-1: [enc([SIZE, INDEX, PROOF])]}, -65537: b"\x85\x18\x01" + LEAF[2:]}
        ),
        "not-deterministic",
    )
    far_leaf = Leaf(SIZE, bytes(32), ISSUED_AT * 1000, bytes(32)).to_bytes()
    yield case(
        "index-out-of-range",
        "a proof and leaf for index 5 in a tree of 5",
        receipt_parts(unprotected={396: {-1: [enc([SIZE, SIZE, PROOF])]}, -65537: far_leaf}),
        "index-out-of-range",
    )
    yield case(
        "signed-by-another-key",
        "the same receipt signed by a key that is not the log's",
        receipt_for(signer=OTHER),
        "unknown-key",
    )
    yield case(
        "kid-missing",
        "no kid in the protected header, validly signed",
        receipt_parts(protected=_receipt_protected({4: None})),
        "unknown-key",
    )
    yield case(
        "vds-2",
        "verifiable data structure 2, validly signed",
        receipt_parts(protected=_receipt_protected({395: 2})),
        "wrong-algorithm",
    )
    yield case(
        "vds-missing",
        "no verifiable data structure, validly signed",
        receipt_parts(protected=_receipt_protected({395: None})),
        "wrong-algorithm",
    )
    yield case(
        "payload-attached",
        "the root attached as the payload",
        receipt_parts(payload=ROOT),
        "malformed",
    )
    yield case(
        "claims-missing",
        "no CWT claims, validly signed",
        receipt_parts(protected=_receipt_protected({15: None})),
        "malformed",
    )
    yield case(
        "claims-without-issued-at",
        "claims {1: origin} only, validly signed",
        receipt_parts(protected=_receipt_protected({15: {1: ORIGIN}})),
        "malformed",
    )
    yield case(
        "another-origin",
        "a receipt of another log (origin other.example/log), validly signed",
        receipt_for(origin="other.example/log"),
        "wrong-origin",
    )
    yield case(
        "unprotected-extra-label",
        "a label 33 added to the unprotected header",
        receipt_parts(unprotected=_receipt_unprotected(changes={33: b"x"})),
        "non-canonical-encoding",
    )
    yield case(
        "unprotected-keys-out-of-order",
        "the leaf (-65537) before the proofs (396) in the unprotected header",
        sign1(
            enc(_receipt_protected()),
            b"\xa2" + enc(-65537) + enc(LEAF) + enc(396) + enc({-1: [enc([SIZE, INDEX, PROOF])]}),
            None,
            RECEIPT[-64:],
        ),
        "non-canonical-encoding",
    )
    yield case(
        "vdp-extra-label",
        "a consistency proof slot (-2) beside the inclusion proof",
        receipt_parts(unprotected={396: {-1: [enc([SIZE, INDEX, PROOF])], -2: []}, -65537: LEAF}),
        "non-canonical-encoding",
    )
    yield case(
        "vdp-missing", "no proofs (396)", receipt_parts(unprotected={-65537: LEAF}), "malformed"
    )
    yield case(
        "leaf-missing",
        "no leaf (-65537)",
        receipt_parts(unprotected={396: {-1: [enc([SIZE, INDEX, PROOF])]}}),
        "malformed",
    )
    yield case(
        "two-inclusion-proofs",
        "the inclusion proof twice",
        receipt_parts(unprotected={396: {-1: [enc([SIZE, INDEX, PROOF])] * 2}, -65537: LEAF}),
        "malformed",
    )
    yield case(
        "inclusion-proof-not-deterministic",
        "the inclusion proof's tree size written in two bytes",
        receipt_parts(
            unprotected={396: {-1: [b"\x83\x18\x05" + enc([SIZE, INDEX, PROOF])[2:]]}, -65537: LEAF}
        ),
        "not-deterministic",
    )
    yield case(
        "inclusion-proof-not-an-array",
        "the inclusion proof a map",
        receipt_parts(unprotected={396: {-1: [enc({"size": SIZE})]}, -65537: LEAF}),
        "malformed",
    )
    yield case("untagged", "the receipt without tag 18", RECEIPT[1:], "non-canonical-encoding")
    yield case(
        "trailing-garbage", "a zero byte after the receipt", RECEIPT + b"\x00", "trailing-data"
    )


def checkpoint_cases() -> Iterator[Case]:
    def case(name: str, description: str, text: str, expect: str) -> Case:
        return Case(f"checkpoint/{name}", "checkpoint", description, text, REGISTRY_TRUST, expect)

    root64 = base64.b64encode(ROOT).decode()
    body = f"{ORIGIN}\n{SIZE}\n{root64}\n"
    text, _, block = CHECKPOINT.partition("\n\n")
    line = block[:-1]
    blob = base64.b64decode(line.split(" ")[2])
    witness = NoteSigner(fixed_key("vectors-witness"), "witness.example/w1")
    timestamp = ISSUED_AT + 30
    cosignature = witness._private_key.sign(cosignature_message(timestamp, body))
    cosigned = "\u2014 {} {}".format(
        witness.name,
        base64.b64encode(
            witness.cosignature_key_id + timestamp.to_bytes(8, "big") + cosignature
        ).decode(),
    )

    def with_line(signature_blob: bytes, name: str = ORIGIN) -> str:
        return f"{body}\n\u2014 {name} {base64.b64encode(signature_blob).decode()}\n"

    yield case("valid", f"the log's checkpoint at size {SIZE}", CHECKPOINT, OK)
    yield case(
        "valid-with-extension-line",
        "an extension line after the root, signed",
        NOTE.sign(body + "extension line\n"),
        OK,
    )
    yield case(
        "valid-with-an-unknown-cosignature",
        "a witness the verifier does not know cosigned it too: set aside",
        f"{CHECKPOINT}{cosigned}\n",
        OK,
    )
    yield case(
        "valid-size-2^64-1",
        "the largest size a checkpoint may state, signed",
        NOTE.sign(f"{ORIGIN}\n{2**64 - 1}\n{root64}\n"),
        OK,
    )
    yield case(
        "size-2^64",
        "a size one beyond 2^64 - 1, signed",
        NOTE.sign(f"{ORIGIN}\n{2**64}\n{root64}\n"),
        "malformed",
    )
    yield case(
        "signature-bit-flipped",
        "bit 0 of the signature's last byte flipped",
        with_line(flip(blob, -1)),
        "bad-signature",
    )
    yield case(
        "signature-63-bytes",
        "the signature's last byte cut off",
        with_line(blob[:-1]),
        "bad-signature",
    )
    yield case(
        "signature-key-id-only",
        "a signature of nothing but its key id",
        with_line(blob[:4]),
        "truncated",
    )
    yield case(
        "signed-by-another-key",
        "signed by another key under the log's name",
        NoteSigner(OTHER_KEY, ORIGIN).sign(body),
        "unknown-key",
    )
    yield case(
        "signed-by-another-name",
        "signed by the log's key under another name",
        NoteSigner(LOG_KEY, "other.example/log").sign(body),
        "unknown-key",
    )
    yield case(
        "another-origin",
        "the checkpoint of another log, signed by this log's key and name",
        NOTE.sign(f"other.example/log\n{SIZE}\n{root64}\n"),
        "wrong-origin",
    )
    yield case(
        "trailing-garbage",
        "a line of text after the signatures",
        CHECKPOINT + "garbage\n",
        "malformed",
    )
    yield case("no-final-newline", "the last newline left out", CHECKPOINT[:-1], "malformed")
    yield case(
        "no-blank-line", "no blank line before the signature", text + "\n" + block, "malformed"
    )
    yield case("no-signatures", "the blank line and nothing after it", body + "\n", "malformed")
    yield case("empty", "no text at all", "", "empty")
    yield case(
        "signed-twice", "the log's signature line twice", CHECKPOINT + line + "\n", "malformed"
    )
    yield case(
        "signature-not-canonical-base64",
        "the signature's base64 without its padding",
        f"{body}\n\u2014 {ORIGIN} {base64.b64encode(blob).decode().rstrip('=')}\n",
        "malformed",
    )
    yield case(
        "signature-line-without-dash",
        "a signature line without its em dash",
        f"{body}\n- {ORIGIN} x\n",
        "malformed",
    )
    yield case(
        "crlf-line-endings",
        "carriage returns before the newlines",
        CHECKPOINT.replace("\n", "\r\n"),
        "malformed",
    )
    yield case(
        "control-character",
        "a control character (0x01) in the origin, signed",
        raw_note(f"{ORIGIN}\x01\n{SIZE}\n{root64}\n"),
        "malformed",
    )
    yield case(
        "size-leading-zero",
        "the size written 05, signed",
        NOTE.sign(f"{ORIGIN}\n0{SIZE}\n{root64}\n"),
        "malformed",
    )
    yield case(
        "size-not-decimal",
        "the size written 0x5, signed",
        NOTE.sign(f"{ORIGIN}\n0x5\n{root64}\n"),
        "malformed",
    )
    yield case(
        "root-31-bytes",
        "a 31-byte root, signed",
        NOTE.sign(f"{ORIGIN}\n{SIZE}\n{base64.b64encode(ROOT[:31]).decode()}\n"),
        "malformed",
    )
    yield case(
        "root-not-canonical-base64",
        "the root's base64 without its padding, signed",
        NOTE.sign(f"{ORIGIN}\n{SIZE}\n{root64.rstrip('=')}\n"),
        "malformed",
    )
    yield case(
        "two-lines",
        "a body of origin and size only, signed",
        NOTE.sign(f"{ORIGIN}\n{SIZE}\n"),
        "truncated",
    )
    yield case(
        "empty-extension-line",
        "an empty line among the extension lines, signed",
        NOTE.sign(body + "\nextension\n"),
        "malformed",
    )


def raw_note(text: str, key: Ed25519PrivateKey = LOG_KEY, name: str = ORIGIN) -> str:
    """``text`` signed as a note by ``key`` under ``name``, whatever the text (no checks)."""
    public = CoseSigner(key).public_key
    key_id = compute_key_id(name, SignatureType.ED25519, public)
    return Note(text, (NoteSignature(name, key_id, key.sign(text.encode())),)).render()


def _padding_bit(compressed: bytes) -> bytes:
    """``compressed`` with one padding bit of its deflate stream set (same output)."""
    last = len(compressed) - 5
    out = zlib.decompress(compressed)
    for bit in range(7, -1, -1):
        if compressed[last] >> bit & 1:
            break
        changed = flip(compressed, last, bit)
        try:
            if zlib.decompress(changed) == out:
                return changed
        except zlib.error:
            break
    raise ValueError("this deflate stream has no padding bits")


def _offline(
    body: bytes, compress: Callable[[bytes], bytes] = lambda b: zlib.compress(b, 9)
) -> str:
    return PREFIX + b45encode(compress(body))


def offline_cases() -> Iterator[Case]:
    def case(name: str, description: str, text: str, expect: str) -> Case:
        return Case(f"offline-qr/{name}", "offline-qr", description, text, REGISTRY_TRUST, expect)

    def body(**changes: bytes | None) -> bytes:
        items: dict[int, bytes | None] = {1: STATEMENT, 2: PPK.public_key, 3: LEAF, 4: RECEIPT}
        for key, value in changes.items():
            items[int(key[1:])] = value
        return enc({k: v for k, v in items.items() if v is not None})

    stamped = body(k4=None, k5=TIMESTAMP)

    def stamp(
        protected: dict[int, Any],
        unprotected: bytes = b"\xa0",
        payload: bytes | None = None,
        key: Ed25519PrivateKey = LOG_KEY,
        over: bytes = LEAF,
    ) -> bytes:
        encoded = enc(protected)
        return sign1(encoded, unprotected, payload, key.sign(sig_structure(encoded, over)))

    stamp_header: dict[int, Any] = {1: -8, 4: LOG.kid, 15: {1: ORIGIN, 6: ISSUED_AT + 120}}
    assert stamp(stamp_header) == TIMESTAMP
    yield case("valid-with-receipt", "entry 2 with its receipt", _offline(body()), OK)
    yield case(
        "valid-with-timestamp",
        "entry 2 with the registry's signed entry timestamp",
        _offline(stamped),
        OK,
    )
    yield case(
        "valid-zlib-level-0",
        "the same payload in stored (uncompressed) deflate blocks: zlib's encoding is not pinned",
        _offline(body(), lambda b: zlib.compress(b, 0)),
        OK,
    )
    yield case(
        "timestamp-without-claims",
        "an entry timestamp whose protected header has no claims (15), validly signed",
        _offline(body(k4=None, k5=stamp({1: -8, 4: LOG.kid}))),
        "malformed",
    )
    yield case(
        "timestamp-claims-without-issued-at",
        "an entry timestamp with claims {1: origin} only, validly signed",
        _offline(body(k4=None, k5=stamp({1: -8, 4: LOG.kid, 15: {1: ORIGIN}}))),
        "malformed",
    )
    yield case(
        "timestamp-of-another-origin",
        "an entry timestamp naming another log, validly signed",
        _offline(body(k4=None, k5=stamp({1: -8, 4: LOG.kid, 15: {1: "other.example/log", 6: 1}}))),
        "wrong-origin",
    )
    yield case(
        "timestamp-unprotected-header-not-empty",
        "an entry timestamp with an unprotected label 33",
        _offline(body(k4=None, k5=stamp(stamp_header, unprotected=enc({33: b"x"})))),
        "non-canonical-encoding",
    )
    yield case(
        "timestamp-payload-attached",
        "an entry timestamp carrying the leaf as its payload",
        _offline(body(k4=None, k5=stamp(stamp_header, payload=LEAF))),
        "malformed",
    )
    yield case(
        "timestamp-signed-by-another-key",
        "an entry timestamp by a key that is not the log's",
        _offline(body(k4=None, k5=stamp({**stamp_header, 4: OTHER.kid}, key=OTHER_KEY))),
        "unknown-key",
    )
    yield case(
        "timestamp-over-another-leaf",
        "an entry timestamp over entry 3's leaf",
        _offline(body(k4=None, k5=stamp(stamp_header, over=LEAVES[3]))),
        "bad-signature",
    )
    yield case(
        "timestamp-untagged",
        "the entry timestamp without tag 18",
        _offline(body(k4=None, k5=TIMESTAMP[1:])),
        "non-canonical-encoding",
    )
    yield case(
        "zlib-padding-bits-set",
        "a padding bit of the deflate stream's last byte set (zlib ignores it)",
        PREFIX + b45encode(_padding_bit(zlib.compress(body(), 9))),
        "not-deterministic",
    )
    yield case(
        "timestamp-zlib-padding-bits-set",
        "a padding bit of the deflate stream's last byte set, in a QR with an entry timestamp",
        PREFIX + b45encode(_padding_bit(zlib.compress(stamped, 9))),
        "not-deterministic",
    )
    yield case(
        "zlib-trailing-bytes",
        "a byte after the zlib stream",
        PREFIX + b45encode(zlib.compress(body(), 9) + b"\x00"),
        "trailing-data",
    )
    yield case(
        "zlib-truncated",
        "the zlib stream's checksum cut off",
        PREFIX + b45encode(zlib.compress(body(), 9)[:-4]),
        "truncated",
    )
    yield case(
        "zlib-checksum-wrong",
        "the zlib stream's Adler-32 checksum altered",
        PREFIX + b45encode(flip(zlib.compress(body(), 9), -1)),
        "malformed",
    )
    yield case(
        "not-zlib",
        "raw CBOR where the zlib stream should be",
        PREFIX + b45encode(body()),
        "malformed",
    )
    yield case(
        "zip-bomb",
        "a stream that inflates to 200,000 bytes",
        PREFIX + b45encode(zlib.compress(bytes(200_000), 9)),
        "oversized",
    )
    yield case("prefix-PI2", "the prefix PI2:", "PI2:" + _offline(body())[4:], "malformed")
    yield case("prefix-lowercase", "the prefix pi1:", "pi1:" + _offline(body())[4:], "malformed")
    yield case("nothing-after-prefix", "the prefix alone", PREFIX, "empty")
    yield case("empty", "no text at all", "", "empty")
    yield case(
        "base45-lowercase",
        "a base45 text in lowercase",
        PREFIX + _offline(body())[4:].lower(),
        "malformed",
    )
    yield case(
        "base45-3k+1-characters",
        "one character added to the base45 text",
        _offline(body()) + "0",
        "malformed",
    )
    yield case(
        "base45-group-over-65535",
        "a last group GGW (65536)",
        _offline(body())[:-3] + "GGW",
        "malformed",
    )
    yield case("trailing-newline", "a newline after the text", _offline(body()) + "\n", "malformed")
    yield case(
        "payload-not-deterministic",
        "the CBOR map's keys out of order",
        _offline(
            b"\xa4\x02"
            + enc(PPK.public_key)
            + b"\x01"
            + enc(STATEMENT)
            + b"\x03"
            + enc(LEAF)
            + b"\x04"
            + enc(RECEIPT)
        ),
        "not-deterministic",
    )
    yield case("payload-unknown-key", "a key 6 added", _offline(body(k6=b"x")), "malformed")
    yield case(
        "payload-receipt-and-timestamp", "both 4 and 5", _offline(body(k5=TIMESTAMP)), "malformed"
    )
    yield case("payload-without-leaf", "no leaf (3)", _offline(body(k3=None)), "malformed")
    yield case(
        "payload-value-not-bytes",
        "the signer key (2) as text",
        _offline(enc({1: STATEMENT, 2: "key", 3: LEAF, 4: RECEIPT})),
        "malformed",
    )
    yield case(
        "payload-an-array",
        "an array instead of the map",
        _offline(enc([STATEMENT, PPK.public_key])),
        "malformed",
    )
    yield case(
        "signer-key-31-bytes",
        "the signer key (2) one byte short",
        _offline(body(k2=PPK.public_key[:31])),
        "malformed",
    )
    yield case(
        "signer-key-of-another",
        "another signer's key (2)",
        _offline(body(k2=OTHER.public_key)),
        "unknown-key",
    )
    yield case(
        "statement-untagged",
        "the statement (1) without tag 18",
        _offline(body(k1=STATEMENT[1:])),
        "non-canonical-encoding",
    )
    yield case(
        "statement-unprotected-header-not-empty",
        "the statement (1) with an unprotected label added",
        _offline(body(k1=signed(PROTECTED, PAYLOAD, unprotected=enc({33: b"x"})))),
        "non-canonical-encoding",
    )
    yield case(
        "statement-bit-flipped",
        "bit 0 of the statement's signature flipped",
        _offline(body(k1=flip(STATEMENT, -64))),
        "bad-signature",
    )
    yield case(
        "leaf-of-another-statement",
        "entry 3's leaf (3)",
        _offline(body(k3=LEAVES[3])),
        "wrong-statement",
    )
    yield case(
        "receipt-of-another-entry",
        "entry 3's receipt with entry 2's statement and leaf",
        _offline(body(k4=receipt_for(3))),
        "wrong-leaf",
    )
    yield case(
        "receipt-of-another-origin",
        "a receipt naming another log, validly signed",
        _offline(body(k4=receipt_for(origin="other.example/log"))),
        "wrong-origin",
    )
    yield case(
        "receipt-bit-flipped",
        "bit 0 of the receipt's signature flipped",
        _offline(body(k4=flip(RECEIPT, -64))),
        "bad-signature",
    )


def link_cases() -> Iterator[Case]:
    def case(name: str, description: str, link: str, leaf: bytes, expect: str) -> Case:
        data = {"link": link, "leaf": b64url(leaf)}
        return Case(f"link-qr/{name}", "link-qr", description, data, {}, expect)

    link = link_text(BASE_URL, INDEX, leaf_hash(LEAF))
    fragment = link.rpartition("#")[2]
    yield case("valid", "entry 2's link, and the leaf a server answers with", link, LEAF, OK)
    yield case(
        "leaf-of-entry-3", "the server answers with entry 3's leaf", link, LEAVES[3], "wrong-leaf"
    )
    yield case(
        "fragment-of-entry-3",
        "entry 3's fingerprint under entry 2's index",
        f"{BASE_URL}/v/{INDEX}#{link_text(BASE_URL, 3, leaf_hash(LEAVES[3])).rpartition('#')[2]}",
        LEAF,
        "wrong-leaf",
    )
    yield case(
        "index-of-entry-3",
        "entry 2's fingerprint under index 3, answered with entry 3's leaf",
        f"{BASE_URL}/v/3#{fragment}",
        LEAVES[3],
        "wrong-leaf",
    )
    yield case(
        "index-leading-zero",
        "the index written 02",
        f"{BASE_URL}/v/0{INDEX}#{fragment}",
        LEAF,
        "malformed",
    )
    yield case(
        "index-20-digits",
        "an index of 20 digits",
        f"{BASE_URL}/v/{10**19}#{fragment}",
        LEAF,
        "malformed",
    )
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(fragment[-1])
    yield case(
        "fragment-unused-bits-set",
        "the fingerprint's last character with its unused bits set (same 16 bytes)",
        link[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1],
        LEAF,
        "malformed",
    )
    yield case(
        "fragment-21-characters",
        "the fingerprint one character short",
        link[:-1],
        LEAF,
        "malformed",
    )
    yield case(
        "no-fragment", "the link without its fingerprint", link.partition("#")[0], LEAF, "malformed"
    )
    yield case(
        "query-string",
        "a query string before the fingerprint",
        f"{BASE_URL}/v/{INDEX}?lang=en#{fragment}",
        LEAF,
        "malformed",
    )
    yield case(
        "trailing-slash",
        "a slash after the index",
        f"{BASE_URL}/v/{INDEX}/#{fragment}",
        LEAF,
        "malformed",
    )
    yield case(
        "ftp-scheme", "an ftp:// link", link.replace("https://", "ftp://"), LEAF, "malformed"
    )
    yield case(
        "scheme-uppercase",
        "HTTPS:// in capitals",
        link.replace("https://", "HTTPS://"),
        LEAF,
        "malformed",
    )
    yield case("leaf-truncated", "the server answers with a cut leaf", link, LEAF[:-1], "truncated")


def inclusion_cases() -> Iterator[Case]:
    def case(name: str, description: str, expect: str, **changes: Any) -> Case:
        data: dict[str, Any] = {
            "index": INDEX,
            "size": SIZE,
            "leaf_hash": leaf_hash(LEAF),
            "path": PROOF,
            "root": ROOT,
        }
        data.update(changes)
        written = {
            k: [b64url(h) for h in v] if k == "path" else b64url(v) if isinstance(v, bytes) else v
            for k, v in data.items()
        }
        return Case(f"inclusion/{name}", "inclusion", description, written, {}, expect)

    yield case("valid", f"entry {INDEX} in the tree of {SIZE}", OK)
    yield case("wrong-root", "another root", "wrong-root", root=hashlib.sha256(b"x").digest())
    yield case(
        "path-bit-flipped",
        "bit 0 of the path's first hash flipped",
        "wrong-root",
        path=[flip(PROOF[0], 0), *PROOF[1:]],
    )
    yield case(
        "path-too-short", "the path's last hash left out", "wrong-proof-length", path=PROOF[:-1]
    )
    yield case(
        "path-too-long", "a hash added to the path", "wrong-proof-length", path=[*PROOF, ROOT]
    )
    yield case("index-out-of-range", "index 5 in a tree of 5", "index-out-of-range", index=SIZE)
    yield case(
        "leaf-hash-31-bytes", "a 31-byte leaf hash", "malformed", leaf_hash=leaf_hash(LEAF)[:31]
    )
    yield case(
        "path-hash-33-bytes",
        "a 33-byte hash in the path",
        "malformed",
        path=[PROOF[0] + b"\x00", *PROOF[1:]],
    )
    yield case("root-31-bytes", "a 31-byte root", "malformed", root=ROOT[:31])


def consistency_cases() -> Iterator[Case]:
    def case(
        name: str, description: str, expect: str, old: int = 3, new: int = SIZE, **changes: Any
    ) -> Case:
        data: dict[str, Any] = {
            "size1": old,
            "size2": new,
            "root1": TREE.root(old) if old else hashlib.sha256(b"").digest(),
            "root2": TREE.root(new),
            "path": TREE.consistency_proof(old, new) if 0 < old <= new else [],
        }
        data.update(changes)
        written = {
            k: [b64url(h) for h in v] if k == "path" else b64url(v) if isinstance(v, bytes) else v
            for k, v in data.items()
        }
        return Case(f"consistency/{name}", "consistency", description, written, {}, expect)

    proof = TREE.consistency_proof(3, SIZE)
    yield case("valid", f"the tree of 3 is a prefix of the tree of {SIZE}", OK)
    yield case(
        "valid-from-a-power-of-two", f"the tree of 4 is a prefix of the tree of {SIZE}", OK, old=4
    )
    yield case("valid-equal-sizes", "a tree is a prefix of itself (an empty proof)", OK, old=SIZE)
    yield case(
        "wrong-new-root", "another new root", "wrong-root", root2=hashlib.sha256(b"x").digest()
    )
    yield case(
        "wrong-old-root", "another old root", "wrong-root", root1=hashlib.sha256(b"x").digest()
    )
    yield case(
        "path-bit-flipped",
        "bit 0 of the proof's last hash flipped",
        "wrong-root",
        path=[*proof[:-1], flip(proof[-1], 0)],
    )
    yield case(
        "path-too-short", "the proof's last hash left out", "wrong-proof-length", path=proof[:-1]
    )
    yield case(
        "path-too-long", "a hash added to the proof", "wrong-proof-length", path=[*proof, ROOT]
    )
    yield case("old-larger-than-new", "from 5 back to 3", "size-mismatch", old=SIZE, new=3)
    yield case("from-the-empty-tree", "from size 0, which proves nothing", "empty", old=0)
    yield case(
        "equal-sizes-different-roots",
        "two roots for one size",
        "inconsistent",
        old=SIZE,
        root1=hashlib.sha256(b"x").digest(),
    )
    yield case(
        "equal-sizes-with-a-path",
        "equal sizes and a non-empty proof",
        "wrong-proof-length",
        old=SIZE,
        path=[ROOT],
    )
    yield case(
        "path-hash-31-bytes",
        "a 31-byte hash in the proof",
        "malformed",
        path=[proof[0][:31], *proof[1:]],
    )


def all_cases() -> list[Case]:
    """Every case, each name once."""
    groups = (
        statement_cases,
        receipt_cases,
        checkpoint_cases,
        offline_cases,
        link_cases,
        inclusion_cases,
        consistency_cases,
    )
    cases = [case for group in groups for case in group()]
    names = [case.name for case in cases]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:
        raise ValueError(f"case names used twice: {sorted(duplicated)}")
    return cases


def files() -> dict[str, str]:
    """Each case file's path under :data:`FOLDER` and its text."""
    return {f"{case.name}.json": case.to_json() for case in all_cases()}


def main() -> None:
    """Rewrite :data:`FOLDER`'s case files (the README stays)."""
    for group in FOLDER.iterdir() if FOLDER.is_dir() else ():
        if group.is_dir():
            shutil.rmtree(group)
    for name, text in files().items():
        path = FOLDER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files())} cases to {FOLDER}")


if __name__ == "__main__":
    main()
