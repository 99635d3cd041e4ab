"""The log's leaf: ``[1, index, prev_leaf_hash, registered_at, statement_sha256]``.

Each leaf seals the one before it (hash chain) and the statement it logs.
See docs/formats.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from registry.verify.canonical import decode_canonical
from registry.verify.cbor import encode_deterministic, head
from registry.verify.result import Reason, Verdict

LEAF_VERSION = 1
HASH_SIZE = 32
ZERO_HASH = bytes(HASH_SIZE)
_LEAF_HEAD = bytes((0x85, LEAF_VERSION))
"""An array of five, then the version (an unsigned integer under 24 is its own head)."""
_HASH_HEAD = b"\x58\x20"
"""A 32-byte byte string's head."""
_UINT64 = 1 << 64


@dataclass(frozen=True)
class Leaf:
    """One log entry's leaf; ``to_bytes`` is the exact encoding that is hashed."""

    index: int
    prev_leaf_hash: bytes
    registered_at: int
    statement_sha256: bytes

    def to_bytes(self) -> bytes:
        """The leaf's deterministic CBOR bytes.

        A leaf as the log makes it (index and time of up to 64 bits, 32-byte hashes) is
        put together from its heads at once (a leaf is made per registration, on the
        sequencer's serial path); any other goes through :func:`encode_deterministic`,
        which gives the same bytes.
        """
        index, prev, at, digest = (
            self.index,
            self.prev_leaf_hash,
            self.registered_at,
            self.statement_sha256,
        )
        if (
            type(index) is int
            and type(at) is int
            and 0 <= index < _UINT64
            and 0 <= at < _UINT64
            and type(prev) is bytes
            and type(digest) is bytes
            and len(prev) == HASH_SIZE
            and len(digest) == HASH_SIZE
        ):
            return b"".join(
                (_LEAF_HEAD, head(0, index), _HASH_HEAD, prev, head(0, at), _HASH_HEAD, digest)
            )
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
