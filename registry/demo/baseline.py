"""Pilkada 2018, the baseline: KASN's recommendations before the registry, and few follow-ups.

Seed 001 says under 30 % of recommendations were followed up before 2020, seed
000 says under 50 %; the demo takes 28 %, which is under both.  These cases are
entered as one historic import registered on the registry's first working days
(their statements keep their own 2018 dates: the log order is not their issue
order), signed by KASN (enrolled for its whole term) and by the PPKs in office
in 2018 whose terms reach into 2020 (enrolled with their real term).  So the
rise to 86 % after Pilkada 2020 can be shown from entries, per election.
"""

from __future__ import annotations

import datetime as dt

from registry.demo import data
from registry.demo.dates import GO_LIVE, add_days, timestamp
from registry.demo.offices import Region
from registry.demo.signers import Builder, DemoIdentity

ELECTION = "pilkada-2018"
RECOMMENDATIONS = 150
FOLLOWED_UP = 42
"""42 of 150: 28 %, under both seeds' baselines."""
IMPORTED_ON = add_days(GO_LIVE, 4)
"""When the historic import is registered (after every enrolment of the first day)."""
FIRST_REPORT = dt.date(2018, 2, 15)
LAST_RECOMMENDATION = dt.date(2018, 9, 20)
"""The election calendar counts a recommendation to Pilkada 2018 up to 90 days after voting day."""


def import_baseline(b: Builder, regions: list[Region]) -> None:
    """Reports, recommendations and the few follow-ups of Pilkada 2018."""
    rng = b.rng
    eligible = [
        (n, r)
        for n, r in enumerate(regions)
        if r.kind in ("kabupaten", "kota", "provinsi")
        and (o := r.office_at(FIRST_REPORT)) is not None
        and o.until >= GO_LIVE
        and (p := r.office_at(LAST_RECOMMENDATION)) is o
        and p.until >= GO_LIVE
    ]
    cases = []
    for n in range(1, RECOMMENDATIONS + 1):
        number, region = rng.choice(eligible)
        day = add_days(FIRST_REPORT, rng.randint(0, 150))
        rec_day = add_days(day, rng.randint(7, 30))
        cases.append((n, number, region, day, rec_day))
    followed = set(rng.sample(range(RECOMMENDATIONS), FOLLOWED_UP))
    position = 0

    def logged() -> int:
        nonlocal position
        position += 1
        return timestamp(IMPORTED_ON, 9) + position

    for k, (n, number, region, day, rec_day) in enumerate(cases):
        office = region.office_at(rec_day)
        assert office is not None
        category = rng.choices(data.VIOLATIONS, [v[1] for v in data.VIOLATIONS])[0]
        nip = b.nip()
        salt, commitment = b.commit(nip)
        b.identities.append(DemoIdentity(commitment, salt, nip, b.person(0.4, titled=False)))
        jabatan = f"{rng.choice(data.REPORTED_ROLES)} pada {region.instansi}"
        contest = f"pasangan calon {region.title} {region.short}"
        report = b.emit(
            b.recommender,
            b.working_hours(day),
            {
                "type": "report",
                "case_number": f"NET.2018.{n:05d}",
                "reporter": "Pengaduan masyarakat melalui surel",
                "instansi": region.instansi,
                "province": region.province_at(day),
                "subject_commitment": commitment,
                "category": data.CATEGORY_CODES[category[0]],
                "description": category[3].format(jabatan=jabatan, contest=contest, place="akun"),
                "place": region.capital,
                "date": day.isoformat(),
            },
            day=day,
            election=ELECTION,
            logged_at=logged(),
        )
        deadline = add_days(rec_day, 14)
        rec = b.emit(
            b.recommender,
            b.working_hours(rec_day),
            {
                "type": "recommendation",
                "case_number": report.payload["case_number"],
                "instansi": region.instansi,
                "ppk_kid": office.actor.kid,
                "subject_commitment": commitment,
                "category": data.CATEGORY_CODES[category[0]],
                "sanction": rng.choices(data.SANCTIONS, category[2])[0],
                "deadline": deadline.isoformat(),
                "report": report,
            },
            day=rec_day,
            election=ELECTION,
            region=number,
            acting=office.acting,
            logged_at=logged(),
        )
        if k not in followed:
            continue
        fu_day = min(add_days(rec_day, rng.randint(5, 120)), office.until)
        b.emit(
            office.actor,
            b.working_hours(fu_day),
            {
                "type": "follow-up",
                "recommendation": rec,
                "action": "sanctioned",
                "decree_number": f"862/{rng.randint(100, 9999):04d}/BKPSDM/{fu_day.year}",
                "decree_date": fu_day.isoformat(),
                "sanction": rec.payload["sanction"],
            },
            day=fu_day,
            election=ELECTION,
            action="sanctioned",
            logged_at=logged(),
        )
