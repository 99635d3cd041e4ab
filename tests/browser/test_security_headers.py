"""The pages work under their security headers: no policy violation, the verdict computed."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page

from tests.browser.harness import LiveRegistry
from tests.browser.test_record_page import verify

pytestmark = pytest.mark.browser


def _violations(page: Page) -> list[str]:
    found: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "X-Frame-Options" in message.text:
            found.append(message.text)

    page.on("console", seen)
    # every violation is also an event on the document, whatever the console shows
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' "
        "+ e.blockedURI))"
    )
    return found


def test_the_record_page_verifies_under_its_policy(page: Page, live: LiveRegistry) -> None:
    violations = _violations(page)
    index, _ = live.new_pact()
    answer = page.request.get(live.link(index, "en").split("#")[0])
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    verdict, _ = verify(page, live.link(index, "en"))
    assert verdict == "valid", page.inner_text("#checks")
    assert violations == []


@pytest.mark.parametrize("path", ["/", "/verify", "/?lang=en"])
def test_the_other_pages_load_under_their_policy(page: Page, live: LiveRegistry, path: str) -> None:
    violations = _violations(page)
    page.goto(live.url + path)
    page.wait_for_load_state("networkidle")
    assert violations == []
