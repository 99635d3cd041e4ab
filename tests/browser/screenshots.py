"""Take the verify pages' screenshots in docs/screenshots/ (phone and desktop, valid and not).

Run from the project root: ``python -m tests.browser.screenshots``.  It starts a
registry in a temporary folder, registers a few pacts, and drives Debian's
Chromium; a lying server is played by the same test-only wrapper the browser
tests use.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.harness import LiveRegistry

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}


def shoot(
    browser: Browser,
    url: str,
    name: str,
    viewport: dict[str, int],
    *,
    wait: str,
    paste: str | None = None,
) -> None:
    """Open ``url`` (pasting ``paste`` on /verify), wait for ``wait``, save a full-page shot."""
    locale = "en-GB" if "lang=en" in url else "id-ID"
    context = browser.new_context(viewport=viewport, device_scale_factor=1, locale=locale)
    page = context.new_page()
    page.goto(url)
    if paste is not None:
        page.wait_for_selector("body[data-ready]")
        page.fill("#paste", paste)
        page.click("#paste-form button[type=submit]")
    page.wait_for_selector(wait, timeout=30_000)
    page.screenshot(path=str(OUT / name), full_page=True)
    context.close()
    print(OUT / name)


def main() -> None:
    """Register records, then take every screenshot."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        live = LiveRegistry.start(Path(root))
        try:
            valid, _ = live.new_pact()
            altered, place = live.new_pact()
            revoked, _ = live.new_pact()
            live.revoke(revoked, reason="Salah tanggal penandatanganan")
            live.new_pact()
            links = {i: live.link(i) for i in (valid, altered, revoked)}
            links_en = {i: live.link(i, "en") for i in (valid, altered)}
            lie = {
                (f"/entries/{altered}/statement", "raw"): lambda body: body.replace(
                    place.encode(), place.replace("Bandung", "Cianjur").encode()
                )
            }
            verified = "body[data-verified]"
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                shoot(browser, links[valid], "verify-valid-phone.png", PHONE, wait=verified)
                shoot(
                    browser, links_en[valid], "verify-valid-desktop-en.png", DESKTOP, wait=verified
                )
                shoot(browser, links[revoked], "verify-revoked-phone.png", PHONE, wait=verified)
                with live.tamper.rewriting(lie):
                    shoot(browser, links[altered], "verify-invalid-phone.png", PHONE, wait=verified)
                    shoot(
                        browser,
                        links_en[altered],
                        "verify-invalid-desktop-en.png",
                        DESKTOP,
                        wait=verified,
                    )
                shoot(
                    browser, f"{live.url}/verify", "scan-phone.png", PHONE, wait="body[data-ready]"
                )
                shoot(
                    browser,
                    f"{live.url}/verify",
                    "scan-offline-phone.png",
                    PHONE,
                    wait=verified,
                    paste=live.get(f"/entries/{valid}/qr-offline.txt").decode(),
                )
                browser.close()
        finally:
            live.stop()


if __name__ == "__main__":
    main()
