"""Patterns across cases: violations per category, blocks of recommended ASN, the retaliation watch.

* :func:`categories`: per category of the published vocabulary
  (registry/records/vocabulary.py), the reports and the follow-up figures of
  the recommendations (seed 001 asks which violations are most common).
* :func:`asn_blocks`: BKN's blocks in SAPK/SIASN of the staff status of an ASN
  whose recommended sanction was not imposed (seed 000), per commitment: the
  current state and whether the block is **founded** (it cites a standing
  recommendation naming that commitment, not followed up when it was blocked).
* :func:`retaliation_watch`: transfers, demotions and dismissals (I-Mut, seed
  004) of an ASN who reported, witnessed or was the subject of a case, decided
  within ``window`` days of an election's voting day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from registry.compliance.elections import Calendar
from registry.compliance.facts import StaffBlock, add_days
from registry.compliance.metrics import Outcome, Snapshot, counted, figure, figures
from registry.compliance.views import election_of

Row = dict[str, Any]

RETALIATION_WINDOW_DAYS = 180
"""Default window either side of a voting day for the retaliation watch."""


def categories(snap: Snapshot, codes: Sequence[str] = ()) -> list[Row]:
    """Per violation category: reports and the follow-up figures of its recommendations.

    ``codes`` (the vocabulary's, in its order) are listed even when nothing
    names them; codes found only in older entries follow, sorted.
    """
    outcomes: dict[str, list[Outcome]] = defaultdict(list)
    for o in snap.outcomes.values():
        outcomes[o.rec.category].append(o)
    reports: dict[str, list[Any]] = defaultdict(list)
    for r in snap.reports:
        reports[r.category].append(r)
    rows = []
    for code in [*codes, *sorted((set(outcomes) | set(reports)) - set(codes))]:
        rows.append(
            {
                "category": code,
                "reports": counted(reports.get(code, [])),
                **figures(outcomes.get(code, [])),
            }
        )
    return rows


def _founded(snap: Snapshot, block: StaffBlock) -> bool:
    """Cites a standing recommendation naming the commitment, with no sanction logged before."""
    outcome = snap.outcomes.get(block.recommendation)
    if outcome is None or outcome.rec.subject != block.subject:
        return False
    return outcome.sanction is None or outcome.sanction.idx > block.idx


def asn_blocks(snap: Snapshot) -> list[Row]:
    """Per blocked commitment: its current state (latest block or unblock) and the history."""
    by_subject: dict[bytes, list[StaffBlock]] = defaultdict(list)
    for b in snap.staff_blocks:
        by_subject[b.subject].append(b)
    rows = []
    for subject, steps in by_subject.items():
        latest = steps[-1]
        rows.append(
            {
                "commitment": subject.hex(),
                "instansi": latest.instansi,
                "state": figure(
                    "blocked" if latest.action == "block" else "unblocked", [latest.idx]
                ),
                "system": latest.system,
                "recommendations": sorted({s.recommendation for s in steps}),
                "founded": all(_founded(snap, s) for s in steps if s.action == "block"),
                "steps": counted(steps),
            }
        )
    return rows


def _voting_day_near(known: Calendar, day: str, window: int) -> str | None:
    for name, voting in known:
        if add_days(voting, -window) <= day <= add_days(voting, window):
            return name
    return None


def retaliation_watch(snap: Snapshot, window: int = RETALIATION_WINDOW_DAYS) -> list[Row]:
    """Transfers of ASN tied to a case, decided within ``window`` days of a voting day.

    An ASN is tied to a case when their commitment is a standing report's
    ``subject_commitment``, ``reporter_commitment`` or one of its
    ``witness_commitments``, or a standing recommendation's subject, issued on
    or before the decision.  Each row is one flagged decision.
    """
    ties: dict[bytes, list[tuple[str, int, str]]] = defaultdict(list)
    for r in snap.reports:
        ties[r.subject].append(("subject", r.idx, r.day))
        if r.reporter:
            ties[r.reporter].append(("reporter", r.idx, r.day))
        for w in r.witnesses:
            ties[w].append(("witness", r.idx, r.day))
    for o in snap.outcomes.values():
        ties[o.rec.subject].append(("subject", o.rec.idx, o.rec.day))
    rows = []
    for t in snap.transfers:
        election = _voting_day_near(snap.calendar, t.day, window)
        tied = [(role, idx) for role, idx, day in ties.get(t.subject, []) if day <= t.day]
        if election is None or not tied:
            continue
        rows.append(
            {
                "transfer": t.idx,
                "day": t.day,
                "decision": t.decision,
                "instansi": t.instansi,
                "commitment": t.subject.hex(),
                "election": election,
                "roles": sorted({role for role, _ in tied}),
                "flag": figure(True, [t.idx, *(idx for _, idx in tied)]),
            }
        )
    return rows


def window_days(value: int | None) -> int:
    """The watch's window, bounded to a year either side."""
    days = RETALIATION_WINDOW_DAYS if value is None else value
    return max(0, min(days, 366))


__all__ = [
    "RETALIATION_WINDOW_DAYS",
    "asn_blocks",
    "categories",
    "election_of",
    "retaliation_watch",
    "window_days",
]
