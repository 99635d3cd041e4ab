"""Witness cosignatures carried without their note: the offline QR's witnessed checkpoint.

An offline QR has no room for a signed note, so it carries the checkpoint as
``[tree size, root hash, [cosignature, ...]]`` (docs/formats.md, offline QR key
``6``), each cosignature the bytes of a C2SP tlog-cosignature/v1 signature
line after its name: key id(4) ‖ timestamp(8, big-endian) ‖ Ed25519
signature(64).  The checkpoint body is rebuilt from the log's origin, the size
and the root (``<origin>\\n<size>\\n<base64 root>\\n``: the registry's
checkpoints have no extension lines), and each cosignature is verified over it
with the trusted witness key of that key id, as c2sp.org/tlog-cosignature
says: the message ``cosignature/v1\\ntime <t>\\n`` followed by the body.

Steps of :func:`verify_witnessed`: (1) the shape: a size, a 32-byte root and
1 to :data:`MAX_COSIGNATURES` cosignatures of 76 bytes, no key id twice;
(2) each cosignature whose key id is a trusted witness's must verify with that
key (one that does not rejects the whole, as a bad signature by a known key
rejects a signed note); others are set aside as unknown; (3) the value lists
the trusted witnesses that cosigned.  Whether that is enough is the caller's
policy (:func:`registry.verify.qr.verify_offline` requires a quorum).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry.verify.checkpoint import (
    HASH_SIZE,
    MAX_TREE_SIZE,
    Checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from registry.verify.note import (
    ED25519_SIGNATURE_SIZE,
    KEY_ID_SIZE,
    TIMESTAMP_SIZE,
    NoteSignature,
    SignatureType,
    VerifierKey,
    verify_signature,
)
from registry.verify.result import Reason, Verdict
from registry.verify.validity import Validity

COSIGNATURE_SIZE = KEY_ID_SIZE + TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE
MAX_COSIGNATURES = 16
"""The most cosignatures one witnessed checkpoint may carry (signed-note's minimum to accept)."""
CHECK = "witnessed checkpoint"


@dataclass(frozen=True)
class Witnessed:
    """A checkpoint rebuilt from its parts, and the trusted witnesses whose cosignatures on it
    verified (``witnesses``, as ``name+keyid``; ``timestamps`` when each cosigned)."""

    checkpoint: Checkpoint
    witnesses: tuple[str, ...]
    timestamps: tuple[int, ...]
    unknown: int


def parse_witnessed(item: Any) -> Verdict[tuple[int, bytes, tuple[bytes, ...]]]:
    """Step (1): ``[size, root, [cosignature, ...]]`` as (size, root, cosignatures)."""
    shape = (
        "a witnessed checkpoint is [tree size, 32-byte root, [1 to"
        f" {MAX_COSIGNATURES} cosignatures of {COSIGNATURE_SIZE} bytes]]"
    )
    if not isinstance(item, list) or len(item) != 3:
        return Verdict.failed(CHECK, Reason.MALFORMED, shape)
    size, root, cosignatures = item
    if (
        type(size) is not int
        or not 1 <= size <= MAX_TREE_SIZE
        or not isinstance(root, bytes)
        or len(root) != HASH_SIZE
        or not isinstance(cosignatures, list)
        or not 1 <= len(cosignatures) <= MAX_COSIGNATURES
        or not all(isinstance(c, bytes) and len(c) == COSIGNATURE_SIZE for c in cosignatures)
    ):
        return Verdict.failed(CHECK, Reason.MALFORMED, shape)
    key_ids = [c[:KEY_ID_SIZE] for c in cosignatures]
    if len(set(key_ids)) != len(key_ids):
        return Verdict.failed(CHECK, Reason.MALFORMED, "a key id cosigned twice")
    return Verdict.passed(CHECK, (size, root, tuple(cosignatures)))


def verify_witnessed(
    item: Any, origin: str, witness_keys: Sequence[VerifierKey]
) -> Verdict[Witnessed]:
    """Verify a witnessed checkpoint of the log ``origin`` (see the module docstring)."""
    parsed = parse_witnessed(item)
    if not parsed.ok or parsed.value is None:
        return parsed.fail_as(CHECK)
    size, root, cosignatures = parsed.value
    checkpoint = Checkpoint(origin, size, root)
    text = checkpoint.body
    trusted = [k for k in witness_keys if k.sig_type == SignatureType.COSIGNATURE_V1]
    signers: dict[str, int] = {}
    unknown = 0
    # (2)
    for cosignature in cosignatures:
        key_id, signature = cosignature[:KEY_ID_SIZE], cosignature[KEY_ID_SIZE:]
        candidates = [k for k in trusted if k.key_id == key_id]
        if not candidates:
            unknown += 1
            continue
        # The name is not carried: try each trusted key of this id (ids are 4 bytes).
        verified = [
            verify_signature(key, text, NoteSignature(key.name, key_id, signature))
            for key in candidates
        ]
        good = [v.value for v in verified if v.ok and v.value is not None]
        if not good:
            return verified[0].fail_as(CHECK)
        signers[good[0].signature.signer] = good[0].timestamp or 0
    # (3)
    names = tuple(sorted(signers))
    value = Witnessed(checkpoint, names, tuple(signers[n] for n in names), unknown)
    return Verdict.passed(
        CHECK,
        value,
        checkpoint=checkpoint.describe(),
        witnesses=", ".join(names),
        unknown=str(unknown),
    )


def encode_witnessed(size: int, root: bytes, cosignatures: Sequence[bytes]) -> list[Any]:
    """The CBOR value of a witnessed checkpoint (the inverse of :func:`parse_witnessed`)."""
    return [size, root, list(cosignatures)]


def cosignature_bytes(line: NoteSignature) -> bytes:
    """A cosignature line's bytes as a witnessed checkpoint carries them: key id ‖ signature."""
    if len(line.signature) != TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
        raise ValueError("a tlog-cosignature/v1 Ed25519 signature is 72 bytes after the key id")
    return line.key_id + line.signature


def verify_under_checkpoint(
    tree_size: int,
    root: bytes,
    note: str | bytes,
    log_keys: Sequence[VerifierKey],
    witness_keys: Sequence[VerifierKey],
    witnesses_required: int,
    origin: str,
    proof: Sequence[bytes] | None = None,
    validity: Validity | None = None,
) -> Verdict[Checkpoint]:
    """Whether a witnessed checkpoint contains the tree of ``tree_size`` with ``root`` (a
    receipt's): what makes a receipt witnessed, since it carries no cosignatures itself.

    Steps: (1) ``note`` verifies as a checkpoint of ``origin`` with at least
    ``witnesses_required`` of ``witness_keys`` (fewer: :attr:`Reason.NOT_WITNESSED`);
    (2) a checkpoint smaller than the tree is not yet witnessed for it
    (:attr:`Reason.NOT_WITNESSED`); (3) at the same size the roots are equal, at a
    larger size ``proof`` (``GET /proofs/consistency``) links them, else
    :attr:`Reason.INCONSISTENT` (or :attr:`Reason.SIZE_MISMATCH` without a proof).
    A NOT_WITNESSED verdict carries the checkpoint.
    """
    check = "witnessed receipt"
    # (1)
    verdict = verify_checkpoint(note, log_keys, witness_keys, witnesses_required, origin, validity)
    if verdict.value is None or (not verdict.ok and verdict.reason != Reason.NOT_WITNESSED):
        return verdict.fail_as(check)
    seen = verdict.value
    evidence = {"checkpoint": seen.describe(), "tree_size": str(tree_size)}
    if not verdict.ok:
        return Verdict.not_witnessed(check, seen, verdict.detail, **evidence)
    # (2)
    if seen.size < tree_size:
        why = f"the witnessed checkpoint (size {seen.size}) predates the receipt's tree"
        return Verdict.not_witnessed(check, seen, why, **evidence)
    # (3)
    if seen.size == tree_size:
        if seen.root != root:
            why = f"two roots for size {tree_size}: the receipt's and the witnessed checkpoint's"
            return Verdict.failed(check, Reason.INCONSISTENT, why, **evidence)
        return Verdict.passed(check, seen, witnesses=verdict.evidence.get("witnesses", ""))
    if proof is None:
        why = "the checkpoint is larger than the receipt's tree: a consistency proof is needed"
        return Verdict.failed(check, Reason.SIZE_MISMATCH, why, **evidence)
    consistent = verify_checkpoint_consistency(Checkpoint(origin, tree_size, root), seen, proof)
    if not consistent:
        return consistent.fail_as(check)
    return Verdict.passed(check, seen, witnesses=verdict.evidence.get("witnesses", ""))
