"""What the log says about keys and entries, in memory: who may sign, and what no longer stands.

Both are derived at start from the log's own entries (``registry.records.derived``),
never read from the tables the database keeps beside them, and updated per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from registry.store.models import (
    KeyChange,
    KeyRevocationRecord,
    RevokedEntryRecord,
    SignerKeyRecord,
)


class KeyDirectory:
    """Enrolled keys by kid.

    :meth:`overlay` gives a batch its own view: changes made to the overlay
    (an enrolment early in a batch, used by a later statement of that batch)
    stay out of this directory until the batch is written and applied.
    """

    def __init__(
        self, keys: Iterable[SignerKeyRecord] = (), base: KeyDirectory | None = None
    ) -> None:
        self._keys: dict[bytes, SignerKeyRecord] = {k.kid: k for k in keys}
        self._base = base

    def get(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid``, if any."""
        key = self._keys.get(kid)
        if key is None and self._base is not None:
            return self._base.get(kid)
        return key

    def public_key(self, kid: bytes) -> bytes | None:
        """The raw public key of ``kid`` if enrolled (revoked too: the policy decides)."""
        key = self.get(kid)
        return key.public_key if key else None

    def apply(self, change: KeyChange) -> None:
        """Apply an enrolment or a revocation."""
        if isinstance(change, KeyRevocationRecord):
            key = self.get(change.kid)
            if key is None:
                raise KeyError(f"cannot revoke unknown key {change.kid.hex()}")
            self._keys[change.kid] = replace(
                key, revoked_at=change.revoked_at, revocation_idx=change.revocation_idx
            )
        else:
            self._keys[change.kid] = change

    def overlay(self) -> KeyDirectory:
        """A view for one batch whose changes leave this directory alone."""
        return KeyDirectory(base=self)

    def all(self) -> list[SignerKeyRecord]:
        """Every enrolled key."""
        merged = {k.kid: k for k in self._base.all()} if self._base else {}
        merged.update(self._keys)
        return list(merged.values())


class RevokedEntries:
    """The entries that no longer stand, by index, and the revocation entry that says why."""

    def __init__(self, revocations: Iterable[RevokedEntryRecord] = ()) -> None:
        self._by_entry: dict[int, RevokedEntryRecord] = {r.idx: r for r in revocations}

    def add(self, revocation: RevokedEntryRecord) -> None:
        """Entry ``revocation.idx`` no longer stands (a revocation entry was committed)."""
        self._by_entry[revocation.idx] = revocation

    def of(self, idx: int) -> RevokedEntryRecord | None:
        """Why entry ``idx`` no longer stands, or ``None`` if it stands."""
        return self._by_entry.get(idx)

    def __contains__(self, idx: object) -> bool:
        return idx in self._by_entry

    def all(self) -> list[RevokedEntryRecord]:
        """Every revocation, by the index of the entry revoked."""
        return [self._by_entry[i] for i in sorted(self._by_entry)]
