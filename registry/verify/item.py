"""Verify whatever a user holds: a signed statement, a receipt or a checkpoint.

Tells them apart by their bytes, verifies with :mod:`registry.verify.trust`
keys, and returns the verdict of the matching check.  Under a witness policy
(``witnesses_required`` above 0) a checkpoint needs the quorum of cosignatures,
and so does a receipt, through a witnessed ``checkpoint`` that contains its
tree (it carries no cosignature itself): without one it is "not witnessed"
(:attr:`Reason.NOT_WITNESSED`, a verdict that still carries the receipt).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.verify.cbor import MAX_CBOR_SIZE
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.cose import parse_sign1
from registry.verify.receipt import HEADER_VDS, ReceiptInfo, verify_receipt
from registry.verify.result import Reason, Verdict
from registry.verify.statement import verify_statement
from registry.verify.trust import TrustedKeys
from registry.verify.witnessed import verify_under_checkpoint


def _looks_like_note(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return "\n\n\u2014 " in text or (text.count("\n") >= 3 and text[:1].isprintable())


def verify_item(
    data: bytes,
    trusted: TrustedKeys,
    statement: bytes | None = None,
    witnesses_required: int | None = None,
    checkpoint: bytes | None = None,
    proof: Sequence[bytes] | None = None,
) -> Verdict[Any]:
    """Verify ``data`` as a checkpoint, a receipt or a signed statement, whichever it is.

    ``checkpoint`` (and the consistency ``proof`` from the receipt's tree to it)
    witnesses a receipt (see the module docstring).
    """
    if not data:
        return Verdict.failed("verify", Reason.EMPTY, "nothing to verify: the input is empty")
    if len(data) > MAX_CBOR_SIZE * 2:
        return Verdict.failed("verify", Reason.OVERSIZED, f"{len(data)} bytes is too large")
    required = trusted.witnesses_required if witnesses_required is None else witnesses_required
    if _looks_like_note(data):
        return verify_checkpoint(
            data.decode("utf-8"),
            trusted.log_keys,
            trusted.witness_keys,
            required,
            trusted.origin,
            trusted.log_validity,
        )
    parsed = parse_sign1(data, "COSE message")
    if parsed.ok and parsed.value is not None and HEADER_VDS in parsed.value.protected:
        receipt = verify_receipt(
            data, trusted.by_kid, statement, trusted.origin, trusted.log_validity
        )
        if not receipt.ok or receipt.value is None or required == 0:
            return receipt
        return _witnessed_receipt(receipt, trusted, required, checkpoint, proof)
    return verify_statement(data, trusted.by_kid)


def _witnessed_receipt(
    receipt: Verdict[ReceiptInfo],
    trusted: TrustedKeys,
    required: int,
    checkpoint: bytes | None,
    proof: Sequence[bytes] | None,
) -> Verdict[ReceiptInfo]:
    info = receipt.unwrap()
    if checkpoint is None:
        why = (
            "a receipt carries no witness cosignature: give a checkpoint cosigned by"
            f" {required} of the witnesses that contains its tree (GET /checkpoint/witnessed)"
        )
        return Verdict.not_witnessed(receipt.check, info, why, **receipt.evidence)
    under = verify_under_checkpoint(
        info.tree_size,
        info.root,
        checkpoint,
        trusted.log_keys,
        trusted.witness_keys,
        required,
        info.origin,
        proof,
        trusted.log_validity,
    )
    if under.ok:
        return Verdict.passed(receipt.check, info, **receipt.evidence, **under.evidence)
    if under.reason == Reason.NOT_WITNESSED:
        return Verdict.not_witnessed(receipt.check, info, under.detail, **under.evidence)
    return under.fail_as(receipt.check)
