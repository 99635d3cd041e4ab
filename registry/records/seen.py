"""Which statements may already be in the log: a Bloom filter over their contents' SHA-256s.

The log holds one entry per signed content (what a statement's signature
covers: its protected header and payload), so a statement with the content of
an entry, whatever its bytes, returns that entry; every registration was
looked up in the database first, a round trip through the driver's
thread for every batch (4 ms of the sequencer's 7 ms cycle under load,
docs/benchmarks.md).  Almost every statement is new: this filter answers
"certainly new" from memory, and only a "maybe" (a statement seen before,
or about 0.3 % of new ones) is looked up.

Each SHA-256 sets 8 bits, taken from its own eight 32-bit words (the digest
is already uniform), in a bit array of 12 bits per entry.  When the array is
full another twice its size is added and new digests go there; a lookup asks
each array.  Memory: about 1.5 bytes per entry (15 MB for 10 million).  A
false "maybe" only costs the database lookup it replaces.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

BITS_PER_ENTRY = 12
FIRST_CAPACITY = 1 << 16
_WORDS = struct.Struct("<8I")


class SeenStatements:
    """A growing Bloom filter of SHA-256 digests (of the statements' signed contents)."""

    def __init__(self, digests: Iterable[bytes] = (), capacity: int = FIRST_CAPACITY) -> None:
        self._arrays: list[tuple[bytearray, int]] = []
        self._capacity = 0
        self._count = 0
        self.saved_to = 0
        """The end of the snapshot of this filter restored or saved (0: none)."""
        self._add_array(capacity)
        for digest in digests:
            self.add(digest)

    @classmethod
    def restored(cls, capacity: int, count: int, arrays: list[bytes]) -> SeenStatements:
        """The filter whose :meth:`state` was ``(capacity, count, arrays)``.

        Raises ``ValueError`` if they are not one (an array's size not a power of two).
        """
        if not arrays or any(len(a) < 1 or len(a) & (len(a) - 1) for a in arrays):
            raise ValueError("a filter's arrays are powers of two bytes long")
        if not 0 <= count <= capacity:
            raise ValueError("a filter holds at most its capacity")
        seen = cls(capacity=FIRST_CAPACITY)
        seen._arrays = [(bytearray(a), len(a) * 8 - 1) for a in arrays]
        seen._capacity, seen._count = capacity, count
        return seen

    def state(self) -> tuple[int, int, list[bytes]]:
        """(capacity of the newest array, digests in it, every array's bytes), to save it."""
        return self._capacity, self._count, [bytes(array) for array, _ in self._arrays]

    def _add_array(self, capacity: int) -> None:
        bits = 1 << max(3, (capacity * BITS_PER_ENTRY - 1).bit_length())
        self._arrays.append((bytearray(bits // 8), bits - 1))
        self._capacity = capacity
        self._count = 0

    def add(self, digest: bytes) -> None:
        """Remember the statement with SHA-256 ``digest``."""
        if self._count >= self._capacity:
            self._add_array(self._capacity * 2)
        array, mask = self._arrays[-1]
        for word in _WORDS.unpack(digest):
            position = word & mask
            array[position >> 3] |= 1 << (position & 7)
        self._count += 1

    def may_contain(self, digest: bytes) -> bool:
        """False if the statement was certainly never added; True if it may have been."""
        words = _WORDS.unpack(digest)
        for array, mask in self._arrays:
            for word in words:
                position = word & mask
                if not array[position >> 3] >> (position & 7) & 1:
                    break
            else:
                return True
        return False

    @property
    def size_bytes(self) -> int:
        """Memory the bit arrays take."""
        return sum(len(array) for array, _ in self._arrays)
