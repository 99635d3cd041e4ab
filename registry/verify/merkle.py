"""RFC 9162 Merkle tree hashing and proof verification (SHA-256), stdlib only.

Each check first *computes* a root from the proof, then *compares* it with the
root it was given, as transparency-dev/merkle does (``proof/verify.go``); a
mismatch carries both roots as evidence.  Nothing here raises on bad input:
every function returns a :class:`~registry.verify.result.Verdict`.

Proof shapes follow RFC 9162 §2.1.3 (inclusion) and §2.1.4 (consistency).  A
proof splits into *inner* hashes (siblings below the level where the path to
the leaf leaves the tree's right edge) and *border* hashes (left siblings of
the right edge above it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from registry.verify.result import Reason, Verdict

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256
_BYTES = (bytes, bytearray, memoryview)

INCLUSION_CHECK = "merkle inclusion proof"
CONSISTENCY_CHECK = "merkle consistency proof"


def leaf_hash(leaf: bytes) -> bytes:
    """Return the RFC 9162 leaf hash SHA-256(0x00 ‖ leaf)."""
    return _sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(NODE_PREFIX + left + right).digest()


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> Verdict[bytes]:
    """Compute the root of a tree of ``size`` leaves from leaf ``index``'s hash and proof.

    Passes with the computed root as ``value``; fails (never raises) when the
    index is not below the size, a hash is not 32 bytes, or the proof has the
    wrong number of hashes for this (index, size).
    """
    check = INCLUSION_CHECK
    where = {"index": str(index), "size": str(size)}
    problem = _size_problem(index=index, size=size) or _hash_problem(leaf_hash=leaf_hash)
    problem = problem or _proof_problem(proof)
    if problem:
        return Verdict.failed(check, Reason.MALFORMED, problem, **where)
    if index >= size:
        detail = f"leaf index {index} is not below tree size {size}"
        return Verdict.failed(check, Reason.INDEX_OUT_OF_RANGE, detail, **where)
    inner, border = _decompose(index, size)
    if len(proof) != inner + border:
        detail = f"proof has {len(proof)} hashes, leaf {index} of {size} needs {inner + border}"
        return Verdict.failed(
            check,
            Reason.WRONG_PROOF_LENGTH,
            detail,
            **where,
            proof_length=str(len(proof)),
            expected_length=str(inner + border),
        )
    computed = _chain_border_right(_chain_inner(leaf_hash, proof[:inner], index), proof[inner:])
    return Verdict.passed(check, computed, computed_root=computed.hex())


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> Verdict[bytes]:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    Passes with the root as ``value``.  A proof that leads elsewhere fails with
    ``Reason.WRONG_ROOT`` and the evidence ``expected_root`` and ``computed_root`` (hex);
    malformed input fails as :func:`root_from_inclusion_proof` describes.
    """
    computed = root_from_inclusion_proof(index, size, leaf_hash, proof)
    if not computed.ok or computed.value is None:
        return computed
    problem = _hash_problem(root=root)
    if problem:
        return Verdict.failed(INCLUSION_CHECK, Reason.MALFORMED, problem)
    return _compare(INCLUSION_CHECK, "root", root, computed.value, index=str(index), size=str(size))


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> Verdict[None]:
    """Check that the tree of ``new_size`` leaves with ``new_root`` extends the older one.

    RFC 9162 §2.1.4.2.  Equal sizes need an empty proof and equal roots.  A
    consistency check from the empty tree proves nothing and fails, as do
    shrinking sizes, hashes that are not 32 bytes and proofs of the wrong
    length.  A root that the proof does not reproduce fails with
    ``Reason.WRONG_ROOT`` (``Reason.INCONSISTENT`` when equal sizes carry
    different roots); the evidence holds both roots given and the one computed.
    """
    check = CONSISTENCY_CHECK
    sizes = {"old_size": str(old_size), "new_size": str(new_size)}
    problem = _size_problem(old_size=old_size, new_size=new_size) or _proof_problem(proof)
    if problem:
        return Verdict.failed(check, Reason.MALFORMED, problem, **sizes)
    if new_size < old_size:
        detail = f"new size {new_size} is smaller than old size {old_size}"
        return Verdict.failed(check, Reason.SIZE_MISMATCH, detail, **sizes)
    if old_size == 0:
        detail = "a consistency proof from the empty tree proves nothing"
        return Verdict.failed(check, Reason.EMPTY, detail, **sizes)
    if old_size == new_size:
        # As transparency-dev/merkle: equal sizes compare the roots as given.
        if not isinstance(old_root, _BYTES) or not isinstance(new_root, _BYTES):
            detail = "old_root and new_root must be bytes"
            return Verdict.failed(check, Reason.MALFORMED, detail, **sizes)
        if proof:
            detail = f"equal sizes need an empty proof, got {len(proof)} hashes"
            return Verdict.failed(check, Reason.WRONG_PROOF_LENGTH, detail, **sizes)
        if old_root != new_root:
            detail = f"two different roots for tree size {old_size}"
            roots = {"old_root": _hex(old_root), "new_root": _hex(new_root)}
            return Verdict.failed(check, Reason.INCONSISTENT, detail, **roots, **sizes)
        return Verdict.passed(check, None, **sizes)
    problem = _hash_problem(old_root=old_root, new_root=new_root)
    if problem:
        return Verdict.failed(check, Reason.MALFORMED, problem, **sizes)

    # The proof starts at the largest complete subtree ending at old_size, at
    # level `shift`; when old_size is 2**shift that node is old_root itself.
    inner, border = _decompose(old_size - 1, new_size)
    shift = (old_size & -old_size).bit_length() - 1
    inner -= shift
    start = 0 if old_size == 1 << shift else 1
    if len(proof) != start + inner + border:
        need = start + inner + border
        detail = f"proof has {len(proof)} hashes, sizes {old_size} to {new_size} need {need}"
        return Verdict.failed(
            check,
            Reason.WRONG_PROOF_LENGTH,
            detail,
            **sizes,
            proof_length=str(len(proof)),
            expected_length=str(need),
        )
    seed = old_root if start == 0 else proof[0]
    rest = proof[start:]
    mask = (old_size - 1) >> shift
    roots = {"old_root": _hex(old_root), "new_root": _hex(new_root), **sizes}
    computed_old = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    old = _compare(check, "old_root", old_root, computed_old, **roots)
    if not old.ok:
        return Verdict.failed(check, Reason.WRONG_ROOT, old.detail, **old.evidence)
    computed_new = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    new = _compare(check, "new_root", new_root, computed_new, **roots)
    if not new.ok:
        return Verdict.failed(check, Reason.WRONG_ROOT, new.detail, **new.evidence)
    return Verdict.passed(check, None, **sizes)


def _compare(
    check: str, name: str, expected: bytes, computed: bytes, **evidence: str
) -> Verdict[bytes]:
    """Compare a given root with the one computed from a proof; a mismatch keeps both."""
    if expected != computed:
        return Verdict.failed(
            check,
            Reason.WRONG_ROOT,
            f"the proof leads to another {name.replace('_', ' ')}",
            expected_root=_hex(expected),
            computed_root=computed.hex(),
            **evidence,
        )
    return Verdict.passed(check, computed, root=computed.hex())


def _hex(value: object) -> str:
    """Hex of a byte string, or its repr when it is something else."""
    return bytes(value).hex() if isinstance(value, _BYTES) else repr(value)


def _size_problem(**values: object) -> str:
    """Why an index or size is not a non-negative integer ("" when all are)."""
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"{name} must be a non-negative integer, got {value!r}"
    return ""


def _hash_problem(**values: object) -> str:
    """Why a value is not a 32-byte hash ("" when all are)."""
    for name, value in values.items():
        if not isinstance(value, _BYTES):
            return f"{name} must be bytes, got {type(value).__name__}"
        if len(value) != HASH_SIZE:
            return f"{name} is {len(value)} bytes, expected {HASH_SIZE}"
    return ""


def _proof_problem(proof: object) -> str:
    """Why a proof is not a sequence of 32-byte hashes ("" when it is)."""
    if isinstance(proof, str | bytes | bytearray | memoryview) or not isinstance(proof, Sequence):
        return f"proof must be a list of hashes, got {type(proof).__name__}"
    for position, element in enumerate(proof):
        problem = _hash_problem(**{f"proof[{position}]": element})
        if problem:
            return problem
    return ""


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Split an inclusion proof for (index, size) into its inner and border lengths."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Hash the inner proof hashes into ``seed``, left or right per ``index``'s bits."""
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = _sha256(NODE_PREFIX + h + seed).digest()
        else:
            seed = _sha256(NODE_PREFIX + seed + h).digest()
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Hash only the inner proof hashes that sit left of the path (the old tree's part)."""
    for i, h in enumerate(proof):
        if (index >> i) & 1:
            seed = _sha256(NODE_PREFIX + h + seed).digest()
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    """Hash the border proof hashes, each a left sibling, into ``seed``."""
    for h in proof:
        seed = _sha256(NODE_PREFIX + h + seed).digest()
    return seed
