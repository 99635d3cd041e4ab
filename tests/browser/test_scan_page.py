"""/verify: a QR from the camera, an uploaded image or pasted text; offline QRs verified here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, Route

from registry.log.receipt import issue_receipt
from registry.signing.cose import CoseSigner
from registry.verify.cose import HEADER_CWT_CLAIMS
from registry.verify.trust import unb64url
from tests.api.helpers import other_key
from tests.browser.conftest import PHONE, VERIFY_TIMEOUT_MS, launch
from tests.browser.harness import ORIGIN, LiveRegistry, offline_text, png, qr_matrix, y4m

pytestmark = pytest.mark.browser


def open_scan(page: Page, live: LiveRegistry, lang: str = "en") -> None:
    """Open /verify and wait until its script is ready."""
    page.goto(f"{live.url}/verify?lang={lang}")
    page.wait_for_selector("body[data-ready]")


def upload(page: Page, name: str, image: bytes) -> None:
    """Choose ``image`` in the page's file input."""
    page.set_input_files(
        "#upload", files=[{"name": name, "mimeType": "image/png", "buffer": image}]
    )


def checks_of(page: Page) -> dict[str, tuple[str, str]]:
    """Each shown check's (status, code)."""
    return {
        item.get_attribute("data-check") or "": (
            item.get_attribute("data-status") or "",
            item.get_attribute("data-code") or "",
        )
        for item in page.query_selector_all("#checks li")
    }


def paste(page: Page, text: str) -> None:
    """Paste ``text`` and press Check."""
    page.fill("#paste", text)
    page.click("#paste-form button[type=submit]")


def offline_parts(live: LiveRegistry, index: int) -> dict[int, bytes]:
    """The offline payload's items (docs/formats.md), with the receipt as item 4."""
    view = live.view(index)
    return {
        1: live.get(f"/entries/{index}/statement"),
        2: unb64url(view["signer"]["public_key"]),
        3: unb64url(view["leaf"]["bytes"]),
        4: live.get(f"/entries/{index}"),
    }


@pytest.fixture
def camera_browser(
    playwright_instance: Playwright, live: LiveRegistry, tmp_path: Path
) -> Iterator[tuple[Browser, int]]:
    """A Chromium whose camera shows the link QR of a new pact (from a Y4M file)."""
    index, _ = live.new_pact()
    video = tmp_path / "qr.y4m"
    video.write_bytes(y4m(qr_matrix(live.link(index))))
    browser = launch(
        playwright_instance,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    )
    yield browser, index
    browser.close()


def test_camera_scan_opens_the_record(
    camera_browser: tuple[Browser, int], live: LiveRegistry
) -> None:
    browser, index = camera_browser
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["camera"], origin=live.url)
    page = context.new_page()
    page.set_default_timeout(VERIFY_TIMEOUT_MS)
    try:
        open_scan(page, live)
        assert page.evaluate("'BarcodeDetector' in window") is False  # Debian's Chromium: jsQR
        page.click("#camera-start")
        page.wait_for_url(f"**/v/{index}?lang=en#*")
        page.wait_for_selector("body[data-verified]")
        assert page.get_attribute("#verdict", "data-verdict") == "valid"
        assert page.get_attribute("[data-check=fragment]", "data-status") == "pass"
    finally:
        context.close()


def test_uploaded_link_qr_opens_the_record(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    open_scan(page, live, "id")
    upload(page, "pakta.png", live.get(f"/entries/{index}/qr.png"))
    page.wait_for_url(f"**/v/{index}#*")
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "valid"
    assert page.inner_text("#verdict-title") == "SAH"


def test_uploaded_image_of_a_qr_we_drew(page: Page, live: LiveRegistry) -> None:
    """The same, from a QR image made here (qrcode) rather than the registry's."""
    index, _ = live.new_pact()
    open_scan(page, live)
    upload(page, "foto.png", png(qr_matrix(live.link(index)), scale=5))
    page.wait_for_url(f"**/v/{index}?lang=en#*")
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "valid"


def test_pasted_link_opens_the_record(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    open_scan(page, live)
    paste(page, live.link(index))
    page.wait_for_url(f"**/v/{index}?lang=en#*")
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "valid"


def test_offline_qr_verifies_with_no_network(page: Page, live: LiveRegistry) -> None:
    index, place = live.new_pact()
    text = live.get(f"/entries/{index}/qr-offline.txt").decode()
    open_scan(page, live)
    requests: list[str] = []

    def refuse(route: Route) -> None:
        requests.append(route.request.url)
        route.abort()

    page.context.route("**/*", refuse)  # from here on, the page is offline
    paste(page, text)
    page.wait_for_selector("body[data-verified]")
    assert not requests
    assert page.get_attribute("#verdict", "data-verdict") == "valid"
    assert checks_of(page) == {
        "payload": ("pass", "payload-ok"),
        "signature": ("pass", "signature-ok-offline"),
        "statement": ("pass", "statement-ok"),
        "receipt": ("pass", "receipt-ok"),
        "witnesses": ("info", "witnesses-none"),
        "checkpoint": ("skip", "checkpoint-offline"),
        "revocation": ("info", "revocation-offline"),
    }
    assert place in page.inner_text("#signed")
    online = page.get_attribute("#offline-online", "href") or ""
    assert online == f"/v/{index}?lang=en#{live.fragment(index)}"


def test_uploaded_offline_qr_image(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    open_scan(page, live)
    upload(page, "luring.png", live.get(f"/entries/{index}/qr-offline.png"))
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "valid"
    assert page.get_attribute("[data-check=receipt]", "data-status") == "pass"


def test_offline_qr_with_the_registry_entry_timestamp(page: Page, live: LiveRegistry) -> None:
    """Item 5 instead of the receipt: the log key's signature over the leaf bytes."""
    index, _ = live.new_pact()
    parts = offline_parts(live, index)
    del parts[4]
    parts[5] = live.operator.log.sign1(
        {HEADER_CWT_CLAIMS: {1: ORIGIN, 6: 1_727_395_200}}, {}, parts[3], detached=True
    )
    open_scan(page, live)
    paste(page, offline_text(parts))
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "valid"
    assert checks_of(page)["receipt"] == ("pass", "entry-timestamp-ok")


def test_offline_qr_with_an_altered_statement(page: Page, live: LiveRegistry) -> None:
    index, place = live.new_pact()
    parts = offline_parts(live, index)
    parts[1] = parts[1].replace(place.encode(), place[:-1].encode() + b"X")
    open_scan(page, live)
    paste(page, offline_text(parts))
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "invalid"
    checks = checks_of(page)
    assert checks["signature"] == ("fail", "bad-signature")
    assert checks["statement"] == ("fail", "statement-hash-mismatch")
    assert page.is_hidden("#offline-online")


def test_offline_qr_with_a_receipt_from_an_unknown_key(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    parts = offline_parts(live, index)
    proof = live.view(index)["inclusion_proof"]
    parts[4] = issue_receipt(
        CoseSigner(other_key()),
        ORIGIN,
        parts[3],
        index,
        proof["size"],
        [unb64url(h) for h in proof["path"]],
        unb64url(proof["root"]),
        1_727_395_200,
    )
    open_scan(page, live)
    paste(page, offline_text(parts))
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "invalid"
    assert checks_of(page)["receipt"] == ("fail", "unknown-log-key")


def test_damaged_offline_text(page: Page, live: LiveRegistry) -> None:
    open_scan(page, live)
    paste(page, "PI1:NCF0RB06")
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "invalid"
    assert checks_of(page)["payload"][0] == "fail"


def test_text_that_is_no_registry_qr(page: Page, live: LiveRegistry) -> None:
    open_scan(page, live)
    paste(page, "https://example.org/halaman-lain")
    page.wait_for_selector("#scan-status:has-text('neither')")  # no eval: the CSP forbids it
    assert "neither a registry record link" in page.inner_text("#scan-status")
    assert page.url.endswith("/verify?lang=en")


def test_image_without_a_qr_code(page: Page, live: LiveRegistry) -> None:
    open_scan(page, live, "id")
    upload(page, "kosong.png", png([[False] * 40] * 40))
    page.wait_for_selector("#scan-status:has-text('Tidak ada')")
    assert "Tidak ada kode QR" in page.inner_text("#scan-status")
