"""The elections of the demo, registered by the operator before anything cites them.

Every demo pact, declaration, report and recommendation names one of these
(docs/compliance.md "Elections").  Voting days and campaign windows are the
public calendar (KPU); the regions that vote in a Pilkada are the demo's
regions of that cycle (:mod:`registry.demo.places`: heads elected in 2015 were
re-elected in 2020), a Pemilu is national.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from registry.compliance.elections import election_of
from registry.demo.dates import GO_LIVE, timestamp
from registry.demo.offices import Region
from registry.demo.signers import Builder, Event
from registry.records.policy import WIB

ELECTIONS: tuple[tuple[str, str, str, str, str, str, int | None], ...] = (
    (
        "pilkada-2018",
        "pilkada",
        "Pilkada Serentak 2018",
        "2018-06-27",
        "2018-02-15",
        "2018-06-23",
        2018,
    ),
    ("pemilu-2019", "pemilu", "Pemilu 2019", "2019-04-17", "2018-09-23", "2019-04-13", None),
    (
        "pilkada-2020",
        "pilkada",
        "Pilkada Serentak 2020",
        "2020-12-09",
        "2020-09-26",
        "2020-12-05",
        2015,
    ),
    ("pemilu-2024", "pemilu", "Pemilu 2024", "2024-02-14", "2023-11-28", "2024-02-10", None),
    (
        "pilkada-2024",
        "pilkada",
        "Pilkada Serentak 2024",
        "2024-11-27",
        "2024-09-25",
        "2024-11-23",
        0,
    ),
)
"""Name, kind, title, voting day, campaign start and end, and which demo regions vote: those
whose head was elected in that cycle year, ``None`` national, ``0`` every region (2024)."""
NO_PILKADA = "Pemerintah Provinsi Daerah Istimewa Yogyakarta"
"""Its governor is the Sultan, appointed, not elected."""


def _regions(regions: list[Region], cycle: int | None) -> list[str]:
    if cycle is None:
        return ["national"]
    return [
        r.instansi.removeprefix("Pemerintah ")
        for r in regions
        if r.kind != "pusat" and r.instansi != NO_PILKADA and cycle in (0, r.cycle)
    ]


def register_elections(b: Builder, regions: list[Region]) -> None:
    """The operator registers the demo's elections on the registry's first morning."""
    for n, (name, kind, title, voting, start, end, cycle) in enumerate(ELECTIONS):
        b.emit(
            b.admin,
            timestamp(GO_LIVE, 6, 10, n),
            {
                "type": "election",
                "kind": kind,
                "name": name,
                "title": title,
                "voting_day": voting,
                "campaign_start": start,
                "campaign_end": end,
                "regions": _regions(regions, cycle),
            },
        )


CITING = ("pact", "declaration", "report", "recommendation")


def cite_elections(events: list[Event]) -> None:
    """Name an election in every report and recommendation that names none: the one its
    story tells (its ``election`` meta), else the one of its day, as the figures count it."""
    for event in events:
        payload: dict[str, Any] = event.payload
        if payload["type"] in CITING and "election" not in payload:
            day = dt.datetime.fromtimestamp(event.at, WIB).date().isoformat()
            named = event.meta.get("election") or election_of(day)
            assert named is not None, f"no demo election for a {payload['type']} of {day}"
            payload["election"] = named
