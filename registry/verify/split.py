"""Two signed checkpoints of one log: the same tree, or proof that the log showed two.

A log that shows one tree to some and another tree to others (a *split view*)
must sign two checkpoints that cannot both be true: two roots for one size, or
a smaller tree that is not a prefix of a larger one.  Whoever holds both
signed checkpoints (a verifier, a monitor, a witness's evidence file) can
prove it to anyone with the log's public key, and the witnesses that cosigned
each side say who was shown what.

Steps of :func:`compare_checkpoints`: (1) each note verifies as a checkpoint of
the log (a log key signed it; a trusted witness's bad cosignature refuses it;
no witness quorum is required: a split view is proven by the log's signatures
alone); (2) both are of one origin; (3) at one size, the roots are the same,
else the split is proven (:attr:`Reason.INCONSISTENT`); (4) at two sizes, a
consistency proof from the smaller to the larger must hold: without one
nothing can be said offline (:attr:`Reason.SIZE_MISMATCH`), and one that fails
is reported (:attr:`Reason.INCONSISTENT`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from registry.verify.checkpoint import (
    Checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from registry.verify.note import VerifierKey, verify_note
from registry.verify.result import Reason, Verdict

CHECK = "compare checkpoints"


@dataclass(frozen=True)
class SignedView:
    """One verified checkpoint and the trusted witnesses that cosigned it."""

    checkpoint: Checkpoint
    note: str
    witnesses: tuple[str, ...]


def _view(
    note: str, log_keys: Sequence[VerifierKey], witness_keys: Sequence[VerifierKey], which: str
) -> Verdict[SignedView]:
    verdict = verify_checkpoint(note, log_keys, witness_keys, 0)
    if not verdict.ok or verdict.value is None:
        failed = verdict.fail_as(CHECK)
        return Verdict.failed(
            CHECK,
            failed.reason or Reason.MALFORMED,
            f"the {which} checkpoint: {failed.detail}",
            **failed.evidence,
        )
    cosigners = verify_note(note, witness_keys).value if witness_keys else None
    witnesses = tuple(sorted(v.signature.signer for v in (cosigners.verified if cosigners else ())))
    return Verdict.passed(CHECK, SignedView(verdict.value, note, witnesses))


def compare_checkpoints(
    first: str,
    second: str,
    log_keys: Sequence[VerifierKey],
    witness_keys: Sequence[VerifierKey] = (),
    proof: Sequence[bytes] | None = None,
) -> Verdict[tuple[SignedView, SignedView]]:
    """Whether two signed checkpoints show one log (see the module docstring for the steps).

    Holds when both are the log's and one extends the other.  A proven split
    fails with :attr:`Reason.INCONSISTENT` and evidence naming both checkpoints
    in full and the witnesses that cosigned each (``first_witnesses``,
    ``second_witnesses``): what a reader hands on to prove it.
    """
    # (1)
    views = []
    for note, which in ((first, "first"), (second, "second")):
        view = _view(note, log_keys, witness_keys, which)
        if not view.ok or view.value is None:
            return view.fail_as(CHECK)
        views.append(view.value)
    a, b = views
    evidence = {
        "first_checkpoint": a.note,
        "first_witnesses": ", ".join(a.witnesses),
        "second_checkpoint": b.note,
        "second_witnesses": ", ".join(b.witnesses),
    }
    # (2)
    if a.checkpoint.origin != b.checkpoint.origin:
        why = "the checkpoints are of two different logs"
        return Verdict.failed(CHECK, Reason.WRONG_ORIGIN, why, **evidence)
    # (3)
    if a.checkpoint.size == b.checkpoint.size:
        if a.checkpoint.root != b.checkpoint.root:
            why = (
                f"split view: the log signed two different roots for size {a.checkpoint.size}"
                f" ({a.checkpoint.root.hex()} and {b.checkpoint.root.hex()})"
            )
            return Verdict.failed(CHECK, Reason.INCONSISTENT, why, **evidence)
        return Verdict.passed(CHECK, (a, b), checkpoint=a.checkpoint.describe())
    # (4)
    old, new = (a, b) if a.checkpoint.size < b.checkpoint.size else (b, a)
    if proof is None:
        why = (
            f"sizes {old.checkpoint.size} and {new.checkpoint.size} differ: a consistency proof"
            " between them is needed (GET /proofs/consistency?old=&new=)"
        )
        return Verdict.failed(CHECK, Reason.SIZE_MISMATCH, why, **evidence)
    consistent = verify_checkpoint_consistency(old.checkpoint, new.checkpoint, proof)
    if not consistent:
        why = (
            f"the consistency proof from size {old.checkpoint.size} to {new.checkpoint.size}"
            f" does not hold: {consistent.detail}"
        )
        return Verdict.failed(CHECK, Reason.INCONSISTENT, why, **evidence)
    return Verdict.passed(
        CHECK, (a, b), old=old.checkpoint.describe(), new=new.checkpoint.describe()
    )
