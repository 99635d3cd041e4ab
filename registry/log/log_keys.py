"""The log's keys over time: which key signs which tree sizes, and the key the sequencer signs with.

The log key signs checkpoints and receipts.  When the operator replaces it, a
``log-key-rotation`` entry at index ``r`` names the old key and the new one
(docs/formats.md): the old key signs trees of at most ``r`` entries, the new one
trees of ``r + 1`` and more (:mod:`registry.verify.validity`).  :class:`LogKeys`
holds that schedule, derived from the log's own entries at start and moved on
by the sequencer when it appends a rotation, with the private keys this process
holds (the current one; a new one held in standby until the rotation is
appended; an old one kept in memory after a rotation made here).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.verify.cose import key_id
from registry.verify.note import SignatureType, VerifierKey
from registry.verify.validity import KeyValidity


class LogKeyError(ValueError):
    """The schedule and the keys held disagree: a rotation this process cannot carry out."""


@dataclass
class LogKeyPeriod:
    """One log key: from which tree size it signs, since when, and its signers if held here."""

    public_key: bytes
    from_size: int
    from_ms: int | None = None
    """When the rotation that announced it was registered (None for the log's first key)."""
    signer: CoseSigner | None = None
    note: NoteSigner | None = None


@dataclass
class LogKeys:
    """The schedule of log keys (oldest first) and the private keys this process holds."""

    periods: list[LogKeyPeriod]
    standby: dict[bytes, tuple[CoseSigner, NoteSigner]] = field(default_factory=dict)
    """Held for a rotation not yet in the log: public key -> signers."""

    @classmethod
    def single(cls, signer: CoseSigner, note: NoteSigner) -> LogKeys:
        """A log with one key, held here, valid from the first entry on."""
        return cls([LogKeyPeriod(signer.public_key, 0, None, signer, note)])

    @property
    def current(self) -> LogKeyPeriod:
        """The key that signs the next checkpoint."""
        return self.periods[-1]

    def hold(self, signer: CoseSigner, note: NoteSigner) -> None:
        """Keep ``signer`` ready to become the log key (a rotation to it may be admitted)."""
        self.standby[signer.public_key] = (signer, note)

    def holds(self, public_key: bytes) -> bool:
        """Whether this process could sign with ``public_key`` once the log names it."""
        return public_key in self.standby or any(
            p.public_key == public_key and p.signer is not None for p in self.periods
        )

    def used(self, public_key: bytes) -> bool:
        """Whether ``public_key`` was ever a log key of this log."""
        return any(p.public_key == public_key for p in self.periods)

    def announce(self, previous: bytes, public_key: bytes, from_size: int, at_ms: int) -> None:
        """Apply a rotation read from the log (or appended now): ``public_key`` signs from
        ``from_size`` on.  Raises :class:`LogKeyError` if ``previous`` is not the current key."""
        if previous != self.current.public_key:
            raise LogKeyError(
                f"a rotation from {previous.hex()} while the log key is"
                f" {self.current.public_key.hex()}"
            )
        signer, note = self.standby.pop(public_key, (None, None))
        self.periods.append(LogKeyPeriod(public_key, from_size, at_ms, signer, note))

    def start_from(self, first: bytes) -> None:
        """Name the log's first key (the first rotation's ``previous_key``), before any
        rotation is announced: the key opened here may be a later one."""
        held = self.periods[0]
        if len(self.periods) != 1 or held.public_key == first:
            return
        self.hold(*_signers(held))
        self.periods = [LogKeyPeriod(first, 0)]

    def check_held(self) -> None:
        """Raise :class:`LogKeyError` unless this process holds the current key."""
        if self.current.signer is None:
            raise LogKeyError(
                f"the log key is {self.current.public_key.hex()}, which this data directory"
                " does not hold"
            )

    def rollback(self, size: int) -> None:
        """Forget rotations appended past ``size`` (their batch was not written)."""
        while len(self.periods) > 1 and self.current.from_size > size:
            period = self.periods.pop()
            if period.signer is not None and period.note is not None:
                self.hold(period.signer, period.note)

    def signers_for(self, size: int) -> tuple[CoseSigner, NoteSigner] | None:
        """The held key that may sign a tree of ``size`` entries, if any."""
        for period, window in zip(self.periods, self.windows(), strict=True):
            if window.covers(size) and period.signer is not None and period.note is not None:
                return period.signer, period.note
        return None

    def windows(self) -> list[KeyValidity]:
        """Each period's tree sizes, in order."""
        ends = [p.from_size - 1 for p in self.periods[1:]] + [None]
        return [KeyValidity(p.from_size, end) for p, end in zip(self.periods, ends, strict=True)]

    def validity(self) -> dict[bytes, KeyValidity]:
        """Public key -> the tree sizes it may sign (what verifiers are given)."""
        return {p.public_key: w for p, w in zip(self.periods, self.windows(), strict=True)}

    def by_kid(self) -> dict[bytes, bytes]:
        """COSE kid -> public key of every log key, past and current."""
        return {key_id(p.public_key): p.public_key for p in self.periods}

    def verifier_keys(self, origin: str) -> list[VerifierKey]:
        """The C2SP note verifier keys of every log key, past and current."""
        return [
            VerifierKey.ed25519(origin, p.public_key, SignatureType.ED25519) for p in self.periods
        ]


def _signers(period: LogKeyPeriod) -> tuple[CoseSigner, NoteSigner]:
    if period.signer is None or period.note is None:  # pragma: no cover - single() holds it
        raise LogKeyError("the opened log key is not held")
    return period.signer, period.note
