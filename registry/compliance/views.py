"""The compliance tables: per PPK key, per instansi, and aggregates, as JSON-ready rows.

Each function reads a :class:`~registry.compliance.metrics.Snapshot` and
returns plain dicts and lists; every figure lists its entries (see
:func:`~registry.compliance.metrics.figure`).  Key ids are base64url, as in
the rest of the API.  Recommendations are grouped by the PPK key they are
addressed to (its enrolment's province and head type), pacts and
declarations by their signer, reports by their own fields.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

# Re-exported: callers imported the fallback calendar from here before it had a module.
from registry.compliance.elections import ELECTIONS as ELECTIONS  # noqa: PLC0414
from registry.compliance.elections import election_of as election_of  # noqa: PLC0414
from registry.compliance.elections import order
from registry.compliance.facts import Key, Rec, Signed
from registry.compliance.groups import Office
from registry.compliance.metrics import Figure, Outcome, Snapshot, counted, figure, figures
from registry.compliance.provinces import Enrolled
from registry.verify.trust import b64url

Row = dict[str, Any]

STEPS = ("early-warning", "warning", "reprimand", "block", "unblock")


def _step(snap: Snapshot, kid: bytes) -> Figure:
    current = snap.current_steps.get(kid)
    return figure(None, []) if current is None else figure(current.step, [current.idx])


def key_info(snap: Snapshot, key: Key) -> Row:
    """Who holds a key, for which office."""
    end = snap.key_end(key.kid)
    return office_info(key, key.role, None if end is None else end.idx)


def office_info(key: Key | Office, role: str, revocation: int | None) -> Row:
    """:func:`key_info` of an enrolment (a :class:`Key`, or a PPK's :class:`Office` as the
    national tally keeps it) of ``role``, revoked by entry ``revocation`` if any."""
    return {
        "kid": b64url(key.kid),
        "name": key.name,
        "jabatan": key.jabatan,
        "instansi": key.instansi,
        "province": key.province,
        "head_type": key.head_type,
        "role": role,
        "term_start": key.term_start,
        "term_end": key.term_end,
        "enrolment": key.idx,
        "key_revocation": revocation,
    }


class Groups:
    """The snapshot's outcomes, pacts and declarations indexed for the tables."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.by_ppk: dict[bytes, list[Outcome]] = defaultdict(list)
        for o in snap.outcomes.values():
            self.by_ppk[o.rec.ppk_kid].append(o)
        self.signed_by: dict[bytes, list[Signed]] = defaultdict(list)
        for s in snap.pacts + snap.declarations:
            self.signed_by[s.signer].append(s)

    def key(self, kid: bytes) -> Key | None:
        """The enrolment of ``kid`` (as of the snapshot)."""
        return self.snap.keys.get(kid)

    def signer_row(self, key: Key) -> Row:
        """One PPK key's record: office, follow-up figures, enforcement, pacts, declarations.

        A key that succeeded others (``key-succession``) carries their record too:
        the figures follow the person, and ``predecessors`` names the keys.
        """
        lineage = self.snap.index.lineage(key.kid)
        outcomes = [o for kid in lineage for o in self.by_ppk.get(kid, [])]
        signed = [s for kid in lineage for s in self.signed_by.get(kid, [])]
        others = [
            o.sanction.idx
            for o in outcomes
            if o.sanction is not None and o.sanction.signer not in lineage
        ]
        steps = [s for s in self.snap.steps if s.ppk_kid in lineage]
        return {
            **key_info(self.snap, key),
            "predecessors": [b64url(kid) for kid in lineage[1:]],
            **figures(outcomes),
            "followed_up_by_others": figure(len(others), others),
            "enforcement": _step(self.snap, key.kid),
            "enforcement_steps": counted(steps),
            "pacts": counted(s for s in signed if s.kind == "pact"),
            "declarations": counted(s for s in signed if s.kind == "declaration"),
            "url": f"/api/compliance/signers/{b64url(key.kid)}",
        }

    def grouped(
        self,
        label: str,
        rec_key: Callable[[Rec], Hashable],
        signed_key: Callable[[Signed], Hashable],
        reports: Callable[[Hashable], Iterable[Any]] | None = None,
    ) -> list[Row]:
        """Rows of figures per group, the groups named by ``label``."""
        outcomes: dict[Hashable, list[Outcome]] = defaultdict(list)
        for o in self.snap.outcomes.values():
            outcomes[rec_key(o.rec)].append(o)
        signed: dict[Hashable, list[Signed]] = defaultdict(list)
        for s in self.snap.pacts + self.snap.declarations:
            signed[signed_key(s)].append(s)
        rows = []
        for group in sorted(set(outcomes) | set(signed), key=lambda g: (g is None, str(g))):
            row: Row = {label: group}
            if reports is not None:
                row["reports"] = counted(reports(group))
            row.update(figures(outcomes.get(group, [])))
            row["pacts"] = counted(s for s in signed.get(group, []) if s.kind == "pact")
            row["declarations"] = counted(
                s for s in signed.get(group, []) if s.kind == "declaration"
            )
            rows.append(row)
        return rows

    def of_signer(self, attribute: str) -> Callable[[Signed], Hashable]:
        """A signed record's group: an attribute of its signer's enrolment."""

        def group(s: Signed) -> Hashable:
            key = self.key(s.signer)
            return None if key is None else getattr(key, attribute)

        return group

    def of_ppk(self, attribute: str) -> Callable[[Rec], Hashable]:
        """A recommendation's group: an attribute of the addressed PPK's enrolment."""

        def group(rec: Rec) -> Hashable:
            key = self.key(rec.ppk_kid)
            return None if key is None else getattr(key, attribute)

        return group


def signers(
    snap: Snapshot,
    instansi: str | None = None,
    province: str | None = None,
    head_type: str | None = None,
) -> list[Row]:
    """Every PPK key's record (optionally of one instansi, province or head type)."""
    groups = Groups(snap)
    return [
        groups.signer_row(k)
        for k in snap.ppks
        if (instansi is None or k.instansi == instansi)
        and (province is None or k.province == province)
        and (head_type is None or k.head_type == head_type)
    ]


def signer(snap: Snapshot, kid: bytes) -> Row | None:
    """One key's record with its recommendations listed, or ``None`` if not enrolled."""
    groups = Groups(snap)
    key = groups.key(kid)
    if key is None:
        return None
    row = groups.signer_row(key)
    row["recommendation_outcomes"] = [outcome_row(snap, o) for o in groups.by_ppk.get(kid, [])]
    return row


def instansi(snap: Snapshot, province: str | None = None, name: str | None = None) -> list[Row]:
    """Per instansi: figures over recommendations naming it, its PPK keys, latest step."""
    groups = Groups(snap)
    rows = groups.grouped("instansi", lambda r: r.instansi, lambda s: s.instansi)
    ppks: dict[str, list[Key]] = defaultdict(list)
    for key in snap.ppks:
        ppks[key.instansi].append(key)
    steps = {s.instansi: s for s in snap.steps}
    out = []
    for row in rows:
        keys = ppks.get(row["instansi"], [])
        latest = keys[-1] if keys else None
        row["province"] = latest.province if latest else None
        row["ppk_keys"] = [b64url(k.kid) for k in keys]
        row["ppk_in_office"] = [b64url(k.kid) for k in keys if snap.in_office(k, snap.as_of)]
        step = steps.get(row["instansi"])
        row["enforcement"] = figure(None, []) if step is None else figure(step.step, [step.idx])
        if (province is None or row["province"] == province) and (
            name is None or row["instansi"] == name
        ):
            out.append(row)
    return out


def provinces(snap: Snapshot) -> list[Row]:
    """Per province of the addressed PPK's enrolment (reports by their own ``province``)."""
    groups = Groups(snap)
    return groups.grouped(
        "province",
        groups.of_ppk("province"),
        groups.of_signer("province"),
        lambda p: (r for r in snap.reports if r.province == p),
    )


def elections(snap: Snapshot) -> list[Row]:
    """Per election: pacts, declarations, reports and recommendations by their ``election``
    (one logged before elections were records and naming none: by date), in voting-day
    order of the log's elections (:mod:`registry.compliance.elections`)."""
    groups = Groups(snap)
    rows = groups.grouped(
        "election",
        lambda r: r.election or snap.election_of(r.day),
        lambda s: s.election,
        lambda e: (r for r in snap.reports if (r.election or snap.election_of(r.day)) == e),
    )
    for row in rows:
        row.update(pact_signers_kept_their_word(snap, row["election"]))
    known = order(snap.calendar)
    return sorted(rows, key=lambda r: (known.get(r["election"], len(known)), str(r["election"])))


def pact_signers_kept_their_word(snap: Snapshot, election: str | None) -> Row:
    """Did the PPKs who signed a pact for ``election`` follow up its recommendations?

    ``pact_signers``: keys with a standing pact for the election (entries: the
    pacts); ``pact_signers_*``: the follow-up figures over the election's
    recommendations addressed to one of those keys and issued on or after the
    day it signed.
    """
    signed: dict[bytes, str] = {}
    pacts = [p for p in snap.pacts if p.election == election]
    for p in pacts:
        signed[p.signer] = min(signed.get(p.signer, p.day), p.day)
    outcomes = [
        o
        for o in snap.outcomes.values()
        if (o.rec.election or snap.election_of(o.rec.day)) == election
        and o.rec.ppk_kid in signed
        and o.rec.day >= signed[o.rec.ppk_kid]
    ]
    row: Row = {"pact_signers": figure(len(signed), (p.idx for p in pacts))}
    found = figures(outcomes)
    for name in ("recommendations", "followed_up", "on_time", "downgraded", "overdue"):
        row[f"pact_signers_{name}"] = found[name]
    row["pact_signers_follow_up_rate"] = found["follow_up_rate"]
    return row


def _month_end(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def months(snap: Snapshot) -> list[Row]:
    """Per month (by issued-at day): what was signed that month, and overdue at its end."""
    by: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    outcomes = list(snap.outcomes.values())
    for r in snap.reports:
        by[r.day[:7]]["reports"].append(r.idx)
    for o in outcomes:
        by[o.rec.day[:7]]["recommendations"].append(o.rec.idx)
        if o.sanction is not None:
            by[o.sanction.day[:7]]["followed_up"].append(o.sanction.idx)
        if o.refusal is not None:
            by[o.refusal.day[:7]]["refused"].append(o.refusal.idx)
    for s in snap.steps:
        by[s.day[:7]]["enforcement_steps"].append(s.idx)
    for p in snap.pacts + snap.declarations:
        by[p.day[:7]][p.kind + "s"].append(p.idx)
    names = ("reports", "recommendations", "followed_up", "refused", "enforcement_steps")
    rows = []
    for month in sorted(by):
        end = min(_month_end(month), snap.as_of)
        overdue = [
            o.rec.idx
            for o in outcomes
            if o.rec.deadline < end and (o.sanction is None or o.sanction.day > end)
        ]
        row: Row = {"month": month}
        for name in (*names, "pacts", "declarations"):
            row[name] = figure(len(by[month][name]), by[month][name])
        row["overdue_at_month_end"] = figure(len(overdue), overdue)
        rows.append(row)
    return rows


def national(snap: Snapshot) -> Row:
    """The national totals (comparable with the figures in DOMAIN.md)."""
    row: Row = {"reports": counted(snap.reports), **figures(snap.outcomes.values())}
    row["pacts"] = counted(snap.pacts)
    row["pact_signers"] = figure(len({p.signer for p in snap.pacts}), (p.idx for p in snap.pacts))
    row["declarations"] = counted(snap.declarations)
    for step in STEPS:
        row["enforcement_" + step.replace("-", "_")] = counted(
            s for s in snap.steps if s.step == step
        )
    return row


def pact_signers_with_overdue(snap: Snapshot) -> list[Row]:
    """PPK keys that signed a standing pact yet have overdue recommendations.

    ``overdue``: addressed to the key; ``overdue_inherited``: of the same
    instansi, addressed to another key before this key's term began (a
    successor may follow them up).  Listed if either is not empty.
    """
    groups = Groups(snap)
    overdue = [o for o in snap.outcomes.values() if o.status == "overdue"]
    rows = []
    for kid in dict.fromkeys(p.signer for p in snap.pacts):
        key = groups.key(kid)
        if key is None:
            continue
        own = [o.rec.idx for o in overdue if o.rec.ppk_kid == kid]
        inherited = [
            o.rec.idx
            for o in overdue
            if o.rec.instansi == key.instansi
            and o.rec.ppk_kid != kid
            and o.rec.day < key.term_start
        ]
        if own or inherited:
            pacts = [p for p in snap.pacts if p.signer == kid]
            rows.append(
                {
                    **key_info(snap, key),
                    "pacts": counted(pacts),
                    "elections": sorted({p.election for p in pacts}),
                    "overdue": figure(len(own), own),
                    "overdue_inherited": figure(len(inherited), inherited),
                    "enforcement": _step(snap, kid),
                    "url": f"/api/compliance/signers/{b64url(kid)}",
                }
            )
    rows.sort(key=lambda r: (-r["overdue"]["value"], -r["overdue_inherited"]["value"], r["name"]))
    return rows


def outcome_row(snap: Snapshot, o: Outcome) -> Row:
    """One recommendation and what became of it."""
    election = o.rec.election or snap.election_of(o.rec.day)
    return outcome_entry(o, snap.keys.get(o.rec.ppk_kid), election)


def outcome_entry(o: Outcome, key: Key | Office | Enrolled | None, election: str | None) -> Row:
    """:func:`outcome_row` of ``o`` addressed to the PPK key enrolled as ``key`` (if any, as
    of the day; an enrolment read from the log will do), counted under ``election``."""
    return {
        "index": o.rec.idx,
        "day": o.rec.day,
        "case_number": o.rec.case_number,
        "instansi": o.rec.instansi,
        "ppk": b64url(o.rec.ppk_kid),
        "province": key.province if key else None,
        "head_type": key.head_type if key else None,
        "election": election,
        "deadline": o.rec.deadline,
        "status": o.status,
        "follow_up": o.sanction.idx if o.sanction else None,
        "decree_date": o.decree_date,
        "days": o.days,
        "on_time": o.on_time,
        "refusal": o.refusal.idx if o.refusal else None,
        "category": o.rec.category,
        "sanction_recommended": o.rec.sanction,
        "sanction_imposed": _imposed(o),
        "sanction_stated": _stated(o),
        "idis_reference": o.sanction.idis_reference if o.sanction else None,
        "downgrade": o.downgrade.idx if o.downgrade else None,
    }


def _stated(o: Outcome) -> bool:
    """Whether the answering follow-up names the sanction it imposed (else it claims the one
    recommended: a follow-up from before sanctions were recorded, or one that does not say)."""
    answer = o.sanction or o.downgrade
    return answer is not None and answer.sanction is not None


def _imposed(o: Outcome) -> str | None:
    """The sanction a follow-up imposed (the one recommended if it names none)."""
    answer = o.sanction or o.downgrade
    if answer is None:
        return None
    return answer.sanction or o.rec.sanction


def recommendations(
    snap: Snapshot,
    ppk: bytes | None = None,
    instansi: str | None = None,
    status: str | None = None,
) -> list[Row]:
    """Every standing recommendation's outcome, optionally filtered."""
    return [
        outcome_row(snap, o)
        for o in snap.outcomes.values()
        if (ppk is None or o.rec.ppk_kid == ppk)
        and (instansi is None or o.rec.instansi == instansi)
        and (status is None or o.status == status)
    ]
