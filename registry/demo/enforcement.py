"""The enforcement history after Pilkada 2020: reports, recommendations, follow-ups, BKN's steps.

:class:`EnforcementHistory` emits the 2,304 reports, 1,596 recommendations and
1,373 sanctioning follow-ups of the national figures (456, 344 and 189 of them
by 31 July 2020), the refusals, which count as not followed up, and BKN's
escalation (early warning, warning, reprimand, block in SAPK, unblock) against
PPKs in office with overdue recommendations.  Acting heads follow up less and
later, and BKN's steps (:mod:`registry.demo.escalation`) hasten some overdue
follow-ups.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from registry.demo import data, places
from registry.demo.dates import (
    ACTING_DAY_2020,
    ACTING_REGIONS_2020,
    ACTING_REGIONS_WITH_VIOLATIONS_2020,
    CUTOFF,
    ELECTION_DAY_2020,
    FOLLOW_UP_DAYS,
    GO_LIVE,
    LAST_FOLLOW_UP,
    add_days,
)
from registry.demo.escalation import Escalation
from registry.demo.offices import Office, Rec, Region
from registry.demo.signers import Builder, DemoIdentity, Event

FIGURES = {
    "reports": 2304,
    "recommendations": 1596,
    "sanctioned": 1373,
    "reports_cutoff": 456,
    "recommendations_cutoff": 344,
    "sanctioned_cutoff": 189,
}
REFUSALS = 26
DOWNGRADES = 21
"""Follow-ups imposing a weaker sanction than recommended: not followed up."""
WEAKER = {"light": "moral", "medium": "light", "heavy": "medium"}


def _pick_top(
    rng: random.Random, items: Sequence[Any], weight: Callable[[Any], float], count: int
) -> list[Any]:
    """``count`` items sampled without replacement, proportional to ``weight`` (A-Res keys)."""
    keyed = sorted(
        ((rng.random() ** (1.0 / weight(x)), i) for i, x in enumerate(items)), reverse=True
    )
    return [items[i] for _, i in keyed[:count]]


_ODDS = {(False, False): 0.93, (False, True): 0.55, (True, False): 0.80, (True, True): 0.40}
"""Chance that a PPK follows a recommendation up: (acting, laggard) -> p; sampling uses p/(1-p)."""


def _report_days(
    rng: random.Random, count: int, months: Sequence[tuple[int, float]], first: dt.date
) -> list[dt.date]:
    picked = rng.choices([m for m, _ in months], [w for _, w in months], k=count)
    out = []
    for month in picked:
        start = max(first, dt.date(2020, month, 1))
        end = add_days(dt.date(2020 + month // 12, month % 12 + 1, 1), -1)
        out.append(add_days(start, rng.randint(0, (end - start).days)))
    return out


class EnforcementHistory:
    """Reports, recommendations, follow-ups and BKN's enforcement, with the seed figures."""

    def __init__(self, b: Builder, regions: list[Region]) -> None:
        self.b = b
        self.regions = regions
        self.cycles = {p.name: p.cycle for p in places.PROVINCES}
        self.pilkada = [r for r in regions if r.kind in ("kabupaten", "kota") and r.cycle == 2015]
        self.clean: set[int] = set()
        self.acting = [
            n
            for n, r in enumerate(regions)
            if (o := r.office_at(ACTING_DAY_2020)) is not None and o.acting
        ]
        assert len(self.acting) == ACTING_REGIONS_2020
        clean_acting = ACTING_REGIONS_2020 - ACTING_REGIONS_WITH_VIOLATIONS_2020
        self.clean.update(b.rng.sample(self.acting, clean_acting))
        for number, region in enumerate(regions):
            office = region.office_at(ELECTION_DAY_2020)
            if number in self.acting or office is None or region.kind == "pusat":
                continue
            if b.rng.random() < 0.15:
                self.clean.add(number)
        self.sure: set[int] = set()
        """Reports certain to be recommended: one per acting-led region with violations."""
        for region in regions:
            for o in region.offices:
                p = _ODDS[(o.acting, b.rng.random() < (0.3 if o.acting else 0.1))]
                o.weight = p / (1 - p)

    def weight(self, region: Region) -> float:
        if region.office_at(GO_LIVE) is None:
            return 0.0
        if region.kind == "pusat":
            return 0.8
        if region.kind == "provinsi":
            return 4.0 if region.cycle == 2015 else 0.4
        if region.cycle == 2015:
            return 3.0
        return 1.0 if self.cycles[region.province_at(GO_LIVE) or ""] == 2015 else 0.2

    def run(self) -> None:
        rng = self.b.rng
        early = _report_days(
            rng,
            FIGURES["reports_cutoff"],
            [(1, 0.6), (2, 1), (3, 0.8), (4, 0.3), (5, 0.3), (6, 0.8), (7, 1.2)],
            dt.date(2020, 1, 13),
        )
        late = _report_days(
            rng,
            FIGURES["reports"] - FIGURES["reports_cutoff"],
            [(8, 1), (9, 2), (10, 3), (11, 3), (12, 1.5)],
            dt.date(2020, 8, 1),
        )
        numbers = rng.choices(
            range(len(self.regions)), [self.weight(r) for r in self.regions], k=FIGURES["reports"]
        )
        # No violation is proven in the clean acting-led regions: their reports go elsewhere.
        elsewhere = [
            n
            for n, r in enumerate(self.regions)
            if n not in self.acting and n not in self.clean and self.weight(r) >= 1.0
        ]
        numbers = [
            rng.choice(elsewhere) if n in self.clean and n in self.acting else n for n in numbers
        ]
        # Every acting-led region with violations has a report in the campaign months.
        first_late = FIGURES["reports_cutoff"]
        for region in (n for n in self.acting if n not in self.clean):
            late_of = [i for i in range(first_late, len(numbers)) if numbers[i] == region]
            if not late_of:
                counts = Counter(numbers[first_late:])
                spare = [i for i in range(first_late, len(numbers)) if counts[numbers[i]] > 3]
                spare = [i for i in spare if numbers[i] not in self.acting]
                late_of = [rng.choice(spare)]
                numbers[late_of[0]] = region
            self.sure.add(late_of[0] + 1)
        reports = [
            self.report(n, day, number)
            for n, (day, number) in enumerate(zip(sorted(early + late), numbers, strict=True), 1)
        ]
        recs = self.recommend(reports)
        self.plan_follow_ups(recs)
        Escalation(self.b).enforce([o for r in self.regions for o in r.offices if o.recs])
        for rec in recs:
            if rec.followed and rec.fu_day is not None:
                self.sanction(rec, rec.fu_day)
        self.downgrade(recs)

    def report(self, n: int, day: dt.date, number: int) -> tuple[Event, int]:
        b, rng, region = self.b, self.b.rng, self.regions[number]
        venue = region
        if region.kind == "pusat":
            venue = rng.choice(self.pilkada)
        elif region.kind == "provinsi" and region.cycle != 2015:
            inside = [r for r in self.pilkada if r.province == region.province]
            venue = rng.choice(inside) if inside else region
        if venue.cycle == 2015:
            contest = f"pasangan calon {venue.title} {venue.short}"
        elif self.cycles.get(venue.province_at(day) or "") == 2015:
            contest = f"pasangan calon Gubernur {venue.province_at(day)}"
        else:
            contest = "salah satu bakal calon kepala daerah"
        category, _, _, template, kind = rng.choices(
            data.VIOLATIONS, [v[1] for v in data.VIOLATIONS]
        )[0]
        place = {
            "online": rng.choice(data.PLATFORMS),
            "venue": f"{rng.choice(data.VENUES)}, {venue.capital}",
            "party": f"Sekretariat partai politik, {venue.capital}",
            "office": f"Kantor dinas, {venue.capital}",
        }[kind]
        nip = b.nip()
        salt, commitment = b.commit(nip)
        b.identities.append(DemoIdentity(commitment, salt, nip, b.person(0.4, titled=False)))
        jabatan = f"{rng.choice(data.REPORTED_ROLES)} pada {region.instansi}"
        if rng.random() < 0.45:
            actor = b.bawaslu
            reporter = "Bawaslu " + venue.instansi.removeprefix("Pemerintah ")
        else:
            actor = b.recommender
            reporter = (
                "Patroli siber media sosial"
                if rng.random() < 0.15
                else "Pengaduan masyarakat melalui "
                + ("SIAPNET" if day >= dt.date(2020, 9, 1) else "surel")
            )
        payload = {
            "type": "report",
            "case_number": f"NET.2020.{n:05d}",
            "reporter": reporter,
            "instansi": region.instansi,
            "province": venue.province_at(day),
            "subject_commitment": commitment,
            "category": data.CATEGORY_CODES[category],
            "description": template.format(jabatan=jabatan, contest=contest, place=place),
            "place": place,
            "date": max(GO_LIVE, add_days(day, -rng.randint(0, 12))).isoformat(),
            "evidence": [rng.randbytes(32) for _ in range(rng.randint(1, 3))],
        }
        return b.emit(actor, b.working_hours(day), payload, day=day, n=n), number

    def recommend(self, reports: list[tuple[Event, int]]) -> list[Rec]:
        rng = self.b.rng

        def weight(report: tuple[Event, int]) -> float:
            if report[1] in self.clean:
                return 1e-6
            return 1e6 if report[0].meta["n"] in self.sure else 1.0

        early = [r for r in reports if r[0].meta["day"] <= CUTOFF]
        late = [r for r in reports if r[0].meta["day"] > CUTOFF]
        extra = 8  # proven before 31 July but recommended after it
        chosen = sorted(
            _pick_top(rng, early, weight, FIGURES["recommendations_cutoff"] + extra),
            key=lambda r: r[0].seq,
        )
        recs: list[Rec] = []
        for n, (event, number) in enumerate(chosen):
            day = event.meta["day"]
            rec_day = (
                min(add_days(day, rng.randint(5, 40)), CUTOFF)
                if n < FIGURES["recommendations_cutoff"]
                else max(dt.date(2020, 8, 3), add_days(day, rng.randint(5, 40)))
            )
            recs.append(self.recommendation(event, number, rec_day))
        rest = FIGURES["recommendations"] - len(recs)
        for event, number in sorted(_pick_top(rng, late, weight, rest), key=lambda r: r[0].seq):
            rec_day = min(add_days(event.meta["day"], rng.randint(7, 45)), dt.date(2021, 1, 29))
            recs.append(self.recommendation(event, number, rec_day))
        return recs

    def recommendation(self, report: Event, number: int, day: dt.date) -> Rec:
        rng, region = self.b.rng, self.regions[number]
        office = region.office_at(day)
        if office is not None and day >= office.until:  # the Pjs's last day: to the incumbent
            day = add_days(office.until, 1)
            office = region.office_at(day)
        assert office is not None, f"{region.instansi} has no head on {day}"
        assert report.meta["day"] < day < office.until
        violation = next(
            v for v in data.VIOLATIONS if data.CATEGORY_CODES[v[0]] == report.payload["category"]
        )
        deadline = add_days(day, FOLLOW_UP_DAYS)
        payload = {
            "type": "recommendation",
            "case_number": report.payload["case_number"],
            "instansi": region.instansi,
            "ppk_kid": office.actor.kid,
            "subject_commitment": report.payload["subject_commitment"],
            "category": data.CATEGORY_CODES[violation[0]],
            "sanction": rng.choices(data.SANCTIONS, violation[2])[0],
            "deadline": deadline.isoformat(),
            "report": report,
        }
        event = self.b.emit(
            self.b.recommender,
            self.b.working_hours(day),
            payload,
            day=day,
            acting=office.acting,
            region=number,
        )
        rec = Rec(event, office, day, deadline)
        office.recs.append(rec)
        return rec

    def lag(self, office: Office) -> int:
        rng = self.b.rng
        on_time = (0.42 if office.acting else 0.72) * (1.0 if office.weight > 2 else 0.6)
        if rng.random() < on_time:
            return rng.randint(2, FOLLOW_UP_DAYS)
        return int(rng.triangular(FOLLOW_UP_DAYS + 1, 200 if office.acting else 120, 25))

    def plan_follow_ups(self, recs: list[Rec]) -> None:
        """Choose the recommendations followed up and when; emit the refusals."""
        rng = self.b.rng
        followed = _pick_top(rng, recs, lambda r: r.office.weight, FIGURES["sanctioned"])
        for rec in followed:
            rec.followed = True
            rec.fu_day = add_days(rec.day, self.lag(rec.office))
        early = [r for r in recs if r.followed and r.day <= CUTOFF]
        early.sort(
            key=lambda r: (r.day >= CUTOFF, add_days(r.day, rng.randint(0, 30)), r.event.seq)
        )
        for n, rec in enumerate(early):
            assert rec.fu_day is not None
            if n < FIGURES["sanctioned_cutoff"]:
                if rec.fu_day > CUTOFF:
                    rec.fu_day = add_days(rec.day, rng.randint(1, (CUTOFF - rec.day).days))
            elif rec.fu_day <= CUTOFF:
                rec.fu_day = add_days(CUTOFF, rng.randint(1, 30))
        for rec in sorted(followed, key=lambda r: r.event.seq):
            assert rec.fu_day is not None
            rec.fu_day = max(
                add_days(rec.day, 1), min(rec.fu_day, rec.office.until, LAST_FOLLOW_UP)
            )
        pending = [r for r in recs if not r.followed]
        for rec in sorted(
            _pick_top(rng, pending, lambda r: 3.0 if r.office.acting else 1.0, REFUSALS),
            key=lambda r: r.event.seq,
        ):
            rec.refused = True
            day = max(
                add_days(rec.day, 1), min(add_days(rec.day, rng.randint(5, 30)), rec.office.until)
            )
            self.b.emit(
                rec.office.actor,
                self.b.working_hours(day),
                {
                    "type": "follow-up",
                    "recommendation": rec.event,
                    "action": "refused",
                    "reason": rng.choice(data.REFUSAL_REASONS),
                },
                day=day,
                action="refused",
            )

    def downgrade(self, recs: list[Rec]) -> None:
        """Some PPKs impose a weaker sanction than recommended (a medium one as light...)."""
        rng = self.b.rng
        left = [
            r
            for r in recs
            if not r.followed and not r.refused and r.event.payload["sanction"] in WEAKER
        ]
        picked = _pick_top(rng, left, lambda r: 1.0, DOWNGRADES)
        for rec in sorted(picked, key=lambda r: r.event.seq):
            day = max(
                add_days(rec.day, 1), min(add_days(rec.day, rng.randint(3, 20)), rec.office.until)
            )
            self.sanction(rec, day, WEAKER[rec.event.payload["sanction"]])

    def sanction(self, rec: Rec, day: dt.date, weaker: str | None = None) -> None:
        rng = self.b.rng
        region = self.regions[rec.event.meta["region"]]
        unit = {"provinsi": "BKD", "pusat": "Biro SDM"}.get(region.kind, "BKPSDM")
        decree_day = max(add_days(rec.day, 1), add_days(day, -rng.randint(0, 3)))
        imposed = weaker or rec.event.payload["sanction"]
        payload = {
            "type": "follow-up",
            "recommendation": rec.event,
            "action": "sanctioned",
            "decree_number": f"862/{rng.randint(100, 9999):04d}/{unit}/{decree_day.year}",
            "decree_date": decree_day.isoformat(),
            "sanction": imposed,
        }
        if imposed != "moral":  # discipline (PP 94/2021) goes through BKN's I'DIS
            payload["idis_reference"] = f"IDIS-{decree_day.year}-{rng.randint(10000, 99999)}"
        self.b.emit(
            rec.office.actor,
            self.b.working_hours(day),
            payload,
            day=day,
            action="downgraded" if weaker else "sanctioned",
            acting=rec.office.acting,
            on_time=day <= rec.deadline,
        )
