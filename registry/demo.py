"""Demo data: a reproducible, realistic history of signed statements for `registry demo`.

:func:`build_demo` returns every statement in the order it must be registered
into an empty log (entry ``i`` is ``statements[i]``; references between
records are those log indexes).  It is pure: no I/O, no clock unless ``now``
is left out, and the same seed gives the same bytes.

What it tells, from DOMAIN.md and the seed articles:

* the operator enrols itself (bootstrap), then every signer on the day their
  term starts (or on the registry's go-live day, 2 January 2020): heads of the
  38 provinces, 178 real kabupaten/kota and 8 ministries (definitive, Pj or Plt,
  each office its own key), the recommending authority, BKN, Bawaslu and ASN;
* the enforcement history after Pilkada 2020 with the national figures: 2,304
  reports, 1,596 recommendations, 1,373 follow-ups that impose the sanction; by
  31 July 2020, 456 reports, 344 recommendations and 189 sanctions (seed 002).
  A *refused* follow-up does not count as followed up: the 223 recommendations
  not followed up include the refusals.  Acting heads follow up less and later;
  BKN escalates (early warning, warning, reprimand, block in SAPK) against
  heads in office with overdue recommendations, and unblocks once they comply;
* the pact and declaration templates, the governors' pacts of 27 September
  2022 witnessed by KASN and Bawaslu (seed 001), the pacts of regents and mayors
  for Pemilu 2024 and of all regional heads for Pilkada 2024, and neutrality
  declarations by PPKs and ASN.

ASN named in reports are only a commitment SHA-256(salt || NIP); the NIPs,
names and salts come back in :attr:`DemoData.identities` for the personal-data
table, and no NIP (not even an ASN signer's) is written in any statement.
Every person is fictional except the two seed-001 witnesses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry import demo_data as data
from registry.records.policy import WIB
from registry.signing.cose import CoseSigner
from registry.signing.keys import raw_public_key
from registry.verify.cose import key_id

DEMO_PASSPHRASE = "pakta-integritas-demo-ppk"  # noqa: S105 (published on purpose: demo only)
"""Passphrase of the demo signers' custodial keys: public and insecure, for the demo only."""

GO_LIVE = dt.date(2020, 1, 2)
"""The registry's (fictional) first day; the admin's term starts here."""
CUTOFF = dt.date(2020, 7, 31)
"""KASN's mid-2020 count (seed 002)."""
PJ_END = dt.date(2025, 2, 19)
"""Acting heads served until the heads elected in Pilkada 2024 took office on 20 February 2025."""
FOLLOW_UP_DAYS = 14
LAST_FOLLOW_UP = dt.date(2021, 11, 30)
FIGURES = {
    "reports": 2304,
    "recommendations": 1596,
    "sanctioned": 1373,
    "reports_cutoff": 456,
    "recommendations_cutoff": 344,
    "sanctioned_cutoff": 189,
}
REFUSALS = 26
NEW_PROVINCE_START = {"Papua Barat Daya": dt.date(2022, 12, 9)}
DEFAULT_NEW_PROVINCE_START = dt.date(2022, 11, 11)
ELECTION_DAY_2020 = dt.date(2020, 12, 9)


def demo_key(seed: int, label: str) -> Ed25519PrivateKey:
    """The demo key named ``label``: SHA-256(seed as 8 bytes big-endian || label in UTF-8)."""
    digest = hashlib.sha256(seed.to_bytes(8, "big", signed=True) + label.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(digest)


@dataclass(frozen=True)
class DemoSigner:
    """A demo signer: who holds the key, for which office, and the private key itself."""

    label: str
    role: str
    name: str
    jabatan: str
    instansi: str
    province: str | None
    head_type: str | None
    private_key: Ed25519PrivateKey = field(repr=False)
    public_key: bytes
    kid: bytes
    term_start: str
    term_end: str
    nip: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class DemoIdentity:
    """Personal data behind a report's ``subject_commitment`` = SHA-256(salt || NIP)."""

    commitment: bytes
    salt: bytes = field(repr=False)
    nip: str = field(repr=False)
    name: str = field(repr=False)


@dataclass(frozen=True)
class DemoData:
    """The demo: statements in registration order, their signers, identities, expected figures.

    ``signers`` are every enrolled demo key except the admin's (PPKs, ASN, the
    recommending authority, BKN, Bawaslu), with their private keys, for custodial
    storage under :data:`DEMO_PASSPHRASE`; an ASN's NIP is only here, never in the log.
    ``identities`` open the reports' subject commitments.  ``expected`` counts
    what the statements hold: ``reports``, ``recommendations``,
    ``follow_ups_sanctioned`` (followed up), ``follow_ups_refused``,
    ``not_followed_up`` (recommendations without a sanction, refusals included),
    the same three ``..._by_2020_07_31`` (by issued-at day in WIB),
    ``sanctioned_on_time``/``sanctioned_late`` (against the 14-day deadline),
    ``recommendations_to_acting``/``_definitive`` and ``sanctioned_by_acting``/
    ``_definitive`` (by the addressed PPK's head type), ``acting_regions`` and
    ``acting_regions_with_violations`` (regions led by an acting head on
    election day 2020, and those of them with a recommendation),
    ``enforcement_steps`` and ``enforcement_<step>``, and per type
    ``enrolments``, ``templates``, ``pacts``, ``declarations``, ``revocations``,
    ``key_revocations``, plus ``statements``.
    """

    statements: list[bytes]
    signers: list[DemoSigner]
    identities: list[DemoIdentity]
    expected: dict[str, int]


@dataclass(eq=False)
class _Actor:
    cose: CoseSigner
    enrolment: dict[str, Any]
    signer: DemoSigner | None = None

    @property
    def kid(self) -> bytes:
        return self.cose.kid


@dataclass(eq=False)
class _Event:
    at: int
    seq: int
    actor: _Actor
    payload: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    index: int = -1


@dataclass(eq=False)
class _Office:
    actor: _Actor
    start: dt.date
    until: dt.date
    acting: bool
    recs: list[_Rec] = field(default_factory=list)
    weight: float = 1.0
    step: str | None = None
    step_day: dt.date = GO_LIVE
    blocked: list[_Rec] = field(default_factory=list)


@dataclass(eq=False)
class _Region:
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
    offices: list[_Office] = field(default_factory=list)

    def office_at(self, day: dt.date) -> _Office | None:
        return next((o for o in self.offices if o.start <= day <= o.until), None)

    def province_at(self, day: dt.date) -> str | None:
        if self.formed is not None and day < self.formed:
            return self.formed_from
        return self.province


@dataclass(eq=False)
class _Rec:
    event: _Event
    office: _Office
    day: dt.date
    deadline: dt.date
    followed: bool = False
    fu_day: dt.date | None = None
    refused: bool = False


@dataclass
class _Term:
    start: dt.date
    end: dt.date
    kind: str  # "definitive", "pj" or "plt"
    same_person: bool = False
    until: dt.date | None = None


def _at(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> int:
    return int(
        dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=WIB).timestamp()
    )


def _plus_years(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year + years, day=min(day.day, 28))


def _days(day: dt.date, n: int) -> dt.date:
    return day + dt.timedelta(days=n)


def _workday(day: dt.date) -> dt.date:
    return _days(day, max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def _pick_top(
    rng: random.Random, items: Sequence[Any], weight: Callable[[Any], float], count: int
) -> list[Any]:
    """``count`` items sampled without replacement, proportional to ``weight`` (A-Res keys)."""
    keyed = sorted(
        ((rng.random() ** (1.0 / weight(x)), i) for i, x in enumerate(items)), reverse=True
    )
    return [items[i] for _, i in keyed[:count]]


class _Builder:
    """Builds the events of the demo; one instance per :func:`build_demo` call."""

    def __init__(self, admin: CoseSigner, seed: int, recommending_authority: str) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not secrets)
        self.seed = seed
        self.events: list[_Event] = []
        self.signers: list[DemoSigner] = []
        self.identities: list[DemoIdentity] = []
        self.nips: set[str] = set()
        self.witness_names: dict[str, str] = {}
        self.admin = _Actor(
            admin,
            {
                "public_key": admin.public_key,
                "role": "admin",
                "name": "Operator Registri Pakta Integritas",
                "jabatan": "Administrator Registri",
                "instansi": "Sekretariat Registri Netralitas ASN",
                "term_start": GO_LIVE.isoformat(),
                "term_end": "2030-12-31",
            },
        )
        self._enrol(
            self.admin,
            GO_LIVE,
            "SK Operator Registri No. DEMO-1 Tahun 2019",
            dt.date(2019, 12, 20),
            hour=6,
        )
        self.recommender = self._institution(
            "recommender",
            "recommender",
            "Pejabat Penerbit Rekomendasi Netralitas ASN",
            recommending_authority,
            "SK No. 17/KEP/2019",
            dt.date(2019, 11, 1),
            dt.date(2024, 10, 31),
        )
        self.bkn = self._institution(
            "bkn",
            "bkn",
            "Deputi Bidang Pengawasan dan Pengendalian",
            "Badan Kepegawaian Negara",
            "Keppres No. 45/TPA Tahun 2019",
            dt.date(2019, 6, 3),
            dt.date(2024, 6, 2),
        )
        self.bawaslu = self._institution(
            "bawaslu",
            "bawaslu",
            "Anggota Bawaslu RI, Koordinator Divisi Penanganan Pelanggaran",
            "Badan Pengawas Pemilihan Umum",
            "Keppres No. 33/P Tahun 2017",
            dt.date(2017, 4, 12),
            dt.date(2022, 4, 11),
        )

    # -- people and keys ------------------------------------------------------------------

    def person(self, female_share: float = 0.15, titled: bool = True) -> str:
        rng = self.rng
        female = rng.random() < female_share
        first = rng.choice(data.FEMALE_NAMES if female else data.MALE_NAMES)
        name = f"{first} {rng.choice(data.FAMILY_NAMES)}"
        if not titled:
            return name
        prefix = rng.choice(data.HONORIFIC_PREFIXES)
        if female:
            prefix = prefix.replace("H.", "Hj.")
        suffix = rng.choice(data.ACADEMIC_SUFFIXES)
        return f"{prefix} {name}".strip() + (f", {suffix}" if suffix else "")

    def nip(self, born_from: int = 1965, born_to: int = 1996) -> str:
        """An unused 18-digit NIP: birth date, appointment month, sex, serial number."""
        rng = self.rng
        while True:
            born = dt.date(rng.randint(born_from, born_to), rng.randint(1, 12), rng.randint(1, 28))
            appointed = min(born.year + rng.randint(22, 32), 2019)
            value = (
                f"{born:%Y%m%d}{appointed}{rng.randint(1, 12):02d}"
                f"{rng.choice('12')}{rng.randint(1, 9):03d}"
            )
            if value not in self.nips:
                self.nips.add(value)
                return value

    def actor(
        self,
        label: str,
        role: str,
        name: str,
        jabatan: str,
        instansi: str,
        province: str | None,
        head_type: str | None,
        term: tuple[dt.date, dt.date],
        nip: str | None = None,
    ) -> _Actor:
        key = demo_key(self.seed, label)
        public = raw_public_key(key)
        signer = DemoSigner(
            label,
            role,
            name,
            jabatan,
            instansi,
            province,
            head_type,
            key,
            public,
            key_id(public),
            term[0].isoformat(),
            term[1].isoformat(),
            nip,
        )
        self.signers.append(signer)
        enrolment: dict[str, Any] = {
            "public_key": public,
            "role": role,
            "name": name,
            "jabatan": jabatan,
            "instansi": instansi,
            "term_start": signer.term_start,
            "term_end": signer.term_end,
        }
        if province:
            enrolment["province"] = province
        if head_type:
            enrolment["head_type"] = head_type
        return _Actor(CoseSigner(key), enrolment, signer)

    def _institution(
        self,
        label: str,
        role: str,
        jabatan: str,
        instansi: str,
        decree: str,
        start: dt.date,
        end: dt.date,
    ) -> _Actor:
        actor = self.actor(
            label, role, self.person(0.3), jabatan, instansi, None, None, (start, end)
        )
        self._enrol(actor, max(GO_LIVE, start), decree, _days(start, -7))
        return actor

    def _enrol(
        self, actor: _Actor, day: dt.date, decree: str, decree_date: dt.date, hour: int = 7
    ) -> None:
        payload = {
            "type": "enrolment",
            **actor.enrolment,
            "decree_number": decree,
            "decree_date": decree_date.isoformat(),
        }
        self.emit(self.admin, _at(day, hour), payload)

    def emit(self, actor: _Actor, at: int, payload: dict[str, Any], **meta: Any) -> _Event:
        event = _Event(at, len(self.events), actor, payload, meta)
        self.events.append(event)
        return event

    def working_hours(self, day: dt.date) -> int:
        return _at(day, self.rng.randint(8, 16), self.rng.randint(0, 59), self.rng.randint(0, 59))

    def witness(self, key: str, jabatan: str, instansi: str) -> dict[str, str]:
        if key not in self.witness_names:
            self.witness_names[key] = self.person(0.3)
        return {"name": self.witness_names[key], "jabatan": jabatan, "instansi": instansi}


def _regions() -> list[_Region]:
    regions: list[_Region] = []
    for p in data.PROVINCES:
        formed = (
            NEW_PROVINCE_START.get(p.name, DEFAULT_NEW_PROVINCE_START) if p.formed_from else None
        )
        regions.append(
            _Region(
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
    by_name = {p.name: p for p in data.PROVINCES}
    for r in data.REGENCIES:
        p = by_name[r.province]
        formed = (
            NEW_PROVINCE_START.get(p.name, DEFAULT_NEW_PROVINCE_START) if p.formed_from else None
        )
        kind = "Kota" if r.kota else "Kabupaten"
        regions.append(
            _Region(
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
    for instansi, minister in data.MINISTRIES:
        regions.append(_Region(instansi, minister, "", "pusat", None, "", 0, "Jakarta"))
    return regions


def _pj_chain(rng: random.Random, start: dt.date) -> list[_Term]:
    terms: list[_Term] = []
    while start <= PJ_END:
        end = _days(start, 364)
        if (PJ_END - end).days < 150:
            end = PJ_END
        terms.append(_Term(start, end, "pj", same_person=bool(terms) and rng.random() < 0.45))
        start = _days(end, 1)
    return terms


def _plan(rng: random.Random, region: _Region) -> list[_Term]:
    """The region's offices from before 2020 to 2025 (contiguous, non-overlapping)."""
    if region.kind == "pusat":
        return [
            _Term(dt.date(2019, 10, 23), dt.date(2024, 10, 20), "definitive"),
            _Term(dt.date(2024, 10, 21), dt.date(2029, 10, 20), "definitive"),
        ]
    if region.formed is not None and region.kind == "provinsi":
        return _pj_chain(rng, region.formed)
    if region.cycle == 0:  # Yogyakarta: the governor is appointed for five years at a time
        return [
            _Term(dt.date(2017, 10, 10), dt.date(2022, 10, 9), "definitive"),
            _Term(dt.date(2022, 10, 10), dt.date(2027, 10, 9), "definitive", same_person=True),
        ]
    base = {
        2015: (dt.date(2016, 2, 17), 120),
        2017: (dt.date(2017, 2, 15), 240),
        2018: (dt.date(2018, 6, 20), 300),
    }[region.cycle]
    start = _days(base[0], rng.randint(0, base[1]))
    end = _days(_plus_years(start, 5), -1)
    terms = [_Term(start, end, "definitive")]
    if rng.random() < (0.12 if region.kind == "provinsi" else 0.3):
        fall = max(_days(dt.date(2019, 3, 1), rng.randint(0, 280)), _days(start, 180))
        back = min(end, max(dt.date(2021, 12, 31), _days(fall, rng.randint(700, 900))))
        terms = [_Term(start, _days(fall, -1), "definitive"), _Term(fall, back, "plt")]
        if back < end:
            terms.append(_Term(_days(back, 1), end, "definitive", same_person=True))
    if region.cycle == 2015:
        terms.append(_Term(_days(end, 1), PJ_END, "definitive"))
    else:
        terms.extend(_pj_chain(rng, _days(end, 1)))
    return terms


def _decree(rng: random.Random, region: _Region, term: _Term) -> tuple[str, dt.date]:
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
        return f"Keppres No. {rng.randint(20, 180)}/P Tahun {year}", _days(
            term.start, -rng.randint(3, 20)
        )
    series = "100.2.1.3" if term.kind == "pj" and year >= 2023 else f"131.{region.code}"
    return f"Kepmendagri No. {series}-{n} Tahun {year}", _days(term.start, -rng.randint(2, 20))


def _offices(b: _Builder, regions: list[_Region]) -> None:
    resign = 0
    for number, region in enumerate(regions):
        terms = _plan(b.rng, region)
        # Two acting regents/mayors resign to run in Pilkada 2024 (their keys are revoked).
        if resign < 2 and terms[-1].kind == "pj" and region.kind != "provinsi" and number % 7 == 3:
            last = terms[-1]
            if last.start < dt.date(2024, 6, 1):
                resign += 1
                last.until = dt.date(2024, 7, 25)
                terms.append(_Term(dt.date(2024, 7, 26), last.end, "pj"))
        name = ""
        for n, term in enumerate(terms):
            until = term.until or term.end
            if not term.same_person:
                name = b.person()
            if until < GO_LIVE:
                continue
            prefix = {"definitive": "", "pj": "Pj. ", "plt": "Plt. "}[term.kind]
            jabatan = f"{prefix}{region.title} {region.short}".strip()
            actor = b.actor(
                f"ppk/{region.instansi}/{n}",
                "ppk",
                name,
                jabatan,
                region.instansi,
                region.province_at(term.start),
                "definitive" if term.kind == "definitive" else "acting",
                (term.start, term.end),
            )
            decree, decree_date = _decree(b.rng, region, term)
            b._enrol(actor, max(GO_LIVE, term.start), decree, decree_date)
            region.offices.append(_Office(actor, term.start, until, term.kind != "definitive"))
            if term.until is not None:
                b.emit(
                    b.admin,
                    _at(_days(until, 1), 6, 30),
                    {
                        "type": "key-revocation",
                        "kid": actor.kid,
                        "reason": f"{jabatan} mengundurkan diri untuk maju dalam Pilkada 2024",
                        "effective": _days(until, 1).isoformat(),
                    },
                )


# -- enforcement history after Pilkada 2020 ---------------------------------------------------

_ODDS = {(False, False): 0.93, (False, True): 0.55, (True, False): 0.80, (True, True): 0.40}
"""Chance that a PPK follows a recommendation up: (acting, laggard) -> p; sampling uses p/(1-p)."""


def _report_days(
    rng: random.Random, count: int, months: Sequence[tuple[int, float]], first: dt.date
) -> list[dt.date]:
    picked = rng.choices([m for m, _ in months], [w for _, w in months], k=count)
    out = []
    for month in picked:
        start = max(first, dt.date(2020, month, 1))
        end = _days(dt.date(2020 + month // 12, month % 12 + 1, 1), -1)
        out.append(_days(start, rng.randint(0, (end - start).days)))
    return out


class _History:
    """Reports, recommendations, follow-ups and BKN's enforcement, with the seed figures."""

    def __init__(self, b: _Builder, regions: list[_Region]) -> None:
        self.b = b
        self.regions = regions
        self.cycles = {p.name: p.cycle for p in data.PROVINCES}
        self.pilkada = [r for r in regions if r.kind in ("kabupaten", "kota") and r.cycle == 2015]
        self.clean: set[int] = set()
        for number, region in enumerate(regions):
            office = region.office_at(ELECTION_DAY_2020)
            clean_share = 0.21 if office is not None and office.acting else 0.15
            if office is not None and region.kind != "pusat" and b.rng.random() < clean_share:
                self.clean.add(number)
        for region in regions:
            for o in region.offices:
                p = _ODDS[(o.acting, b.rng.random() < (0.3 if o.acting else 0.1))]
                o.weight = p / (1 - p)

    def weight(self, region: _Region) -> float:
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
        reports = [
            self.report(n, day, number)
            for n, (day, number) in enumerate(zip(sorted(early + late), numbers, strict=True), 1)
        ]
        recs = self.recommend(reports)
        self.plan_follow_ups(recs)
        self.enforce([o for r in self.regions for o in r.offices if o.recs])
        for rec in recs:
            if rec.followed and rec.fu_day is not None:
                self.sanction(rec, rec.fu_day)

    def report(self, n: int, day: dt.date, number: int) -> tuple[_Event, int]:
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
        nip, salt = b.nip(), rng.randbytes(16)
        commitment = hashlib.sha256(salt + nip.encode()).digest()
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
            "category": category,
            "description": template.format(jabatan=jabatan, contest=contest, place=place),
            "place": place,
            "date": max(GO_LIVE, _days(day, -rng.randint(0, 12))).isoformat(),
            "evidence": [rng.randbytes(32) for _ in range(rng.randint(1, 3))],
        }
        return b.emit(actor, b.working_hours(day), payload, day=day), number

    def recommend(self, reports: list[tuple[_Event, int]]) -> list[_Rec]:
        rng = self.b.rng

        def weight(report: tuple[_Event, int]) -> float:
            return 0.02 if report[1] in self.clean else 1.0

        early = [r for r in reports if r[0].meta["day"] <= CUTOFF]
        late = [r for r in reports if r[0].meta["day"] > CUTOFF]
        extra = 8  # proven before 31 July but recommended after it
        chosen = sorted(
            _pick_top(rng, early, weight, FIGURES["recommendations_cutoff"] + extra),
            key=lambda r: r[0].seq,
        )
        recs: list[_Rec] = []
        for n, (event, number) in enumerate(chosen):
            day = event.meta["day"]
            rec_day = (
                min(_days(day, rng.randint(5, 40)), CUTOFF)
                if n < FIGURES["recommendations_cutoff"]
                else max(dt.date(2020, 8, 3), _days(day, rng.randint(5, 40)))
            )
            recs.append(self.recommendation(event, number, rec_day))
        rest = FIGURES["recommendations"] - len(recs)
        for event, number in sorted(_pick_top(rng, late, weight, rest), key=lambda r: r[0].seq):
            rec_day = min(_days(event.meta["day"], rng.randint(7, 45)), dt.date(2021, 1, 29))
            recs.append(self.recommendation(event, number, rec_day))
        return recs

    def recommendation(self, report: _Event, number: int, day: dt.date) -> _Rec:
        rng, region = self.b.rng, self.regions[number]
        office = region.office_at(day)
        assert office is not None, f"{region.instansi} has no head on {day}"
        assert report.meta["day"] < day < office.until
        violation = next(v for v in data.VIOLATIONS if v[0] == report.payload["category"])
        deadline = _days(day, FOLLOW_UP_DAYS)
        payload = {
            "type": "recommendation",
            "case_number": report.payload["case_number"],
            "instansi": region.instansi,
            "ppk_kid": office.actor.kid,
            "subject_commitment": report.payload["subject_commitment"],
            "category": violation[0],
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
        rec = _Rec(event, office, day, deadline)
        office.recs.append(rec)
        return rec

    def lag(self, office: _Office) -> int:
        rng = self.b.rng
        on_time = (0.42 if office.acting else 0.72) * (1.0 if office.weight > 2 else 0.6)
        if rng.random() < on_time:
            return rng.randint(2, FOLLOW_UP_DAYS)
        return int(rng.triangular(FOLLOW_UP_DAYS + 1, 200 if office.acting else 120, 25))

    def plan_follow_ups(self, recs: list[_Rec]) -> None:
        """Choose the recommendations followed up and when; emit the refusals."""
        rng = self.b.rng
        followed = _pick_top(rng, recs, lambda r: r.office.weight, FIGURES["sanctioned"])
        for rec in followed:
            rec.followed = True
            rec.fu_day = _days(rec.day, self.lag(rec.office))
        early = [r for r in recs if r.followed and r.day <= CUTOFF]
        early.sort(key=lambda r: (r.day >= CUTOFF, _days(r.day, rng.randint(0, 30)), r.event.seq))
        for n, rec in enumerate(early):
            assert rec.fu_day is not None
            if n < FIGURES["sanctioned_cutoff"]:
                if rec.fu_day > CUTOFF:
                    rec.fu_day = _days(rec.day, rng.randint(1, (CUTOFF - rec.day).days))
            elif rec.fu_day <= CUTOFF:
                rec.fu_day = _days(CUTOFF, rng.randint(1, 30))
        for rec in sorted(followed, key=lambda r: r.event.seq):
            assert rec.fu_day is not None
            rec.fu_day = max(_days(rec.day, 1), min(rec.fu_day, rec.office.until, LAST_FOLLOW_UP))
        pending = [r for r in recs if not r.followed]
        for rec in sorted(
            _pick_top(rng, pending, lambda r: 3.0 if r.office.acting else 1.0, REFUSALS),
            key=lambda r: r.event.seq,
        ):
            rec.refused = True
            day = max(_days(rec.day, 1), min(_days(rec.day, rng.randint(5, 30)), rec.office.until))
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

    def sanction(self, rec: _Rec, day: dt.date) -> None:
        rng = self.b.rng
        region = self.regions[rec.event.meta["region"]]
        unit = {"provinsi": "BKD", "pusat": "Biro SDM"}.get(region.kind, "BKPSDM")
        decree_day = max(_days(rec.day, 1), _days(day, -rng.randint(0, 3)))
        self.b.emit(
            rec.office.actor,
            self.b.working_hours(day),
            {
                "type": "follow-up",
                "recommendation": rec.event,
                "action": "sanctioned",
                "decree_number": f"862/{rng.randint(100, 9999):04d}/{unit}/{decree_day.year}",
                "decree_date": decree_day.isoformat(),
            },
            day=day,
            action="sanctioned",
            acting=rec.office.acting,
            on_time=day <= rec.deadline,
        )

    def enforce(self, offices: list[_Office]) -> None:
        reviews = [
            _workday(dt.date(2020 + (m - 1) // 12, (m - 1) % 12 + 1, 1)) for m in range(9, 25)
        ]
        for review in reviews:
            for n, office in enumerate(offices):
                if not office.start <= review <= office.until:
                    continue
                overdue = [
                    r
                    for r in office.recs
                    if _days(r.deadline, FOLLOW_UP_DAYS) < review
                    and not (r.followed and r.fu_day is not None and r.fu_day < review)
                ]
                step = self.next_step(office, overdue, review)
                if step is None:
                    continue
                cited = sorted(
                    office.blocked if step == "unblock" else overdue,
                    key=lambda r: (r.event.at, r.event.seq),
                )
                self.hasten(overdue, review, _HASTEN[step])
                office.step, office.step_day = step, review
                if step == "block":
                    office.blocked = overdue
                self.b.emit(
                    self.b.bkn,
                    _at(review, 10) + n,
                    {
                        "type": "enforcement",
                        "instansi": office.actor.enrolment["instansi"],
                        "ppk_kid": office.actor.kid,
                        "step": step,
                        "reason": _ENFORCEMENT_REASONS[step].format(n=len(cited)),
                        "recommendations": [r.event for r in cited],
                    },
                    day=review,
                    step=step,
                )

    def hasten(self, overdue: list[_Rec], review: dt.date, chance: float) -> None:
        """Enforcement works: some overdue follow-ups come sooner after each step."""
        for rec in overdue:
            if (
                rec.fu_day is None
                or rec.fu_day <= review
                or rec.office.until <= review
                or self.b.rng.random() >= chance
            ):
                continue
            sooner = min(_days(review, self.b.rng.randint(5, 45)), rec.office.until, LAST_FOLLOW_UP)
            rec.fu_day = max(_days(review, 1), min(rec.fu_day, sooner))

    @staticmethod
    def next_step(office: _Office, overdue: list[_Rec], review: dt.date) -> str | None:
        order = ("early-warning", "warning", "reprimand", "block")
        if overdue:
            if office.step in (None, "unblock"):
                return "early-warning"
            if office.step != "block" and (review - office.step_day).days >= 28:
                return order[order.index(office.step or "") + 1]
            return None
        if office.step == "block":
            return "unblock"
        if office.step != "unblock":
            office.step = None  # complied after a warning: nothing to lift
        return None


_HASTEN = {"early-warning": 0.15, "warning": 0.2, "reprimand": 0.25, "block": 0.8, "unblock": 0.0}
"""Chance that an overdue follow-up is hastened by each enforcement step."""
_ENFORCEMENT_REASONS = {
    "early-warning": "Peringatan dini: {n} rekomendasi sanksi pelanggaran netralitas ASN belum "
    "ditindaklanjuti melewati batas waktu 14 hari.",
    "warning": "Peringatan: {n} rekomendasi sanksi pelanggaran netralitas ASN tetap belum "
    "ditindaklanjuti setelah peringatan dini.",
    "reprimand": "Teguran: {n} rekomendasi sanksi pelanggaran netralitas ASN belum "
    "ditindaklanjuti setelah peringatan.",
    "block": "Pemblokiran layanan kepegawaian (SAPK) atas ASN yang direkomendasikan: "
    "{n} rekomendasi tidak ditindaklanjuti oleh PPK.",
    "unblock": "Pembukaan blokir SAPK: PPK telah menindaklanjuti {n} rekomendasi yang tertunda.",
}


# -- templates, pacts and declarations --------------------------------------------------------


def _templates(b: _Builder) -> tuple[bytes, bytes]:
    day = dt.date(2022, 9, 22)  # the joint decree on ASN neutrality was signed that week
    for n, (kind, title, text) in enumerate(
        (
            ("pact", data.PACT_TITLE, data.PACT_TEXT),
            ("declaration", data.DECLARATION_TITLE, data.DECLARATION_TEXT),
        )
    ):
        b.emit(
            b.admin,
            _at(day, 9, n),
            {"type": "template", "kind": kind, "title": title, "language": "id", "text": text},
        )
    return (
        hashlib.sha256(data.PACT_TEXT.encode()).digest(),
        hashlib.sha256(data.DECLARATION_TEXT.encode()).digest(),
    )


def _pact(
    b: _Builder,
    region: _Region,
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
        },
        day=day,
    )


def _pacts(b: _Builder, regions: list[_Region], template: bytes) -> None:
    rng = b.rng
    seed_witnesses = [
        {"name": n, "jabatan": j, "instansi": i} for n, j, i in data.SEED_CEREMONY_WITNESSES
    ]
    provinces = [r for r in regions if r.kind == "provinsi"]
    for n, region in enumerate(provinces):
        day = dt.date(2022, 9, 27) if region.formed is None else dt.date(2023, 2, 14)
        _pact(b, region, day, _at(day, 10, n), "pemilu-2024", "Jakarta", seed_witnesses, template)
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
            day = _workday(_days(first, rng.randint(0, spread)))
            for n, head in enumerate(heads):
                if rng.random() < 0.95:
                    _pact(b, head, day, _at(day, 10, n), election, region.capital, local, template)
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
            _pact(b, region, day, _at(day, 14, n), election, "Jakarta", witnesses, template)


def _declare(
    b: _Builder, actor: _Actor, day: dt.date, election: str, instansi: str, template: bytes
) -> _Event:
    return b.emit(
        actor,
        b.working_hours(day),
        {
            "type": "declaration",
            "template": template,
            "election": election,
            "instansi": instansi,
            "date": day.isoformat(),
        },
        day=day,
    )


def _ppk_declarations(b: _Builder, regions: list[_Region], template: bytes) -> None:
    for region in regions:
        if region.kind == "pusat":
            day, election = dt.date(2023, 11, 8), "pemilu-2024"
        else:
            day, election = _days(dt.date(2024, 8, 12), b.rng.randint(0, 80)), "pilkada-2024"
        office = region.office_at(day)
        if office is not None and b.rng.random() < 0.85:
            _declare(b, office.actor, day, election, region.instansi, template)


def _asn(b: _Builder, regions: list[_Region], template: bytes) -> None:
    rng, count, slipped = b.rng, 0, False
    for region in regions:
        for _ in range({"provinsi": 3, "pusat": 4}.get(region.kind, 2)):
            count += 1
            nip = b.nip(1970, 1998)
            start = _days(dt.date(2016, 1, 4), rng.randint(0, 2700))
            end = _days(dt.date(int(nip[:4]) + 58, int(nip[4:6]) % 12 + 1, 1), -1)
            days = [("pemilu-2024", _days(dt.date(2023, 10, 2), rng.randint(0, 120)))]
            if region.kind != "pusat" and rng.random() < 0.65:
                days.append(("pilkada-2024", _days(dt.date(2024, 8, 5), rng.randint(0, 100))))
            if rng.random() < 0.1:
                days = days[1:] or days
            suffix = rng.choice(("", "", ", S.Pd.", ", S.E.", ", S.Kom.", ", S.Sos.", ", A.Md."))
            name = b.person(0.45, titled=False) + suffix
            actor = b.actor(
                f"asn/{count:04d}",
                "asn",
                name,
                rng.choice(data.ASN_JABATAN),
                region.instansi,
                region.province_at(days[0][1]),
                None,
                (start, end),
                nip,
            )
            head = region.title if region.kind == "pusat" else f"{region.title} {region.short}"
            b._enrol(
                actor,
                days[0][1],
                f"Keputusan {head} No. 821.2/{rng.randint(100, 9999)}/"
                f"{'Biro SDM' if region.kind == 'pusat' else 'BKPSDM'} Tahun {start.year}",
                _days(start, -rng.randint(3, 30)),
            )
            for election, day in days:
                event = _declare(b, actor, day, election, region.instansi, template)
                if not slipped and count >= 7 and election == "pemilu-2024":
                    slipped = True
                    wrong = region.instansi.replace("Pemerintah", "Pemerintahan", 1)
                    slip = _declare(b, actor, _days(day, 1), election, wrong, template)
                    b.emit(
                        actor,
                        b.working_hours(_days(day, 2)),
                        {
                            "type": "revocation",
                            "entry": slip,
                            "reason": "Nama instansi salah tulis; deklarasi yang berlaku adalah "
                            "deklarasi sebelumnya.",
                        },
                        day=_days(day, 2),
                    )
                    assert event.at < slip.at


# -- assembly -------------------------------------------------------------------------------


def _resolve(value: Any) -> Any:
    if isinstance(value, _Event):
        return value.index
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    return value


def _expected(kept: list[_Event], regions: list[_Region]) -> dict[str, int]:
    counts: dict[str, int] = {"statements": len(kept)}

    def add(name: str, condition: bool = True) -> None:
        counts[name] = counts.get(name, 0) + int(condition)

    violated: set[int] = set()
    for event in kept:
        kind, meta = event.payload["type"], event.meta
        early = meta.get("day", GO_LIVE) <= CUTOFF
        if kind == "report":
            add("reports")
            add("reports_by_2020_07_31", early)
        elif kind == "recommendation":
            violated.add(meta["region"])
            add("recommendations")
            add("recommendations_by_2020_07_31", early)
            add("recommendations_to_acting" if meta["acting"] else "recommendations_to_definitive")
        elif kind == "follow-up" and meta["action"] == "refused":
            add("follow_ups_refused")
        elif kind == "follow-up":
            add("follow_ups_sanctioned")
            add("sanctioned_by_2020_07_31", early)
            add("sanctioned_on_time" if meta["on_time"] else "sanctioned_late")
            add("sanctioned_by_acting" if meta["acting"] else "sanctioned_by_definitive")
        elif kind == "enforcement":
            add("enforcement_steps")
            add("enforcement_" + meta["step"].replace("-", "_"))
        else:
            add(kind.replace("-", "_") + "s")
    counts["not_followed_up"] = counts.get("recommendations", 0) - counts.get(
        "follow_ups_sanctioned", 0
    )
    acting = [
        n
        for n, r in enumerate(regions)
        if (o := r.office_at(ELECTION_DAY_2020)) is not None and o.acting
    ]
    counts["acting_regions"] = len(acting)
    counts["acting_regions_with_violations"] = sum(1 for n in acting if n in violated)
    return counts


def build_demo(
    admin: CoseSigner,
    *,
    seed: int = 2024,
    now: dt.datetime | None = None,
    recommending_authority: str = "KemenPAN-RB/BKN",
) -> DemoData:
    """Build the demo's signed statements, in the order they must be registered into an empty log.

    ``statements[0]`` is the admin's self-enrolment (role ``admin``, term from
    2 January 2020: the history is back-dated, so the admin key's enrolment must
    cover it); entry ``i`` of the log must be ``statements[i]``, because
    follow-ups, recommendations, enforcement steps and revocations cite earlier
    entries by index.  Statements dated after ``now`` (default: the current
    time) are left out, with everything that depends on them.  Keys are
    :func:`demo_key` of ``seed``; the same ``seed`` and ``now`` give the same bytes.
    ``expected`` counts what was generated (the seed figures with the default ``now``).
    """
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now_s = int(now.timestamp())
    if now_s < _at(GO_LIVE, 6):
        raise ValueError(f"the demo history starts on {GO_LIVE}; now={now.isoformat()} is earlier")
    b = _Builder(admin, seed, recommending_authority)
    regions = _regions()
    _offices(b, regions)
    _History(b, regions).run()
    pact_template, declaration_template = _templates(b)
    _pacts(b, regions, pact_template)
    _ppk_declarations(b, regions, declaration_template)
    _asn(b, regions, declaration_template)
    kept = sorted((e for e in b.events if e.at <= now_s), key=lambda e: (e.at, e.seq))
    for index, event in enumerate(kept):
        event.index = index
    statements = [
        e.actor.cose.sign_statement(_resolve(e.payload), e.actor.kid.hex(), e.at) for e in kept
    ]
    enrolled = {e.payload["public_key"] for e in kept if e.payload["type"] == "enrolment"}
    reported = {e.payload["subject_commitment"] for e in kept if e.payload["type"] == "report"}
    return DemoData(
        statements=statements,
        signers=[s for s in b.signers if s.public_key in enrolled],
        identities=[i for i in b.identities if i.commitment in reported],
        expected=_expected(kept, regions),
    )
