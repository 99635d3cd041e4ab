"""Enrolled keys, custodial keys and identities: the parts of the store about people.

Mixed into :class:`registry.store.Store`; enrolments and key revocations are
written by ``Store.append_batch`` together with the entries that make them.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import from_row, in_chunks, upsert, values_of
from registry.store.errors import UnknownKey
from registry.store.models import (
    AccessRecord,
    CustodialKeyRecord,
    IdentityRecord,
    SignerKeyRecord,
)
from registry.store.tables import (
    ACCESS_LOG,
    CUSTODIAL_KEYS,
    IDENTITIES,
    SIGNER_KEYS,
    USED_REQUESTS,
)


class KeysMixin:
    """Read enrolled keys; keep custodial keys and identities."""

    _engine: AsyncEngine

    # -- enrolled keys ---------------------------------------------------------------

    async def list_signer_keys(self, *, changed_since: int = 0) -> list[SignerKeyRecord]:
        """Every enrolled key, revoked ones included, in the order they were enrolled.

        With ``changed_since``, only the keys enrolled or revoked by an entry at
        that index or later (what a follower catching up from there needs).
        """
        query = select(SIGNER_KEYS).order_by(SIGNER_KEYS.c.enrolment_idx, SIGNER_KEYS.c.kid)
        if changed_since > 0:
            query = query.where(
                (SIGNER_KEYS.c.enrolment_idx >= changed_since)
                | (SIGNER_KEYS.c.revocation_idx >= changed_since)
            )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [from_row(SignerKeyRecord, row) for row in rows]

    # -- custodial keys --------------------------------------------------------------

    async def get_custodial_key(self, kid: bytes) -> CustodialKeyRecord | None:
        """The custodial key with this kid, or ``None``."""
        async with self._engine.connect() as connection:
            query = select(CUSTODIAL_KEYS).where(CUSTODIAL_KEYS.c.kid == kid)
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(CustodialKeyRecord, row)

    async def put_custodial_key(self, record: CustodialKeyRecord) -> None:
        """Store the custodial key, replacing any with the same kid (counters included)."""
        async with self._engine.begin() as connection:
            await upsert(connection, CUSTODIAL_KEYS, values_of(record), key="kid")

    async def record_custodial_failure(
        self, kid: bytes, *, now_ms: int, max_failures: int, lockout_ms: int
    ) -> CustodialKeyRecord:
        """Count one wrong passphrase, atomically; lock the key at ``max_failures``.

        When the count reaches ``max_failures`` the key is locked until
        ``now_ms + lockout_ms`` and the count starts again from zero (so after
        the lockout the owner has ``max_failures`` tries again).  Returns the
        updated record; raises :class:`UnknownKey` for an unknown kid.
        """
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        reaches_limit = CUSTODIAL_KEYS.c.failed_attempts + 1 >= max_failures
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(CUSTODIAL_KEYS)
                .where(CUSTODIAL_KEYS.c.kid == kid)
                .values(
                    failed_attempts=case(
                        (reaches_limit, 0), else_=CUSTODIAL_KEYS.c.failed_attempts + 1
                    ),
                    locked_until=case(
                        (reaches_limit, now_ms + lockout_ms),
                        else_=CUSTODIAL_KEYS.c.locked_until,
                    ),
                )
                .returning(*CUSTODIAL_KEYS.c)
            )
            row = result.first()
        if row is None:
            raise UnknownKey(f"no custodial key {kid.hex()}")
        return from_row(CustodialKeyRecord, row)

    async def reset_custodial_failures(self, kid: bytes) -> None:
        """Clear the failure count and any lock (after a right passphrase)."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(CUSTODIAL_KEYS)
                .where(CUSTODIAL_KEYS.c.kid == kid)
                .values(failed_attempts=0, locked_until=None)
            )
        if result.rowcount != 1:
            raise UnknownKey(f"no custodial key {kid.hex()}")

    # -- identities ------------------------------------------------------------------

    async def put_identities(self, records: Sequence[IdentityRecord]) -> int:
        """Keep many new identities in one transaction; returns how many were new.

        Commitments already kept (or erased) are left as they are.  An identity has a NIP,
        or at least a name (a public complainant, an ASN whose NIP the complainant did not know).
        """
        if any(
            r.salt is None or (r.nip is None and r.name is None) or r.erased_at is not None
            for r in records
        ):
            raise ValueError("an identity to keep needs a salt and a NIP or name, not erased")
        if not records:
            return 0
        async with self._engine.begin() as connection:
            query = select(IDENTITIES.c.commitment).where(
                IDENTITIES.c.commitment.in_([r.commitment for r in records])
            )
            known = {bytes(c) for c in (await connection.execute(query)).scalars()}
            new = {r.commitment: r for r in records if r.commitment not in known}
            if new:
                await connection.execute(IDENTITIES.insert(), [values_of(r) for r in new.values()])
        return len(new)

    async def get_identity(self, commitment: bytes) -> IdentityRecord | None:
        """The identity behind a commitment (erased ones keep only the commitment)."""
        async with self._engine.connect() as connection:
            query = select(IDENTITIES).where(IDENTITIES.c.commitment == commitment)
            row = (await connection.execute(query)).first()
        return None if row is None else from_row(IdentityRecord, row)

    async def identities_of_nip(self, nip: str) -> list[IdentityRecord]:
        """The unerased identities kept for ``nip`` (one per commitment made of it)."""
        async with self._engine.connect() as connection:
            query = select(IDENTITIES).where(IDENTITIES.c.nip == nip)
            rows = (await connection.execute(query)).all()
        return [from_row(IdentityRecord, row) for row in rows]

    async def nips_of(self, commitments: Sequence[bytes]) -> dict[bytes, str]:
        """The NIP behind each of ``commitments`` that has an unerased identity."""
        found: dict[bytes, str] = {}
        async with self._engine.connect() as connection:
            for chunk in in_chunks(list(dict.fromkeys(commitments))):
                query = select(IDENTITIES.c.commitment, IDENTITIES.c.nip).where(
                    IDENTITIES.c.commitment.in_(chunk), IDENTITIES.c.nip.is_not(None)
                )
                found.update({bytes(c): n for c, n in (await connection.execute(query)).all()})
        return found

    # -- reads of personal data ---------------------------------------------------------

    async def record_access(self, record: AccessRecord) -> None:
        """Add ``record`` to the access log."""
        values = {k: v for k, v in values_of(record).items() if k != "id"}
        async with self._engine.begin() as connection:
            await connection.execute(insert(ACCESS_LOG).values(**values))

    async def list_access(
        self, *, subjects: Sequence[str] = (), kid: bytes | None = None
    ) -> list[AccessRecord]:
        """The access log in order, or the reads of ``subjects`` / by ``kid`` only."""
        query = select(ACCESS_LOG).order_by(ACCESS_LOG.c.id)
        if subjects:
            query = query.where(ACCESS_LOG.c.subject.in_(list(subjects)))
        if kid is not None:
            query = query.where(ACCESS_LOG.c.kid == kid)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [from_row(AccessRecord, row) for row in rows]

    async def erase_identity(self, commitment: bytes, *, now_ms: int) -> bool:
        """Erase the salt, NIP and name behind a commitment, keeping a tombstone.

        Without the salt the commitment in the log can no longer be linked to
        the person (nor found by trying NIPs).  Returns ``True`` if this call
        erased something, ``False`` if the commitment is unknown or was erased.
        """
        async with self._engine.begin() as connection:
            result = await connection.execute(
                update(IDENTITIES)
                .where(IDENTITIES.c.commitment == commitment, IDENTITIES.c.erased_at.is_(None))
                .values(salt=None, nip=None, name=None, erased_at=now_ms)
            )
        return result.rowcount == 1

    async def erase_identities(self, commitments: Sequence[bytes], *, now_ms: int) -> int:
        """Erase the identities behind many commitments in one transaction (all or none).

        As :meth:`erase_identity` for each, but one transaction however many
        there are (they are matched ``IN_LIST_CHUNK`` at a time, within PostgreSQL's
        limit on parameters per statement).  Returns how many this call erased;
        unknown and already erased commitments are left as they are.
        """
        wanted = list(dict.fromkeys(commitments))
        erased = 0
        if not wanted:
            return erased
        async with self._engine.begin() as connection:
            for chunk in in_chunks(wanted):
                result = await connection.execute(
                    update(IDENTITIES)
                    .where(
                        IDENTITIES.c.commitment.in_(chunk),
                        IDENTITIES.c.erased_at.is_(None),
                    )
                    .values(salt=None, nip=None, name=None, erased_at=now_ms)
                )
                erased += result.rowcount
        return erased

    # -- signed requests --------------------------------------------------------------

    async def use_request(self, digest: bytes, *, now_ms: int, expires_at: int) -> bool:
        """Record that the signed request with SHA-256 ``digest`` is used; False if it was.

        Shared by every process on the database, so a request is used once
        in all; rows past ``expires_at`` (when the request could no longer
        be replayed anyway) are dropped on the way.
        """
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(USED_REQUESTS).where(USED_REQUESTS.c.expires_at < now_ms)
            )
            try:
                async with connection.begin_nested():
                    await connection.execute(
                        insert(USED_REQUESTS).values(digest=digest, expires_at=expires_at)
                    )
            except IntegrityError:
                return False
        return True
