"""Head types: figures per head type of the addressed PPK, and the instansi acting heads led.

Pj (penjabat), Plt (pelaksana tugas) and Pjs (penjabat sementara) are the
acting heads; :func:`acting_led` counts the instansi they led on a day and how
many of those a recommendation named (seed 000: 109 of 137 after Pilkada 2020).
"""

from __future__ import annotations

from collections import defaultdict

from registry.compliance.metrics import Figure, Snapshot, figure
from registry.compliance.views import Groups, Row

HEAD_TYPES = ("definitive", "pj", "plt", "pjs")
ACTING_HEAD_TYPES = frozenset({"pj", "plt", "pjs"})
"""Pj (penjabat), Plt (pelaksana tugas) and Pjs (penjabat sementara): acting heads."""


def _led(
    snap: Snapshot, day: str, types: frozenset[str | None], recs_of: dict[str, list[int]]
) -> tuple[Figure, Figure]:
    """Instansi whose PPK key in office on ``day`` has one of ``types``, and those with recs."""
    heads = [k for k in snap.ppks if k.head_type in types and snap.in_office(k, day)]
    led = {k.instansi for k in heads}
    hit = {i for i in led if recs_of.get(i)}
    return figure(len(led), (k.idx for k in heads)), figure(
        len(hit),
        [k.idx for k in heads if k.instansi in hit] + [r for i in hit for r in recs_of[i]],
    )


def _recs_by_instansi(snap: Snapshot, election: str | None) -> dict[str, list[int]]:
    recs_of: dict[str, list[int]] = defaultdict(list)
    for o in snap.outcomes.values():
        if election is None or (o.rec.election or snap.election_of(o.rec.day)) == election:
            recs_of[o.rec.instansi].append(o.rec.idx)
    return recs_of


def head_types(snap: Snapshot, on: str | None = None, election: str | None = None) -> list[Row]:
    """Per head type (definitive, pj, plt, pjs) of the addressed PPK, with instansi led ``on``.

    ``instansi_led``: instansi whose PPK key in office on ``on`` (default the
    snapshot's day) has that head type (entries: those keys' enrolments);
    ``instansi_led_with_recommendations``: those of them named by a standing
    recommendation (of ``election`` if given; entries: the enrolments and the
    recommendations).
    """
    day = on or snap.as_of
    groups = Groups(snap)
    rows = groups.grouped("head_type", groups.of_ppk("head_type"), groups.of_signer("head_type"))
    recs_of = _recs_by_instansi(snap, election)
    for row in rows:
        led, hit = _led(snap, day, frozenset({row["head_type"]}), recs_of)
        row["on"] = day
        row["instansi_led"] = led
        row["instansi_led_with_recommendations"] = hit
    return rows


def acting_led(snap: Snapshot, on: str | None = None, election: str | None = None) -> Row:
    """All acting heads together (Pj, Plt, Pjs): the instansi they led on ``on``, and
    how many of those were named by a recommendation (of ``election`` if given), with
    the share (seed 000: 109 of 137, 79 %)."""
    day = on or snap.as_of
    recs_of = _recs_by_instansi(snap, election)
    led, hit = _led(snap, day, ACTING_HEAD_TYPES, recs_of)
    share = round(hit["value"] / led["value"], 4) if led["value"] else None
    return {
        "on": day,
        "election": election,
        "instansi_led": led,
        "instansi_led_with_recommendations": hit,
        "share_with_recommendations": figure(share, led["entries"] + hit["entries"]),
    }


def table(
    snap: Snapshot, on: str | None = None, election: str | None = None
) -> tuple[list[Row], Row]:
    """The head-types table and the acting heads' row together (what the API answers)."""
    return head_types(snap, on, election), acting_led(snap, on, election)
