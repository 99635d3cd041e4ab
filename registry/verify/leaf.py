"""The log's leaf: ``[1, index, prev_leaf_hash, registered_at, statement_sha256]``.

Each leaf seals the one before it (hash chain) and the statement it logs.
See docs/formats.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from registry.verify.canonical import decode_canonical
from registry.verify.cbor import encode_deterministic
from registry.verify.result import Reason, Verdict

LEAF_VERSION = 1
HASH_SIZE = 32
ZERO_HASH = bytes(HASH_SIZE)


@dataclass(frozen=True)
class Leaf:
    """One log entry's leaf; ``to_bytes`` is the exact encoding that is hashed."""

    index: int
    prev_leaf_hash: bytes
    registered_at: int
    statement_sha256: bytes

    def to_bytes(self) -> bytes:
        """The leaf's deterministic CBOR bytes."""
        return encode_deterministic(
            [
                LEAF_VERSION,
                self.index,
                self.prev_leaf_hash,
                self.registered_at,
                self.statement_sha256,
            ]
        )

    def leaf_hash(self) -> bytes:
        """RFC 9162 leaf hash: SHA-256(0x00 ‖ leaf bytes)."""
        return hashlib.sha256(b"\x00" + self.to_bytes()).digest()


def decode_leaf(data: bytes) -> Verdict[Leaf]:
    """Parse leaf bytes strictly; the verdict's value is the :class:`Leaf`."""
    check = "decode leaf"
    decoded = decode_canonical(data, "leaf", 256)
    if not decoded.ok:
        return decoded.fail_as(check)
    item = decoded.value
    if not isinstance(item, list) or len(item) != 5:
        return Verdict.failed(check, Reason.MALFORMED, "a leaf is a CBOR array of 5 items")
    version, index, prev, registered_at, statement_sha256 = item
    if version != LEAF_VERSION or isinstance(version, bool):
        return Verdict.failed(check, Reason.MALFORMED, f"unknown leaf version {version!r}")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        return Verdict.failed(check, Reason.MALFORMED, "leaf index must be a non-negative integer")
    if not isinstance(registered_at, int) or isinstance(registered_at, bool) or registered_at < 0:
        return Verdict.failed(
            check, Reason.MALFORMED, "registered_at must be a non-negative integer"
        )
    for name, value in (("prev_leaf_hash", prev), ("statement_sha256", statement_sha256)):
        if not isinstance(value, bytes) or len(value) != HASH_SIZE:
            return Verdict.failed(check, Reason.MALFORMED, f"{name} must be {HASH_SIZE} bytes")
    if index == 0 and prev != ZERO_HASH:
        return Verdict.failed(check, Reason.MALFORMED, "the first leaf must chain to 32 zero bytes")
    return Verdict.passed(check, Leaf(index, prev, registered_at, statement_sha256))
