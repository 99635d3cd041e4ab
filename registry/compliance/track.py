"""A person's track record for promotion panels (JPT): declarations, pacts, follow-ups.

A person is found by the NIP their enrolments carry, or by name and instansi
(names compared case-insensitively, spaces collapsed), across every key and
office they held.  Where they were a PPK, their follow-up record is listed per
key and in total.  Personal data about ASN named in reports (subject
commitments) are not part of it.
"""

from __future__ import annotations

from typing import Any

from registry.compliance.facts import Key
from registry.compliance.metrics import Snapshot, counted, figures
from registry.compliance.views import Groups, Row, key_info


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
    if not keys:
        return None
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
    return {
        "nip": nip,
        "name": keys[-1].name,
        "offices": offices,
        "totals": {
            **figures(outcomes),
            "pacts": counted(pacts),
            "declarations": counted(declarations),
        },
    }
