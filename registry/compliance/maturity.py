"""The maturity index of an instansi per election (seed 002), recomputable from entries.

For instansi I and election E (docs/compliance.md, "Maturity index"), five parts,
each between 0 and 1, each a figure listing its entries:

* ``pact``: 1 if a standing pact for E names I, else 0;
* ``declarations``: 1 if a standing declaration for E names I, else 0;
* ``on_time``: recommendations of E naming I followed up on time, over those
  recommendations (1 when there are none);
* ``as_recommended``: of those followed up or downgraded, the share followed up
  with at least the sanction recommended (1 when there are none);
* ``no_enforcement``: 1 - (highest enforcement step against I citing a
  recommendation of E) / 4, the steps ranked early-warning 1, warning 2,
  reprimand 3, block 4 (1 when there is none).

``index`` = 100 x their mean, one decimal.  A recommendation belongs to E by
its ``election`` field, else by date (:mod:`registry.compliance.elections`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from registry.compliance.elections import order as election_order
from registry.compliance.metrics import Figure, Outcome, Snapshot, figure, figures

Row = dict[str, Any]
STEP_RANK = {"early-warning": 1, "warning": 2, "reprimand": 3, "block": 4}


def _election(snap: Snapshot, o: Outcome) -> str | None:
    return o.rec.election or snap.election_of(o.rec.day)


def _share(part: list[int], whole: list[int], entries: list[int]) -> Figure:
    return figure(round(len(part) / len(whole), 4) if whole else 1.0, entries)


def maturity(snap: Snapshot, election: str | None = None, instansi: str | None = None) -> list[Row]:
    """One row per (instansi, election) with a pact, declaration or recommendation."""
    outcomes: dict[tuple[str, str | None], list[Outcome]] = defaultdict(list)
    for o in snap.outcomes.values():
        outcomes[(o.rec.instansi, _election(snap, o))].append(o)
    signed: dict[tuple[str, str | None], dict[str, list[int]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for s in snap.pacts + snap.declarations:
        signed[(s.instansi, s.election)][s.kind].append(s.idx)
    keys = set(outcomes) | set(signed)
    order = election_order(snap.calendar)
    rows = []
    for inst, elect in sorted(keys, key=lambda k: (k[0], order.get(k[1] or "", 99), str(k[1]))):
        if (election is not None and elect != election) or (
            instansi is not None and inst != instansi
        ):
            continue
        group = outcomes.get((inst, elect), [])
        found = figures(group)
        recs = found["recommendations"]["entries"]
        on_time = found["on_time"]["entries"]
        followed = found["followed_up"]["entries"]
        downgraded = found["downgraded"]["entries"]
        rec_ids = set(recs)
        steps = [s for s in snap.steps if s.instansi == inst and rec_ids & set(s.cites)]
        worst = max((STEP_RANK.get(s.step, 0) for s in steps), default=0)
        pacts = signed[(inst, elect)]["pact"] if (inst, elect) in signed else []
        declarations = signed[(inst, elect)]["declaration"] if (inst, elect) in signed else []
        parts = {
            "pact": figure(1.0 if pacts else 0.0, pacts),
            "declarations": figure(1.0 if declarations else 0.0, declarations),
            "on_time": _share(on_time, recs, recs + on_time),
            "as_recommended": _share(followed, followed + downgraded, followed + downgraded),
            "no_enforcement": figure(round(1 - worst / 4, 4), [s.idx for s in steps]),
        }
        value = round(100 * sum(p["value"] for p in parts.values()) / len(parts), 1)
        entries = [i for p in parts.values() for i in p["entries"]]
        rows.append({"instansi": inst, "election": elect, "index": figure(value, entries), **parts})
    return rows
