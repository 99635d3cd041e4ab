"""Regions and their heads: who is the PPK of each province, kabupaten/kota and ministry, when.

:func:`build_regions` lists the 38 provinces (the new Papuan ones from their
formation), the kabupaten/kota of :mod:`registry.demo.places` and the
ministries; :func:`appoint_heads` plans each region's terms of office from
before 2020 on (definitive heads, Plt when one falls, Pj chains until the heads
elected in Pilkada 2024 take office), gives every office its own key and
enrolment decree, and revokes the keys of the (at most two) acting regents or
mayors who resign to run in Pilkada 2024.  An :class:`Office` also carries the
recommendations addressed to it (:class:`Rec`) and BKN's enforcement step
against it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from registry.demo import places
from registry.demo.dates import (
    ACTING_DAY_2020,
    ACTING_REGIONS_2020,
    CAMPAIGN_2020,
    GO_LIVE,
    add_days,
    timestamp,
)
from registry.demo.signers import Actor, Builder, Event

PJ_END = dt.date(2025, 2, 19)
"""Acting heads served until the heads elected in Pilkada 2024 took office on 20 February 2025."""

# The Papuan provinces formed in 2022 get their first (acting) governor on these days.
NEW_PROVINCE_START = {"Papua Barat Daya": dt.date(2022, 12, 9)}
DEFAULT_NEW_PROVINCE_START = dt.date(2022, 11, 11)


@dataclass(eq=False)
class Office:
    """One head's term in a region (its own PPK key), with the recommendations addressed to it.

    ``weight`` (odds of following up), ``step``/``step_day`` (BKN's last enforcement
    step) and ``blocked`` are the enforcement history's state for this office.
    """

    actor: Actor
    start: dt.date
    until: dt.date
    acting: bool
    recs: list[Rec] = field(default_factory=list)
    weight: float = 1.0
    step: str | None = None
    step_day: dt.date = GO_LIVE
    blocked: list[Rec] = field(default_factory=list)
    asn_blocked: list[Rec] = field(default_factory=list)
    """Recommendations whose ASN BKN blocked in SAPK (staff-block entries), until unblocked."""


@dataclass(eq=False)
class Region:
    """A province, kabupaten/kota or ministry (kind ``pusat``), its election cycle and offices."""

    instansi: str
    title: str
    short: str
    kind: str
    province: str | None
    code: str
    cycle: int
    capital: str
    formed_from: str | None = None
    formed: dt.date | None = None
    offices: list[Office] = field(default_factory=list)

    def office_at(self, day: dt.date) -> Office | None:
        return next((o for o in self.offices if o.start <= day <= o.until), None)

    def province_at(self, day: dt.date) -> str | None:
        if self.formed is not None and day < self.formed:
            return self.formed_from
        return self.province


@dataclass(eq=False)
class Rec:
    """A recommendation addressed to an office: its deadline, and if and when it is followed up."""

    event: Event
    office: Office
    day: dt.date
    deadline: dt.date
    followed: bool = False
    fu_day: dt.date | None = None
    refused: bool = False


@dataclass
class Term:
    """A planned term of office; ``until`` ends it early (resigned), the enrolment keeps ``end``."""

    start: dt.date
    end: dt.date
    kind: str  # "definitive", "pj", "plt" or "pjs"
    same_person: bool = False
    until: dt.date | None = None


def _plus_years(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


def build_regions() -> list[Region]:
    """The provinces, then the kabupaten/kota, then the ministries, without their offices."""
    regions: list[Region] = []
    for p in places.PROVINCES:
        formed = (
            NEW_PROVINCE_START.get(p.name, DEFAULT_NEW_PROVINCE_START) if p.formed_from else None
        )
        regions.append(
            Region(
                f"Pemerintah Provinsi {p.name}",
                "Gubernur",
                p.name,
                "provinsi",
                p.name,
                p.code,
                p.cycle,
                p.capital,
                p.formed_from,
                formed,
            )
        )
    by_name = {p.name: p for p in places.PROVINCES}
    for r in places.REGENCIES:
        p = by_name[r.province]
        formed = (
            NEW_PROVINCE_START.get(p.name, DEFAULT_NEW_PROVINCE_START) if p.formed_from else None
        )
        kind = "Kota" if r.kota else "Kabupaten"
        regions.append(
            Region(
                f"Pemerintah {kind} {r.name}",
                "Wali Kota" if r.kota else "Bupati",
                r.name,
                kind.lower(),
                p.name,
                p.code,
                r.cycle,
                r.name,
                p.formed_from,
                formed,
            )
        )
    for instansi, minister in places.MINISTRIES:
        regions.append(Region(instansi, minister, "", "pusat", None, "", 0, "Jakarta"))
    return regions


def _pj_chain(rng: random.Random, start: dt.date) -> list[Term]:
    terms: list[Term] = []
    while start <= PJ_END:
        end = add_days(start, 364)
        if (PJ_END - end).days < 150:
            end = PJ_END
        terms.append(Term(start, end, "pj", same_person=bool(terms) and rng.random() < 0.45))
        start = add_days(end, 1)
    return terms


def _plan(rng: random.Random, region: Region) -> list[Term]:
    """The region's offices from before 2020 to 2025 (contiguous, non-overlapping)."""
    if region.kind == "pusat":
        return [
            Term(dt.date(2019, 10, 23), dt.date(2024, 10, 20), "definitive"),
            Term(dt.date(2024, 10, 21), dt.date(2029, 10, 20), "definitive"),
        ]
    if region.formed is not None and region.kind == "provinsi":
        return _pj_chain(rng, region.formed)
    if region.cycle == 0:  # Yogyakarta: the governor is appointed for five years at a time
        return [
            Term(dt.date(2017, 10, 10), dt.date(2022, 10, 9), "definitive"),
            Term(dt.date(2022, 10, 10), dt.date(2027, 10, 9), "definitive", same_person=True),
        ]
    base = {
        2015: (dt.date(2016, 2, 17), 120),
        2017: (dt.date(2017, 2, 15), 240),
        2018: (dt.date(2018, 6, 20), 300),
    }[region.cycle]
    start = add_days(base[0], rng.randint(0, base[1]))
    end = add_days(_plus_years(start, 5), -1)
    terms = [Term(start, end, "definitive")]
    if rng.random() < (0.12 if region.kind == "provinsi" else 0.3):
        fall = max(add_days(dt.date(2019, 3, 1), rng.randint(0, 280)), add_days(start, 180))
        back = min(end, max(dt.date(2021, 12, 31), add_days(fall, rng.randint(700, 900))))
        terms = [Term(start, add_days(fall, -1), "definitive"), Term(fall, back, "plt")]
        if back < end:
            terms.append(Term(add_days(back, 1), end, "definitive", same_person=True))
    if region.cycle == 2015:
        terms.append(Term(add_days(end, 1), PJ_END, "definitive"))
    else:
        terms.extend(_pj_chain(rng, add_days(end, 1)))
    return terms


def _decree(rng: random.Random, region: Region, term: Term) -> tuple[str, dt.date]:
    year = term.start.year
    n = rng.randint(1000, 4999)
    if region.kind == "pusat":
        return (
            ("Keppres No. 113/P Tahun 2019", dt.date(2019, 10, 23))
            if year == 2019
            else ("Keppres No. 133/P Tahun 2024", dt.date(2024, 10, 20))
        )
    if term.kind == "plt":
        issuer = (
            "Mendagri"
            if region.kind == "provinsi"
            else f"Gubernur {region.province_at(term.start)}"
        )
        return f"Surat {issuer} No. 131/{n}/OTDA Tahun {year}", term.start
    if region.kind == "provinsi":
        return f"Keppres No. {rng.randint(20, 180)}/P Tahun {year}", add_days(
            term.start, -rng.randint(3, 20)
        )
    series = "100.2.1.3" if term.kind == "pj" and year >= 2023 else f"131.{region.code}"
    return f"Kepmendagri No. {series}-{n} Tahun {year}", add_days(term.start, -rng.randint(2, 20))


def _acting_on(terms: list[Term], day: dt.date) -> bool:
    return any(t.start <= day <= t.end and t.kind != "definitive" for t in terms)


def _campaign_leave(rng: random.Random, regions: list[Region], plans: list[list[Term]]) -> None:
    """Incumbents who run in Pilkada 2020 hand over to a Pjs for the campaign.

    As many as make :data:`ACTING_REGIONS_2020` regions led by an acting head
    on :data:`ACTING_DAY_2020` (with the regions led by a Plt that day).
    """
    start, end = CAMPAIGN_2020
    acting = sum(_acting_on(terms, ACTING_DAY_2020) for terms in plans)
    eligible = [
        n
        for n, (region, terms) in enumerate(zip(regions, plans, strict=True))
        if region.kind != "pusat"
        and region.cycle == 2015
        and any(t.kind == "definitive" and t.start < start and end < t.end for t in terms)
    ]
    assert len(eligible) >= ACTING_REGIONS_2020 - acting, "too few incumbents to stand down"
    for n in sorted(rng.sample(eligible, ACTING_REGIONS_2020 - acting)):
        terms = plans[n]
        i, term = next((i, t) for i, t in enumerate(terms) if t.start < start and end < t.end)
        terms[i : i + 1] = [
            Term(term.start, add_days(start, -1), "definitive", term.same_person),
            Term(start, end, "pjs"),
            Term(add_days(end, 1), term.end, "definitive", same_person=True),
        ]


def appoint_heads(b: Builder, regions: list[Region]) -> None:
    """Give each region its offices: a key, an enrolment and a decree per planned term."""
    resign = 0
    plans = [_plan(b.rng, region) for region in regions]
    _campaign_leave(b.rng, regions, plans)
    for number, region in enumerate(regions):
        terms = plans[number]
        # Two acting regents/mayors resign to run in Pilkada 2024 (their keys are revoked).
        if resign < 2 and terms[-1].kind == "pj" and region.kind != "provinsi" and number % 7 == 3:
            last = terms[-1]
            if last.start < dt.date(2024, 6, 1):
                resign += 1
                last.until = dt.date(2024, 7, 25)
                terms.append(Term(dt.date(2024, 7, 26), last.end, "pj"))
        name = ""
        names: list[str] = []
        for n, term in enumerate(terms):
            until = term.until or term.end
            if not term.same_person:
                name = b.person()
            elif term.kind == "definitive" and n >= 2 and terms[n - 1].kind == "pjs":
                name = names[n - 2]
            names.append(name)
            if until < GO_LIVE:
                continue
            prefix = {"definitive": "", "pj": "Pj. ", "plt": "Plt. ", "pjs": "Pjs. "}[term.kind]
            jabatan = f"{prefix}{region.title} {region.short}".strip()
            actor = b.actor(
                f"ppk/{region.instansi}/{n}",
                "ppk",
                name,
                jabatan,
                region.instansi,
                region.province_at(term.start),
                term.kind,
                (term.start, term.end),
            )
            decree, decree_date = _decree(b.rng, region, term)
            b.enrol(actor, max(GO_LIVE, term.start), decree, decree_date)
            region.offices.append(Office(actor, term.start, until, term.kind != "definitive"))
            if term.until is not None:
                b.emit(
                    b.admin,
                    timestamp(add_days(until, 1), 6, 30),
                    {
                        "type": "key-revocation",
                        "kid": actor.kid,
                        "reason": f"{jabatan} mengundurkan diri untuk maju dalam Pilkada 2024",
                        "effective": add_days(until, 1).isoformat(),
                    },
                )
