"""What the log says about keys and entries, in memory: who may sign, and what no longer stands.

Both are derived at start from the log's own entries (``registry.records.derived``),
never read from the tables the database keeps beside them, and updated per batch.

Every process keeps every enrolled key (a national registry enrols up to 4.3
million ASN), so a key is kept **packed**: one ``bytes`` object, the msgpack
array of its columns but the kid (which is the dictionary's key), in the order
of :data:`PACKED_COLUMNS`, and unpacked into a :class:`SignerKeyRecord` only
when it is asked for (a registration asks for its signer's key), the last
:data:`UNPACKED_KEPT` unpacked kept (making a frozen dataclass of 17 fields
costs more than decoding it).  About 330 bytes a key instead of about 1 KB as a dataclass
(``bench/bench_startup.py``).  The packing is also what the start compares the
``signer_keys`` rows with (:mod:`registry.records.saved_state`): a row packed
the same way is equal byte for byte, or it was edited.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields, replace

import msgspec

from registry.store.models import (
    KeyChange,
    KeyRevocationRecord,
    RevokedEntryRecord,
    SignerKeyRecord,
)

PACKED_COLUMNS = (
    "role",
    *(f.name for f in fields(SignerKeyRecord) if f.name not in ("kid", "role")),
)
"""The columns of a packed key, in order: the role first, so that keys are found by role
without unpacking them (:meth:`KeyDirectory.of_role`)."""

UNPACKED_KEPT = 4096
"""Keys kept unpacked, the last asked for (the signers registering now; about 4 MB)."""

_ENCODE = msgspec.msgpack.Encoder().encode
_DECODE = msgspec.msgpack.Decoder(tuple[object, ...]).decode
_ROLE_AT = len(_ENCODE((None,) * len(PACKED_COLUMNS))) - len(PACKED_COLUMNS)
"""Where the role starts in a packed key: after the msgpack array's header (a None is a byte)."""
_COLUMN_INDEX = {name: i for i, name in enumerate(PACKED_COLUMNS)}
_RECORD_ORDER = tuple(_COLUMN_INDEX[f.name] for f in fields(SignerKeyRecord) if f.name != "kid")


def pack(key: SignerKeyRecord) -> bytes:
    """``key``'s columns but its kid, as one msgpack array in :data:`PACKED_COLUMNS` order."""
    return _ENCODE(tuple(getattr(key, name) for name in PACKED_COLUMNS))


def pack_row(values: tuple[object, ...]) -> bytes:
    """A ``signer_keys`` row's columns but its kid, read in :data:`PACKED_COLUMNS` order,
    packed as :func:`pack` packs a key (equal bytes if and only if equal values and types)."""
    return _ENCODE(values)


def unpack(kid: bytes, packed: bytes) -> SignerKeyRecord:
    """The key ``kid`` that :func:`pack` made ``packed`` of."""
    values = _DECODE(packed)
    return SignerKeyRecord(kid, *(values[i] for i in _RECORD_ORDER))  # type: ignore[arg-type]


def _role_prefix(role: str) -> bytes:
    """How a packed key of ``role`` starts, after its array header."""
    return _ENCODE(role)


class KeyDirectory:
    """Enrolled keys by kid, each kept packed (:func:`pack`).

    :meth:`overlay` gives a batch its own view: changes made to the overlay
    (an enrolment early in a batch, used by a later statement of that batch)
    stay out of this directory until the batch is written and applied.
    """

    def __init__(
        self, keys: Iterable[SignerKeyRecord] = (), base: KeyDirectory | None = None
    ) -> None:
        self._packed: dict[bytes, bytes] = {k.kid: pack(k) for k in keys}
        self._base = base
        self._unpacked: dict[bytes, SignerKeyRecord] = {}
        """The last keys asked for, unpacked (at most :data:`UNPACKED_KEPT`)."""

    def restore(self, packed: dict[bytes, bytes]) -> None:
        """Hold the keys ``packed`` (kid -> :func:`pack` of its key, taken as it is) besides
        any held already (a start restores into an empty directory)."""
        if self._packed:
            self._packed.update(packed)
        else:
            self._packed = packed
        self._unpacked.clear()

    def __len__(self) -> int:
        return len(self._packed) + (0 if self._base is None else len(self._base))

    def packed(self, kid: bytes) -> bytes | None:
        """The packed key ``kid`` (:func:`pack`), if enrolled here (not in the base)."""
        return self._packed.get(kid)

    def get(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid``, if any."""
        key = self._unpacked.get(kid)
        if key is not None:
            return key
        packed = self._packed.get(kid)
        if packed is None:
            return None if self._base is None else self._base.get(kid)
        key = unpack(kid, packed)
        self._keep(key)
        return key

    def _keep(self, key: SignerKeyRecord) -> None:
        unpacked = self._unpacked
        unpacked.pop(key.kid, None)
        if len(unpacked) >= UNPACKED_KEPT:
            del unpacked[next(iter(unpacked))]
        unpacked[key.kid] = key

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
            key = replace(key, revoked_at=change.revoked_at, revocation_idx=change.revocation_idx)
        else:
            key = change
        self._packed[key.kid] = pack(key)
        self._keep(key)

    def overlay(self) -> KeyDirectory:
        """A view for one batch whose changes leave this directory alone."""
        return KeyDirectory(base=self)

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """(kid, packed key) of every key, the overlay's over its base's."""
        if self._base is None:
            yield from self._packed.items()
            return
        for kid, packed in self._base.items():
            if kid not in self._packed:
                yield kid, packed
        yield from self._packed.items()

    def all(self) -> list[SignerKeyRecord]:
        """Every enrolled key (unpacked: O(keys), for listings, not per request of a hot path)."""
        return [unpack(kid, packed) for kid, packed in self.items()]

    def of_role(self, role: str) -> list[SignerKeyRecord]:
        """Every key of ``role``, found without unpacking the others."""
        prefix = _role_prefix(role)
        return [
            unpack(kid, packed)
            for kid, packed in self.items()
            if packed.startswith(prefix, _ROLE_AT)
        ]


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
