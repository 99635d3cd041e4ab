"""/portal in Debian's Chromium: a PPK whose key the registry holds signs a pact from the page.

The signer chooses the election and the template, reads its text, signs with their kid and
passphrase, and gets the record page, QR and certificate at once; the record verifies in the
browser and cites the SHA-256 of the text shown.  axe-core passes on the page, on a phone too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from registry.api.rendering import WIB
from registry.config import Settings
from registry.records.custodial import create_custodial_key
from registry.verify.trust import b64url
from tests.api.helpers import NOW_S, enrolment
from tests.browser.conftest import PHONE, VERIFY_TIMEOUT_MS
from tests.browser.harness import ORIGIN, LiveRegistry
from tests.browser.test_dashboard_browser import DESKTOP, axe_violations
from tests.factories import election_payload

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PASSPHRASE = "Rahasia-Walikota-Bogor-2024!"
PACT_TEXT = (
    "PAKTA INTEGRITAS\n\nSaya menjaga netralitas Aparatur Sipil Negara di lingkungan saya,\n"
    "dan menindaklanjuti setiap rekomendasi Bawaslu dalam batas waktunya."
)
INSTANSI = "Pemerintah Kota Bogor"


class Portal:
    """A live registry with a published pact template and a PPK key in custody."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.live = LiveRegistry.start(root)
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{root / 'registry.sqlite3'}",
            data_dir=root / "data",
            origin=ORIGIN,
            admin_passphrase="kata-sandi-uji",
        )
        # In a thread of its own: Playwright's sync API keeps an event loop in this one.
        with ThreadPoolExecutor(1) as pool:
            made = pool.submit(asyncio.run, create_custodial_key(settings, PASSPHRASE))
            self.kid, public = made.result()
        admin = self.live.operator.admin
        self.live.register(
            admin.sign_statement(
                enrolment(
                    public,
                    "ppk",
                    name="Dedie A. Rachim",
                    jabatan="Walikota Bogor",
                    instansi=INSTANSI,
                    head_type="definitive",
                    term_end="2099-12-31",
                ),
                "operator",
                NOW_S,
            )
        )
        template = {"type": "template", "kind": "pact", "title": "Pakta 2024", "text": PACT_TEXT}
        self.template = self.live.register(admin.sign_statement(template, "operator", NOW_S))
        # the election the portal offers (it offers only registered ones)
        self.live.register(admin.sign_statement(election_payload(), "operator", NOW_S))


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> Iterator[Portal]:
    made = Portal(tmp_path_factory.mktemp("portal-registry"))
    yield made
    made.live.stop()


def fill_and_sign(page: Page, portal: Portal, passphrase: str = PASSPHRASE) -> None:
    page.select_option("#election", "pilkada-2024")
    page.select_option("#template", str(portal.template))
    page.fill("#instansi", INSTANSI)
    page.fill("#place", "Balai Kota Bogor")
    page.fill("#kid", portal.kid.hex())
    page.fill("#passphrase", passphrase)
    page.click("#sign-button")


def test_a_custodial_ppk_signs_a_pact_from_the_portal(page: Page, portal: Portal) -> None:
    page.goto(f"{portal.live.url}/portal")
    assert page.inner_text("#template-text") == PACT_TEXT
    fill_and_sign(page, portal)
    page.wait_for_selector("#portal-result:not([hidden])")
    href = page.get_attribute("#result-record", "href") or ""
    index = int(href.removeprefix("/v/"))
    assert page.get_attribute("#result-certificate", "href") == f"/entries/{index}/certificate.pdf"
    page.wait_for_function("() => document.getElementById('result-qr').naturalWidth > 0")
    assert page.input_value("#passphrase") == ""

    view = portal.live.view(index)
    assert view["type"] == "pact"
    assert view["signer"]["kid"] == b64url(portal.kid)
    payload = view["payload"]
    assert payload["election"] == "pilkada-2024"
    assert payload["instansi"] == INSTANSI
    cited = payload["template"]
    assert cited in (
        hashlib.sha256(PACT_TEXT.encode()).hexdigest(),
        b64url(hashlib.sha256(PACT_TEXT.encode()).digest()),
    )
    pdf = portal.live.get(f"/entries/{index}/certificate.pdf")
    assert pdf.startswith(b"%PDF")

    page.click("#result-record")
    page.wait_for_selector("#verdict:not([data-verdict='checking'])", timeout=VERIFY_TIMEOUT_MS)
    assert page.get_attribute("#verdict", "data-verdict") == "valid"

    # Signed by mistake: the signer revokes it from the portal.
    page.goto(f"{portal.live.url}/portal")
    page.fill("#kid", portal.kid.hex())
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#revoke-entry", str(index))
    page.fill("#revoke-reason", "salah tanggal")
    page.click("#revoke-button")
    page.wait_for_selector("#revoke-status.ok, #revoke-status.error")
    assert page.get_attribute("#revoke-status", "class") == "ok", page.inner_text("#revoke-status")
    revocation = portal.live.view(entry_of(page))
    assert revocation["payload"] == {
        "type": "revocation",
        "entry": index,
        "reason": "salah tanggal",
    }
    assert portal.live.view(index)["status"]["revoked"]


def test_a_wrong_passphrase_is_said_on_the_page_and_nothing_is_signed(
    page: Page, portal: Portal
) -> None:
    size = int(portal.live.writer.client.get("/health").json()["size"])
    page.goto(f"{portal.live.url}/portal?lang=en")
    fill_and_sign(page, portal, passphrase="not-the-passphrase")
    page.wait_for_selector("#portal-status.error")
    assert "passphrase" in page.inner_text("#portal-status").lower()
    assert page.is_hidden("#portal-result")
    assert int(portal.live.writer.client.get("/health").json()["size"]) == size


def test_axe_finds_no_violation_on_the_portal(browser: Browser, portal: Portal) -> None:
    found = {}
    for path in ("/portal", "/portal?lang=en"):
        for viewport in (DESKTOP, PHONE):
            context = browser.new_context(viewport=viewport, locale="id-ID")
            page = context.new_page()
            page.goto(portal.live.url + path)
            page.wait_for_selector("#record-preview:not(:empty)", state="attached")
            page.wait_for_selector("#enrol-form:not([hidden])", state="attached")
            page.click("#enrol-details summary")  # the enrolment form checked open
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} scrolls sideways ({width}px)"
            violations = axe_violations(page)
            if violations:
                found[f"{path} {viewport['width']}px"] = violations
            context.close()
    assert not found, found


def approve_from_the_terminal(portal: Portal, request_id: str) -> str:
    """`registry enrolment approve ID`, as the operator runs it; its output."""
    from click.testing import CliRunner

    from registry.cli.main import main

    env = {
        "REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{portal.root / 'registry.sqlite3'}",
        "REGISTRY_DATA_DIR": str(portal.root / "data"),
        "REGISTRY_ORIGIN": ORIGIN,
        "REGISTRY_ADMIN_PASSPHRASE": "kata-sandi-uji",
        "REGISTRY_BASE_URL": portal.live.url,
        "LANG": "C.UTF-8",
    }
    # In a thread of its own: the command runs its own event loop.
    with ThreadPoolExecutor(1) as pool:
        ran = pool.submit(CliRunner().invoke, main, ["enrolment", "approve", request_id], env=env)
        result = ran.result()
    assert result.exit_code == 0, result.output
    return result.output


def entry_of(page: Page) -> int:
    """The entry the portal's answer links to."""
    href = page.get_attribute("#result-record", "href") or ""
    return int(href.split("/v/")[1].split("?")[0])


def contains_index(value: object, index: int) -> bool:
    """Whether a compliance table (JSON) counts entry ``index`` in some figure."""
    if isinstance(value, dict):
        entries = value.get("entries")
        if isinstance(entries, list) and index in entries:
            return True
        return any(contains_index(v, index) for v in value.values())
    if isinstance(value, list):
        return any(contains_index(v, index) for v in value)
    return False


def test_a_new_ppk_enrols_a_browser_key_is_approved_and_signs_a_pact(
    page: Page, portal: Portal
) -> None:
    page.goto(f"{portal.live.url}/portal?lang=en")
    page.wait_for_selector("#enrol-form:not([hidden])", state="attached")
    page.click("#enrol-details summary")
    page.select_option("#enrol-role", "ppk")
    page.fill("#enrol-name", "Hendra Gunawan")
    page.fill("#enrol-jabatan", "Penjabat Bupati Garut")
    page.fill("#enrol-instansi", "Pemerintah Kabupaten Garut")
    page.fill("#enrol-province", "Jawa Barat")
    page.select_option("#enrol-head-type", "pj")
    page.fill("#enrol-decree-number", "Kepmendagri No. 100.2.1.3-1234 Tahun 2024")
    page.fill("#enrol-decree-date", "2024-01-10")
    page.fill("#enrol-term-start", "2024-01-15")
    page.fill("#enrol-term-end", "2099-12-31")
    page.click("#enrol-button")
    page.wait_for_function(
        "() => document.getElementById('key-status').textContent.includes('waiting')"
    )
    sent = page.inner_text("#enrol-status")
    request_id = sent.split("Request ")[1].split(" ")[0]
    status = portal.live.writer.client.get(f"/enrolment-requests/{request_id}").json()
    assert status["status"] == "pending"
    kid = status["kid"]
    assert portal.live.writer.client.get(f"/signers/{kid}").status_code == 404
    # The private key cannot be read out of the browser, not even by the page's own scripts.
    exported = page.evaluate(
        """async () => {
          const { loadKey } = await import('/static/keystore.js');
          const key = await loadKey();
          try { await crypto.subtle.exportKey('pkcs8', key.privateKey); return 'exported'; }
          catch (error) { return error.name; }
        }"""
    )
    assert exported == "InvalidAccessError"

    output = approve_from_the_terminal(portal, request_id)
    assert f"key {kid} enrolled" in output
    status = portal.live.writer.client.get(f"/enrolment-requests/{request_id}").json()
    enrolment = status["enrolment"]
    view = portal.live.view(enrolment)
    assert view["type"] == "enrolment"
    assert view["signer"]["role"] == "admin"
    assert view["payload"]["name"] == "Hendra Gunawan"

    page.reload()
    page.wait_for_selector("#mode-browser:checked")
    assert page.is_hidden("#custodial-fields")
    page.select_option("#election", "pilkada-2024")
    page.select_option("#template", str(portal.template))
    page.fill("#instansi", "Pemerintah Kabupaten Garut")
    page.fill("#place", "Pendopo Garut")
    page.click("#sign-button")
    page.wait_for_selector("#portal-result:not([hidden])")
    index = entry_of(page)
    pact = portal.live.view(index)
    assert pact["type"] == "pact"
    assert pact["signer"]["kid"] == b64url(bytes.fromhex(kid))
    assert pact["payload"]["place"] == "Pendopo Garut"

    page.goto(f"{portal.live.url}/signers/{kid}?lang=en")
    assert page.locator(f"a[href^='/v/{index}']").count() >= 1
    assert "Hendra Gunawan" in page.inner_text("#profile-name")
    elections = portal.live.writer.client.get("/api/dashboard/elections").json()
    assert contains_index(elections, index), elections

    # A recommendation reaches their instansi; they follow it up from the portal.
    recommender = portal.live.writer.enrol(
        "recommender-portal",
        role="recommender",
        instansi="KemenPAN-RB",
        head_type=None,
        province=None,
        jabatan="Deputi",
        name="Pejabat KemenPAN-RB",
        term_end="2099-12-31",
    )
    recommendation = {
        "type": "recommendation",
        "election": "pilkada-2024",
        "case_number": "NET.2024.GRT.7",
        "instansi": "Pemerintah Kabupaten Garut",
        "ppk_kid": bytes.fromhex(kid),
        "subject_commitment": hashlib.sha256(b"subjek").digest(),
        "category": "social-media",
        "sanction": "light",
        "deadline": "2099-01-31",
    }
    rec = portal.live.register(recommender.sign_statement(recommendation, "recommender"))
    before = portal.live.writer.client.get(f"/api/compliance/signers/{kid}").json()
    assert before["followed_up"]["value"] == 0
    page.goto(f"{portal.live.url}/portal?lang=en")
    page.wait_for_selector(f"button.follow-up[data-index='{rec}']")
    assert "2099-01-31" in page.inner_text("#recs-table")
    page.click(f"button.follow-up[data-index='{rec}']")
    assert axe_violations(page) == [], "the recommendations and follow-up form"
    page.select_option("#fu-action", "sanctioned")
    page.select_option("#fu-sanction", "light")
    page.fill("#fu-decree-number", "800/Kep.12-BKPSDM/2026")
    # The decree comes after the recommendation (issued today) and by the follow-up.
    page.fill("#fu-decree-date", dt.datetime.now(WIB).date().isoformat())
    decree = b"%PDF-1.4 surat keputusan hukuman disiplin ringan"
    upload = {"name": "sk.pdf", "mimeType": "application/pdf", "buffer": decree}
    page.set_input_files("#fu-decree-file", files=[upload])
    digest = hashlib.sha256(decree).hexdigest()
    page.wait_for_function(
        f"() => document.getElementById('fu-file-hash').textContent.includes('{digest}')"
    )
    page.click("#fu-button")
    page.wait_for_selector("#fu-status.ok, #fu-status.error")
    assert page.get_attribute("#fu-status", "class") == "ok", page.inner_text("#fu-status")
    answered = entry_of(page)
    follow = portal.live.view(answered)
    assert follow["type"] == "follow-up"
    assert follow["payload"]["recommendation"] == rec
    assert follow["payload"]["decree_sha256"] in (digest, b64url(bytes.fromhex(digest)))
    assert page.is_hidden("#result-certificate")
    after = portal.live.writer.client.get(f"/api/compliance/signers/{kid}").json()
    assert after["followed_up"]["value"] == 1
    page.wait_for_selector(f"button.follow-up[data-index='{rec}']", state="detached")


def test_a_custodial_ppk_refuses_a_recommendation_from_the_portal(
    page: Page, portal: Portal
) -> None:
    recommender = portal.live.writer.enrol(
        "recommender-custodial",
        role="recommender",
        instansi="KemenPAN-RB",
        head_type=None,
        province=None,
        jabatan="Deputi",
        name="Pejabat KemenPAN-RB",
        term_end="2099-12-31",
    )
    recommendation = {
        "type": "recommendation",
        "election": "pilkada-2024",
        "case_number": "NET.2024.BGR.3",
        "instansi": INSTANSI,
        "ppk_kid": portal.kid,
        "subject_commitment": hashlib.sha256(b"subjek bogor").digest(),
        "category": "social-media",
        "sanction": "moral",
        "deadline": "2099-02-28",
    }
    rec = portal.live.register(recommender.sign_statement(recommendation, "recommender"))
    page.goto(f"{portal.live.url}/portal")
    page.fill("#kid", portal.kid.hex())
    page.dispatch_event("#kid", "change")
    page.click(f"button.follow-up[data-index='{rec}']")
    page.select_option("#fu-action", "refused")
    assert page.is_hidden("#fu-decree-number")
    page.fill("#fu-reason", "Terlapor telah pensiun sebelum rekomendasi diterima")
    page.fill("#passphrase", PASSPHRASE)
    page.click("#fu-button")
    page.wait_for_selector("#fu-status.ok, #fu-status.error")
    assert page.get_attribute("#fu-status", "class") == "ok", page.inner_text("#fu-status")
    answer = portal.live.view(entry_of(page))
    assert answer["type"] == "follow-up"
    assert answer["signer"]["kid"] == b64url(portal.kid)
    assert answer["payload"]["action"] == "refused"
    assert answer["payload"]["recommendation"] == rec
    assert page.input_value("#passphrase") == ""
