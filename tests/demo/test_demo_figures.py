"""The demo's compliance figures, recomputed from the log alone and compared with the API.

The demo (registry/demo/) is registered once a test run into a SQLite
registry.  The reference figures below are computed by reading every signed
statement back from ``/entries/{i}/statement``, checking its signature with
the key its enrolment published, and counting, independently of
registry/compliance.  Definitions: docs/compliance.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import sqlite3
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus, urlencode

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.compliance.access import sign_request
from registry.demo import DemoData, build_demo
from registry.demo.data import PACT_TEXT
from registry.records.operator import OperatorKeys
from registry.records.policy import WIB
from registry.signing.cose import CoseSigner
from registry.verify.statement import verify_statement
from registry.verify.trust import b64url, unb64url
from tests.api.test_dashboard import every_recommendation
from tests.browser.demo_registry import built_demo, load_demo_registry

TODAY = dt.datetime.now(WIB).date().isoformat()


@dataclass
class Entry:
    idx: int
    type: str
    kid: bytes
    payload: dict[str, Any]
    day: str


@dataclass
class Demo:
    client: TestClient  # type: ignore[type-arg]
    data: DemoData
    log: list[Entry]
    keys: OperatorKeys | None = None

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params={"as_of": TODAY, **params})
        assert response.status_code == 200, response.text
        return response.json()

    def recommendations(self) -> list[dict[str, Any]]:
        """Every row of the paged recommendations list."""
        return every_recommendation(self.client, as_of=TODAY)


def _read_log(client: TestClient, database: Path) -> list[Entry]:  # type: ignore[type-arg]
    """Every entry's statement, its signature checked with the key its enrolment published.

    The statements are read from the registry's SQLite file in one query (through the API,
    one GET an entry, it took 38 s of the module's 60), and every 97th and the last are read
    through ``/entries/{i}/statement`` too, the same bytes."""
    config = client.get("/.well-known/transparency-configuration").json()
    admin = unb64url(config["admin_keys"][0]["public_key"])
    public = {hashlib.sha256(admin).digest(): admin}
    size = int(client.get("/checkpoint").text.split("\n")[1])
    with closing(sqlite3.connect(database)) as db:
        stored = db.execute("SELECT idx, statement FROM entries ORDER BY idx").fetchall()
    assert [idx for idx, _ in stored] == list(range(size)), "every entry, once, in log order"
    log = []
    for idx, signed in stored:
        if idx % 97 == 0 or idx == size - 1:
            assert client.get(f"/entries/{idx}/statement").content == signed, idx
        value = verify_statement(signed, public).unwrap()
        if value.statement_type == "enrolment":
            key = value.payload["public_key"]
            public[hashlib.sha256(key).digest()] = key
        day = dt.datetime.fromtimestamp(value.issued_at, WIB).date().isoformat()
        log.append(Entry(idx, value.statement_type, value.kid, value.payload, day))
    return log


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    # A copy of the demo the test run registered once (tests/browser/demo_registry.py), not a
    # registration of its own: 16 s of CPU each.  The demo's data is made again from the same
    # seed for its expected figures and signers' keys (the same; only the salts differ).
    root = tmp_path_factory.mktemp("demo")
    settings, keys = load_demo_registry(root, built_demo(tmp_path_factory))
    data = build_demo(keys.admin)
    with TestClient(create_app(settings, keys)) as client:
        yield Demo(client, data, _read_log(client, root / "demo.sqlite3"), keys)


# -- the reference computation, from the log entries alone ------------------------------------


class Reference:
    """Figures as docs/compliance.md defines them, as of ``as_of``."""

    def __init__(self, log: list[Entry], as_of: str) -> None:
        revoked = {e.payload["entry"] for e in log if e.type == "revocation" and e.day <= as_of}
        live = [e for e in log if e.day <= as_of and e.idx not in revoked]
        self.of = {t: [e for e in live if e.type == t] for t in {e.type for e in log}}
        self.keys = {
            hashlib.sha256(e.payload["public_key"]).digest(): e for e in self.of["enrolment"]
        }
        self.status: dict[int, str] = {}
        self.sanction: dict[int, Entry] = {}
        self.refusal: dict[int, Entry] = {}
        answers: dict[int, list[Entry]] = defaultdict(list)
        for f in self.of.get("follow-up", []):
            answers[f.payload["recommendation"]].append(f)
        levels = ("moral", "light", "medium", "heavy")
        self.downgrade: dict[int, Entry] = {}
        for rec in self.of.get("recommendation", []):
            recommended = levels.index(rec.payload["sanction"])
            imposed = [f for f in answers[rec.idx] if f.payload["action"] == "sanctioned"]
            sanctions = [
                f
                for f in imposed
                if levels.index(f.payload.get("sanction", rec.payload["sanction"])) >= recommended
            ]
            weaker = [f for f in imposed if f not in sanctions]
            refusals = [f for f in answers[rec.idx] if f.payload["action"] == "refused"]
            if sanctions:
                self.sanction[rec.idx] = sanctions[0]
                self.status[rec.idx] = "followed-up"
            else:
                if weaker:
                    self.downgrade[rec.idx] = weaker[0]
                if refusals:
                    self.refusal[rec.idx] = refusals[-1]
                self.status[rec.idx] = "overdue" if rec.payload["deadline"] < as_of else "pending"
        self.recs = {r.idx: r for r in self.of.get("recommendation", [])}

    def figures(self, recs: list[int]) -> dict[str, Any]:
        followed = [self.sanction[r] for r in recs if r in self.sanction]
        on_time = [
            f.idx
            for f in followed
            if f.payload["decree_date"]
            <= self.recs[f.payload["recommendation"]].payload["deadline"]
        ]
        days = [
            (
                dt.date.fromisoformat(f.payload["decree_date"])
                - dt.date.fromisoformat(self.recs[f.payload["recommendation"]].day)
            ).days
            for f in followed
        ]
        return {
            "recommendations": sorted(recs),
            "followed_up": sorted(f.idx for f in followed),
            "on_time": sorted(on_time),
            "late": sorted({f.idx for f in followed} - set(on_time)),
            "refused": sorted(
                self.refusal[r].idx for r in recs if r in self.refusal and r not in self.downgrade
            ),
            "downgraded": sorted(self.downgrade[r].idx for r in recs if r in self.downgrade),
            "overdue": sorted(r for r in recs if self.status[r] == "overdue"),
            "pending": sorted(r for r in recs if self.status[r] == "pending"),
            "follow_up_rate": round(len(followed) / len(recs), 4) if recs else None,
            "median_days": statistics.median(days) if days else None,
        }


def assert_figures(row: dict[str, Any], expected: dict[str, Any], demo: Demo | None = None) -> None:
    for name, value in expected.items():
        if isinstance(value, list) and demo is not None and "entries_url" in row[name]:
            # today's provinces table links a figure of more than 100 entries
            assert (row[name]["value"], row[name]["entries_total"]) == (len(value),) * 2, name
            listed = demo.client.get(row[name]["entries_url"])
            assert listed.status_code == 200, listed.text
            assert listed.json()["entries"] == value, name
        elif isinstance(value, list):
            assert row[name] == {"value": len(value), "entries": value}, name
        else:
            assert row[name]["value"] == value, name


# -- the tests ----------------------------------------------------------------------------------


def _election(demo: Demo, name: str, **params: Any) -> dict[str, Any]:
    rows = demo.get("/api/compliance/elections", **params)["items"]
    return next(r for r in rows if r["election"] == name)


def test_national_totals_are_the_seed_figures(demo: Demo) -> None:
    """After Pilkada 2020: 2,304 reports, 1,596 proven, 1,373 followed up (86 %)."""
    national = _election(demo, "pilkada-2020")
    assert national["reports"]["value"] == demo.data.expected["reports"] == 2304
    assert national["recommendations"]["value"] == demo.data.expected["recommendations"] == 1596
    assert national["followed_up"]["value"] == demo.data.expected["follow_ups_sanctioned"] == 1373
    assert national["follow_up_rate"]["value"] == 0.8603
    assert national["refused"]["value"] == demo.data.expected["follow_ups_refused"]
    downgraded = demo.data.expected["follow_ups_downgraded"]
    assert national["downgraded"]["value"] == downgraded > 0
    assert national["overdue"]["value"] == demo.data.expected["not_followed_up"]


def test_the_baseline_before_2020_is_under_30_percent(demo: Demo) -> None:
    """Seeds 001 (under 30 %) and 000 (under 50 %): Pilkada 2018 has 42 of 150 (28 %)."""
    baseline = _election(demo, "pilkada-2018")
    assert baseline["recommendations"]["value"] == 150
    assert baseline["followed_up"]["value"] == 42
    assert baseline["follow_up_rate"]["value"] == 0.28
    assert _election(demo, "pilkada-2020")["follow_up_rate"]["value"] == 0.8603


def test_mid_2020_figures_are_seed_002(demo: Demo) -> None:
    national = _election(demo, "pilkada-2020", as_of="2020-07-31")
    expected = demo.data.expected
    assert national["reports"]["value"] == expected["reports_by_2020_07_31"] == 456
    assert national["recommendations"]["value"] == expected["recommendations_by_2020_07_31"]
    assert national["followed_up"]["value"] == expected["sanctioned_by_2020_07_31"] == 189
    assert national["follow_up_rate"]["value"] == round(189 / 344, 4)


@pytest.mark.parametrize("as_of", [TODAY, "2020-07-31", "2020-12-31"])
def test_national_figures_recomputed_from_the_log(demo: Demo, as_of: str) -> None:
    ref = Reference(demo.log, as_of)
    national = demo.get("/api/compliance/national", as_of=as_of)
    assert_figures(national, ref.figures(list(ref.recs)))
    assert national["reports"]["entries"] == [e.idx for e in ref.of["report"]]
    for kind in ("pact", "declaration"):
        assert national[kind + "s"]["entries"] == [e.idx for e in ref.of.get(kind, [])]
    steps = Counter(e.payload["step"] for e in ref.of.get("enforcement", []))
    for step in ("early-warning", "warning", "reprimand", "block", "unblock"):
        assert national["enforcement_" + step.replace("-", "_")]["value"] == steps[step]


def test_every_signer_recomputed_from_the_log(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    rows = {r["kid"]: r for r in demo.get("/api/compliance/signers")["items"]}
    ppks = {k: e for k, e in ref.keys.items() if e.payload["role"] == "ppk"}
    assert set(rows) == {b64url(k) for k in ppks}
    current = {e.payload["ppk_kid"]: e for e in ref.of["enforcement"]}
    for kid, enrolment in ppks.items():
        row = rows[b64url(kid)]
        assert (row["enrolment"], row["instansi"]) == (enrolment.idx, enrolment.payload["instansi"])
        addressed = [r for r, e in ref.recs.items() if e.payload["ppk_kid"] == kid]
        assert_figures(row, ref.figures(addressed))
        signed = [e for e in ref.of["pact"] + ref.of["declaration"] if e.kid == kid]
        assert row["pacts"]["entries"] == sorted(e.idx for e in signed if e.type == "pact")
        assert row["declarations"]["entries"] == sorted(
            e.idx for e in signed if e.type == "declaration"
        )
        step = current.get(kid)
        assert row["enforcement"] == (
            {"value": None, "entries": []}
            if step is None
            else {"value": step.payload["step"], "entries": [step.idx]}
        )


def test_recommendation_outcomes_recomputed_from_the_log(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    rows = demo.recommendations()
    assert {r["index"]: r["status"] for r in rows} == ref.status
    for row in rows:
        sanction = ref.sanction.get(row["index"])
        assert row["follow_up"] == (sanction.idx if sanction else None)


def test_provinces_and_head_types_recomputed_from_the_log(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    for field, path in (("province", "provinces"), ("head_type", "head-types")):
        groups: dict[Any, list[int]] = defaultdict(list)
        for idx, rec in ref.recs.items():
            groups[ref.keys[rec.payload["ppk_kid"]].payload.get(field)].append(idx)
        rows = {r[field]: r for r in demo.get(f"/api/compliance/{path}")["items"]}
        for group, recs in groups.items():
            assert_figures(rows[group], ref.figures(recs), demo)
    expected = demo.data.expected
    heads = demo.get("/api/compliance/head-types", on="2020-12-05", as_of="2021-12-31")["items"]
    acting = [r for r in heads if r["head_type"] in ("pj", "plt", "pjs")]
    assert sum(r["instansi_led"]["value"] for r in acting) == expected["acting_regions"]
    assert sum(r["followed_up"]["value"] for r in acting) == expected["sanctioned_by_acting"]
    assert (
        sum(r["recommendations"]["value"] for r in acting)
        == (expected["recommendations_to_acting"])
    )


def test_violations_in_109_of_the_137_regions_led_by_acting_heads(demo: Demo) -> None:
    """Seed 000: after Pilkada 2020, violations in 109 of the 137 regions led by acting heads."""
    body = demo.get("/api/compliance/head-types", on="2020-12-05", election="pilkada-2020")
    acting = body["acting"]
    assert acting["instansi_led"]["value"] == 137
    assert acting["instansi_led_with_recommendations"]["value"] == 109
    assert acting["share_with_recommendations"]["value"] == 0.7956
    by_type = {r["head_type"]: r["instansi_led"]["value"] for r in body["items"]}
    assert by_type["pjs"] > 0
    assert by_type["plt"] > 0
    assert by_type["pj"] + by_type["plt"] + by_type["pjs"] == 137
    ref = Reference(demo.log, TODAY)
    enrolments = {e.idx: e for e in ref.of["enrolment"]}
    acting_instansi = {
        enrolments[i].payload["instansi"]
        for i in acting["instansi_led"]["entries"]
        if enrolments[i].payload.get("head_type") in ("pj", "plt", "pjs")
    }
    assert len(acting_instansi) == 137
    cited = acting["instansi_led_with_recommendations"]["entries"]
    named = {ref.recs[i].payload["instansi"] for i in cited if i in ref.recs}
    assert named <= acting_instansi
    assert len(named) == 109


def test_instansi_recomputed_from_the_log(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    rows = {r["instansi"]: r for r in demo.get("/api/compliance/instansi")["items"]}
    groups: dict[str, list[int]] = defaultdict(list)
    for idx, rec in ref.recs.items():
        groups[rec.payload["instansi"]].append(idx)
    for name, recs in groups.items():
        assert_figures(rows[name], ref.figures(recs))
    pacts = Counter(e.payload["instansi"] for e in ref.of["pact"])
    assert {n: r["pacts"]["value"] for n, r in rows.items() if r["pacts"]["value"]} == pacts


def test_months_and_elections_recomputed_from_the_log(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    months = {r["month"]: r for r in demo.get("/api/compliance/months")["items"]}
    for kind, name in (("report", "reports"), ("recommendation", "recommendations")):
        counts = Counter(e.day[:7] for e in ref.of[kind])
        assert {m: r[name]["value"] for m, r in months.items() if r[name]["value"]} == counts
    sanctions = Counter(f.day[:7] for f in ref.sanction.values())
    assert {
        m: r["followed_up"]["value"] for m, r in months.items() if r["followed_up"]["value"]
    } == (sanctions)
    elections = {r["election"]: r for r in demo.get("/api/compliance/elections")["items"]}
    pacts = Counter(e.payload["election"] for e in ref.of["pact"])
    assert {e: r["pacts"]["value"] for e, r in elections.items() if r["pacts"]["value"]} == pacts
    assert elections["pilkada-2020"]["recommendations"]["value"] == 1596


def test_pact_signers_with_overdue_recomputed_from_the_log(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    rows = demo.get("/api/compliance/pact-signers-with-overdue")["items"]
    own = {
        b64url(p.kid): sorted(
            r
            for r, e in ref.recs.items()
            if e.payload["ppk_kid"] == p.kid and ref.status[r] == "overdue"
        )
        for p in ref.of["pact"]
    }
    listed = {r["kid"]: r["overdue"]["entries"] for r in rows if r["overdue"]["value"]}
    assert listed == {k: v for k, v in own.items() if v}
    assert listed, "the demo has governors who signed a pact with overdue recommendations"


def test_csv_export_matches_the_json(demo: Demo) -> None:
    response = demo.client.get("/api/compliance/national", params={"format": "csv", "as_of": TODAY})
    row = next(csv.DictReader(io.StringIO(response.text)))
    national = demo.get("/api/compliance/national")
    assert int(row["followed_up"]) == national["followed_up"]["value"]
    assert row["overdue_entries"].split() == [str(i) for i in national["overdue"]["entries"]]


def test_track_record_of_a_ppk_across_offices(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    by_person: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for e in ref.of["enrolment"]:
        if e.payload["role"] == "ppk":
            by_person[(e.payload["name"], e.payload["instansi"])].append(e)
    (name, instansi), enrolments = next((p, e) for p, e in by_person.items() if len(e) > 1)
    # a signed request by a key of a role that may read track records: a JPT panel the
    # operator enrols now (the demo's institutions' terms are over)
    assert demo.keys is not None
    panel = CoseSigner(Ed25519PrivateKey.generate())
    enrolment = {
        "type": "enrolment",
        "public_key": panel.public_key,
        "role": "panel",
        "name": "Panitia Seleksi JPT Pratama",
        "jabatan": "Ketua Panitia Seleksi",
        "instansi": "Panitia Seleksi JPT",
        "decree_number": "SK Pansel 1/2026",
        "decree_date": "2026-01-02",
        "term_start": "2026-01-02",
        "term_end": "2099-12-31",
    }
    registered = demo.client.post(
        "/entries",
        content=demo.keys.admin.sign_statement(enrolment, "operator"),
        headers={"content-type": "application/cose"},
    )
    assert registered.status_code == 201, registered.text
    query = urlencode({"name": name, "instansi": instansi, "as_of": TODAY})
    asked = f"/api/track-record?{query}"
    header = sign_request(panel, "GET", unquote_plus(asked))
    response = demo.client.get(asked, headers={"Authorization": header})
    assert response.status_code == 200, response.text
    record = response.json()
    assert [o["enrolment"] for o in record["offices"]] == [e.idx for e in enrolments]
    kids = {hashlib.sha256(e.payload["public_key"]).digest() for e in enrolments}
    recs = [r for r, e in ref.recs.items() if e.payload["ppk_kid"] in kids]
    assert_figures(record["totals"], ref.figures(recs))


def test_the_index_follows_new_entries(demo: Demo) -> None:
    before = demo.get("/api/compliance/national")["pacts"]["value"]
    ppk = next(s for s in demo.data.signers if s.role == "ppk" and s.term_end >= TODAY)
    signer = CoseSigner(ppk.private_key)
    # the operator registers the next election first: a pact may cite no other
    assert demo.keys is not None
    election = {
        "type": "election",
        "kind": "pilkada",
        "name": "pilkada-2029",
        "title": "Pilkada Serentak 2029",
        "voting_day": "2029-11-28",
        "campaign_start": "2029-09-24",
        "campaign_end": "2029-11-24",
        "regions": [ppk.instansi.removeprefix("Pemerintah ")],
    }
    registered = demo.client.post(
        "/entries",
        content=demo.keys.admin.sign_statement(election, "operator"),
        headers={"content-type": "application/cose"},
    )
    assert registered.status_code == 201, registered.text
    pact = {
        "type": "pact",
        "template": hashlib.sha256(PACT_TEXT.encode()).digest(),
        "election": "pilkada-2029",
        "instansi": ppk.instansi,
        "place": "Jakarta",
        "date": TODAY,
        "signer": {"name": ppk.name, "jabatan": ppk.jabatan, "instansi": ppk.instansi},
    }
    response = demo.client.post(
        "/entries",
        content=signer.sign_statement(pact, "test"),
        headers={"content-type": "application/cose"},
    )
    assert response.status_code == 201, response.text
    assert demo.get("/api/compliance/national")["pacts"]["value"] == before + 1


def test_pilkada_2024_pact_signers_received_recommendations(demo: Demo) -> None:
    """The same PPKs signed pacts for Pilkada 2024 and then received recommendations."""
    rows = {r["election"]: r for r in demo.get("/api/compliance/elections")["items"]}
    row = rows["pilkada-2024"]
    ref = Reference(demo.log, TODAY)
    pacts = [e for e in ref.of["pact"] if e.payload["election"] == "pilkada-2024"]
    signed = {e.kid: e.day for e in pacts}
    recs = [
        r.idx
        for r in ref.recs.values()
        if r.payload["case_number"].startswith("NET.2024.")
        and r.day >= signed.get(r.payload["ppk_kid"], "9999")
    ]
    assert row["pact_signers"]["value"] == len(signed)
    expected = ref.figures(recs)
    assert row["pact_signers_recommendations"]["entries"] == expected["recommendations"]
    assert row["pact_signers_followed_up"]["entries"] == expected["followed_up"]
    assert row["pact_signers_downgraded"]["entries"] == expected["downgraded"]
    assert row["pact_signers_overdue"]["entries"] == expected["overdue"]
    assert 0 < row["pact_signers_follow_up_rate"]["value"] < 1
    assert demo.data.expected["recommendations_2024"] == len(recs) > 0
    kasn_era = rows["pilkada-2020"]
    assert kasn_era["pact_signers"]["value"] == 0


def test_downgraded_follow_ups_are_not_compliance(demo: Demo) -> None:
    rows = demo.recommendations()
    downgraded = [r for r in rows if r["downgrade"] is not None]
    assert downgraded
    levels = ("moral", "light", "medium", "heavy")
    for row in downgraded:
        assert row["status"] != "followed-up"
        assert row["follow_up"] is None
        assert levels.index(row["sanction_imposed"]) < levels.index(row["sanction_recommended"])
    followed = [r for r in rows if r["status"] == "followed-up"]
    assert all(
        levels.index(r["sanction_imposed"]) >= levels.index(r["sanction_recommended"])
        for r in followed
    )
    assert any(r["idis_reference"] for r in followed)


def test_violations_counted_per_category_of_the_vocabulary(demo: Demo) -> None:
    vocabulary = demo.client.get("/api/vocabulary").json()
    codes = [c["code"] for c in vocabulary["violation_categories"]]
    assert vocabulary["sanctions"] == ["moral", "light", "medium", "heavy"]
    assert vocabulary["head_types"] == ["definitive", "pj", "plt", "pjs"]
    ref = Reference(demo.log, TODAY)
    rows = {r["category"]: r for r in demo.get("/api/compliance/categories")["items"]}
    assert list(rows) == codes, "every category is a code of the vocabulary, in its order"
    for code, row in rows.items():
        reports = [e.idx for e in ref.of["report"] if e.payload["category"] == code]
        assert row["reports"]["entries"] == reports
        recs = [i for i, r in ref.recs.items() if r.payload["category"] == code]
        assert_figures(row, ref.figures(recs))
        assert row["label_id"]
    assert max(rows.values(), key=lambda r: r["reports"]["value"])["category"] == "social-media"


def test_sapk_blocks_of_recommended_asn_are_keyed_to_the_commitment(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    blocks = ref.of["staff-block"]
    rows = {r["commitment"]: r for r in demo.get("/api/compliance/asn-blocks")["items"]}
    assert set(rows) == {e.payload["subject_commitment"].hex() for e in blocks}
    for entry in blocks:
        rec = ref.recs[entry.payload["recommendation"]]
        assert rec.payload["subject_commitment"] == entry.payload["subject_commitment"]
    assert all(r["founded"] for r in rows.values())
    states = Counter(r["state"]["value"] for r in rows.values())
    assert states["blocked"] > 0
    assert states["unblocked"] > 0
    actions = {e.idx: e.payload["action"] for e in blocks}
    for row in rows.values():
        [latest] = row["state"]["entries"]
        assert latest == max(row["steps"]["entries"])
        first = min(row["steps"]["entries"])
        assert actions[first] == "block", "nothing is unblocked that was not blocked"


def test_retaliation_watch_flags_the_transfer_of_a_reporter(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    tied = {e.payload["subject_commitment"] for e in ref.of["report"]}
    tied |= {
        e.payload["reporter_commitment"]
        for e in ref.of["report"]
        if "reporter_commitment" in e.payload
    }
    transfers = ref.of["transfer"]
    expected = [e.idx for e in transfers if e.payload["subject_commitment"] in tied]
    rows = demo.get("/api/compliance/retaliation-watch")["items"]
    assert [r["transfer"] for r in rows] == expected
    assert 0 < len(expected) < len(transfers), "untied transfers are not flagged"
    assert all(r["roles"] == ["reporter"] for r in rows)
    assert all(r["election"] in ("pilkada-2024", "pemilu-2024") for r in rows)
    assert demo.get("/api/compliance/retaliation-watch", window=0)["items"] == []


def test_maturity_index_recomputed_from_the_entries(demo: Demo) -> None:
    ref = Reference(demo.log, TODAY)
    rows = demo.get("/api/compliance/maturity", election="pilkada-2024")["items"]
    assert rows
    ranks = {"early-warning": 1, "warning": 2, "reprimand": 3, "block": 4}
    for row in rows[:60]:
        inst = row["instansi"]
        recs = [
            i
            for i, r in ref.recs.items()
            if r.payload["instansi"] == inst and r.payload["case_number"].startswith("NET.2024.")
        ]
        fig = ref.figures(recs)
        signed = [
            e
            for e in ref.of["pact"] + ref.of["declaration"]
            if e.payload["instansi"] == inst and e.payload["election"] == "pilkada-2024"
        ]
        steps = [
            e
            for e in ref.of["enforcement"]
            if e.payload["instansi"] == inst and set(recs) & set(e.payload["recommendations"])
        ]
        parts = [
            1.0 if any(e.type == "pact" for e in signed) else 0.0,
            1.0 if any(e.type == "declaration" for e in signed) else 0.0,
            round(len(fig["on_time"]) / len(recs), 4) if recs else 1.0,
            round(len(fig["followed_up"]) / (len(fig["followed_up"]) + len(fig["downgraded"])), 4)
            if fig["followed_up"] or fig["downgraded"]
            else 1.0,
            round(1 - max((ranks[e.payload["step"]] for e in steps), default=0) / 4, 4),
        ]
        assert row["index"]["value"] == round(100 * sum(parts) / 5, 1), inst
    history = demo.get("/api/compliance/maturity", instansi=rows[0]["instansi"])["items"]
    assert len({r["election"] for r in history}) >= 1


def test_on_time_by_an_attested_date_only_is_shown_apart(demo: Demo) -> None:
    """A follow-up registered days after the date it claims was not seen in time by the
    registry: it counts as on time only by its claimed date, on an authority's attestation
    (the demo's history is loaded in bulk), and the figure says how many such there are."""
    national = demo.get("/api/compliance/national")
    recount = []
    for idx in national["on_time"]["entries"]:
        view = demo.client.get(f"/entries/{idx}", headers={"Accept": "application/json"})
        timing = view.json()["timing"]
        claimed, registered = (
            dt.datetime.fromtimestamp(timing[name], WIB).date()
            for name in ("claimed_at", "registered_at")
        )
        if (registered - claimed).days > 2:
            recount.append(idx)
    assert national["on_time_attested"] == {"value": len(recount), "entries": recount}
    assert recount, "the demo's bulk-loaded history is on time by attested dates only"
