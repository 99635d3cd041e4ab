"""Signed reads and erasures of personal data, each recorded in the access log.

Identities (the NIP and name behind a commitment) and a person's track record
are read, and identities erased, only for a request signed by an enrolled key
of a role that may (``registry.compliance.access``), that no process of the
registry has seen before (a replay is refused), and each read is recorded in
the access log: whose, by whom, the request.  Who may read an identity is
decided from the compliance figures (the standing recommendations naming it),
so this reads them through :class:`Figures`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any, Protocol

from registry.compliance.access import (
    ERASE_ROLES,
    MAX_AGE_S,
    TRACK_RECORD_ROLES,
    AccessDenied,
    ReplayGuard,
    denied,
    may_read_identity,
    request_digest,
    require,
    token_of,
    verify_request,
)
from registry.compliance.identities import IdentityErased, IdentityRead, IdentitySource
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.track import find_keys, track_record
from registry.i18n import Message
from registry.store.models import AccessRecord, SignerKeyRecord

log = logging.getLogger(__name__)


class Figures(Protocol):
    """The compliance figures (a :class:`~registry.compliance.service.ComplianceService`)."""

    index: ComplianceIndex

    async def snapshot(self, as_of: str | None = None) -> Snapshot:
        """The figures as of the end of day ``as_of`` (default today), log caught up."""
        ...


class Signers(Protocol):
    """The keys that sign requests (a ``RegistryService``)."""

    def signer(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid``, if any (among the keys held: see load_signer_of)."""
        ...

    async def load_signer_of(self, signed: bytes) -> None:
        """Read the key that signed the COSE_Sign1 ``signed``, so that :meth:`signer` has it."""
        ...


class PersonalData:
    """Signed access to identities and track records (see the module)."""

    def __init__(self, figures: Figures, signers: Signers, identities: IdentitySource) -> None:
        self._figures = figures
        self._log = signers
        self._identities = identities
        self.replay = ReplayGuard()
        """This process's first filter against replayed signed requests."""

    async def read_identity(
        self, authorization: str | None, path: str, commitment: bytes
    ) -> IdentityRead | None:
        """The identity behind ``commitment`` for a signed ``GET path``; None if none is kept.

        Raises :class:`AccessDenied` for a request unsigned, replayed, or
        signed by a key that may not read it (a PPK reads only those named in
        a standing recommendation addressed to it or its instansi), and
        :class:`IdentityErased` once the data were erased.
        """
        snap = await self._figures.snapshot()
        key = await self._signed(authorization, "GET", path)
        index = self._figures.index
        named = [
            rec
            for rec in (index.recs[i] for i in index.by_subject.get(commitment, []))
            if snap.stands(rec.idx, rec.day)
        ]
        allowed = may_read_identity(key, [(r.ppk_kid, r.instansi) for r in named])
        require(allowed, key.role, Message("access.read-identity"))
        identity = await self._identities.read(commitment)
        if identity is None:
            return None
        if identity.erased:
            raise IdentityErased(identity.erased_at)
        log.info("identity %s read by %s (%s)", commitment.hex(), key.kid.hex(), key.role)
        await self._record(key, "identity", path, commitment.hex(), authorization)
        return IdentityRead(
            commitment, identity.nip, identity.name, identity.salt or b"", [r.idx for r in named]
        )

    async def erase_identity(
        self, authorization: str | None, path: str, commitment: bytes
    ) -> int | None:
        """Erase the data behind ``commitment`` for a signed ``DELETE path`` by an admin.

        Returns when it was erased (ms), None if no identity is kept; raises
        :class:`AccessDenied` as :meth:`read_identity` does and
        :class:`IdentityErased` if it was erased before.
        """
        key = await self._signed(authorization, "DELETE", path)
        require(key.role in ERASE_ROLES, key.role, Message("access.erase-identities"))
        now_ms = int(time.time() * 1000)
        if not await self._identities.erase(commitment, now_ms=now_ms):
            identity = await self._identities.read(commitment)
            if identity is None:
                return None
            raise IdentityErased(identity.erased_at)
        log.info("identity %s erased by %s", commitment.hex(), key.kid.hex())
        return now_ms

    async def track_record(
        self,
        authorization: str | None,
        asked: str,
        nip: str | None,
        name: str | None,
        instansi: str | None,
        as_of: str | None = None,
    ) -> tuple[Snapshot, dict[str, Any] | None]:
        """A person's track record for a signed ``GET asked`` (path and query, as signed)
        by a key of a role in :data:`TRACK_RECORD_ROLES`; the read is recorded in the
        access log (whose, by whom, the request), found or not.

        Raises :class:`AccessDenied` as :meth:`read_identity` does.
        """
        key = await self._signed(authorization, "GET", asked)
        require(key.role in TRACK_RECORD_ROLES, key.role, Message("access.read-track-record"))
        subject = nip if nip is not None else f"{name} @ {instansi}"
        snap = await self._figures.snapshot(as_of)
        commitments = (
            frozenset(i.commitment for i in await self._identities.of_nip(nip))
            if nip is not None
            else frozenset()
        )
        if nip is None:  # found by name: whose it is, so the person finds it by their NIP
            named = [k.nip_commitment for k in find_keys(snap, None, name, instansi)]
            subject = next((c.hex() for c in reversed(named) if c is not None), subject)
            commitments = await self._commitments_of_keys(named)
        record = track_record(snap, nip, name, instansi, commitments)
        if record is not None and record["name"] is None and nip is not None:
            kept = await self._identities.of_nip(nip)
            record["name"] = next((i.name for i in kept if i.name), None)
        await self._record(key, "track-record", asked, subject, authorization)
        return snap, record

    async def _commitments_of_keys(self, named: list[bytes | None]) -> frozenset[bytes]:
        """Every commitment kept for the NIPs behind the enrolment commitments ``named``
        (so a person found by name is matched with the reports naming them too)."""
        found: set[bytes] = set()
        for commitment in {c for c in named if c is not None}:
            identity = await self._identities.read(commitment)
            if identity is not None and identity.nip is not None:
                found |= {i.commitment for i in await self._identities.of_nip(identity.nip)}
        return frozenset(found)

    async def _record(
        self, key: SignerKeyRecord, what: str, asked: str, subject: str, authorization: str | None
    ) -> None:
        await self._identities.record_access(
            AccessRecord(
                at_ms=int(time.time() * 1000),
                kid=key.kid,
                role=key.role,
                what=what,
                asked=asked,
                subject=subject,
                request=token_of(authorization),
            )
        )

    async def signed_request(
        self, authorization: str | None, method: str, path: str
    ) -> SignerKeyRecord:
        """The enrolled key that signed ``method path`` (``Authorization: Registry-Signed``),
        used once across processes; :class:`AccessDenied` otherwise (the caller checks roles)."""
        return await self._signed(authorization, method, path)

    async def _signed(self, authorization: str | None, method: str, path: str) -> SignerKeyRecord:
        """The key that signed this request, which no process has seen used before."""
        with contextlib.suppress(AccessDenied):  # verify_request says why it is not one
            await self._log.load_signer_of(token_of(authorization))
        key = verify_request(authorization, method, path, self._log.signer, self.replay)
        now_ms = int(time.time() * 1000)
        if not await self._identities.use_request(
            request_digest(authorization), now_ms=now_ms, expires_at=now_ms + 2 * MAX_AGE_S * 1000
        ):
            raise denied("replayed-request")
        return key
