"""What the log says about keys and entries, in memory: who may sign, and what no longer stands.

Both are derived at start from the log's own entries (``registry.records.derived``),
never read from the tables the database keeps beside them, and updated per batch.

Every process keeps every enrolled key (a national registry enrols up to 4.3
million ASN), so a key is kept as one **compact row** of :data:`ROW` (93
bytes): its kid, public key, enrolment and revocation entry indexes, revocation
time, and its role and instansi as small codes into tables of the distinct ones.
The rows restored at start sit in one sorted ``bytes`` object (found by binary
search, no Python object a key); rows changed since sit in a dictionary.  That
is what a signature's check (the public key), an entry's instansi check and a
listing by role need.  The **full record** (name, jabatan, term, decree...) is
read when asked for (:meth:`KeyDirectory.load`): the key's enrolment entry is
read from the log, checked against the tree (an entry edited in the database
raises :class:`~registry.records.errors.TamperedEntry` with the evidence) and
decoded as the start derives it; the last :data:`LOADED_KEPT` are kept.
:meth:`KeyDirectory.get` answers only keys loaded (it raises
:class:`KeyNotLoaded` for one enrolled but not loaded: a caller forgot to
:meth:`~KeyDirectory.load` it first, never "not enrolled").
"""

from __future__ import annotations

import bisect
import heapq
import struct
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from registry.records.errors import TamperedEntry
from registry.store.models import (
    KeyChange,
    KeyRevocationRecord,
    RevokedEntryRecord,
    SignerKeyRecord,
)

ROW = struct.Struct(">32s32sQQqBI")
"""A compact key: kid, public key, enrolment index, revocation index (:data:`NONE_IDX`:
none), revoked at in ms (:data:`NONE_AT`: not revoked), role code, instansi code."""
KID = 32
NONE_IDX = 2**64 - 1
NONE_AT = -(2**63)

LOADED_KEPT = 4096
"""Full records kept, the last asked for (the signers registering now; about 4 MB)."""

Reader = Callable[
    [list[tuple[bytes, int]]], Awaitable[dict[bytes, "SignerKeyRecord | TamperedEntry"]]
]
"""Reads the full records of keys ((kid, enrolment index) pairs) from their enrolment entries,
checked, in one go: each kid's record, or why its entry failed the check."""


class KeyNotLoaded(LookupError):
    """A key enrolled but whose full record was not loaded (:meth:`KeyDirectory.load`) first."""


@dataclass(frozen=True)
class KeyFacts:
    """What a compact row holds of a key."""

    kid: bytes
    public_key: bytes
    enrolment_idx: int
    revocation_idx: int | None
    revoked_at: int | None
    role: str
    instansi: str


class Codes:
    """Distinct strings (roles, instansi) and their small codes, shared by a directory's views."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: list[str] = list(names)
        self._codes = {name: code for code, name in enumerate(self.names)}

    def code(self, name: str) -> int:
        found = self._codes.get(name)
        if found is None:
            found = self._codes[name] = len(self.names)
            self.names.append(name)
        return found


class _Kids:
    """The kids of a sorted block of rows, as a sequence for :mod:`bisect`."""

    def __init__(self, rows: bytes) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows) // ROW.size

    def __getitem__(self, i: int) -> bytes:
        at = i * ROW.size
        return self.rows[at : at + KID]


class KeyDirectory:
    """Enrolled keys by kid, each a compact row; full records read on demand.

    :meth:`overlay` gives a batch its own view: changes made to the overlay
    (an enrolment early in a batch, used by a later statement of that batch)
    stay out of this directory until the batch is written and applied.
    """

    def __init__(
        self, keys: Iterable[SignerKeyRecord] = (), base: KeyDirectory | None = None
    ) -> None:
        self._base = base
        self.roles: Codes = Codes() if base is None else base.roles
        self.instansi: Codes = Codes() if base is None else base.instansi
        self._sorted = b""
        """Rows restored at start, sorted by kid (none in an overlay)."""
        self._changed: dict[bytes, bytes] = {}
        """Rows enrolled or changed since (in an overlay: by its batch)."""
        self._own: dict[bytes, SignerKeyRecord] = {}
        """Full records this overlay enrolled or read (the root keeps its own in ``_loaded``)."""
        self._loaded: dict[bytes, SignerKeyRecord] = {}
        """The root's last full records asked for (at most :data:`LOADED_KEPT`)."""
        self.reader: Reader | None = None
        """Reads full records from the log (set on the root once the tree is checked)."""
        self.pinned_roles: frozenset[str] = frozenset()
        """Roles whose full records are all held, never dropped (:meth:`pin_roles`)."""
        self._pinned: dict[bytes, SignerKeyRecord] = {}
        self.refused: dict[bytes, TamperedEntry] = {}
        """Why the last read of a key's enrolment entry failed (it was edited), by kid."""
        for key in keys:
            self.apply(key)

    # -- compact rows ------------------------------------------------------------------------

    def _root(self) -> KeyDirectory:
        directory = self
        while directory._base is not None:
            directory = directory._base
        return directory

    def row(self, kid: bytes) -> bytes | None:
        """The compact row of ``kid`` (:data:`ROW`), if enrolled."""
        directory: KeyDirectory | None = self
        while directory is not None:
            found = directory._changed.get(kid)
            if found is not None:
                return found
            rows = directory._sorted
            if rows:
                kids = _Kids(rows)
                i = bisect.bisect_left(kids, kid)
                if i < len(kids) and kids[i] == kid:
                    return rows[i * ROW.size : (i + 1) * ROW.size]
            directory = directory._base
        return None

    def __contains__(self, kid: object) -> bool:
        return isinstance(kid, bytes) and self.row(kid) is not None

    def facts(self, kid: bytes) -> KeyFacts | None:
        """What the compact row of ``kid`` holds, if enrolled."""
        row = self.row(kid)
        return None if row is None else self._facts(row)

    def _facts(self, row: bytes) -> KeyFacts:
        kid, public, enrolled, revocation, at, role, instansi = ROW.unpack(row)
        return KeyFacts(
            kid,
            public,
            enrolled,
            None if revocation == NONE_IDX else revocation,
            None if at == NONE_AT else at,
            self.roles.names[role],
            self.instansi.names[instansi],
        )

    def _row_of(self, key: SignerKeyRecord) -> bytes:
        if len(key.kid) != KID or len(key.public_key) != KID:
            raise ValueError("a kid is a SHA-256 and a public key Ed25519's 32 bytes")
        return ROW.pack(
            key.kid,
            key.public_key,
            key.enrolment_idx,
            NONE_IDX if key.revocation_idx is None else key.revocation_idx,
            NONE_AT if key.revoked_at is None else key.revoked_at,
            self.roles.code(key.role),
            self.instansi.code(key.instansi),
        )

    def public_key(self, kid: bytes) -> bytes | None:
        """The raw public key of ``kid`` if enrolled (revoked too: the policy decides)."""
        row = self.row(kid)
        return None if row is None else row[KID : 2 * KID]

    def instansi_of(self, kid: bytes) -> str | None:
        """The instansi ``kid`` was enrolled for, if enrolled."""
        facts = self.facts(kid)
        return None if facts is None else facts.instansi

    def __len__(self) -> int:
        return sum(1 for _ in self.rows())

    def rows(self) -> Iterator[bytes]:
        """Every compact row, the overlay's over its base's (not sorted)."""
        if self._base is not None:
            for row in self._base.rows():
                if row[:KID] not in self._changed:
                    yield row
        else:
            rows, size = self._sorted, ROW.size
            for at in range(0, len(rows), size):
                row = rows[at : at + size]
                if row[:KID] not in self._changed:
                    yield row
        yield from self._changed.values()

    def sorted_rows(self) -> bytes:
        """Every compact row, sorted by kid, in one ``bytes`` (what a snapshot saves): the
        restored rows merged with those changed since, one row at a time (no list of them)."""
        if self._base is not None:
            return b"".join(sorted(self.rows()))
        changed, rows, size = self._changed, self._sorted, ROW.size
        kept = (
            rows[at : at + size]
            for at in range(0, len(rows), size)
            if rows[at : at + KID] not in changed
        )
        merged = bytearray()
        for row in heapq.merge(kept, sorted(changed.values())):
            merged += row
        return bytes(merged)

    def restore(self, rows: bytes, roles: list[str], instansi: list[str]) -> None:
        """Hold the sorted compact ``rows`` (as :meth:`sorted_rows` gave them) and the codes
        they use, in an empty directory (a start restores its snapshot)."""
        if self._sorted or self._changed or self._base is not None:
            raise ValueError("rows are restored into an empty directory")
        if len(rows) % ROW.size:
            raise ValueError("the rows are not whole")
        self.roles, self.instansi, self._sorted = Codes(roles), Codes(instansi), rows
        self._loaded.clear()

    def kids_of_role(self, role: str) -> list[bytes]:
        """The kids of every key of ``role`` (revoked ones too), from the compact rows."""
        code = self.roles._codes.get(role)
        at = ROW.size - 5
        if code is None:
            return []
        wanted = bytes([code])
        return [row[:KID] for row in self.rows() if row[at : at + 1] == wanted]

    # -- full records --------------------------------------------------------------------------

    def _held(self, kid: bytes) -> SignerKeyRecord | None:
        directory: KeyDirectory | None = self
        while directory is not None:
            found = (
                directory._own.get(kid) or directory._loaded.get(kid) or directory._pinned.get(kid)
            )
            if found is not None:
                return found
            directory = directory._base
        return None

    def get(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid`` as it stands (revoked too), ``None`` if not enrolled;
        raises :class:`KeyNotLoaded` if enrolled and not :meth:`load`-ed."""
        row = self.row(kid)
        if row is None:
            return None
        key = self._held(kid)
        if key is None:
            refused = self._root().refused.get(kid)
            if refused is not None:
                raise refused
            raise KeyNotLoaded(kid.hex())
        facts = self._facts(row)
        if (key.revoked_at, key.revocation_idx) != (facts.revoked_at, facts.revocation_idx):
            key = replace(key, revoked_at=facts.revoked_at, revocation_idx=facts.revocation_idx)
        return key

    def hold(self, keys: Iterable[SignerKeyRecord]) -> None:
        """In an overlay, keep the full records ``keys`` (read before) for the overlay's life,
        whatever other reads drop from the root's kept records meanwhile."""
        if self._base is not None:
            for key in keys:
                self._own[key.kid] = key

    def held(self, kid: bytes) -> SignerKeyRecord | None:
        """As :meth:`get`, ``None`` for a key enrolled but not loaded (or whose enrolment entry
        failed its check)."""
        try:
            return self.get(kid)
        except (KeyNotLoaded, TamperedEntry):
            return None

    async def load(self, kids: Iterable[object]) -> None:
        """Read the full records of those of ``kids`` enrolled and not held, from their
        enrolment entries, checked: a key whose entry was edited in the database is not
        loaded, and :meth:`get` then raises the read's
        :class:`~registry.records.errors.TamperedEntry` (with its evidence) for it."""
        root = self._root()
        wanted: list[tuple[bytes, int]] = []
        for kid in dict.fromkeys(kids):
            if not isinstance(kid, bytes) or self._held(kid) is not None:
                continue
            row = self.row(kid)
            if row is not None:
                wanted.append((kid, self._facts(row).enrolment_idx))
        if not wanted:
            return
        if root.reader is None:
            raise KeyNotLoaded(f"{wanted[0][0].hex()}: no reader of enrolment entries")
        for at in range(0, len(wanted), LOADED_KEPT // 2):
            for kid, found in (await root.reader(wanted[at : at + LOADED_KEPT // 2])).items():
                if isinstance(found, TamperedEntry):
                    root.refused[kid] = found
                else:
                    root.refused.pop(kid, None)
                    root._keep(found)
                    self.hold([found])

    async def loaded(self, kids: Iterable[bytes]) -> list[SignerKeyRecord]:
        """The full records of ``kids`` (each enrolled), read as :meth:`load` reads them."""
        wanted = list(kids)
        found: list[SignerKeyRecord] = []
        for at in range(0, len(wanted), LOADED_KEPT // 2):
            chunk = wanted[at : at + LOADED_KEPT // 2]
            await self.load(chunk)
            found.extend(key for key in map(self.get, chunk) if key is not None)
        return found

    async def pin_roles(self, *roles: str) -> None:
        """Hold the full records of every key of ``roles`` from now on (the operator's few
        admin keys, which the transparency configuration lists on every page)."""
        self.pinned_roles = self.pinned_roles | set(roles)
        for role in roles:
            kids = self.kids_of_role(role)
            await self.load(kids)
            for kid in kids:
                key = self._loaded.pop(kid, None)
                if key is not None:
                    self._pinned[kid] = key

    def held_of_role(self, role: str) -> list[SignerKeyRecord]:
        """Every key of a role :meth:`pin_roles` pinned, as it stands: from the pinned records
        (and those whose enrolment entry failed its check, for which :meth:`get` raises),
        without a pass over every row (an anonymous GET of the transparency configuration)."""
        root = self._root()
        if role not in root.pinned_roles:
            raise KeyNotLoaded(f"the keys of {role} are not pinned")
        kids = [kid for kid, key in root._pinned.items() if key.role == role]
        kids += [kid for kid in root.refused if (facts := self.facts(kid)) and facts.role == role]
        return [key for key in map(self.get, kids) if key is not None]

    def _keep(self, key: SignerKeyRecord) -> None:
        if key.role in self.pinned_roles:
            self._pinned[key.kid] = key
            return
        kept = self._loaded
        kept.pop(key.kid, None)
        if len(kept) >= LOADED_KEPT:
            del kept[next(iter(kept))]
        kept[key.kid] = key

    def apply(self, change: KeyChange) -> None:
        """Apply an enrolment or a revocation."""
        if isinstance(change, KeyRevocationRecord):
            row = self.row(change.kid)
            if row is None:
                raise KeyError(f"cannot revoke unknown key {change.kid.hex()}")
            kid, public, enrolled, _, _, role, instansi = ROW.unpack(row)
            self._changed[kid] = ROW.pack(
                kid, public, enrolled, change.revocation_idx, change.revoked_at, role, instansi
            )
            return
        self._changed[change.kid] = self._row_of(change)
        if self._base is None:
            self._keep(change)
        else:
            self._own[change.kid] = change

    def overlay(self) -> KeyDirectory:
        """A view for one batch whose changes leave this directory alone."""
        return KeyDirectory(base=self)

    async def all(self) -> list[SignerKeyRecord]:
        """Every enrolled key, read in full (O(keys) entry reads: for listings, not per request
        of a hot path)."""
        return await self.loaded(row[:KID] for row in self.rows())

    async def of_role(self, role: str) -> list[SignerKeyRecord]:
        """Every key of ``role``, found by the compact rows, read in full."""
        return await self.loaded(self.kids_of_role(role))


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
