"""Public complaints held until an institution decides: filed, received into the log, or rejected.

A complaint (registry/records/complaint_form.py) waits in the store, never in
the log, with a receipt number the complainant follows at
``/complaints/{number}``.  Bawaslu or the recommending authority (roles
:data:`DECIDING_ROLES`) then either

- receives it: signs the ``report`` it becomes (:func:`report_payload`, byte for
  byte what was filed; ``registry complaints receive``) and sends it to
  ``POST /api/complaints/{number}/receive``; it is registered like any statement
  and the complaint records its entry; or
- rejects it: signs a ``complaint-rejection`` statement ``{type, complaint,
  reason}`` (never logged) sent to ``POST /api/complaints/{number}/reject``; the
  identities kept behind its commitments are erased, since nothing names them.

Each decision moves the complaint out of ``pending`` in one conditional update,
so a complaint is received (or rejected) once, however many try at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from registry.i18n import Message
from registry.records.complaint_form import file_complaint, new_number, read_number, report_payload
from registry.records.errors import NotFound, RegistrationRefused, refused
from registry.records.identities import Identities
from registry.records.personal import found_in_text
from registry.records.queued import Registered
from registry.store.models import ComplaintRecord, SignerKeyRecord
from registry.store.repository import Store
from registry.verify.cose import parse_sign1
from registry.verify.statement import Statement, verify_statement

DECIDING_ROLES = frozenset({"bawaslu", "recommender"})
"""Who receives or rejects a complaint (DESIGN.md: a report is theirs to sign)."""
REJECTION_TYPE = "complaint-rejection"
MAX_PENDING = 10_000
"""Complaints waiting at once; past it the form asks the public to come back later."""
REASON_MAX = 500

Register = Callable[[bytes], Awaitable[Registered]]
Signer = Callable[[bytes], Awaitable[SignerKeyRecord | None]]


def _refused(code: str, status: int, **params: Any) -> RegistrationRefused:
    return refused(code, f"complaint.{code}", status, **params)


@dataclass(frozen=True)
class Complaint:
    """A held complaint as its status page and the deciding institutions see it."""

    record: ComplaintRecord

    @property
    def fields(self) -> dict[str, Any]:
        """The report-to-be (commitments as hex)."""
        found: dict[str, Any] = json.loads(self.record.fields)
        return found

    def status(self) -> dict[str, Any]:
        """What anyone holding the number may see: status, when, and the decision."""
        record = self.record
        shown = "pending" if record.status == "receiving" else record.status
        return {
            "number": record.number,
            "status": shown,
            "filed_at": record.filed_at,
            "entry": record.entry,
            "url": None if record.entry is None else f"/v/{record.entry}",
            "reason": record.reason,
            "decided_at": record.decided_at,
        }

    def held(self) -> dict[str, Any]:
        """What a deciding institution sees: the status and the report-to-be."""
        return {**self.status(), "report": self.fields}


def number_of(text: str) -> str:
    """The receipt number ``text`` as kept; refused (400 ``bad-complaint-number``) if it is
    no receipt number (a forged or mistyped one fails its check symbol)."""
    number = read_number(text)
    if number is None:
        raise _refused("bad-complaint-number", 400, number=text[:64])
    return number


class Complaints:
    """The complaints of one registry: ``store`` holds them, ``identities`` the personal data
    behind their commitments, ``register`` logs a received one, ``signer`` finds a key."""

    def __init__(
        self, store: Store, identities: Identities, register: Register, signer: Signer
    ) -> None:
        self._store, self._identities = store, identities
        self._register, self._signer = register, signer

    async def file(
        self, data: Any, elections: Collection[str], now_ms: int | None = None
    ) -> Complaint:
        """Hold the complaint ``data`` (see :func:`file_complaint`) under a new number;
        its election must be one of ``elections``, the ones the registry registers now."""
        if await self._store.count_complaints("pending") >= MAX_PENDING:
            raise _refused("too-many-complaints", 503)
        number = new_number()
        filed = file_complaint(data, number, elections)
        record = ComplaintRecord(
            number=number,
            filed_at=int(time.time() * 1000) if now_ms is None else now_ms,
            status="pending",
            fields=json.dumps(filed.fields, sort_keys=True, ensure_ascii=False),
        )
        await self._identities.keep(filed.people)
        await self._store.put_complaint(record)
        return Complaint(record)

    async def get(self, text: str) -> Complaint:
        """The complaint with receipt number ``text``: refused if it is no receipt number,
        :class:`NotFound` if none was filed under it."""
        number = number_of(text)
        record = await self._store.get_complaint(number)
        if record is None:
            raise NotFound(Message("notfound.complaint", {"number": number}))
        return Complaint(record)

    async def pending(self, limit: int = 100, offset: int = 0) -> list[Complaint]:
        """The complaints waiting for a decision, oldest first."""
        found = await self._store.list_complaints("pending", limit, offset)
        return [Complaint(r) for r in found]

    async def _decider(self, statement: bytes, kind: str) -> Statement:
        """The verified ``statement`` of type ``kind`` by a key that may decide, now."""
        parsed = parse_sign1(statement, canonical=False)
        kid = parsed.value.kid if parsed.ok and parsed.value is not None else None
        key = None if kid is None else await self._signer(kid)

        def public_key(wanted: bytes) -> bytes | None:
            return key.public_key if key is not None and wanted == key.kid else None

        verdict = verify_statement(statement, public_key)
        if not verdict.ok or verdict.value is None:
            raise _refused("bad-complaint-statement", 400, why=verdict.detail or "")
        verified = verdict.value
        now_ms = int(time.time() * 1000)
        if key is None or key.role not in DECIDING_ROLES:
            raise _refused("wrong-role", 403, role=key.role if key else "?")
        if key.revoked_at is not None and key.revoked_at <= now_ms:
            raise _refused("bad-complaint-statement", 400, why="the key is revoked")
        if not key.valid_from <= now_ms < key.valid_until:
            raise _refused("bad-complaint-statement", 400, why="outside the key's term")
        if verified.statement_type != kind or verified.payload.get("type") != kind:
            raise _refused("bad-complaint-statement", 400, why=f"the type must be {kind}")
        return verified

    async def receive(self, text: str, statement: bytes) -> tuple[Complaint, Registered]:
        """Log complaint ``text`` as the ``report`` ``statement`` (which must be exactly
        :func:`report_payload` of it, signed by a deciding key) and record its entry."""
        complaint = await self.get(text)
        verified = await self._decider(statement, "report")
        if verified.payload != report_payload(complaint.fields):
            raise _refused("complaint-mismatch", 400)
        number = complaint.record.number
        if not await self._store.move_complaint(number, "pending", "receiving"):
            raise _refused("complaint-decided", 409, now=complaint.status()["status"])
        try:
            registered = await self._register(statement)
        except BaseException:
            await self._store.move_complaint(number, "receiving", "pending")
            raise
        await self._store.move_complaint(
            number,
            "receiving",
            "received",
            entry=registered.index,
            decided_at=int(time.time() * 1000),
            decided_by=verified.kid,
        )
        return await self.get(number), registered

    async def reject(self, text: str, statement: bytes) -> Complaint:
        """Reject complaint ``text`` for the reason a deciding key signed in ``statement``
        (``{type: complaint-rejection, complaint: number, reason}``); the identities
        behind its commitments are erased (no entry names them)."""
        complaint = await self.get(text)
        verified = await self._decider(statement, REJECTION_TYPE)
        payload = verified.payload
        reason = payload.get("reason")
        if payload.get("complaint") != complaint.record.number:
            raise _refused("complaint-mismatch", 400)
        if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX:
            raise _refused("bad-complaint-statement", 400, why="a reason of 1 to 500 characters")
        if found_in_text(reason) is not None:
            raise _refused("bad-complaint-statement", 400, why="personal data in the reason")
        now_ms = int(time.time() * 1000)
        moved = await self._store.move_complaint(
            complaint.record.number,
            "pending",
            "rejected",
            reason=reason.strip(),
            decided_at=now_ms,
            decided_by=verified.kid,
        )
        if not moved:
            raise _refused("complaint-decided", 409, now=complaint.status()["status"])
        for name in ("subject_commitment", "reporter_commitment"):
            await self._identities.erase(bytes.fromhex(complaint.fields[name]), now_ms=now_ms)
        return await self.get(complaint.record.number)


def rejection_payload(number: str, reason: str) -> dict[str, Any]:
    """The statement a deciding institution signs to reject complaint ``number``."""
    return {"type": REJECTION_TYPE, "complaint": number, "reason": reason}
