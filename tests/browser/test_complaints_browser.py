"""The complaint journey in Debian's Chromium, on a phone: file, get the number, Bawaslu
receives it with `registry complaints receive`, the status page shows the log entry, which
verifies in the browser.  axe-core passes on the form, on its errors and on the status page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from registry.cli.complaints import complaints
from registry.signing.keys import save_key
from tests.api.test_complaints import register_election
from tests.browser.conftest import PHONE
from tests.browser.harness import LiveRegistry
from tests.browser.test_dashboard_browser import DESKTOP, axe_violations
from tests.factories import fixed_key

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

PASSPHRASE = "kunci-bawaslu-2024"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> Iterator[LiveRegistry]:
    """A served registry with the election the complaint names registered, and Bawaslu enrolled."""
    live = LiveRegistry.start(tmp_path_factory.mktemp("complaints-registry"))
    register_election(live.writer)
    live.writer.enrol("bawaslu", "bawaslu", instansi="Bawaslu RI", term_end="2099-12-31")
    yield live
    live.stop()


def fill(page: Page, description: str) -> None:
    page.select_option("#category", "social-media")
    page.fill("#description", description)
    page.fill("#place", "Kecamatan Tarogong Kidul, Garut")
    page.fill("#date", "2024-10-02")
    page.select_option("#election", "pilkada-2024")
    page.fill("#subject_name", "Dedi Supriadi")
    page.fill("#instansi", "Pemerintah Kabupaten Garut")
    page.fill("#complainant_name", "Rina Kartika")
    page.fill("#complainant_email", "rina.kartika@example.id")


def test_file_receive_and_follow_a_complaint(
    page: Page, desk: LiveRegistry, tmp_path: Path
) -> None:
    page.goto(desk.url + "/complaints")
    assert page.locator("html").get_attribute("lang") == "id"
    assert axe_violations(page) == []
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the form scrolls sideways ({width}px)"
    fill(page, "Membagikan poster pasangan calon di grup WhatsApp dinas")
    page.click("#complaint-submit")
    page.wait_for_selector("#complaint-number")
    number = page.inner_text("#complaint-number")
    assert page.locator("#complaint-filed").is_visible()
    assert page.get_attribute("#complaint-status", "data-status") == "pending"
    assert "Rina Kartika" not in page.content()
    assert axe_violations(page) == []

    key = tmp_path / "bawaslu.key"
    save_key(key, fixed_key("bawaslu"), PASSPHRASE)
    env = {"REGISTRY_PASSPHRASE": PASSPHRASE, "REGISTRY_BASE_URL": desk.url, "LANG": "C.UTF-8"}
    result = CliRunner().invoke(complaints, ["receive", number, "--key", str(key)], env=env)
    assert result.exit_code == 0, result.output

    page.reload()
    assert page.get_attribute("#complaint-status", "data-status") == "received"
    entry = desk.writer.client.get(f"/api/complaints/{number}").json()["entry"]
    assert f"{entry}" in page.inner_text("#status-text")
    page.click("#entry-link")
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "valid"


def test_personal_data_comes_back_named_and_accessible(
    browser: Browser, desk: LiveRegistry
) -> None:
    for viewport in (PHONE, DESKTOP):
        context = browser.new_context(viewport=viewport, locale="en-US")
        page = context.new_page()
        page.goto(desk.url + "/complaints?lang=en")
        fill(page, "Call the witness at 0812 3456 7890")
        page.click("#complaint-submit")
        page.wait_for_selector("#complaint-errors")
        reasons = page.locator("#complaint-errors li").evaluate_all(
            "items => items.map(i => i.dataset.reason)"
        )
        assert reasons == ["phone-in-text"]
        assert page.input_value("#complainant_name") == "Rina Kartika"
        assert axe_violations(page) == []
        context.close()
