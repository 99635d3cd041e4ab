"""Take the compliance pages' screenshots in docs/screenshots/ (phone and desktop).

Run from the project root: ``python -m tests.browser.dashboard_screenshots``.  It loads the
demo into a registry in a temporary folder and drives Debian's Chromium.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.browser.demo_registry import DemoServer

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
MAX_HEIGHT = 3000
"""Pixels of a page kept (its top): enough to show what it is, not every row of its tables."""


def shoot(browser: Browser, url: str, name: str, viewport: dict[str, int]) -> None:
    """Open ``url``, wait until its charts are drawn, save a full-page shot as ``name``."""
    locale = "en-GB" if "lang=en" in url else "id-ID"
    context = browser.new_context(viewport=viewport, device_scale_factor=1, locale=locale)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("body[data-charts-ready]", timeout=30_000)
    height = min(page.evaluate("() => document.documentElement.scrollHeight"), MAX_HEIGHT)
    clip = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
    page.screenshot(path=str(OUT / name), full_page=True, clip=clip)
    context.close()
    print(OUT / name)


def main() -> None:
    """Load the demo, then take every screenshot."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as root:
        demo = DemoServer.start(Path(root))
        try:
            signer = httpx.get(f"{demo.url}/api/compliance/pact-signers-with-overdue").json()
            kid = signer["items"][0]["kid"]
            pages = {
                "dashboard": "/dashboard",
                "dashboard-filtered-en": "/dashboard?province=Jawa+Barat&lang=en",
                "dashboard-refused": "/dashboard?province=Atlantis",
                "figure-entries": "/dashboard/national/entries?figure=overdue",
                "signer": f"/signers/{kid}",
                "instansi": "/instansi/pemerintah-provinsi-jawa-barat",
                "home-browse": "/?instansi=jawa+barat&type=pact",
            }
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                for name, path in pages.items():
                    shoot(browser, demo.url + path, f"{name}-desktop.png", DESKTOP)
                    shoot(browser, demo.url + path, f"{name}-phone.png", PHONE)
                browser.close()
        finally:
            demo.stop()


if __name__ == "__main__":
    main()
