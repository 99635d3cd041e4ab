"""When a log key may sign: the tree sizes of its validity, as the registry announces them.

A log key signs checkpoints and receipts (over a tree of some size) and entry
timestamps (over a leaf at some index).  When the registry replaces its log
key (a ``log-key-rotation`` entry at index ``r``, docs/formats.md), the old key
may sign trees of at most ``r`` entries and the new one trees of ``r + 1`` or
more: a tree size is what a verifier can check without trusting a clock, and
the log orders the rotation against every entry.  A key that signs outside its
range (a retired key, perhaps stolen since, signing a larger tree) is refused
with :attr:`Reason.KEY_OUTSIDE_VALIDITY`, whatever its signature.

An entry timestamp vouches for a leaf that already exists; a key may vouch for
any leaf logged before its validity ended (index below ``until_size``), so a
new key can stamp old entries and a retired one cannot stamp new ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry.verify.result import Reason, Verdict


@dataclass(frozen=True)
class KeyValidity:
    """A log key may sign trees of ``from_size`` to ``until_size`` entries (None: no end)."""

    from_size: int = 0
    until_size: int | None = None

    def covers(self, size: int) -> bool:
        """Whether the key may sign a tree of ``size`` entries."""
        return self.from_size <= size and (self.until_size is None or size <= self.until_size)

    def describe(self) -> str:
        """The range as a person reads it: ``1..41`` or ``42..``."""
        end = "" if self.until_size is None else str(self.until_size)
        return f"{self.from_size}..{end}"


Validity = Mapping[bytes, KeyValidity]
"""Raw Ed25519 public key → its validity; a key not listed may sign any size."""


def outside_validity(
    check: str, what: str, public_key: bytes, size: int, validity: Validity | None
) -> Verdict[Any] | None:
    """The failed ``check`` if ``public_key`` may not sign a tree of ``size`` entries; else None."""
    window = None if validity is None else validity.get(public_key)
    if window is None or window.covers(size):
        return None
    why = f"{what} is signed by a log key outside its validity (tree sizes {window.describe()})"
    return Verdict.failed(
        check,
        Reason.KEY_OUTSIDE_VALIDITY,
        why,
        tree_size=str(size),
        valid_sizes=window.describe(),
        public_key=public_key.hex(),
    )


def stamped_outside_validity(
    check: str, public_key: bytes, index: int, validity: Validity | None
) -> Verdict[Any] | None:
    """The failed ``check`` if ``public_key`` may not vouch for the leaf at ``index``; else None."""
    window = None if validity is None else validity.get(public_key)
    if window is None or window.until_size is None or index < window.until_size:
        return None
    why = f"the entry timestamp is signed by a log key retired before entry {index}"
    return Verdict.failed(
        check,
        Reason.KEY_OUTSIDE_VALIDITY,
        why,
        index=str(index),
        valid_sizes=window.describe(),
        public_key=public_key.hex(),
    )
