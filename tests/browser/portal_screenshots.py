"""Take the signing portal's screenshots in docs/screenshots/ (phone and desktop).

Run from the project root: ``python -m tests.browser.portal_screenshots``.  It starts a
registry in a temporary folder with a published pact template and a custodial PPK key, and
drives Debian's Chromium: the empty portal, and the answer after a custodial signature.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.screenshots import DESKTOP, OUT
from tests.browser.test_portal_browser import Portal, fill_and_sign


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        portal = Portal(Path(folder))
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
                options = {"viewport": viewport, "device_scale_factor": 1, "locale": "id-ID"}
                for query, lang in (("", "id"), ("?lang=en", "en")):
                    context = browser.new_context(**options)
                    page = context.new_page()
                    page.goto(f"{portal.live.url}/portal{query}")
                    page.wait_for_selector("#enrol-form:not([hidden])", state="attached")
                    suffix = "" if lang == "id" else "-en"
                    page.screenshot(path=OUT / f"portal{suffix}-{label}.png", full_page=True)
                    context.close()
                context = browser.new_context(**options)
                page = context.new_page()
                page.goto(f"{portal.live.url}/portal")
                fill_and_sign(page, portal)
                page.wait_for_selector("#portal-result:not([hidden])")
                page.wait_for_function(
                    "() => document.getElementById('result-qr').naturalWidth > 0"
                )
                page.screenshot(path=OUT / f"portal-signed-{label}.png", full_page=True)
                context.close()
        finally:
            browser.close()
            portal.live.stop()


if __name__ == "__main__":
    main()
