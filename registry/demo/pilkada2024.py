"""Pilkada 2024: heads who signed the integrity pact, then received recommendations.

So that "did the pact signers keep their word" has an answer in the demo: some
regional heads who signed a pact for Pilkada 2024 receive, during the campaign,
recommendations from the authority that took over KASN's duties (Law 20/2023);
some impose the sanction on time, some impose a weaker one (downgraded, not
compliance), the rest let the deadline pass.
"""

from __future__ import annotations

import datetime as dt

from registry.demo import data, people
from registry.demo.dates import add_days
from registry.demo.offices import Region
from registry.demo.signers import Actor, Builder, DemoIdentity, Event

ELECTION = "pilkada-2024"
CAMPAIGN_END = dt.date(2024, 11, 23)
SIGNERS = 40
"""Pact signers who receive a recommendation."""
SANCTIONS_2024 = ("moral", "light", "medium", "heavy")
WEAKER = {"light": "moral", "medium": "light", "heavy": "medium"}


def recommend_to_pact_signers(b: Builder, regions: list[Region]) -> None:
    """Reports, recommendations and follow-ups for :data:`SIGNERS` Pilkada 2024 pact signers."""
    rng = b.rng
    by_instansi = {r.instansi: (n, r) for n, r in enumerate(regions)}
    pacts = [
        e
        for e in b.events
        if e.payload["type"] == "pact"
        and e.payload["election"] == ELECTION
        and by_instansi[e.payload["instansi"]][1].kind in ("kabupaten", "kota", "provinsi")
    ]
    for n, pact in enumerate(sorted(rng.sample(pacts, SIGNERS), key=lambda e: e.seq), 1):
        number, region = by_instansi[pact.payload["instansi"]]
        signed = dt.date.fromisoformat(pact.payload["date"])
        day = min(add_days(signed, rng.randint(10, 40)), add_days(CAMPAIGN_END, -10))
        office = region.office_at(day)
        if office is None or office.actor is not pact.actor or office.until < add_days(day, 45):
            continue  # the case, its follow-up and any transfer fall within the signer's term
        reporter = _commitment(b) if n % 6 == 1 else None
        report = _report(b, n, region, day, reporter)
        if reporter is not None:  # the PPK moves the ASN who reported the case (I-Mut watches)
            _transfer(b, office.actor, region, reporter, add_days(day, rng.randint(15, 40)))
        elif n % 6 == 4:  # an ordinary transfer of an ASN tied to no case
            _transfer(b, office.actor, region, _commitment(b), add_days(day, rng.randint(5, 30)))
        rec_day = add_days(day, rng.randint(3, 9))
        sanction = rng.choices(SANCTIONS_2024, (40, 30, 20, 10))[0]
        deadline = add_days(rec_day, 14)
        rec = b.emit(
            b.successor,
            b.working_hours(rec_day),
            {
                "type": "recommendation",
                "case_number": report.payload["case_number"],
                "instansi": region.instansi,
                "ppk_kid": office.actor.kid,
                "subject_commitment": report.payload["subject_commitment"],
                "category": report.payload["category"],
                "sanction": sanction,
                "deadline": deadline.isoformat(),
                "report": report,
            },
            day=rec_day,
            acting=office.acting,
            region=number,
            election=ELECTION,
        )
        fate = rng.random()
        if fate < 0.5 or (fate < 0.7 and sanction == "moral"):
            imposed, fu_day = sanction, add_days(rec_day, rng.randint(3, 14))
        elif fate < 0.7:
            imposed, fu_day = WEAKER[sanction], add_days(rec_day, rng.randint(5, 20))
        else:
            continue  # the deadline passes
        payload = {
            "type": "follow-up",
            "recommendation": rec,
            "action": "sanctioned",
            "decree_number": f"800.1.6/{rng.randint(100, 9999)}/BKPSDM/2024",
            "decree_date": fu_day.isoformat(),
            "sanction": imposed,
        }
        if imposed != "moral":
            payload["idis_reference"] = f"IDIS-2024-{rng.randint(10000, 99999)}"
        b.emit(
            office.actor,
            b.working_hours(fu_day),
            payload,
            day=fu_day,
            action="sanctioned" if imposed == sanction else "downgraded",
            acting=office.acting,
            on_time=fu_day <= deadline,
            election=ELECTION,
        )


def _commitment(b: Builder) -> bytes:
    return b.commit(b.nip())[1]


def _transfer(b: Builder, actor: Actor, region: Region, subject: bytes, day: dt.date) -> None:
    rng = b.rng
    decision = rng.choice(("transfer", "transfer", "demotion"))
    post = rng.choice(people.ASN_JABATAN)
    b.emit(
        actor,
        b.working_hours(day),
        {
            "type": "transfer",
            "subject_commitment": subject,
            "instansi": region.instansi,
            "decision": decision,
            "from_post": post,
            "to_post": "Staf Pelaksana pada Kecamatan terluar"
            if decision == "demotion"
            else f"{post} pada Kecamatan terluar",
            "decree_number": f"821.2/{rng.randint(100, 9999)}/BKPSDM/{day.year}",
            "decree_date": day.isoformat(),
        },
        day=day,
        election=ELECTION,
    )


def _report(
    b: Builder, n: int, region: Region, day: dt.date, reporter: bytes | None = None
) -> Event:
    rng = b.rng
    category, _, _, template, _ = rng.choices(data.VIOLATIONS, [v[1] for v in data.VIOLATIONS])[0]
    nip = b.nip()
    salt, commitment = b.commit(nip)
    b.identities.append(DemoIdentity(commitment, salt, nip, b.person(0.4, titled=False)))
    jabatan = f"{rng.choice(data.REPORTED_ROLES)} pada {region.instansi}"
    contest = f"pasangan calon {region.title} {region.short}"
    place = rng.choice(data.PLATFORMS)
    return b.emit(
        b.successor,
        b.working_hours(day),
        {
            "type": "report",
            "case_number": f"NET.2024.{n:05d}",
            "reporter": "Pengaduan masyarakat",
            "instansi": region.instansi,
            "province": region.province,
            "subject_commitment": commitment,
            "category": data.CATEGORY_CODES[category],
            "description": template.format(jabatan=jabatan, contest=contest, place=place),
            "place": place if "{place}" in template else region.capital,
            "date": day.isoformat(),
            **({"reporter_commitment": reporter} if reporter else {}),
        },
        day=day,
        election=ELECTION,
    )
