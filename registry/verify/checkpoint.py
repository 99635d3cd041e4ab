"""C2SP checkpoints (c2sp.org/tlog-checkpoint): parsing, verification and consistency.

A checkpoint is the text of a signed note: the log's origin, the tree size in
decimal, the base64 root hash, then optional extension lines.  Parsing is
strict: no leading zeros, a 32-byte root in canonical base64, no empty lines.

Steps of :func:`verify_checkpoint`: (1) verify the note's signatures against
the log keys and witness keys together (a known key's bad signature rejects the
whole note); (2) require one from a log key; (3) parse the body; (4) compare
the origin when one is expected; (5) count distinct witness keys that
cosigned and require ``witnesses_required`` of them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from registry.verify import merkle
from registry.verify.note import (
    VerifierKey,
    decode_base64_strict,
    verify_note,
)
from registry.verify.result import Reason, Verdict
from registry.verify.validity import Validity, outside_validity

HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")  # at most 20 digits: 2^64 - 1 has 20
_CONTROL = re.compile(r"[\x00-\x1f]")


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: origin, tree size, root hash and extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def body(self) -> str:
        """The checkpoint as note text, final newline included."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "\n".join([*lines, *self.extensions]) + "\n"

    def describe(self) -> str:
        """A one-line summary for evidence: ``origin@size:roothex``."""
        return f"{self.origin}@{self.size}:{self.root.hex()}"


def parse_checkpoint(body: str) -> Verdict[Checkpoint]:
    """Parse a checkpoint body (the note text, signatures excluded) strictly."""
    check = "checkpoint"
    if not body.endswith("\n"):
        return Verdict.failed(check, Reason.MALFORMED, "the checkpoint does not end in a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        why = "a checkpoint has at least three lines: origin, size, root"
        return Verdict.failed(check, Reason.TRUNCATED, why, lines=str(len(lines)))
    origin, size_text, root_b64, *extensions = lines
    for number, line in enumerate(lines, start=1):
        if not line:
            return Verdict.failed(check, Reason.MALFORMED, f"line {number} is empty")
        if _CONTROL.search(line):
            return Verdict.failed(check, Reason.MALFORMED, f"line {number} has a control character")
    if not _DECIMAL.fullmatch(size_text) or int(size_text) > MAX_TREE_SIZE:
        why = "the tree size is not a decimal number without leading zeros"
        return Verdict.failed(check, Reason.MALFORMED, why, size=size_text[:40])
    root = decode_base64_strict(root_b64)
    if root is None or len(root) != HASH_SIZE:
        why = "the root hash is not 32 bytes in canonical base64"
        return Verdict.failed(check, Reason.MALFORMED, why, root=root_b64[:80])
    value = Checkpoint(origin, int(size_text), root, tuple(extensions))
    return Verdict.passed(check, value, checkpoint=value.describe())


def verify_checkpoint(
    note_text: str | bytes,
    log_keys: Sequence[VerifierKey],
    witness_keys: Sequence[VerifierKey] = (),
    witnesses_required: int = 0,
    origin: str | None = None,
    validity: Validity | None = None,
) -> Verdict[Checkpoint]:
    """Verify a signed checkpoint; see the module docstring for the steps.

    With ``validity`` (the log keys' announced tree sizes), a log key's
    signature counts only for a checkpoint of a size in its range
    (:mod:`registry.verify.validity`).

    Holds when a log key signed it, no known key's signature fails, the origin
    is ``origin`` (when given), and at least ``witnesses_required`` distinct
    ``witness_keys`` cosigned it.  The evidence names the signers, the
    witnesses counted and the signatures from unknown keys.
    """
    check = "checkpoint"
    # (1) all signatures from known keys verify.
    verdict = verify_note(note_text, [*log_keys, *witness_keys])
    if not verdict and verdict.reason != Reason.UNKNOWN_KEY:
        return verdict.fail_as(check)
    note = verdict.value
    unknown = verdict.evidence.get("unknown", "")
    # (2) one of them is the log's.
    if note is None or not any(note.signed_by(key) for key in log_keys):
        why = "no signature from the log's key"
        return Verdict.failed(check, Reason.UNKNOWN_KEY, why, unknown=unknown)
    # (3) the body is a checkpoint.
    parsed = parse_checkpoint(note.text)
    if not parsed:
        return parsed.fail_as(check)
    checkpoint = parsed.unwrap()
    # (3b) signed by a log key valid for its size.
    signers = [key for key in log_keys if note.signed_by(key)]
    refusals = [
        outside_validity(check, "the checkpoint", key.public_key, checkpoint.size, validity)
        for key in signers
    ]
    if all(refusal is not None for refusal in refusals) and refusals[0] is not None:
        return refusals[0]
    # (4) from the expected log.
    if origin is not None and checkpoint.origin != origin:
        why = "the checkpoint is from another log"
        return Verdict.failed(
            check, Reason.WRONG_ORIGIN, why, origin=checkpoint.origin, want=origin
        )
    # (5) k of n witnesses.
    witnesses = sorted({str(k) for k in witness_keys if note.signed_by(k)})
    if len(witnesses) < witnesses_required:
        why = f"{len(witnesses)} of the {witnesses_required} witness cosignatures required"
        return Verdict.not_witnessed(
            check,
            checkpoint,
            why,
            checkpoint=checkpoint.describe(),
            witnesses=", ".join(witnesses),
            unknown=unknown,
        )
    return Verdict.passed(
        check,
        checkpoint,
        checkpoint=checkpoint.describe(),
        signers=verdict.evidence.get("signers", ""),
        witnesses=", ".join(witnesses),
        unknown=unknown,
    )


def verify_checkpoint_consistency(
    old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]
) -> Verdict[None]:
    """Check that ``new`` extends ``old``: same origin and a valid RFC 9162 consistency proof.

    From a checkpoint of size 0 (whose root must be the empty tree's) the
    proof is empty and every checkpoint of the same log is consistent.

    A failure carries both checkpoints and the proof as evidence: signed, they
    prove that the log forked.
    """
    check = "checkpoint-consistency"
    evidence = {
        "old_checkpoint": old.body,
        "new_checkpoint": new.body,
        "proof": " ".join(base64.b64encode(p).decode("ascii") for p in proof),
    }
    if old.origin != new.origin:
        why = "the checkpoints are from different logs"
        return Verdict.failed(check, Reason.WRONG_ORIGIN, why, **evidence)
    if old.size == 0:
        # The empty tree is a prefix of every tree: nothing to prove but its root.
        if proof or old.root != merkle.EMPTY_ROOT or (new.size == 0 and new.root != old.root):
            why = "the empty tree has the root SHA-256('') and an empty proof"
            return Verdict.failed(check, Reason.INCONSISTENT, why, **evidence)
        return Verdict.passed(check, None, old=old.describe(), new=new.describe())
    verdict = merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
    if not verdict:
        reason = verdict.reason or Reason.INCONSISTENT
        why = f"{verdict.check}: {verdict.detail}"
        return Verdict.failed(check, reason, why, **{**verdict.evidence, **evidence})
    return Verdict.passed(check, None, old=old.describe(), new=new.describe())
