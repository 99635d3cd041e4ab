"""The demo's signers, their keys and the public result type, and the builder that collects events.

:func:`demo_key` derives every demo key from the seed and a label;
:class:`DemoSigner`, :class:`DemoIdentity` and :class:`DemoData` are what
:func:`~registry.demo.build_demo` hands back.  :class:`Builder` is the state
shared by one build: the seeded random generator, fictional names and unused
NIPs, the operator (admin), the recommending authority, BKN and Bawaslu, each
actor's enrolment by the admin, and the list of :class:`Event` (unsigned
statements with their issue time) in the order they were made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import secrets
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.demo import people
from registry.demo.dates import GO_LIVE, add_days, timestamp
from registry.records.personal import commit_nip
from registry.signing.cose import CoseSigner
from registry.signing.keys import raw_public_key
from registry.verify.cose import key_id

DEMO_PASSPHRASE = "pakta-integritas-demo-ppk"  # noqa: S105 (published on purpose: demo only)
"""Passphrase of the demo signers' custodial keys: public and insecure, for the demo only."""


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
    ``identities`` open the reports' subject commitments and the ASN enrolments'
    ``nip_commitment`` (their salts are random: not reproducible from the seed).
    ``expected`` counts what the statements hold: ``reports``, ``recommendations``,
    ``follow_ups_sanctioned`` (followed up), ``follow_ups_refused``,
    ``follow_ups_downgraded`` (a weaker sanction than recommended),
    ``not_followed_up`` (recommendations without a sanction, refusals and
    downgrades included), all of Pilkada 2020; the Pilkada 2018 baseline and
    the Pilkada 2024 cases are counted apart, as ``<type>s_2018``/``_2024`` and
    ``follow_ups_<sanctioned|downgraded>_2018``/``_2024``;
    the same three ``..._by_2020_07_31`` (by issued-at day in WIB),
    ``sanctioned_on_time``/``sanctioned_late`` (against the 14-day deadline),
    ``recommendations_to_acting``/``_definitive`` and ``sanctioned_by_acting``/
    ``_definitive`` (by the addressed PPK's head type), ``acting_regions`` and
    ``acting_regions_with_violations`` (regions led by an acting head, Pj, Plt
    or Pjs, on the last day of the 2020 campaign, and those of them with a
    recommendation), ``staff_blocks`` (SAPK blocks and unblocks of ASN),
    ``enforcement_steps`` and ``enforcement_<step>``, and per type
    ``enrolments``, ``templates``, ``pacts``, ``declarations``, ``revocations``,
    ``key_revocations``, plus ``statements``.
    """

    statements: list[bytes]
    signers: list[DemoSigner]
    identities: list[DemoIdentity]
    expected: dict[str, int]


@dataclass(eq=False)
class Actor:
    """A key that signs demo statements: its COSE signer, enrolment payload and demo signer."""

    cose: CoseSigner
    enrolment: dict[str, Any]
    signer: DemoSigner | None = None

    @property
    def kid(self) -> bytes:
        return self.cose.kid


@dataclass(eq=False)
class Event:
    """A statement before signing: issue time, creation order, signer and payload.

    Events in ``payload`` stand for the entries they cite and become their log
    ``index``; ``meta`` is what the expected figures count them by.
    """

    at: int
    seq: int
    actor: Actor
    payload: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)
    index: int = -1


KASN = "Komisi Aparatur Sipil Negara"
KASN_DISSOLVED = dt.date(2023, 10, 31)
"""Law 20/2023 on the ASN (31 October 2023) dissolved KASN; its duties passed to others."""


class Builder:
    """Builds the events of the demo; one instance per :func:`build_demo` call."""

    def __init__(
        self,
        admin: CoseSigner,
        seed: int,
        recommending_authority: str,
        salt_key: bytes | None = None,
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not secrets)
        self.seed = seed
        self.salt_key = secrets.token_bytes(32) if salt_key is None else salt_key
        self.events: list[Event] = []
        self.signers: list[DemoSigner] = []
        self.identities: list[DemoIdentity] = []
        self.nips: set[str] = set()
        self.witness_names: dict[str, str] = {}
        self.admin = Actor(
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
        self.enrol(
            self.admin,
            GO_LIVE,
            "SK Operator Registri No. DEMO-1 Tahun 2019",
            dt.date(2019, 12, 20),
            hour=6,
        )
        self.recommender = self._institution(
            "recommender",
            "recommender",
            "Komisi Aparatur Sipil Negara",
            KASN,
            "Keppres No. 118/M Tahun 2014",
            dt.date(2014, 9, 26),
            KASN_DISSOLVED - dt.timedelta(days=1),
        )
        """KASN: it issued the 2020 recommendations; its term ends when Law 20/2023 dissolved it."""
        self.successor = self._institution(
            "recommender/2023",
            "recommender",
            "Pejabat Penerbit Rekomendasi Netralitas ASN",
            recommending_authority,
            "SK No. 17/KEP/2023",
            KASN_DISSOLVED,
            dt.date(2028, 10, 30),
        )
        """The institution that took over KASN's recommendations (the configured authority)."""
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
        first = rng.choice(people.FEMALE_NAMES if female else people.MALE_NAMES)
        name = f"{first} {rng.choice(people.FAMILY_NAMES)}"
        if not titled:
            return name
        prefix = rng.choice(people.HONORIFIC_PREFIXES)
        if female:
            prefix = prefix.replace("H.", "Hj.")
        suffix = rng.choice(people.ACADEMIC_SUFFIXES)
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
    ) -> Actor:
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
        if nip is not None:  # the NIP only behind a commitment, under a secret salt
            salt, commitment = self.commit(nip, draw=False)
            enrolment["nip_commitment"] = commitment
            self.identities.append(DemoIdentity(commitment, salt, nip, name))
        if province:
            enrolment["province"] = province
        if head_type:
            enrolment["head_type"] = head_type
        return Actor(CoseSigner(key), enrolment, signer)

    def _institution(
        self,
        label: str,
        role: str,
        jabatan: str,
        instansi: str,
        decree: str,
        start: dt.date,
        end: dt.date,
    ) -> Actor:
        actor = self.actor(
            label, role, self.person(0.3), jabatan, instansi, None, None, (start, end)
        )
        self.enrol(actor, max(GO_LIVE, start), decree, add_days(start, -7))
        return actor

    def commit(self, nip: str, *, draw: bool = True) -> tuple[bytes, bytes]:
        """``(salt, SHA-256(salt || NIP))`` under a salt no one can recompute from the seed.

        A seeded salt could be recomputed from the public seed, and every NIP then
        found by trying 18-digit numbers: the salt is an HMAC under :attr:`salt_key`,
        a secret from the system's random source (kept in the data folder by
        ``registry demo``, so that an interrupted load is finished with the same
        statements).  ``draw`` still makes the seeded draw the salt once was, so
        that everything else the seed decides (every figure) stays as it was.
        """
        seeded = self.rng.randbytes(16) if draw else b""
        material = b"demo-salt\x00" + seeded + nip.encode()
        salt = hmac.new(self.salt_key, material, hashlib.sha256).digest()[:16]
        return commit_nip(nip, salt)

    def enrol(
        self, actor: Actor, day: dt.date, decree: str, decree_date: dt.date, hour: int = 7
    ) -> None:
        payload = {
            "type": "enrolment",
            **actor.enrolment,
            "decree_number": decree,
            "decree_date": decree_date.isoformat(),
        }
        self.emit(self.admin, timestamp(day, hour), payload)

    def emit(self, actor: Actor, at: int, payload: dict[str, Any], **meta: Any) -> Event:
        event = Event(at, len(self.events), actor, payload, meta)
        self.events.append(event)
        return event

    def working_hours(self, day: dt.date) -> int:
        return timestamp(
            day, self.rng.randint(8, 16), self.rng.randint(0, 59), self.rng.randint(0, 59)
        )

    def witness(self, key: str, jabatan: str, instansi: str) -> dict[str, str]:
        if key not in self.witness_names:
            self.witness_names[key] = self.person(0.3)
        return {"name": self.witness_names[key], "jabatan": jabatan, "instansi": instansi}
