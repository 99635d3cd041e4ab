"""A person's track record for promotion panels (JPT): declarations, pacts, follow-ups,
and their own violations.

A person is found by the NIP their enrolments carry, or by name and instansi
(names compared case-insensitively, spaces collapsed), across every key and
office they held.  Where they were a PPK, their follow-up record is listed per
key and in total.  Their own violations (seed 002: neutrality violations as an
instrument of the JPT track record) are the reports and recommendations naming
them by a subject commitment (one of the commitments kept for their NIP, or
their enrolments' ``nip_commitment``), what became of each recommendation (the
follow-up and the sanction imposed), and BKN's staff blocks keyed to them.
Other ASN named in the cases they handled are not part of it.
"""

from __future__ import annotations

from typing import Any

from registry.compliance.facts import Key
from registry.compliance.metrics import Snapshot, counted, figures
from registry.compliance.views import Groups, Row, key_info, outcome_row


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def find_keys(
    snap: Snapshot,
    nip: str | None = None,
    name: str | None = None,
    instansi: str | None = None,
    commitments: frozenset[bytes] = frozenset(),
) -> list[Key]:
    """The person's enrolled keys, in enrolment order.

    By NIP: the keys whose enrolment carries one of ``commitments`` (the
    commitments kept for that NIP in the identities), or, enrolled before
    commitments, the NIP itself.
    """
    wanted = _norm(name) if name else None
    return sorted(
        (
            k
            for k in snap.keys.values()
            if (nip is not None and k.nip == nip)
            or (k.nip_commitment is not None and k.nip_commitment in commitments)
            or (wanted is not None and _norm(k.name) == wanted and k.instansi == instansi)
        ),
        key=lambda k: k.idx,
    )


def _signed(entries: list[Any]) -> list[Row]:
    return [
        {
            "index": s.idx,
            "election": s.election,
            "instansi": s.instansi,
            "date": s.date,
            "url": f"/entries/{s.idx}",
        }
        for s in entries
    ]


def track_record(
    snap: Snapshot,
    nip: str | None = None,
    name: str | None = None,
    instansi: str | None = None,
    commitments: frozenset[bytes] = frozenset(),
) -> Row | None:
    """The person's record, or ``None`` if none matches (``commitments``: see :func:`find_keys`)."""
    keys = find_keys(snap, nip, name, instansi, commitments)
    if not keys:  # an ASN never enrolled still has a record if a case names them
        violations = own_violations(snap, commitments)
        if not any(violations["totals"].values()):
            return None
        empty: list[Any] = []
        return {
            "nip": nip,
            "name": None,
            "offices": [],
            "violations": violations,
            "totals": {**figures([]), "pacts": counted(empty), "declarations": counted(empty)},
        }
    groups = Groups(snap)
    offices: list[Row] = []
    outcomes = []
    pacts: list[Any] = []
    declarations: list[Any] = []
    for key in keys:
        signed = groups.signed_by.get(key.kid, [])
        own_pacts = [s for s in signed if s.kind == "pact"]
        own_declarations = [s for s in signed if s.kind == "declaration"]
        pacts += own_pacts
        declarations += own_declarations
        office = {
            **key_info(snap, key),
            "pacts": _signed(own_pacts),
            "declarations": _signed(own_declarations),
        }
        if key.role == "ppk":
            row = groups.signer_row(key)
            office["follow_up"] = {
                name: row[name]
                for name in (
                    "recommendations",
                    "followed_up",
                    "on_time",
                    "late",
                    "refused",
                    "overdue",
                    "pending",
                    "follow_up_rate",
                    "median_days",
                    "enforcement",
                    "enforcement_steps",
                )
            }
            outcomes += groups.by_ppk.get(key.kid, [])
        offices.append(office)
    own = commitments | {k.nip_commitment for k in keys if k.nip_commitment is not None}
    return {
        "nip": nip,
        "name": keys[-1].name,
        "offices": offices,
        "violations": own_violations(snap, frozenset(own)),
        "totals": {
            **figures(outcomes),
            "pacts": counted(pacts),
            "declarations": counted(declarations),
        },
    }


def own_violations(snap: Snapshot, subjects: frozenset[bytes]) -> Row:
    """The reports and recommendations naming one of ``subjects`` (the person's
    commitments), each recommendation's outcome (its follow-up, the sanction imposed),
    and the staff blocks keyed to them, oldest first; every row links its entry."""
    reports = [
        {
            "index": r.idx,
            "day": r.day,
            "instansi": r.instansi,
            "category": r.category,
            "url": f"/entries/{r.idx}",
        }
        for r in snap.reports
        if r.subject in subjects
    ]
    recommendations = [
        {**outcome_row(snap, o), "url": f"/entries/{o.rec.idx}"}
        for o in snap.outcomes.values()
        if o.rec.subject in subjects
    ]
    blocks = [
        {
            "index": b.idx,
            "day": b.day,
            "recommendation": b.recommendation,
            "instansi": b.instansi,
            "action": b.action,
            "system": b.system,
            "url": f"/entries/{b.idx}",
        }
        for b in snap.staff_blocks
        if b.subject in subjects
    ]
    sanctioned = [r for r in recommendations if r["sanction_imposed"] is not None]
    return {
        "reports": reports,
        "recommendations": recommendations,
        "staff_blocks": blocks,
        "totals": {
            "reports": len(reports),
            "recommendations": len(recommendations),
            "sanctioned": len(sanctioned),
            "staff_blocks": len(blocks),
        },
    }
