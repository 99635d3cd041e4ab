"""The personal data behind subject commitments, and the record of signed requests used.

Reports and recommendations name an ASN only by ``SHA-256(salt || NIP)``; the
salt, NIP and name are kept beside the log in the store, readable by signed
request only (``registry.compliance.access``) and erasable, after which only
the commitment remains.  :class:`Identities` is the one way the rest of the
registry reaches them: the compliance API reads and erases, imports and the
demo keep them, and a batch refused after its identities were kept erases
them again (:meth:`Identities.kept_for`), so a logged commitment always has
its identity behind it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from registry.records.errors import BatchRefused
from registry.store.migrate import upgrade
from registry.store.models import AccessRecord, IdentityRecord
from registry.store.repository import Store

IDENTITY_CHUNK = 5_000
"""Identities per insert: PostgreSQL takes at most 32,767 parameters in one statement."""

T = TypeVar("T")


class Person(Protocol):
    """Who a commitment names: ``commitment = SHA-256(salt || NIP)``, and their name."""

    @property
    def commitment(self) -> bytes:
        """The subject commitment the log holds."""
        ...

    @property
    def salt(self) -> bytes | None:
        """The salt hashed with the NIP."""
        ...

    @property
    def nip(self) -> str | None:
        """The NIP (Nomor Induk Pegawai)."""
        ...

    @property
    def name(self) -> str | None:
        """The person's name."""
        ...


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Identities:
    """Identities by commitment, and signed requests used once (shared by every process)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def read(self, commitment: bytes) -> IdentityRecord | None:
        """The identity behind ``commitment`` (erased ones too, without their data), if any."""
        return await self._store.get_identity(commitment)

    async def erase(self, commitment: bytes, *, now_ms: int) -> bool:
        """Erase the personal data behind ``commitment``; False if unknown or already erased."""
        return await self._store.erase_identity(commitment, now_ms=now_ms)

    async def keep(self, people: Sequence[Person]) -> None:
        """Keep the identities of ``people`` (in chunks: one insert each)."""
        identities = [_record(p) for p in people]
        for start in range(0, len(identities), IDENTITY_CHUNK):
            await self._store.put_identities(identities[start : start + IDENTITY_CHUNK])

    async def of_nip(self, nip: str) -> list[IdentityRecord]:
        """The unerased identities kept for ``nip`` (one per commitment made of it)."""
        return await self._store.identities_of_nip(nip)

    async def nips_of(self, commitments: Sequence[bytes]) -> dict[bytes, str]:
        """The NIP behind each of ``commitments`` still kept."""
        return await self._store.nips_of(commitments)

    async def record_access(self, record: AccessRecord) -> None:
        """Add a read of personal data to the access log."""
        await self._store.record_access(record)

    async def access_log(
        self, *, subjects: Sequence[str] = (), kid: bytes | None = None
    ) -> list[AccessRecord]:
        """The reads of personal data recorded, or those of ``subjects`` / by ``kid``."""
        return await self._store.list_access(subjects=subjects, kid=kid)

    async def use_request(self, digest: bytes, *, now_ms: int, expires_at: int) -> bool:
        """Record the signed request with SHA-256 ``digest`` as used; False if it was already."""
        return await self._store.use_request(digest, now_ms=now_ms, expires_at=expires_at)

    async def kept_for(
        self,
        people: Sequence[Person],
        statements: Sequence[bytes],
        register: Callable[[], Awaitable[T]],
    ) -> T:
        """Keep the identities of ``people``, then ``register()`` the ``statements`` naming them.

        If the registration is refused (:class:`BatchRefused`), or fails before
        the first statement reached the log, the identities kept here are
        erased again, all in one transaction, and the error goes on.
        """
        identities = [_record(p) for p in people]
        added: list[bytes] = []
        try:
            for start in range(0, len(identities), IDENTITY_CHUNK):
                chunk = identities[start : start + IDENTITY_CHUNK]
                await self._store.put_identities(chunk)
                added.extend(i.commitment for i in chunk)
            return await register()
        except BatchRefused:
            await self._forget(added)
            raise
        except Exception:
            first = [hashlib.sha256(statements[0]).digest()] if statements else []
            if not await self._store.find_indexes_by_statement_sha256(first):
                await self._forget(added)
            raise

    async def _forget(self, commitments: Sequence[bytes]) -> None:
        if commitments:
            await self._store.erase_identities(commitments, now_ms=_now_ms())


def _record(person: Person) -> IdentityRecord:
    if isinstance(person, IdentityRecord):
        return person
    return IdentityRecord(person.commitment, person.salt, person.nip, person.name)


async def keep_identity(database_url: str, person: Person) -> None:
    """Keep one identity in the registry database at ``database_url`` (brought up to date
    first: the command line may run before the server ever did)."""
    await upgrade(database_url)
    async with Store.open(database_url) as store:
        await Identities(store).keep([person])


async def read_access_log(
    database_url: str, *, nip: str | None = None, kid: bytes | None = None
) -> list[AccessRecord]:
    """The reads of personal data recorded in the database at ``database_url``: all, or those
    of the person with ``nip`` (by NIP, and by each commitment kept for it), or by ``kid``."""
    await upgrade(database_url)
    async with Store.open(database_url) as store:
        subjects: list[str] = []
        if nip is not None:
            subjects = [nip, *(i.commitment.hex() for i in await store.identities_of_nip(nip))]
        return await store.list_access(subjects=subjects, kid=kid)
