"""Enrolment requests: a signer whose key a browser made asks to be enrolled; the operator approves.

A request is a COSE_Sign1 statement of type ``enrolment-request`` signed by the
key to be enrolled (proof that the requester holds it), whose payload is an
enrolment's fields (``public_key``, ``role`` ``ppk`` or ``asn``, ``name``,
``jabatan``, ``instansi``, decree and term).  It is kept pending in the store,
never in the log.  The operator lists the pending requests and approves one
(``registry enrolment approve ID``): the admin key signs the ``enrolment``
statement, which is registered like any other; the request then records the
entry it became.  Requests are kept as one document in the registry's facts
(``registry_meta``), at most :data:`MAX_PENDING` pending at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from registry.config import Settings
from registry.i18n import Message
from registry.records.errors import NotFound, RegistrationRefused
from registry.records.schemas import RecordError, record_payload
from registry.records.text_form import parse_record_fields
from registry.store.migrate import upgrade
from registry.store.repository import Store
from registry.verify.canonical import decode_canonical
from registry.verify.cbor import MAX_CBOR_SIZE
from registry.verify.cose import key_id, parse_sign1
from registry.verify.statement import verify_statement
from registry.verify.trust import b64url, unb64url

REQUEST_TYPE = "enrolment-request"
META_NAME = "enrolment-requests"
MAX_PENDING = 500
ROLES = frozenset({"ppk", "asn"})
"""The roles a signer may ask for; admins and institutions are enrolled by the operator."""


@dataclass(frozen=True)
class EnrolmentRequest:
    """A request as kept: its id (the kid's first 16 hex digits), the enrolment's fields
    (binary as base64url), when it came, and the entry it became once approved."""

    id: str
    kid: str
    fields: dict[str, Any]
    requested_at: int
    enrolment: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The request as the API and the command line show it."""
        return {
            "id": self.id,
            "kid": self.kid,
            "status": "pending" if self.enrolment is None else "approved",
            "enrolment": self.enrolment,
            "requested_at": self.requested_at,
            **{k: v for k, v in self.fields.items() if k != "type"},
        }

    def enrolment_payload(self) -> dict[str, Any]:
        """The ``enrolment`` record the admin signs to approve it."""
        fields = dict(self.fields) | {"type": "enrolment"}
        fields["public_key"] = unb64url(fields["public_key"])
        return record_payload(parse_record_fields(fields))


def _refused(code: str, detail: str) -> RegistrationRefused:
    return RegistrationRefused(
        code,
        Message("enrolment-request.refused.title"),
        Message(f"enrolment-request.{code}", {"why": detail}),
    )


def read_request(statement: bytes) -> dict[str, Any]:
    """The enrolment's fields of a request, once its signature by the key it names holds.

    Raises :class:`RegistrationRefused` (``bad-enrolment-request``) for a request that is
    not a statement signed by its own key, and :class:`RecordError` for fields that would
    not make an enrolment.
    """
    parsed = parse_sign1(statement, "enrolment request")
    if not parsed.ok or parsed.value is None or parsed.value.payload is None:
        raise _refused("bad-enrolment-request", parsed.detail or "not a COSE_Sign1 statement")
    body = decode_canonical(parsed.value.payload, "payload", MAX_CBOR_SIZE)
    payload = body.value if body.ok else None
    public = payload.get("public_key") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or not isinstance(public, bytes) or len(public) != 32:
        raise _refused("bad-enrolment-request", "the payload names no 32-byte public_key")
    verified = verify_statement(statement, {key_id(public): public})
    if not verified.ok or verified.value is None:
        raise _refused("bad-enrolment-request", verified.detail or "the signature does not hold")
    if verified.value.statement_type != REQUEST_TYPE or payload.get("type") != REQUEST_TYPE:
        raise _refused("bad-enrolment-request", f"the statement type must be {REQUEST_TYPE}")
    if payload.get("role") not in ROLES:
        raise _refused("bad-enrolment-request", "the role asked for must be ppk or asn")
    if "nip" in payload or "nip_commitment" in payload:
        # A NIP is personal data (never in the log); its commitment needs a salt the
        # operator keeps: the operator adds it when enrolling, not the requester.
        raise _refused("bad-enrolment-request", "a request carries no nip nor nip_commitment")
    fields = dict(payload) | {"type": "enrolment"}
    return record_payload(parse_record_fields(fields))


class EnrolmentRequests:
    """The pending and approved enrolment requests of a registry (in ``store``).

    Changes are taken one at a time within this object; keep one per process.
    """

    def __init__(self, store: Store, max_pending: int = MAX_PENDING) -> None:
        self._store = store
        self._max_pending = max_pending
        self._lock = asyncio.Lock()

    async def all(self) -> list[EnrolmentRequest]:
        """Every request kept, oldest first."""
        text = await self._store.get_meta(META_NAME)
        kept: dict[str, dict[str, Any]] = json.loads(text) if text else {}
        found = [EnrolmentRequest(**value) for value in kept.values()]
        return sorted(found, key=lambda r: (r.requested_at, r.id))

    async def get(self, request_id: str) -> EnrolmentRequest:
        """The request ``request_id``; :class:`NotFound` if none."""
        for request in await self.all():
            if request.id == request_id:
                return request
        raise NotFound(Message("notfound.enrolment-request", {"id": request_id}))

    async def submit(self, statement: bytes, now_ms: int | None = None) -> EnrolmentRequest:
        """Keep a request (see :func:`read_request`); the same key asking again replaces it."""
        enrolment = read_request(statement)
        public = enrolment["public_key"]
        kid = key_id(public).hex()
        fields = dict(enrolment) | {"public_key": b64url(public)}
        request = EnrolmentRequest(
            id=kid[:16],
            kid=kid,
            fields=fields,
            requested_at=int(time.time() * 1000) if now_ms is None else now_ms,
        )
        async with self._lock:
            kept = {r.id: r for r in await self.all()}
            old = kept.get(request.id)
            if old is not None and old.enrolment is not None:
                raise _refused("enrolment-request-approved", f"entry {old.enrolment}")
            pending = sum(1 for r in kept.values() if r.enrolment is None)
            if old is None and pending >= self._max_pending:
                raise _refused("too-many-enrolment-requests", str(self._max_pending))
            kept[request.id] = request
            await self._save(kept)
        return request

    async def approved(self, request_id: str, enrolment_index: int) -> EnrolmentRequest:
        """Record that request ``request_id`` became the enrolment at ``enrolment_index``."""
        async with self._lock:
            kept = {r.id: r for r in await self.all()}
            if request_id not in kept:
                raise NotFound(Message("notfound.enrolment-request", {"id": request_id}))
            done = EnrolmentRequest(**{**kept[request_id].__dict__, "enrolment": enrolment_index})
            kept[request_id] = done
            await self._save(kept)
        return done

    async def reject(self, request_id: str) -> EnrolmentRequest:
        """Forget the pending request ``request_id`` (the operator turned it down)."""
        async with self._lock:
            kept = {r.id: r for r in await self.all()}
            found = kept.pop(request_id, None)
            if found is None or found.enrolment is not None:
                raise NotFound(Message("notfound.enrolment-request", {"id": request_id}))
            await self._save(kept)
        return found

    async def _save(self, kept: dict[str, EnrolmentRequest]) -> None:
        document = {key: value.__dict__ for key, value in kept.items()}
        await self._store.put_meta(META_NAME, json.dumps(document, sort_keys=True))


async def stored_requests(settings: Settings) -> list[EnrolmentRequest]:
    """Every request kept in the database of ``settings`` (brought to the schema first)."""
    await upgrade(settings.database_url)
    async with Store.open(settings.database_url) as store:
        return await EnrolmentRequests(store).all()


async def mark_approved(settings: Settings, request_id: str, index: int) -> None:
    """Record in the database of ``settings`` that ``request_id`` became entry ``index``."""
    async with Store.open(settings.database_url) as store:
        await EnrolmentRequests(store).approved(request_id, index)


async def reject_request(settings: Settings, request_id: str) -> EnrolmentRequest:
    """Forget the pending request ``request_id`` in the database of ``settings``."""
    async with Store.open(settings.database_url) as store:
        return await EnrolmentRequests(store).reject(request_id)


__all__ = ["EnrolmentRequest", "EnrolmentRequests", "RecordError", "read_request"]
