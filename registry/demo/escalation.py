"""BKN's escalation against PPKs that leave the 2020 recommendations overdue (the demo).

:class:`Escalation` reviews every PPK in office on the first workday of each
month from September 2020 to December 2021.  A PPK with recommendations
overdue (:data:`~registry.demo.dates.FOLLOW_UP_DAYS` past their deadline)
gets an early warning, then a warning and a reprimand at least 28 days apart,
then a block in SAPK with a staff block of each ASN left unsanctioned; once
nothing is overdue, the block is lifted.  Each step hastens some overdue
follow-ups (:data:`_HASTEN`), so :mod:`registry.demo.enforcement` calls it once
the follow-ups are planned and before the sanctions are emitted.
"""

from __future__ import annotations

import datetime as dt

from registry.demo.dates import FOLLOW_UP_DAYS, LAST_FOLLOW_UP, add_days, timestamp, workday
from registry.demo.offices import Office, Rec
from registry.demo.signers import Builder


class Escalation:
    """BKN's enforcement steps and staff blocks, emitted through the demo's builder."""

    def __init__(self, b: Builder) -> None:
        self.b = b

    def enforce(self, offices: list[Office]) -> None:
        """Review ``offices`` monthly and emit every step BKN takes, with its staff blocks."""
        reviews = [
            workday(dt.date(2020 + (m - 1) // 12, (m - 1) % 12 + 1, 1)) for m in range(9, 25)
        ]
        for review in reviews:
            for n, office in enumerate(offices):
                if not office.start <= review <= office.until:
                    continue
                overdue = [
                    r
                    for r in office.recs
                    if add_days(r.deadline, FOLLOW_UP_DAYS) < review
                    and not (r.followed and r.fu_day is not None and r.fu_day < review)
                ]
                step = self.next_step(office, overdue, review)
                if step is None:
                    continue
                cited = sorted(
                    office.blocked if step == "unblock" else overdue,
                    key=lambda r: (r.event.at, r.event.seq),
                )
                self.hasten(overdue, review, _HASTEN[step])
                office.step, office.step_day = step, review
                if step == "block":
                    office.blocked = overdue
                self.b.emit(
                    self.b.bkn,
                    timestamp(review, 10) + n,
                    {
                        "type": "enforcement",
                        "instansi": office.actor.enrolment["instansi"],
                        "ppk_kid": office.actor.kid,
                        "step": step,
                        "reason": _ENFORCEMENT_REASONS[step].format(n=len(cited)),
                        "recommendations": [r.event for r in cited],
                    },
                    day=review,
                    step=step,
                )
                if step in ("block", "unblock"):
                    self.staff_blocks(office, overdue, review, n)

    def staff_blocks(self, office: Office, recs: list[Rec], review: dt.date, n: int) -> None:
        """BKN blocks (or unblocks) in SAPK the staff status of each ASN left unsanctioned."""
        action = "block" if office.step == "block" else "unblock"
        if action == "block":  # not those sanctioned that very day
            recs = [r for r in recs if not (r.followed and r.fu_day and r.fu_day <= review)]
            office.asn_blocked = recs
        else:
            recs, office.asn_blocked = office.asn_blocked, []
        for j, rec in enumerate(sorted(recs, key=lambda r: (r.event.at, r.event.seq))):
            self.b.emit(
                self.b.bkn,
                timestamp(review, 11) + 20 * n + j,
                {
                    "type": "staff-block",
                    "recommendation": rec.event,
                    "subject_commitment": rec.event.payload["subject_commitment"],
                    "instansi": rec.event.payload["instansi"],
                    "action": action,
                    "system": "SAPK",
                    "reason": _STAFF_BLOCK_REASONS[action],
                },
                day=review,
            )

    def hasten(self, overdue: list[Rec], review: dt.date, chance: float) -> None:
        """Enforcement works: some overdue follow-ups come sooner after each step."""
        for rec in overdue:
            if (
                rec.fu_day is None
                or rec.fu_day <= review
                or rec.office.until <= review
                or self.b.rng.random() >= chance
            ):
                continue
            sooner = min(
                add_days(review, self.b.rng.randint(5, 45)), rec.office.until, LAST_FOLLOW_UP
            )
            rec.fu_day = max(add_days(review, 1), min(rec.fu_day, sooner))

    @staticmethod
    def next_step(office: Office, overdue: list[Rec], review: dt.date) -> str | None:
        """The step BKN takes against ``office`` at ``review``, or ``None``."""
        order = ("early-warning", "warning", "reprimand", "block")
        if overdue:
            if office.step in (None, "unblock"):
                return "early-warning"
            if office.step != "block" and (review - office.step_day).days >= 28:
                return order[order.index(office.step or "") + 1]
            return None
        if office.step == "block":
            return "unblock"
        if office.step != "unblock":
            office.step = None  # complied after a warning: nothing to lift
        return None


_STAFF_BLOCK_REASONS = {
    "block": "Pemblokiran status kepegawaian di SAPK: sanksi yang direkomendasikan tidak "
    "dijatuhkan oleh PPK.",
    "unblock": "Pembukaan blokir status kepegawaian di SAPK: PPK telah menjatuhkan sanksi.",
}
_HASTEN = {"early-warning": 0.15, "warning": 0.2, "reprimand": 0.25, "block": 0.8, "unblock": 0.0}
"""Chance that an overdue follow-up is hastened by each enforcement step."""
_ENFORCEMENT_REASONS = {
    "early-warning": "Peringatan dini: {n} rekomendasi sanksi pelanggaran netralitas ASN belum "
    "ditindaklanjuti melewati batas waktu 14 hari.",
    "warning": "Peringatan: {n} rekomendasi sanksi pelanggaran netralitas ASN tetap belum "
    "ditindaklanjuti setelah peringatan dini.",
    "reprimand": "Teguran: {n} rekomendasi sanksi pelanggaran netralitas ASN belum "
    "ditindaklanjuti setelah peringatan.",
    "block": "Pemblokiran layanan kepegawaian (SAPK) atas ASN yang direkomendasikan: "
    "{n} rekomendasi tidak ditindaklanjuti oleh PPK.",
    "unblock": "Pembukaan blokir SAPK: PPK telah menindaklanjuti {n} rekomendasi yang tertunda.",
}
