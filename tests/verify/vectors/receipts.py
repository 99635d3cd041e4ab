"""Receipts: entry 2's and its mutations."""

from __future__ import annotations

from collections.abc import Iterator

from registry.verify.leaf import Leaf
from tests.factories import ISSUED_AT
from tests.verify.vectors.material import (
    INDEX,
    LEAF,
    LEAVES,
    OK,
    ORIGIN,
    OTHER,
    PROOF,
    RECEIPT,
    REGISTRY_TRUST,
    ROOT,
    SIZE,
    Case,
    _receipt_protected,
    _receipt_unprotected,
    enc,
    flip,
    receipt_for,
    receipt_parts,
    sign1,
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
