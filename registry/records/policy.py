"""Registration policy: who may sign what, and when.

A signed statement is admitted when (1) its type has a schema and the payload
fits it, (2) its key is enrolled and not revoked, (3) the key's role may sign
that type, (4) it was signed within the key's term of office and not in the
future, and (5) the type's own rules hold (enrolment only by the operator's
admin key; revocations only by the original signer or an admin; a
recommendation cites a report and is addressed to a PPK; a follow-up answers
a recommendation to the signer's office, once; enforcement climbs its ladder
in order: see docs/compliance.md).
The checks are plain functions over a :class:`KeyView` and an
:class:`EntryView`, so they run without a server or a database; the rules of
(5) about recommendations, follow-ups and enforcement are in
:mod:`registry.records.obligations` and need a :class:`ReferenceView` (a view
that answers only :class:`EntryView`, as a bare replay may pass, skips them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable

from registry.i18n import Message
from registry.records.attest import ATTESTING_ROLES
from registry.records.citations import CITING_TYPES, CitationView, check_citations
from registry.records.confirmations import CONFIRMING_ROLES, check_confirmation
from registry.records.errors import FieldError, RegistrationRefused, refused
from registry.records.obligations import (
    WIB,
    EntrySummary,
    EntryView,
    KeyView,
    ReferenceView,
    check_obligations,
    day_of,
)
from registry.records.pledges import check_named_signer, check_pledge
from registry.records.schemas import (
    Declaration,
    Enrolment,
    EnrolmentConfirmation,
    FollowUp,
    KeyRevocation,
    KeySuccession,
    Pact,
    Record,
    RecordError,
    Revocation,
    parse_record,
)
from registry.records.succession import check_succession, succession_changes
from registry.store.models import KeyChange, KeyRevocationRecord, SignerKeyRecord
from registry.verify.cose import key_id
from registry.verify.statement import Statement

__all__ = [
    "WIB",
    "AttestationView",
    "EntrySummary",
    "EntryView",
    "KeyView",
    "ReferenceView",
    "admit",
]

CLOCK_SKEW_S = 300

MAX_STATEMENT_AGE_S = 48 * 3600
"""How far before the registry's clock a statement's claimed time may be, unless attested
(``REGISTRY_MAX_STATEMENT_AGE_HOURS``)."""

SIGNER_ROLES: Mapping[str, frozenset[str]] = {
    "enrolment": frozenset({"admin"}),
    "key-revocation": frozenset({"admin"}),
    "template": frozenset({"admin"}),
    "election": frozenset({"admin"}),
    "pact": frozenset({"ppk"}),
    "declaration": frozenset({"asn", "ppk"}),
    "report": frozenset({"bawaslu", "recommender"}),
    "recommendation": frozenset({"recommender"}),
    "follow-up": frozenset({"ppk"}),
    "enforcement": frozenset({"bkn"}),
    "revocation": frozenset({"admin", "ppk", "asn", "recommender", "bkn", "bawaslu", "panel"}),
    "log-key-rotation": frozenset({"admin"}),
    "key-succession": frozenset({"admin", "ppk", "asn", "recommender", "bkn", "bawaslu", "panel"}),
    "staff-block": frozenset({"bkn"}),
    "transfer": frozenset({"ppk"}),
    "attestation": ATTESTING_ROLES,
    "enrolment-confirmation": CONFIRMING_ROLES,
}


@dataclass(frozen=True)
class Admission:
    """An admitted statement and what it changes besides the log."""

    record: Record
    key_change: KeyChange | None = None
    revokes: int | None = None
    revocation_reason: str | None = None
    instansi: str | None = None
    attested_by: int | None = None
    """The attestation entry that vouches for a statement older than the maximum age."""
    also: tuple[KeyChange, ...] = ()
    """Further key changes (a succession also revokes the key it replaces)."""

    @property
    def key_changes(self) -> tuple[KeyChange, ...]:
        """Every key change, in the order they apply."""
        return (() if self.key_change is None else (self.key_change,)) + self.also


def _start_ms(date: str) -> int:
    day = dt.date.fromisoformat(date)
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=WIB).timestamp() * 1000)


def parse_payload(statement: Statement) -> Record:
    """(1) The payload as its type's record, or a refusal naming every bad field."""
    try:
        return parse_record(statement.payload)
    except RecordError as exc:
        code = "unknown-type" if exc.errors[0].reason == "unknown-type" else "schema-violation"
        raise RegistrationRefused(
            code, Message(f"refusal.{code}.title"), exc.message, 422, errors=exc.errors
        ) from exc


def check_signer(
    statement: Statement,
    key: SignerKeyRecord | None,
    now_ms: int,
    max_age_s: int = MAX_STATEMENT_AGE_S,
    attested: bool = False,
) -> SignerKeyRecord:
    """(2)-(4) The key is enrolled, unrevoked, of a role allowed, and signed within its term.

    Time rests on the registry's clock ``now_ms`` (the registration time its
    leaf records): the claimed time (``iat``) may be at most ``max_age_s``
    before it, unless the statement is ``attested`` history, so the claimed
    day the term is checked against is at most that far from the registry's.
    Revocation is judged at the registry's clock, attested history at its claimed time.
    """
    kid = statement.kid.hex()
    if key is None:
        raise refused("unknown-key", "refusal.unknown-key", 403, {"kid": kid})
    # Attested history was signed when it claims (an authority vouches for it): a key revoked
    # since still signed it; anything else is judged at the registry's clock.
    at_ms = statement.issued_at * 1000 if attested else now_ms
    if key.revoked_at is not None and key.revoked_at <= at_ms:
        raise refused(
            "revoked-key", "refusal.revoked-key", 403, {"kid": kid}, entry=key.revocation_idx
        )
    allowed = SIGNER_ROLES.get(statement.statement_type, frozenset())
    if key.role not in allowed:
        raise refused(
            "wrong-role",
            "refusal.wrong-role",
            403,
            {"kid": kid, "role": key.role},
            role=key.role,
            type=statement.statement_type,
            allowed=", ".join(sorted(allowed)),
        )
    if statement.issued_at * 1000 > now_ms + CLOCK_SKEW_S * 1000:
        raise refused(
            "future-statement",
            "refusal.future-statement",
            422,
            issued_at=statement.issued_at,
            now=now_ms // 1000,
        )
    if not attested and statement.issued_at * 1000 < now_ms - max_age_s * 1000:
        raise refused(
            "stale-statement",
            "refusal.stale-statement",
            422,
            issued=day_of(statement.issued_at),
            registered=day_of(now_ms // 1000),
            hours=max_age_s // 3600,
        )
    day = day_of(statement.issued_at)
    if not key.term_start <= day <= key.term_end:
        raise refused(
            "outside-term",
            "refusal.outside-term",
            403,
            {"kid": kid},
            day=day,
            jabatan=key.jabatan,
            decree=key.decree_number,
            start=key.term_start,
            end=key.term_end,
        )
    return key


def _enrolment_change(record: Enrolment, idx: int) -> SignerKeyRecord:
    if record.term_start > record.term_end:
        errors = [FieldError("term_end", "before-term-start", {"start": record.term_start})]
        raise RegistrationRefused(
            "schema-violation",
            Message("refusal.schema-violation.title"),
            RecordError(errors, "enrolment").message,
            422,
            errors=errors,
        )
    return SignerKeyRecord(
        kid=key_id(record.public_key),
        public_key=record.public_key,
        role=record.role,
        name=record.name,
        nip=record.nip,
        nip_commitment=record.nip_commitment,
        jabatan=record.jabatan,
        instansi=record.instansi,
        decree_number=record.decree_number,
        decree_date=record.decree_date,
        term_start=record.term_start,
        term_end=record.term_end,
        valid_from=_start_ms(record.term_start),
        valid_until=_start_ms(record.term_end) + 86_400_000,
        enrolment_idx=idx,
    )


def key_change_of(record: Enrolment | KeyRevocation, idx: int) -> KeyChange:
    """What admitted entry ``idx`` (an enrolment or a key revocation) changes in the keys.

    The key directory is derived from these at start (``registry.records.derived``).
    """
    if isinstance(record, Enrolment):
        return _enrolment_change(record, idx)
    return KeyRevocationRecord(record.kid, _start_ms(record.effective), idx)


def admit(
    statement: Statement,
    idx: int,
    now_ms: int,
    keys: KeyView,
    entries: EntryView,
    bootstrap_admin: bytes | None = None,
    max_age_s: int = MAX_STATEMENT_AGE_S,
) -> Admission:
    """Admit ``statement`` as entry ``idx``, or raise :class:`RegistrationRefused`.

    ``bootstrap_admin`` is the operator's admin kid, accepted for the admin's
    own enrolment before any key is enrolled (the log's first entry, whose
    claimed time nothing earlier can bound).  A statement claiming a time more
    than ``max_age_s`` before ``now_ms`` needs a standing attestation listing
    it (``entries`` an :class:`AttestationView`).
    """
    record = parse_payload(statement)
    key = keys.get(statement.kid)
    is_bootstrap = (
        key is None
        and bootstrap_admin == statement.kid
        and isinstance(record, Enrolment)
        and record.role == "admin"
    )
    if is_bootstrap:
        assert isinstance(record, Enrolment)
        change = _enrolment_change(record, idx)
        if change.kid != statement.kid:
            raise refused("unknown-key", "refusal.unknown-key.bootstrap", 403)
        return Admission(record, key_change=change, instansi=record.instansi)
    attested_by = _attestation(entries, statement, now_ms, max_age_s)
    signer = check_signer(statement, key, now_ms, max_age_s, attested_by is not None)
    if isinstance(record, Enrolment):
        change = _enrolment_change(record, idx)
        if keys.get(change.kid) is not None:
            raise refused(
                "already-enrolled", "refusal.already-enrolled", 409, {"kid": change.kid.hex()}
            )
        return Admission(
            record, key_change=change, instansi=record.instansi, attested_by=attested_by
        )
    if isinstance(record, KeyRevocation):
        target = keys.get(record.kid)
        if target is None:
            raise refused(
                "unknown-key", "refusal.unknown-key.to-revoke", 404, {"kid": record.kid.hex()}
            )
        if target.revoked_at is not None:
            raise refused(
                "revoked-key", "refusal.revoked-key.already", 409, entry=target.revocation_idx
            )
        return Admission(
            record,
            key_change=key_change_of(record, idx),
            instansi=target.instansi,
            attested_by=attested_by,
        )
    if isinstance(record, KeySuccession):
        old = check_succession(
            record,
            statement.kid,
            signer.role,
            keys.get(record.kid),
            keys.get(key_id(record.public_key)),
        )
        successor, retired = succession_changes(record, old, idx, now_ms)
        return Admission(record, key_change=successor, also=(retired,), instansi=old.instansi)
    if isinstance(record, Revocation):
        earlier = entries.summary(record.entry)
        if earlier is None or record.entry >= idx:
            raise refused("unknown-entry", "refusal.unknown-entry", 404, entry=record.entry)
        if earlier.revoked:
            raise refused("already-revoked", "refusal.already-revoked", 409, entry=record.entry)
        if earlier.signer_kid != statement.kid and signer.role != "admin":
            raise refused("wrong-role", "refusal.wrong-role.revocation", 403, entry=record.entry)
        return Admission(
            record,
            revokes=record.entry,
            revocation_reason=record.reason,
            instansi=signer.instansi,
            attested_by=attested_by,
        )
    if isinstance(record, Pact | Declaration):
        check_pledge(statement, record, signer, idx, entries)
    if isinstance(record, FollowUp):
        check_named_signer(statement, record, signer)
    if isinstance(record, EnrolmentConfirmation):
        check_confirmation(record, idx, entries)
    if statement.statement_type in _CITING_OR_ELECTION and _is_view(entries, CitationView):
        check_citations(record, idx, cast(CitationView, entries))
    view = _reference_view(entries)
    if view is not None:
        check_obligations(statement, record, signer, idx, keys, view)
    instansi = getattr(record, "instansi", None) or signer.instansi
    return Admission(record, instansi=instansi, attested_by=attested_by)


@runtime_checkable
class AttestationView(Protocol):
    """Which standing attestation, if any, lists a statement's signed content."""

    def attestation_of(self, content_sha256: bytes) -> int | None:
        """The index of a standing attestation listing ``content_sha256``."""
        ...


def _attestation(
    entries: EntryView, statement: Statement, now_ms: int, max_age_s: int
) -> int | None:
    """The attestation vouching for ``statement`` if its claimed time is past the maximum age."""
    if statement.issued_at * 1000 >= now_ms - max_age_s * 1000:
        return None
    if not isinstance(entries, AttestationView):
        return None
    return entries.attestation_of(statement.content_sha256)


_CITING_OR_ELECTION = CITING_TYPES | {"election"}
_VIEW_TYPES: dict[tuple[type, type], bool] = {}


def _is_view(entries: EntryView, protocol: type) -> bool:
    """Whether ``entries`` implements the runtime-checkable ``protocol`` (checked once per class).

    ``isinstance`` against a runtime-checkable protocol inspects every member
    each time (about 10 µs), once per registration; the answer depends on the class.
    """
    kind = (type(entries), protocol)
    known = _VIEW_TYPES.get(kind)
    if known is None:
        known = _VIEW_TYPES[kind] = isinstance(entries, protocol)
    return known


def _reference_view(entries: EntryView) -> ReferenceView | None:
    """``entries`` as a :class:`ReferenceView` if it is one."""
    return cast(ReferenceView, entries) if _is_view(entries, ReferenceView) else None
