"""Verify whatever a user holds: a signed statement, a receipt or a checkpoint.

Tells them apart by their bytes, verifies with :mod:`registry.verify.trust`
keys, and returns the verdict of the matching check.
"""

from __future__ import annotations

from typing import Any

from registry.verify.cbor import MAX_CBOR_SIZE
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.cose import parse_sign1
from registry.verify.receipt import HEADER_VDS, verify_receipt
from registry.verify.result import Reason, Verdict
from registry.verify.statement import verify_statement
from registry.verify.trust import TrustedKeys


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
) -> Verdict[Any]:
    """Verify ``data`` as a checkpoint, a receipt or a signed statement, whichever it is."""
    if not data:
        return Verdict.failed("verify", Reason.EMPTY, "nothing to verify: the input is empty")
    if len(data) > MAX_CBOR_SIZE * 2:
        return Verdict.failed("verify", Reason.OVERSIZED, f"{len(data)} bytes is too large")
    if _looks_like_note(data):
        required = trusted.witnesses_required if witnesses_required is None else witnesses_required
        return verify_checkpoint(
            data.decode("utf-8"), trusted.log_keys, trusted.witness_keys, required, trusted.origin
        )
    parsed = parse_sign1(data, "COSE message")
    if parsed.ok and parsed.value is not None and HEADER_VDS in parsed.value.protected:
        return verify_receipt(data, trusted.by_kid, statement, trusted.origin)
    return verify_statement(data, trusted.by_kid)
