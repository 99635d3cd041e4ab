"""Integrity pacts and neutrality declarations, with their templates and the ASN who sign them.

:func:`publish_templates` registers the pact and declaration texts;
:func:`sign_pacts` has the governors sign on 27 September 2022 before the
seed-001 witnesses (the new Papuan provinces in February 2023), regents and
mayors for Pemilu 2024 and all regional heads for Pilkada 2024 before their
province's Bawaslu and BKN, and ministers for both in Jakarta;
:func:`declare_ppks` has most PPKs declare their neutrality, and
:func:`enrol_asn` enrols ASN signers who declare theirs, one of them revoking a
declaration signed with a misspelt instansi.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from registry.demo import data, people
from registry.demo.dates import add_days, timestamp, workday
from registry.demo.offices import Region
from registry.demo.signers import Actor, Builder, Event


def publish_templates(b: Builder) -> tuple[bytes, bytes]:
    """Register the pact and declaration templates; their SHA-256, which pledges cite."""
    day = dt.date(2022, 9, 22)  # the joint decree on ASN neutrality was signed that week
    for n, (kind, title, text) in enumerate(
        (
            ("pact", data.PACT_TITLE, data.PACT_TEXT),
            ("declaration", data.DECLARATION_TITLE, data.DECLARATION_TEXT),
        )
    ):
        b.emit(
            b.admin,
            timestamp(day, 9, n),
            {"type": "template", "kind": kind, "title": title, "language": "id", "text": text},
        )
    return (
        hashlib.sha256(data.PACT_TEXT.encode()).digest(),
        hashlib.sha256(data.DECLARATION_TEXT.encode()).digest(),
    )


def signer_of(actor: Actor) -> dict[str, str]:
    """Who ``actor`` is as a pledge names its signer: its enrolment's name, jabatan, instansi."""
    return {name: str(actor.enrolment[name]) for name in ("name", "jabatan", "instansi")}


def _pact(
    b: Builder,
    region: Region,
    day: dt.date,
    at: int,
    election: str,
    place: str,
    witnesses: list[dict[str, str]],
    template: bytes,
) -> None:
    office = region.office_at(day)
    if office is None:
        return
    b.emit(
        office.actor,
        at,
        {
            "type": "pact",
            "template": template,
            "election": election,
            "instansi": region.instansi,
            "place": place,
            "date": day.isoformat(),
            "witnesses": witnesses,
            "signer": signer_of(office.actor),
        },
        day=day,
    )


def sign_pacts(b: Builder, regions: list[Region], template: bytes) -> None:
    """The integrity pacts of governors, regents, mayors and ministers (2022 to 2024)."""
    rng = b.rng
    seed_witnesses = [
        {"name": n, "jabatan": j, "instansi": i} for n, j, i in data.SEED_CEREMONY_WITNESSES
    ]
    provinces = [r for r in regions if r.kind == "provinsi"]
    for n, region in enumerate(provinces):
        day = dt.date(2022, 9, 27) if region.formed is None else dt.date(2023, 2, 14)
        _pact(
            b,
            region,
            day,
            timestamp(day, 10, n),
            "pemilu-2024",
            "Jakarta",
            seed_witnesses,
            template,
        )
    for region in provinces:
        name = region.province or ""
        local = [
            b.witness(f"bawaslu/{name}", "Ketua", f"Bawaslu Provinsi {name}"),
            b.witness(f"bkn/{name}", "Kepala Kantor Regional", "Badan Kepegawaian Negara"),
        ]
        members = [r for r in regions if r.kind in ("kabupaten", "kota") and r.province == name]
        for election, first, spread, heads in (
            ("pemilu-2024", dt.date(2023, 9, 4), 80, members),
            ("pilkada-2024", dt.date(2024, 8, 19), 50, [region, *members]),
        ):
            day = workday(add_days(first, rng.randint(0, spread)))
            for n, head in enumerate(heads):
                if rng.random() < 0.95:
                    _pact(
                        b,
                        head,
                        day,
                        timestamp(day, 10, n),
                        election,
                        region.capital,
                        local,
                        template,
                    )
    central = [r for r in regions if r.kind == "pusat"]
    for election, day, bkn in (
        ("pemilu-2024", dt.date(2023, 11, 8), False),
        ("pilkada-2024", dt.date(2024, 11, 5), True),
    ):
        witnesses = [
            b.witness(f"bawaslu/{election}", "Anggota", "Badan Pengawas Pemilihan Umum"),
            b.witness(
                f"bkn/{election}",
                "Deputi Bidang Pengawasan dan Pengendalian",
                "Badan Kepegawaian Negara",
            )
            if bkn
            else b.witness("kasn", "Wakil Ketua", "Komisi Aparatur Sipil Negara"),
        ]
        for n, region in enumerate(central):
            _pact(b, region, day, timestamp(day, 14, n), election, "Jakarta", witnesses, template)


def _declare(
    b: Builder, actor: Actor, day: dt.date, election: str, instansi: str, template: bytes
) -> Event:
    return b.emit(
        actor,
        b.working_hours(day),
        {
            "type": "declaration",
            "template": template,
            "election": election,
            "instansi": instansi,
            "date": day.isoformat(),
            "signer": signer_of(actor),
        },
        day=day,
    )


def declare_ppks(b: Builder, regions: list[Region], template: bytes) -> None:
    """Most PPKs declare their neutrality: ministers for Pemilu 2024, regional heads for Pilkada."""
    for region in regions:
        if region.kind == "pusat":
            day, election = dt.date(2023, 11, 8), "pemilu-2024"
        else:
            day, election = add_days(dt.date(2024, 8, 12), b.rng.randint(0, 80)), "pilkada-2024"
        office = region.office_at(day)
        if office is not None and b.rng.random() < 0.85:
            _declare(b, office.actor, day, election, region.instansi, template)


def enrol_asn(b: Builder, regions: list[Region], template: bytes) -> None:
    """Enrol ASN signers in every region, who declare their neutrality; one revokes a slip."""
    rng, count, slipped = b.rng, 0, False
    for region in regions:
        for _ in range({"provinsi": 3, "pusat": 4}.get(region.kind, 2)):
            count += 1
            nip = b.nip(1970, 1998)
            start = add_days(dt.date(2016, 1, 4), rng.randint(0, 2700))
            end = add_days(dt.date(int(nip[:4]) + 58, int(nip[4:6]) % 12 + 1, 1), -1)
            days = [("pemilu-2024", add_days(dt.date(2023, 10, 2), rng.randint(0, 120)))]
            if region.kind != "pusat" and rng.random() < 0.65:
                days.append(("pilkada-2024", add_days(dt.date(2024, 8, 5), rng.randint(0, 100))))
            if rng.random() < 0.1:
                days = days[1:] or days
            suffix = rng.choice(("", "", ", S.Pd.", ", S.E.", ", S.Kom.", ", S.Sos.", ", A.Md."))
            name = b.person(0.45, titled=False) + suffix
            actor = b.actor(
                f"asn/{count:04d}",
                "asn",
                name,
                rng.choice(people.ASN_JABATAN),
                region.instansi,
                region.province_at(days[0][1]),
                None,
                (start, end),
                nip,
            )
            head = region.title if region.kind == "pusat" else f"{region.title} {region.short}"
            b.enrol(
                actor,
                days[0][1],
                f"Keputusan {head} No. 821.2/{rng.randint(100, 9999)}/"
                f"{'Biro SDM' if region.kind == 'pusat' else 'BKPSDM'} Tahun {start.year}",
                add_days(start, -rng.randint(3, 30)),
            )
            for election, day in days:
                event = _declare(b, actor, day, election, region.instansi, template)
                if not slipped and count >= 7 and election == "pemilu-2024":
                    slipped = True
                    # (a slip the registry cannot catch: another instansi, or an election
                    # nobody registered, would be refused; a mistyped year in the date is not)
                    slip = _declare(b, actor, add_days(day, 1), election, region.instansi, template)
                    slip.payload["date"] = f"{day.year - 10}{slip.payload['date'][4:]}"
                    b.emit(
                        actor,
                        b.working_hours(add_days(day, 2)),
                        {
                            "type": "revocation",
                            "entry": slip,
                            "reason": "Tahun pada tanggal deklarasi salah tulis; deklarasi yang "
                            "berlaku adalah deklarasi sebelumnya.",
                        },
                        day=add_days(day, 2),
                    )
                    assert event.at < slip.at
