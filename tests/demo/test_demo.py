"""The demo data: every statement verifies and is admitted in order, with the seed figures."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from registry.demo import DEMO_PASSPHRASE, DemoData, build_demo, demo_key
from registry.records.directory import KeyDirectory
from registry.records.errors import RegistrationRefused
from registry.records.policy import WIB, admit
from registry.records.references import LogView
from registry.records.verified import read_statement
from registry.signing.cose import CoseSigner
from registry.signing.keys import raw_public_key
from registry.verify.statement import Statement, verify_statement
from tests.factories import fixed_key

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ADMIN = CoseSigner(fixed_key("demo-admin"))
LADDER = {  # a PPK who complies after a warning starts again at early-warning next time
    None: {"early-warning"},
    "early-warning": {"warning", "early-warning"},
    "warning": {"reprimand", "early-warning"},
    "reprimand": {"block", "early-warning"},
    "block": {"unblock"},
    "unblock": {"early-warning"},
}


@dataclass
class Replay:
    """The demo registered into an empty log in memory, as the registrar admits it."""

    statements: list[Statement]
    directory: KeyDirectory
    revoked: set[int]

    def of_type(self, kind: str) -> list[tuple[int, Statement]]:
        return [(i, s) for i, s in enumerate(self.statements) if s.statement_type == kind]


def replay(demo: DemoData, now: dt.datetime = NOW) -> Replay:
    """Verify and admit every statement in order, every rule applied; fail on the first refusal."""
    now_ms = int(now.timestamp() * 1000)
    directory = KeyDirectory()
    entries = LogView()
    out: list[Statement] = []

    def lookup(kid: bytes) -> bytes | None:
        found = directory.public_key(kid)
        return ADMIN.public_key if found is None and kid == ADMIN.kid else found

    for idx, raw in enumerate(demo.statements):
        verdict = verify_statement(raw, lookup)
        assert verdict.ok, f"entry {idx}: {verdict.detail}"
        assert verdict.value is not None
        statement = verdict.value
        admission = admit(statement, idx, now_ms, directory, entries, ADMIN.kid)
        if admission.key_change is not None:
            directory.apply(admission.key_change)
        entries.admitted(idx, statement, admission)
        out.append(statement)
    revoked = {i for i, e in entries.known.items() if e.revoked}
    return Replay(out, directory, revoked)


def wib_day(statement: Statement) -> dt.date:
    return dt.datetime.fromtimestamp(statement.issued_at, WIB).date()


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo(ADMIN, now=NOW)


@pytest.fixture(scope="module")
def log(demo: DemoData) -> Replay:
    return replay(demo)


def test_first_statement_is_the_admin_self_enrolment(log: Replay) -> None:
    first = log.statements[0]
    assert first.statement_type == "enrolment"
    assert first.kid == ADMIN.kid
    assert first.payload["public_key"] == ADMIN.public_key
    assert first.payload["role"] == "admin"


def test_every_statement_verifies_and_is_admitted_in_order(demo: DemoData, log: Replay) -> None:
    assert len(log.statements) == len(demo.statements) == demo.expected["statements"]
    assert all(s.issued_at <= NOW.timestamp() for s in log.statements)


def test_references_name_the_right_earlier_entries(log: Replay) -> None:
    s = log.statements
    for idx, fu in log.of_type("follow-up"):
        rec = s[fu.payload["recommendation"]]
        assert fu.payload["recommendation"] < idx
        assert rec.statement_type == "recommendation"
        assert rec.payload["ppk_kid"] == fu.kid, "the PPK addressed follows up"
    for idx, rec in log.of_type("recommendation"):
        report = s[rec.payload["report"]]
        assert rec.payload["report"] < idx
        assert report.statement_type == "report"
        assert report.payload["subject_commitment"] == rec.payload["subject_commitment"]
        assert report.payload["case_number"] == rec.payload["case_number"]
        deadline = dt.date.fromisoformat(rec.payload["deadline"])
        assert deadline - wib_day(rec) == dt.timedelta(days=14)
    for idx, step in log.of_type("enforcement"):
        for cited in step.payload["recommendations"]:
            assert cited < idx
            assert s[cited].statement_type == "recommendation"
            assert s[cited].payload["ppk_kid"] == step.payload["ppk_kid"]


LEVELS = ("moral", "light", "medium", "heavy")


def _answer(log: Replay, follow_up: Statement) -> str:
    """``sanctioned``, ``downgraded`` (a weaker sanction than recommended) or ``refused``."""
    rec = log.statements[follow_up.payload["recommendation"]].payload
    imposed = follow_up.payload.get("sanction", rec["sanction"])
    if follow_up.payload["action"] == "sanctioned" and LEVELS.index(imposed) < LEVELS.index(
        rec["sanction"]
    ):
        return "downgraded"
    return str(follow_up.payload["action"])


def _in_2020(log: Replay, s: Statement) -> bool:
    if s.statement_type == "follow-up":
        s = log.statements[s.payload["recommendation"]]
    return str(s.payload.get("case_number", "")).startswith("NET.2020.")


def test_national_totals_are_the_seed_figures(demo: DemoData, log: Replay) -> None:
    types = Counter(s.statement_type for s in log.statements if _in_2020(log, s))
    actions = Counter(_answer(log, s) for _, s in log.of_type("follow-up") if _in_2020(log, s))
    assert (types["report"], types["recommendation"], actions["sanctioned"]) == (2304, 1596, 1373)
    assert 0 < actions["refused"] < 223
    one_per_recommendation = Counter(
        s.payload["recommendation"] for _, s in log.of_type("follow-up")
    )
    assert max(one_per_recommendation.values()) == 1
    assert demo.expected["reports"] == 2304
    assert demo.expected["recommendations"] == 1596
    assert demo.expected["follow_ups_sanctioned"] == 1373
    assert demo.expected["not_followed_up"] == 223
    assert demo.expected["follow_ups_refused"] == actions["refused"]
    assert demo.expected["follow_ups_downgraded"] == actions["downgraded"] > 0


def test_mid_2020_figures_match_seed_002(log: Replay) -> None:
    cutoff = dt.date(2020, 7, 31)

    def by_cutoff(kind: str, action: str | None = None) -> int:
        return sum(
            1
            for _, s in log.of_type(kind)
            if wib_day(s) <= cutoff
            and _in_2020(log, s)
            and (action is None or _answer(log, s) == action)
        )

    assert by_cutoff("report") == 456
    assert by_cutoff("recommendation") == 344
    assert by_cutoff("follow-up", "sanctioned") == 189


def test_acting_heads_follow_up_less_and_later(log: Replay) -> None:
    head_type = {
        hashlib.sha256(e.payload["public_key"]).digest(): (
            None
            if e.payload.get("head_type") is None
            else "definitive"
            if e.payload["head_type"] == "definitive"
            else "acting"
        )
        for _, e in log.of_type("enrolment")
    }
    received: Counter[str] = Counter()
    followed: Counter[str] = Counter()
    delays: dict[str, list[int]] = {"acting": [], "definitive": []}
    recs = {i: r for i, r in log.of_type("recommendation") if _in_2020(log, r)}
    for rec in recs.values():
        received[head_type[rec.payload["ppk_kid"]] or "?"] += 1
    for _, fu in log.of_type("follow-up"):
        if fu.payload["action"] == "sanctioned" and _in_2020(log, fu):
            kind = head_type[fu.kid] or "?"
            followed[kind] += 1
            delays[kind].append((wib_day(fu) - wib_day(recs[fu.payload["recommendation"]])).days)
    acting = followed["acting"] / received["acting"]
    definitive = followed["definitive"] / received["definitive"]
    assert acting < definitive - 0.1
    median = {k: sorted(v)[len(v) // 2] for k, v in delays.items()}
    assert median["acting"] > median["definitive"]


def test_enforcement_climbs_the_ladder_in_order(log: Replay) -> None:
    current: dict[bytes, str | None] = {}
    steps: Counter[str] = Counter()
    for _, step in log.of_type("enforcement"):
        kid, name = step.payload["ppk_kid"], step.payload["step"]
        assert name in LADDER[current.get(kid)], f"{current.get(kid)} -> {name}"
        current[kid] = name
        steps[name] += 1
    assert steps["block"] > 0
    assert steps["unblock"] > 0


def test_no_nip_in_clear_in_any_statement(demo: DemoData) -> None:
    nips = {i.nip for i in demo.identities} | {s.nip for s in demo.signers if s.nip}
    assert len(nips) > 2304
    blob = b"\n".join(demo.statements)
    digit_runs = re.findall(rb"\d{18,}", blob)
    windows = {run[i : i + 18].decode() for run in digit_runs for i in range(len(run) - 17)}
    assert not nips & windows
    spaced = re.findall(rb"\d{8} \d{6} \d \d{3}", blob)
    assert not nips & {s.replace(b" ", b"").decode() for s in spaced}


def test_identities_open_the_report_commitments(demo: DemoData, log: Replay) -> None:
    by_commitment = {i.commitment: i for i in demo.identities}
    for identity in demo.identities:
        assert re.fullmatch(r"\d{18}", identity.nip)
        assert hashlib.sha256(identity.salt + identity.nip.encode()).digest() == identity.commitment
    reported = [s.payload["subject_commitment"] for _, s in log.of_type("report")]
    enrolled = [
        s.payload["nip_commitment"]
        for _, s in log.of_type("enrolment")
        if "nip_commitment" in s.payload
    ]
    assert len(enrolled) == len({s.nip for s in demo.signers if s.nip})
    assert set(reported) | set(enrolled) == set(by_commitment)


def test_signers_hold_their_enrolled_derived_keys(demo: DemoData, log: Replay) -> None:
    roles = Counter(s.role for s in demo.signers)
    assert {"ppk", "asn", "recommender", "bkn", "bawaslu"} <= set(roles)
    for signer in demo.signers:
        assert raw_public_key(demo_key(2024, signer.label)) == signer.public_key
        enrolled = log.directory.get(signer.kid)
        assert enrolled is not None
        assert (enrolled.role, enrolled.name, enrolled.instansi) == (
            signer.role,
            signer.name,
            signer.instansi,
        )
    ppks = [s for s in demo.signers if s.role == "ppk"]
    assert {s.head_type for s in ppks} == {"definitive", "pj", "plt", "pjs"}
    regional = {s.instansi for s in ppks if s.instansi.startswith("Pemerintah ")}
    assert len(regional) >= 120
    assert len({s.province for s in ppks if s.province}) == 38
    assert DEMO_PASSPHRASE


def test_pacts_and_declarations_cite_registered_templates(log: Replay) -> None:
    templates = {
        hashlib.sha256(s.payload["text"].encode()).digest(): s.payload["kind"]
        for _, s in log.of_type("template")
    }
    assert sorted(templates.values()) == ["declaration", "pact"]
    pacts = log.of_type("pact")
    declarations = log.of_type("declaration")
    assert all(templates[s.payload["template"]] == "pact" for _, s in pacts)
    assert all(templates[s.payload["template"]] == "declaration" for _, s in declarations)
    seed_day = [s for _, s in pacts if s.payload["date"] == "2022-09-27"]
    assert len(seed_day) == 34
    assert all(s.payload["instansi"].startswith("Pemerintah Provinsi") for s in seed_day)
    assert {w["name"] for w in seed_day[0].payload["witnesses"]} == {
        "Prof. Agus Pramusinto",
        "Rahmat Bagja",
    }
    assert {s.payload["election"] for _, s in pacts} == {"pemilu-2024", "pilkada-2024"}
    assert log.revoked, "the demo shows one revoked (duplicate) declaration"


def _without_salted(demo: DemoData) -> list[tuple[str, bytes, dict[str, Any]]]:
    """The statements with their salted commitments left out (the salts are random)."""
    shown = []
    for raw in demo.statements:
        facts = read_statement(raw)
        assert facts is not None
        payload = {k: v for k, v in facts.payload.items() if not k.endswith("commitment")}
        if facts.type == "attestation":  # it lists the hashes of statements with salts in them
            payload.pop("statements")
        shown.append((facts.type, facts.signer_kid, payload))
    return shown


def test_same_seed_same_history_but_fresh_salts(demo: DemoData) -> None:
    again = build_demo(ADMIN, now=NOW)
    assert _without_salted(again) == _without_salted(demo)
    assert again.expected == demo.expected
    assert not {i.salt for i in again.identities} & {i.salt for i in demo.identities}
    assert not {i.commitment for i in again.identities} & {i.commitment for i in demo.identities}
    other = build_demo(ADMIN, seed=7, now=NOW)
    assert other.statements[0] == demo.statements[0]
    assert other.statements[1:] != demo.statements[1:]
    assert other.expected["recommendations"] == 1596


def test_an_earlier_now_leaves_out_the_future(demo: DemoData) -> None:
    now = dt.datetime(2021, 6, 30, tzinfo=dt.UTC)
    early = build_demo(ADMIN, now=now)
    # the same history, at the same indexes; the operator's attestations are made at ``now``
    kept = [i for i, raw in enumerate(early.statements) if b"attestation" not in raw[:200]]
    assert len(kept) < len(early.statements)
    ours, theirs = _without_salted(early), _without_salted(demo)
    assert [ours[i] for i in kept] == [theirs[i] for i in kept]
    assert early.expected["reports"] == 2304
    assert "pacts" not in early.expected
    replay(early, now)


def test_a_now_before_the_history_is_refused() -> None:
    with pytest.raises(ValueError, match="starts on 2020-01-02"):
        build_demo(ADMIN, now=dt.datetime(2019, 12, 31, tzinfo=dt.UTC))


def _payloads(log: Replay, kind: str) -> list[dict[str, Any]]:
    return [s.payload for _, s in log.of_type(kind)]


def test_reports_look_like_2020_complaints(log: Replay) -> None:
    reports = [p for p in _payloads(log, "report") if p["case_number"].startswith("NET.2020.")]
    assert all(p["date"].startswith("2020-") for p in reports)
    assert len({p["instansi"] for p in reports}) > 100
    categories = Counter(p["category"] for p in reports)
    assert categories.most_common(1)[0][0] == "social-media"
    sanctions = Counter(
        p["sanction"]
        for p in _payloads(log, "recommendation")
        if p["case_number"].startswith("NET.2020.")
    )
    assert sanctions["moral"] > sanctions["medium"] > sanctions["heavy"] > 0


def _enrolment_of(log: Replay, kid: bytes) -> dict[str, Any]:
    return next(
        s.payload
        for _, s in log.of_type("enrolment")
        if hashlib.sha256(s.payload["public_key"]).digest() == kid
    )


def test_kasn_signs_the_2020_recommendations_within_its_term(log: Replay) -> None:
    """KASN issued the 2020 recommendations; after Law 20/2023 its successor signs them."""
    signers: dict[str, set[bytes]] = {"2018": set(), "2020": set(), "2024": set()}
    for _, rec in log.of_type("recommendation"):
        signers[rec.payload["case_number"][4:8]].add(rec.kid)
    [kasn] = signers["2020"]
    assert signers["2018"] == {kasn}
    [successor] = signers["2024"]
    enrolled = _enrolment_of(log, kasn)
    assert enrolled["instansi"] == "Komisi Aparatur Sipil Negara"
    assert enrolled["role"] == "recommender"
    assert enrolled["term_end"] == "2023-10-30"
    assert _enrolment_of(log, successor)["term_start"] == "2023-10-31"


def test_a_recommendation_signed_by_kasn_after_its_dissolution_is_refused(
    demo: DemoData, log: Replay
) -> None:
    kasn = next(s for s in demo.signers if s.label == "recommender")
    _, earlier = log.of_type("recommendation")[0]
    payload = {**earlier.payload, "case_number": "NET.2024.99999", "deadline": "2024-03-15"}
    issued = int(dt.datetime(2024, 3, 1, 10, tzinfo=WIB).timestamp())
    raw = CoseSigner(kasn.private_key).sign_statement(payload, kasn.kid.hex(), issued)
    statement = verify_statement(raw, log.directory.public_key).unwrap()
    entries = LogView()
    registered_ms = (issued + 3600) * 1000  # an hour after it was signed: not stale
    with pytest.raises(RegistrationRefused) as refusal:
        admit(statement, len(log.statements), registered_ms, log.directory, entries)
    assert refusal.value.code == "outside-term"


def test_follow_ups_name_the_sanction_imposed_and_discipline_its_idis_reference(
    log: Replay,
) -> None:
    answers = [s for _, s in log.of_type("follow-up") if s.payload["action"] == "sanctioned"]
    assert all(s.payload["sanction"] in LEVELS for s in answers)
    for s in answers:
        if log.statements[s.payload["recommendation"]].payload["case_number"][4:8] == "2018":
            continue  # the baseline import names no I'DIS reference
        assert ("idis_reference" in s.payload) == (s.payload["sanction"] != "moral")
    downgraded = [s for s in answers if _answer(log, s) == "downgraded"]
    assert downgraded, "the demo shows follow-ups weaker than recommended"
