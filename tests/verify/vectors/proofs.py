"""Merkle inclusion and consistency proofs in the small log, and their mutations."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from registry.verify.merkle import leaf_hash
from registry.verify.trust import b64url
from tests.verify.vectors.material import (
    INDEX,
    LEAF,
    OK,
    PROOF,
    ROOT,
    SIZE,
    TREE,
    Case,
    flip,
)


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
