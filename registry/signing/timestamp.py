"""The registry's signed entry timestamp (docs/formats.md "QR codes", offline key ``5``).

As Rekor's signed entry timestamp: the log key says it logged this leaf.  A
COSE_Sign1, tagged, whose detached payload is the leaf bytes, with protected
header ``{1: -8, 4: log kid, 15: {1: origin, 6: iat}}`` and an empty
unprotected header.  It stands in for the receipt where the receipt would
make the offline QR too large; the receipt itself stays online.
"""

from __future__ import annotations

from registry.signing.cose import CoseSigner
from registry.verify.cose import HEADER_CWT_CLAIMS


def sign_entry_timestamp(log_key: CoseSigner, origin: str, leaf: bytes, issued_at: int) -> bytes:
    """The log key's entry timestamp over ``leaf``, issued at ``issued_at`` (Unix seconds).

    Ed25519 is deterministic, so the same leaf, key, origin and time always
    give the same bytes: pass the leaf's registration time for a timestamp
    (and a QR) that never changes.
    """
    protected = {HEADER_CWT_CLAIMS: {1: origin, 6: issued_at}}
    return log_key.sign1(protected, {}, leaf, detached=True)
