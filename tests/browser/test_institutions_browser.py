"""The institutions' pages in Debian's Chromium: recommender, BKN and operator, each for its role.

A recommending authority whose key the registry holds issues a recommendation from its page,
and the PPK addressed sees it in /portal; BKN records an enforcement step that the PPK's
profile then shows; a PPK's key is refused on the recommender page (the page says why, and
shows no action); the operator approves a browser's enrolment request from its page.
axe-core passes on each page, on a phone-sized viewport (the ``page`` fixture's).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from registry.config import Settings
from registry.records.custodial import create_custodial_key
from registry.verify.trust import b64url, unb64url
from tests.api.helpers import NOW_S, enrolment
from tests.browser.harness import ORIGIN, LiveRegistry
from tests.browser.test_dashboard_browser import axe_violations
from tests.factories import election_payload

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSPHRASE = "Rahasia-Lembaga-2026!"
INSTANSI = "Pemerintah Kota Bogor"
SUBJECT = hashlib.sha256(b"subjek uji lembaga").digest()
DECREE = b"%PDF-1.4 Keputusan Kepala BKN Nomor 12/KEP/2026 (salinan uji)"
LONG_TERM = {"term_start": "2020-01-01", "term_end": "2099-12-31"}
OFFICES: dict[str, dict[str, Any]] = {
    "recommender": {"role": "recommender", "name": "Ketua KASN", "instansi": "KASN"},
    "bkn": {"role": "bkn", "name": "Kepala BKN", "instansi": "Badan Kepegawaian Negara"},
    "ppk": {"role": "ppk", "name": "Dedie A. Rachim", "instansi": INSTANSI},
    "admin": {"role": "admin", "name": "Operator Registri", "instansi": ORIGIN},
}
ELECTION = "pilkada-2024"
"""The election the report and the overdue recommendation cite."""
LATER = election_payload(
    "pemilu-2029",
    kind="pemilu",
    title="Pemilu 2029",
    voting_day="2029-02-14",
    campaign_start="2028-11-28",
    campaign_end="2029-02-10",
    regions=["national"],
)
"""A registered election with a later voting day: the page offers it first."""


class Institutions:
    """A live registry with a custodial key per office, three registered elections, a report
    and an overdue recommendation."""

    def __init__(self, root: Path) -> None:
        self.live = LiveRegistry.start(root)
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{root / 'registry.sqlite3'}",
            data_dir=root / "data",
            origin=ORIGIN,
            admin_passphrase="kata-sandi-uji",
        )
        self.kids: dict[str, str] = {}
        admin = self.live.operator.admin
        for label, office in OFFICES.items():
            # In a thread of its own: Playwright's sync API keeps an event loop in this one.
            with ThreadPoolExecutor(1) as pool:
                kid, public = pool.submit(
                    asyncio.run, create_custodial_key(settings, PASSPHRASE)
                ).result()
            self.kids[label] = kid.hex()
            fields = office | {"jabatan": office["name"], "head_type": None, **LONG_TERM}
            record = enrolment(public, **fields)
            record = {k: v for k, v in record.items() if v is not None}
            self.live.register(admin.sign_statement(record, "operator", NOW_S))
        # The elections a report or recommendation cites must stand in the log before it;
        # the recommender page offers the standing ones.
        for record in (election_payload(ELECTION), election_payload("pemilu-2024"), LATER):
            self.live.register(admin.sign_statement(record, "operator", NOW_S))
        writer = self.live.writer
        writer.enrol("bawaslu", "bawaslu", instansi="Bawaslu", **LONG_TERM)
        writer.enrol("kasn-2024", "recommender", instansi="KASN", **LONG_TERM)
        self.report = self.live.register(
            writer.sign(
                "bawaslu",
                {
                    "type": "report",
                    "case_number": "NET.2026.00042",
                    "reporter": "Bawaslu Kota Bogor",
                    "instansi": INSTANSI,
                    "subject_commitment": SUBJECT,
                    "category": "social-media",
                    "description": "Membagikan materi kampanye pasangan calon",
                    "place": "Instagram",
                    "date": "2024-09-20",
                    "election": ELECTION,
                },
            )
        )
        self.overdue = self.live.register(
            writer.sign(
                "kasn-2024",
                {
                    "type": "recommendation",
                    "case_number": "NET.2024.00007",
                    "instansi": INSTANSI,
                    "ppk_kid": bytes.fromhex(self.kids["ppk"]),
                    "subject_commitment": hashlib.sha256(b"subjek lama").digest(),
                    "category": "attending-campaign",
                    "sanction": "medium",
                    "deadline": "2024-10-31",
                    "election": ELECTION,
                },
            )
        )


@pytest.fixture(scope="module")
def institutions(
    tmp_path_factory: pytest.TempPathFactory, chromium: Path
) -> Iterator[Institutions]:
    made = Institutions(tmp_path_factory.mktemp("institutions-registry"))
    yield made
    made.live.stop()


def open_key(page: Page, where: Institutions, office: str, path: str, query: str = "") -> None:
    """Open ``/institutions/{path}`` and the custodial key of ``office``; wait for the answer."""
    page.goto(f"{where.live.url}/institutions/{path}{query}")
    page.fill("#ikid", where.kids[office])
    page.fill("#ipassphrase", PASSPHRASE)
    page.click("#iopen")
    page.wait_for_selector("#iaccess-status.ok, #iaccess-status.error")


def signed_ok(page: Page, status: str) -> int:
    """The entry the page just registered, once ``#{status}`` says so (failing with its words)."""
    page.wait_for_selector(f"#{status}.ok, #{status}.error")
    assert page.get_attribute(f"#{status}", "class") == "ok", page.inner_text(f"#{status}")
    href = page.get_attribute("#iresult-record", "href") or ""
    return int(href.removeprefix("/v/").split("?")[0])


def test_a_recommendation_issued_from_the_page_reaches_the_ppk_in_the_portal(
    page: Page, institutions: Institutions
) -> None:
    open_key(page, institutions, "recommender", "recommender")
    assert page.get_attribute("#iaccess-status", "class") == "ok"
    page.wait_for_selector("#reports-table tbody tr:has-text('NET.2026.00042')")
    page.click("#reports-table button")
    assert page.input_value("#rec-subject") == SUBJECT.hex()
    assert page.input_value("#rec-instansi") == INSTANSI
    assert page.input_value("#rec-ppk") == institutions.kids["ppk"]
    assert page.input_value("#rec-election") == ELECTION  # the report's, not the first offered
    page.select_option("#rec-sanction", "medium")
    page.fill("#rec-deadline", "2099-01-31")
    page.fill("#ipassphrase", PASSPHRASE)
    page.click("#rec-button")
    index = signed_ok(page, "rec-status")

    payload = institutions.live.view(index)["payload"]
    assert payload["report"] == institutions.report
    assert payload["ppk_kid"] == b64url(bytes.fromhex(institutions.kids["ppk"]))
    assert (payload["sanction"], payload["category"]) == ("medium", "social-media")
    assert payload["election"] == ELECTION
    page.wait_for_selector("#mine-table tbody tr:has-text('NET.2026.00042')")

    # The PPK addressed opens the portal with their key: the recommendation is there to answer.
    page.goto(f"{institutions.live.url}/portal")
    page.fill("#kid", institutions.kids["ppk"])
    page.dispatch_event("#kid", "change")
    page.wait_for_selector("#recs-table tbody tr:has-text('NET.2026.00042')")


def test_an_enforcement_step_recorded_by_bkn_shows_on_the_ppks_profile(
    page: Page, institutions: Institutions
) -> None:
    open_key(page, institutions, "bkn", "bkn")
    assert page.get_attribute("#iaccess-status", "class") == "ok"
    row = "#overdue-table tbody tr:has-text('NET.2024.00007')"
    page.wait_for_selector(row)
    page.click(f"{row} button >> nth=0")
    assert page.input_value("#step-ppk") == institutions.kids["ppk"]
    assert page.input_value("#step-step") == "early-warning"
    page.fill("#step-reason", "Rekomendasi belum ditindaklanjuti melewati tenggat")
    page.fill("#ipassphrase", PASSPHRASE)
    page.click("#step-button")
    index = signed_ok(page, "step-status")
    assert institutions.live.view(index)["payload"]["recommendations"] == [institutions.overdue]

    page.goto(f"{institutions.live.url}/signers/{institutions.kids['ppk']}")
    steps = page.inner_text("#steps")
    assert f"#{index}" in steps
    assert "Peringatan dini" in steps or "peringatan dini" in steps.lower()


def test_a_ppk_key_is_refused_on_the_recommender_page_and_sees_no_action(
    page: Page, institutions: Institutions
) -> None:
    open_key(page, institutions, "ppk", "recommender")
    status = page.inner_text("#iaccess-status")
    assert page.get_attribute("#iaccess-status", "class") == "error"
    assert "ppk" in status
    assert "recommender" in status
    assert page.is_hidden("#institution-work")
    assert page.is_hidden("#rec-button")


def test_the_refusal_speaks_english_on_the_english_page(
    page: Page, institutions: Institutions
) -> None:
    open_key(page, institutions, "ppk", "recommender", "?lang=en")
    assert "role is ppk" in page.inner_text("#iaccess-status")


def test_the_operator_approves_a_browsers_enrolment_request_from_its_page(
    page: Page, institutions: Institutions
) -> None:
    requester = page.context.browser.new_context(locale="id-ID")  # type: ignore[union-attr]
    try:
        portal = requester.new_page()
        portal.goto(f"{institutions.live.url}/portal")
        portal.click("#enrol-details summary")
        portal.fill("#enrol-name", "Hendra Gunawan")
        portal.fill("#enrol-jabatan", "Penjabat Bupati Garut")
        portal.fill("#enrol-instansi", "Pemerintah Kabupaten Garut")
        portal.fill("#enrol-decree-number", "100.2.1.3-1234/2024")
        portal.fill("#enrol-decree-date", "2024-01-10")
        portal.fill("#enrol-term-start", "2024-01-15")
        portal.fill("#enrol-term-end", "2099-12-31")
        portal.click("#enrol-button")
        portal.wait_for_function(
            "() => document.getElementById('key-status').textContent.includes('menunggu')"
        )
    finally:
        requester.close()

    open_key(page, institutions, "admin", "operator")
    row = "#requests-table tbody tr:has-text('Hendra Gunawan')"
    page.wait_for_selector(row)
    page.set_input_files(
        "#req-decree-file", {"name": "sk.pdf", "mimeType": "application/pdf", "buffer": DECREE}
    )
    page.fill("#ipassphrase", PASSPHRASE)
    page.click(f"{row} button.approve")
    page.wait_for_selector("#requests-status.ok, #requests-status.error")
    assert page.get_attribute("#requests-status", "class") == "ok", page.inner_text(
        "#requests-status"
    )
    page.wait_for_selector(row, state="detached")
    page.wait_for_selector("#keys-table tbody tr:has-text('Hendra Gunawan')")
    enrolled = signed_ok(page, "requests-status")
    record = institutions.live.view(enrolled)["payload"]
    assert (record["type"], record["name"]) == ("enrolment", "Hendra Gunawan")
    assert record["decree_sha256"] == b64url(hashlib.sha256(DECREE).digest())


@pytest.mark.parametrize(
    ("office", "path"), [("recommender", "recommender"), ("bkn", "bkn"), ("admin", "operator")]
)
def test_axe_finds_no_violation_on_each_institution_page(
    page: Page, institutions: Institutions, office: str, path: str
) -> None:
    page.goto(f"{institutions.live.url}/institutions/{path}")
    assert axe_violations(page) == []
    open_key(page, institutions, office, path)
    assert page.get_attribute("#iaccess-status", "class") == "ok"
    page.wait_for_selector("#institution-work:not([hidden])")
    assert axe_violations(page) == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the {path} page scrolls sideways on a phone by {overflow}px"


def test_bkn_blocks_the_recommended_asns_staff_status_from_its_page(
    page: Page, institutions: Institutions
) -> None:
    open_key(page, institutions, "bkn", "bkn")
    row = "#overdue-table tbody tr:has-text('NET.2024.00007')"
    page.wait_for_selector(row)
    page.click(f"{row} button >> nth=1")
    assert page.input_value("#block-rec") == str(institutions.overdue)
    page.fill("#block-reason", "Sanksi tidak dijatuhkan PPK")
    page.fill("#ipassphrase", PASSPHRASE)
    page.click("#block-button")
    index = signed_ok(page, "block-status")
    payload = institutions.live.view(index)["payload"]
    assert payload["type"] == "staff-block"
    assert payload["subject_commitment"] == b64url(hashlib.sha256(b"subjek lama").digest())


def test_an_institution_key_made_in_the_browser_is_enrolled_confirmed_and_revoked(
    page: Page, institutions: Institutions
) -> None:
    staff = page.context.browser.new_context(locale="id-ID")  # type: ignore[union-attr]
    try:
        bkn = staff.new_page()
        bkn.goto(f"{institutions.live.url}/institutions/bkn")
        bkn.check("#imode-browser")
        bkn.click("#imake-key")
        bkn.wait_for_selector("#ibrowser-public:not([hidden])")
        shown = bkn.inner_text("#ibrowser-public")
        public = shown.split(": ", 1)[1].split(" ", 1)[0]
        kid = shown.rsplit("kid ", 1)[1].rstrip(")")

        # The operator enrols it from its page, citing the decree's file (hashed in the browser).
        open_key(page, institutions, "admin", "operator")
        page.fill("#ek-public", public)
        page.select_option("#ek-role", "bkn")
        page.fill("#ek-name", "Direktur Pengendalian BKN")
        page.fill("#ek-jabatan", "Direktur")
        page.fill("#ek-instansi", "Badan Kepegawaian Negara")
        page.fill("#ek-decree-number", "12/KEP/2026")
        page.fill("#ek-decree-date", "2026-01-05")
        page.set_input_files(
            "#ek-decree-file", {"name": "sk.pdf", "mimeType": "application/pdf", "buffer": DECREE}
        )
        page.fill("#ek-term-start", "2026-01-05")
        page.fill("#ek-term-end", "2099-12-31")
        page.fill("#ipassphrase", PASSPHRASE)
        page.click("#ek-button")
        enrolled = signed_ok(page, "ek-status")
        record = institutions.live.view(enrolled)["payload"]
        assert record["decree_sha256"] == b64url(hashlib.sha256(DECREE).digest())

        # BKN opens its page with the browser's key and countersigns the enrolment.
        bkn.click("#iopen")
        bkn.wait_for_selector("#iaccess-status.ok, #iaccess-status.error")
        assert bkn.get_attribute("#iaccess-status", "class") == "ok"
        bkn.wait_for_selector(f"#confirm-table tbody tr:has-text('#{enrolled}')")
        bkn.select_option("#confirm-enrolment", str(enrolled))
        bkn.set_input_files(
            "#confirm-file", {"name": "sk.pdf", "mimeType": "application/pdf", "buffer": DECREE}
        )
        bkn.wait_for_function(
            "() => document.getElementById('confirm-hash').textContent.includes('sama')"
        )
        bkn.click("#confirm-button")
        confirmation = signed_ok(bkn, "confirm-status")
        view = institutions.live.view(confirmation)
        assert view["type"] == "enrolment-confirmation"
        assert view["signer"]["kid"] == b64url(bytes.fromhex(kid))

        # The operator revokes the key from its page: BKN's page no longer opens with it.
        page.goto(f"{institutions.live.url}/institutions/operator")
        open_key(page, institutions, "admin", "operator")
        page.click("#keys-table tbody tr:has-text('Direktur Pengendalian BKN') button")
        assert page.input_value("#rk-kid") == kid
        page.fill("#rk-reason", "kunci peramban hilang")
        page.fill("#ipassphrase", PASSPHRASE)
        page.click("#rk-button")
        revocation = signed_ok(page, "rk-status")
        assert institutions.live.view(revocation)["payload"]["type"] == "key-revocation"
        bkn.click("#iopen")
        bkn.wait_for_selector("#iaccess-status.error")
        assert "dicabut" in bkn.inner_text("#iaccess-status")
    finally:
        staff.close()


def test_a_recommender_signs_in_the_browser_with_a_key_it_made(
    page: Page, institutions: Institutions
) -> None:
    page.goto(f"{institutions.live.url}/institutions/recommender")
    page.check("#imode-browser")
    page.click("#imake-key")
    page.wait_for_selector("#ibrowser-public:not([hidden])")
    public = page.inner_text("#ibrowser-public").split(": ", 1)[1].split(" ", 1)[0]
    record = enrolment(
        unb64url(public),
        "recommender",
        name="Ketua Pengganti KASN",
        jabatan="Ketua",
        instansi="KASN",
        head_type=None,
        **LONG_TERM,
    )
    admin = institutions.live.operator.admin
    institutions.live.register(
        admin.sign_statement({k: v for k, v in record.items() if v is not None}, "operator", NOW_S)
    )

    page.click("#iopen")
    page.wait_for_selector("#iaccess-status.ok, #iaccess-status.error")
    assert page.get_attribute("#iaccess-status", "class") == "ok"
    page.wait_for_selector("#rec-ppk option", state="attached")
    offered = page.eval_on_selector_all("#rec-election option", "os => os.map(o => o.value)")
    assert offered == [LATER["name"], ELECTION, "pemilu-2024"]  # latest voting day first
    assert page.input_value("#rec-election") == LATER["name"]
    assert page.is_hidden("#rec-no-election")
    page.select_option("#rec-election", "pemilu-2024")
    page.select_option("#rec-instansi", INSTANSI)
    page.fill("#rec-case", "NET.2026.00099")
    page.fill("#rec-subject", SUBJECT.hex())
    page.select_option("#rec-category", "declaring-support")
    page.fill("#rec-deadline", "2099-02-28")
    page.click("#rec-button")
    index = signed_ok(page, "rec-status")
    view = institutions.live.view(index)
    assert view["signer"]["kid"] == b64url(hashlib.sha256(unb64url(public)).digest())
    assert view["payload"]["ppk_kid"] == b64url(bytes.fromhex(institutions.kids["ppk"]))
    assert view["payload"]["subject_commitment"] == b64url(SUBJECT)
    assert "report" not in view["payload"]
    assert view["payload"]["election"] == "pemilu-2024"
