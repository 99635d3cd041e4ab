"""Take the institutions' pages' screenshots in docs/screenshots/ (phone and desktop).

Run from the project root: ``python -m tests.browser.institution_screenshots``.  It starts a
registry in a temporary folder with a custodial key per office, a report and an overdue
recommendation (tests/browser/test_institutions_browser.py) and a pending enrolment request,
and drives Debian's Chromium: each page opened with its office's key (Indonesian, and English
on the desktop), and the recommender page refusing a PPK's key.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from registry.signing.cose import CoseSigner
from tests.api.helpers import COSE
from tests.api.test_enrolment_requests import request_payload
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.screenshots import DESKTOP, OUT
from tests.browser.test_institutions_browser import Institutions, open_key
from tests.factories import fixed_key

PAGES = (("recommender", "recommender"), ("bkn", "bkn"), ("admin", "operator"))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        where = Institutions(Path(folder))
        asker = CoseSigner(fixed_key("browser-garut"))
        request = asker.sign_statement(request_payload(asker.public_key), asker.kid.hex())
        where.live.writer.client.post("/enrolment-requests", content=request, headers=COSE)
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
                options = {"viewport": viewport, "device_scale_factor": 1, "locale": "id-ID"}
                langs = ("", "?lang=en") if label == "desktop" else ("",)
                for office, path in PAGES:
                    for query in langs:
                        context = browser.new_context(**options)
                        page = context.new_page()
                        open_key(page, where, office, path, query)
                        page.wait_for_selector("#institution-work:not([hidden])")
                        page.wait_for_load_state("networkidle")
                        suffix = "-en" if query else ""
                        name = f"institution-{path}{suffix}-{label}.png"
                        page.screenshot(path=OUT / name, full_page=True)
                        context.close()
                context = browser.new_context(**options)
                page = context.new_page()
                open_key(page, where, "ppk", "recommender")
                page.screenshot(path=OUT / f"institution-refused-{label}.png", full_page=True)
                context.close()
        finally:
            browser.close()
            where.live.stop()


if __name__ == "__main__":
    main()
