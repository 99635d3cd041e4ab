"""The facts compliance is computed from, read from log entries.

One small frozen record per entry of a type that matters (enrolment,
key-revocation, report, recommendation, follow-up, enforcement, pact,
declaration, election, revocation), with the statement's issued-at day in WIB (the CWT
``iat`` of its protected header): a history registered today keeps its own
dates.  A follow-up also carries the day the log registered it (its leaf's
time) and the lag, so timeliness can rest on what the log witnessed.  :func:`read_entry` turns an
:class:`~registry.store.models.EntryRecord` into its fact, decoding the signed
statement as registered (not the store's JSON copy).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from registry.store.models import EntryRecord
from registry.verify.cbor import decode
from registry.verify.cose import HEADER_CWT_CLAIMS, key_id, parse_sign1
from registry.verify.statement import CWT_IAT

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
"""Days are read in Western Indonesia Time, as the registration policy reads them."""


@dataclass(frozen=True, slots=True)
class Key:
    """An enrolment: a key, its holder and office."""

    idx: int
    day: str
    kid: bytes
    role: str
    name: str
    nip: str | None
    jabatan: str
    instansi: str
    province: str | None
    head_type: str | None
    term_start: str
    term_end: str
    nip_commitment: bytes | None = None


@dataclass(frozen=True, slots=True)
class KeyEnd:
    """A key-revocation: the key is no longer valid from ``effective`` on."""

    idx: int
    day: str
    kid: bytes
    effective: str


@dataclass(frozen=True, slots=True)
class Report:
    """A violation report."""

    idx: int
    day: str
    instansi: str
    province: str | None
    category: str = ""
    subject: bytes = b""
    reporter: bytes | None = None
    witnesses: tuple[bytes, ...] = ()
    election: str | None = None


@dataclass(frozen=True, slots=True)
class Rec:
    """A sanction recommendation addressed to a PPK key."""

    idx: int
    day: str
    case_number: str
    instansi: str
    ppk_kid: bytes
    subject: bytes
    deadline: str
    report: int | None
    election: str | None
    sanction: str = "moral"
    """The sanction recommended (``moral``, ``light``, ``medium``, ``heavy``)."""
    category: str = ""
    signer: bytes = b""


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A PPK's answer to a recommendation: ``sanctioned`` (with a decree) or ``refused``.

    ``day`` is the day its signer claims; ``registered`` the day the log witnessed it (the
    registration time its leaf records) and ``lag_days`` how many days later that was.
    Timeliness rests on ``registered``; a lag past the registry's maximum statement age
    (``backdated``) is only possible for history an authority attested (an import, the
    demo): shown beside its claimed day, never counted as on time by the registry's clock.
    """

    idx: int
    day: str
    recommendation: int
    action: str
    decree_date: str | None
    signer: bytes
    sanction: str | None = None
    """The sanction imposed; ``None``: the follow-up claims the one recommended."""
    idis_reference: str | None = None
    registered: str = ""
    lag_days: int = 0

    @property
    def backdated(self) -> bool:
        """Registered more than the default maximum statement age (48 h) after its claimed day."""
        return self.lag_days > BACKDATED_DAYS


@dataclass(frozen=True, slots=True)
class Step:
    """A BKN enforcement step against a PPK key."""

    idx: int
    day: str
    ppk_kid: bytes
    instansi: str
    step: str
    cites: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Signed:
    """A pact or a declaration."""

    idx: int
    day: str
    kind: str
    signer: bytes
    instansi: str
    election: str
    date: str


@dataclass(frozen=True, slots=True)
class Election:
    """An election the operator registered, which records cite by ``name``."""

    idx: int
    day: str
    name: str
    kind: str
    title: str
    voting_day: str
    campaign_start: str
    campaign_end: str
    regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Revoked:
    """Entry ``target`` no longer stands from revocation ``idx`` on."""

    idx: int
    day: str
    target: int


@dataclass(frozen=True, slots=True)
class Succession:
    """A key-succession: ``new`` replaces ``old`` for the same person and office from ``day``."""

    idx: int
    day: str
    old: bytes
    new: bytes


@dataclass(frozen=True, slots=True)
class StaffBlock:
    """BKN's block (or unblock) in SAPK/SIASN of the staff status of a recommended ASN."""

    idx: int
    day: str
    recommendation: int
    subject: bytes
    instansi: str
    action: str
    system: str


@dataclass(frozen=True, slots=True)
class Transfer:
    """A PPK's transfer, demotion or dismissal decision about an ASN (I-Mut)."""

    idx: int
    day: str
    signer: bytes
    subject: bytes
    instansi: str
    decision: str
    decree_date: str


Fact = (
    Key
    | KeyEnd
    | Report
    | Rec
    | FollowUp
    | Step
    | Signed
    | Revoked
    | Succession
    | StaffBlock
    | Transfer
    | Election
)

TYPES = frozenset(
    {
        "enrolment",
        "key-revocation",
        "key-succession",
        "report",
        "recommendation",
        "follow-up",
        "enforcement",
        "pact",
        "declaration",
        "revocation",
        "staff-block",
        "transfer",
        "election",
    }
)
"""The statement types compliance reads."""


BACKDATED_DAYS = 2
"""Days between claimed and registration day past which a fact is flagged ``backdated``
(the registry's default maximum statement age, 48 hours; older ones need an attestation)."""


def lag(claimed: str, registered: str) -> int:
    """Days from the ``claimed`` day to the ``registered`` day (ISO dates)."""
    return (dt.date.fromisoformat(registered) - dt.date.fromisoformat(claimed)).days


def day_of(seconds: int) -> str:
    """The ISO day (WIB) of ``seconds`` since the Unix epoch."""
    return dt.datetime.fromtimestamp(seconds, WIB).date().isoformat()


def add_days(day: str, days: int) -> str:
    """``day`` plus ``days`` days, as an ISO date."""
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def decode_statement(statement: bytes) -> tuple[dict[str, Any], int] | None:
    """A signed statement's payload and issued-at, or ``None`` if it cannot be read."""
    # As logged: entries from before the one-encoding rule are read too.
    parsed = parse_sign1(statement, canonical=False)
    if not parsed.ok or parsed.value is None or parsed.value.payload is None:
        return None
    claims = parsed.value.protected.get(HEADER_CWT_CLAIMS)
    payload = decode(parsed.value.payload, "payload")
    if not payload.ok or not isinstance(payload.value, dict) or not isinstance(claims, dict):
        return None
    iat = claims.get(CWT_IAT)
    return (payload.value, iat) if isinstance(iat, int) else None


def _text(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return value if isinstance(value, str) else None


def _bytes(payload: dict[str, Any], name: str) -> bytes | None:
    value = payload.get(name)
    return value if isinstance(value, bytes) else None


def read_entry(record: EntryRecord, follow_up_days: int = 14) -> Fact | None:
    """The fact an entry states, or ``None`` for the types compliance ignores.

    ``follow_up_days`` sets the deadline of a recommendation without one (the
    schema requires a deadline, so admitted entries always have their own).
    """
    if record.type not in TYPES:
        return None
    decoded = decode_statement(record.statement)
    if decoded is None:
        return None
    p, iat = decoded
    idx, day, kind = record.idx, day_of(iat), record.type
    if kind == "enrolment":
        public_key = p.get("public_key")
        if not isinstance(public_key, bytes):
            return None
        return Key(
            idx,
            day,
            key_id(public_key),
            str(p.get("role")),
            str(p.get("name")),
            _text(p, "nip"),
            str(p.get("jabatan")),
            str(p.get("instansi")),
            _text(p, "province"),
            _text(p, "head_type"),
            str(p.get("term_start")),
            str(p.get("term_end")),
            commitment if isinstance(commitment := p.get("nip_commitment"), bytes) else None,
        )
    if kind == "key-succession":
        public_key = p.get("public_key")
        if not isinstance(public_key, bytes):
            return None
        return Succession(idx, day, bytes(p.get("kid", b"")), key_id(public_key))
    if kind == "key-revocation":
        return KeyEnd(idx, day, bytes(p.get("kid", b"")), str(p.get("effective")))
    if kind == "report":
        subject = p.get("subject_commitment")
        return Report(
            idx,
            day,
            str(p.get("instansi")),
            _text(p, "province"),
            _text(p, "category") or "",
            subject if isinstance(subject, bytes) else b"",
            _bytes(p, "reporter_commitment"),
            tuple(w for w in p.get("witness_commitments", []) if isinstance(w, bytes)),
            _text(p, "election"),
        )
    if kind == "recommendation":
        report = p.get("report")
        return Rec(
            idx,
            day,
            str(p.get("case_number")),
            str(p.get("instansi")),
            bytes(p.get("ppk_kid", b"")),
            bytes(p.get("subject_commitment", b"")),
            _text(p, "deadline") or add_days(day, follow_up_days),
            report if isinstance(report, int) else None,
            _text(p, "election"),
            _text(p, "sanction") or "moral",
            _text(p, "category") or "",
            record.signer_kid,
        )
    if kind == "follow-up":
        registered = day_of(record.registered_at // 1000)
        return FollowUp(
            idx,
            day,
            int(p.get("recommendation", -1)),
            str(p.get("action")),
            _text(p, "decree_date"),
            record.signer_kid,
            _text(p, "sanction"),
            _text(p, "idis_reference"),
            registered,
            lag(day, registered),
        )
    if kind == "enforcement":
        cites = tuple(r for r in p.get("recommendations", []) if isinstance(r, int))
        return Step(
            idx,
            day,
            bytes(p.get("ppk_kid", b"")),
            str(p.get("instansi")),
            str(p.get("step")),
            cites,
        )
    if kind in ("pact", "declaration"):
        return Signed(
            idx,
            day,
            kind,
            record.signer_kid,
            str(p.get("instansi")),
            str(p.get("election")),
            str(p.get("date")),
        )
    if kind == "staff-block":
        return StaffBlock(
            idx,
            day,
            int(p.get("recommendation", -1)),
            _bytes(p, "subject_commitment") or b"",
            str(p.get("instansi")),
            str(p.get("action")),
            str(p.get("system")),
        )
    if kind == "transfer":
        return Transfer(
            idx,
            day,
            record.signer_kid,
            _bytes(p, "subject_commitment") or b"",
            str(p.get("instansi")),
            str(p.get("decision")),
            str(p.get("decree_date")),
        )
    if kind == "election":
        return Election(
            idx,
            day,
            str(p.get("name")),
            str(p.get("kind")),
            str(p.get("title")),
            str(p.get("voting_day")),
            str(p.get("campaign_start")),
            str(p.get("campaign_end")),
            tuple(r for r in p.get("regions", []) if isinstance(r, str)),
        )
    return Revoked(idx, day, int(p.get("entry", -1)))
