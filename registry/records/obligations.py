"""Registration rules of the follow-up chain: recommendation, follow-up, enforcement.

Rule (5) of :mod:`registry.records.policy` for the records that make a PPK
accountable (docs/compliance.md says the same for the public):

* a ``recommendation`` cites, if it names one, an earlier standing ``report``
  about the same ASN (same subject commitment), and is addressed to an
  enrolled PPK key of the instansi it names, in office on the day it is issued;
* a ``follow-up`` answers an earlier standing ``recommendation`` addressed to
  the signer, or to the instansi the signer is PPK of (a successor follows up
  what the predecessor left); once a standing sanction answers it, nothing
  more may; a refusal may be followed by a sanction but not by another
  refusal; a sanction's decree is dated from the recommendation's day to the
  follow-up's;
* ``enforcement`` against a PPK key climbs early-warning, warning, reprimand,
  block, one step at a time, and ``unblock`` lifts a block once the PPK has
  complied; a new early-warning starts a new round after an unblock, or
  after an unfinished round once the PPK has complied with its last step.

Days are the statements' issued-at days in Western Indonesia Time (WIB), not
registration times.  The checks read a :class:`ReferenceView`: earlier
entries with their payloads, indexed by what the rules ask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from registry.i18n import Message
from registry.records.errors import refused
from registry.records.schemas import Enforcement, FollowUp, Recommendation, Record
from registry.store.models import SignerKeyRecord
from registry.verify.statement import Statement

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
"""Terms of office are dates; a statement's day is read in Western Indonesia Time."""


def day_of(seconds: int) -> str:
    """The ISO day (WIB) of a time in seconds since the Unix epoch."""
    return dt.datetime.fromtimestamp(seconds, WIB).date().isoformat()


class KeyView(Protocol):
    """Enrolled keys as the policy sees them."""

    def get(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid``, if any."""
        ...


@dataclass(frozen=True)
class EntrySummary:
    """What the policy needs to know of an earlier entry.

    ``payload`` is the decoded payload (binary fields as bytes) and
    ``issued_at`` the statement's CWT iat in seconds; both are left empty by
    views that only answer :class:`EntryView`.
    """

    idx: int
    type: str
    signer_kid: bytes
    revoked: bool
    payload: Mapping[str, Any] = field(default_factory=dict, hash=False)
    issued_at: int = 0


class EntryView(Protocol):
    """Earlier entries as the policy sees them."""

    def summary(self, idx: int) -> EntrySummary | None:
        """The entry at ``idx``, if it exists."""
        ...


@runtime_checkable
class ReferenceView(EntryView, Protocol):
    """Earlier entries with what the follow-up rules ask, each list in log order.

    Summaries carry their payload and issued-at; revoked entries are listed
    too (flagged).  The registrar's view (`registry.records.references.LogView`)
    is one.
    """

    def follow_ups(self, recommendation: int) -> Sequence[EntrySummary]:
        """Follow-ups answering entry ``recommendation``."""
        ...

    def enforcement_steps(self, ppk_kid: bytes) -> Sequence[EntrySummary]:
        """Enforcement steps against the PPK key ``ppk_kid``."""
        ...

    def recommendations_to(self, ppk_kid: bytes) -> Sequence[EntrySummary]:
        """Recommendations addressed to the PPK key ``ppk_kid``."""
        ...


LADDER: tuple[str, ...] = ("early-warning", "warning", "reprimand", "block")
"""BKN's enforcement steps in order; ``unblock`` lifts a ``block``."""


def check_obligations(
    statement: Statement,
    record: Record,
    signer: SignerKeyRecord,
    idx: int,
    keys: KeyView,
    entries: ReferenceView,
) -> None:
    """The rules of recommendations, follow-ups and enforcement steps; raise a refusal."""
    if isinstance(record, Recommendation):
        _check_recommendation(statement, record, idx, keys, entries)
    elif isinstance(record, FollowUp):
        _check_follow_up(statement, record, signer, idx, entries)
    elif isinstance(record, Enforcement):
        _check_enforcement(statement, record, idx, keys, entries)


def _earlier(entries: EntryView, ref: int, idx: int) -> EntrySummary | None:
    found = entries.summary(ref)
    return found if found is not None and ref < idx else None


def _check_ppk(
    keys: KeyView, kid: bytes, instansi: str, issued_at: int | None = None
) -> SignerKeyRecord:
    """The addressed key is an enrolled PPK of ``instansi`` (in office at ``issued_at``)."""
    ppk = keys.get(kid)
    if ppk is None:
        raise refused("unknown-ppk", "refusal.unknown-ppk", 422, {"ppk_kid": kid.hex()})
    if ppk.role != "ppk":
        raise refused("not-a-ppk", "refusal.not-a-ppk", 422, {"ppk_kid": kid.hex()}, role=ppk.role)
    if ppk.instansi != instansi:
        raise refused(
            "instansi-mismatch",
            "refusal.instansi-mismatch",
            422,
            {"ppk_kid": kid.hex()},
            named=repr(instansi),
            enrolled=repr(ppk.instansi),
        )
    if issued_at is not None:
        day = day_of(issued_at)
        revoked = ppk.revoked_at is not None and ppk.revoked_at <= issued_at * 1000
        if revoked or not ppk.term_start <= day <= ppk.term_end:
            raise refused(
                "ppk-not-in-office",
                "refusal.ppk-not-in-office.revoked" if revoked else "refusal.ppk-not-in-office",
                422,
                {"ppk_kid": kid.hex()},
                day=day,
                jabatan=ppk.jabatan,
                start=ppk.term_start,
                end=ppk.term_end,
            )
    return ppk


def _check_recommendation(
    statement: Statement, record: Recommendation, idx: int, keys: KeyView, entries: ReferenceView
) -> None:
    issued = day_of(statement.issued_at)
    if record.deadline < issued:
        raise refused(
            "deadline-before-issue",
            "refusal.deadline-before-issue",
            422,
            deadline=record.deadline,
            issued=issued,
        )
    if record.report is not None:
        report = _earlier(entries, record.report, idx)
        if report is None:
            raise refused("unknown-report", "refusal.unknown-report", 404, entry=record.report)
        if report.type != "report":
            raise refused("not-a-report", "refusal.not-a-report", 422, entry=report.idx)
        if report.revoked:
            raise refused("revoked-report", "refusal.revoked-report", 409, entry=report.idx)
        if report.payload.get("subject_commitment") != record.subject_commitment:
            raise refused("report-mismatch", "refusal.report-mismatch", 422, entry=report.idx)
    _check_ppk(keys, record.ppk_kid, record.instansi, statement.issued_at)


def _recommendation(entries: ReferenceView, ref: int, idx: int) -> EntrySummary:
    rec = _earlier(entries, ref, idx)
    if rec is None:
        raise refused("unknown-recommendation", "refusal.unknown-recommendation", 404, entry=ref)
    if rec.type != "recommendation":
        raise refused(
            "not-a-recommendation", "refusal.not-a-recommendation", 422, entry=ref, type=rec.type
        )
    if rec.revoked:
        raise refused("revoked-recommendation", "refusal.revoked-recommendation", 409, entry=ref)
    return rec


def _standing(found: Sequence[EntrySummary], before: int) -> list[EntrySummary]:
    return [e for e in found if not e.revoked and e.idx < before]


def _sanction(entries: ReferenceView, rec: int, before: int) -> EntrySummary | None:
    """The standing sanctioned follow-up of ``rec`` before entry ``before``, if any."""
    return next(
        (
            f
            for f in _standing(entries.follow_ups(rec), before)
            if f.payload.get("action") == "sanctioned"
        ),
        None,
    )


def _check_follow_up(
    statement: Statement,
    record: FollowUp,
    signer: SignerKeyRecord,
    idx: int,
    entries: ReferenceView,
) -> None:
    rec = _recommendation(entries, record.recommendation, idx)
    if statement.kid != rec.payload.get("ppk_kid") and signer.instansi != rec.payload.get(
        "instansi"
    ):
        raise refused(
            "foreign-recommendation",
            "refusal.foreign-recommendation",
            403,
            entry=rec.idx,
            addressed=repr(rec.payload.get("instansi")),
            signer=repr(signer.instansi),
        )
    done = _sanction(entries, rec.idx, idx)
    if done is not None:
        raise refused(
            "already-followed-up",
            "refusal.already-followed-up",
            409,
            {"follow_up": str(done.idx)},
            entry=done.idx,
        )
    refusals = [
        f
        for f in _standing(entries.follow_ups(rec.idx), idx)
        if f.payload.get("action") == "refused"
    ]
    if record.action == "refused" and refusals:
        raise refused(
            "already-refused",
            "refusal.already-refused",
            409,
            {"follow_up": str(refusals[-1].idx)},
            entry=refusals[-1].idx,
        )
    if record.action == "sanctioned" and record.decree_date is not None:
        first, last = day_of(rec.issued_at), day_of(statement.issued_at)
        if not first <= record.decree_date <= last:
            raise refused(
                "implausible-decree-date",
                "refusal.implausible-decree-date",
                422,
                date=record.decree_date,
                first=first,
                last=last,
            )


def outstanding(
    entries: ReferenceView, step: EntrySummary | None, ppk_kid: bytes, day: str, before: int
) -> list[int]:
    """Recommendations keeping the PPK from having complied with ``step``, as of ``day``.

    Those the step cites without a standing sanction (a revoked recommendation
    is settled); a step citing none: every recommendation addressed to the PPK
    past its deadline without one.
    """
    cited = list(step.payload.get("recommendations") or []) if step is not None else []
    if cited:
        return [
            r
            for r in cited
            if not (entries.summary(r) or EntrySummary(r, "", b"", False)).revoked
            and _sanction(entries, r, before) is None
        ]
    return [
        r.idx
        for r in _standing(entries.recommendations_to(ppk_kid), before)
        if str(r.payload.get("deadline", "9999")) < day
        and _sanction(entries, r.idx, before) is None
    ]


def _check_enforcement(
    statement: Statement, record: Enforcement, idx: int, keys: KeyView, entries: ReferenceView
) -> None:
    _check_ppk(keys, record.ppk_kid, record.instansi)
    for ref in record.recommendations:
        rec = _recommendation(entries, ref, idx)
        if (
            rec.payload.get("ppk_kid") != record.ppk_kid
            and rec.payload.get("instansi") != record.instansi
        ):
            raise refused(
                "foreign-recommendation",
                "refusal.foreign-recommendation.enforcement",
                422,
                entry=ref,
                addressed=repr(rec.payload.get("instansi")),
            )
    history = _standing(entries.enforcement_steps(record.ppk_kid), idx)
    current = history[-1] if history else None
    now = str(current.payload.get("step")) if current is not None else None
    day = day_of(statement.issued_at)
    if record.step == "early-warning":
        fresh = now in (None, "unblock") or (
            now != "block" and not outstanding(entries, current, record.ppk_kid, day, idx)
        )
        allowed = fresh
    elif record.step == "unblock":
        allowed = now == "block"
    else:
        allowed = now == LADDER[LADDER.index(record.step) - 1]
    if not allowed:
        where = (
            Message("refusal.enforcement-out-of-order.none")
            if current is None
            else Message(
                "refusal.enforcement-out-of-order.step", {"step": now, "entry": current.idx}
            )
        )
        raise refused(
            "enforcement-out-of-order",
            "refusal.enforcement-out-of-order",
            409,
            {"current_step": now or "none"},
            current=where,
            step=record.step,
        )
    if record.step == "unblock":
        left = outstanding(entries, current, record.ppk_kid, day, idx)
        if left:
            raise refused(
                "not-complied",
                "refusal.not-complied",
                409,
                {"outstanding": " ".join(map(str, left))},
                entries=", ".join(map(str, left)),
            )
