"""Browser tests: Debian's Chromium driven by Playwright, against a live registry.

Chromium is the system one (``/usr/bin/chromium``; ``.ci/run`` installs it with
apt); Playwright never downloads a browser.  Without Chromium or Playwright the
tests skip with the reason, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.harness import LiveRegistry

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
"""A phone-sized viewport (CSS pixels)."""
VERIFY_TIMEOUT_MS = 30_000


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure in CI) when it or Playwright is missing."""
    problem = _missing()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI, but {problem}")
        pytest.skip(f"browser tests skipped: {problem}")
    return CHROMIUM


# Module scope, not session: the sync API keeps an event loop running in the main thread while
# Playwright is started, which would break the async tests of the modules that follow.
@pytest.fixture(scope="module")
def playwright_instance(chromium: Path) -> Iterator[Playwright]:
    """Playwright, started for one test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance


def launch(playwright: Playwright, *extra: str) -> Browser:
    """Debian's Chromium, headless, with ``extra`` command-line switches."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra])


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    """One Chromium per test module."""
    instance = launch(playwright_instance)
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> Iterator[LiveRegistry]:
    """A running registry for the session (the admin and the PPK ``ppk-jabar`` enrolled)."""
    registry = LiveRegistry.start(tmp_path_factory.mktemp("live-registry"))
    yield registry
    registry.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context (no shared cache or storage); page errors fail the test."""
    context = browser.new_context(viewport=PHONE, locale="id-ID")
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.set_default_timeout(VERIFY_TIMEOUT_MS)
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
