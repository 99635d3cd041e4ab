"""/v/{index} shows the text a pact commits to, and the verdicts name the signer (issue 13)."""

from __future__ import annotations

import hashlib

import pytest
from playwright.sync_api import Browser, Page

from registry.records import policy
from tests.api.helpers import NOW_S, pact
from tests.browser.conftest import PHONE
from tests.browser.harness import LiveRegistry
from tests.browser.test_dashboard_browser import DESKTOP, axe_violations
from tests.browser.test_record_page import verify
from tests.browser.test_scan_page import open_scan, paste
from tests.factories import SIGNER, template_payload

pytestmark = pytest.mark.browser

TEXT = "Pakta Integritas Netralitas ASN"
"""The text whose SHA-256 the test pacts cite (tests/factories.py TEMPLATE_SHA256)."""
SENTENCE_ID = (
    "Pakta integritas ditandatangani oleh Bey Machmudin, Penjabat Gubernur Jawa Barat, "
    "Pemerintah Provinsi Jawa Barat"
)


TITLE = template_payload()["title"]
"""The title of the fixture template the test pacts cite."""


def publish_template(live: LiveRegistry) -> int:
    """Register the fixture template the test pacts cite; its index.

    The same bytes the writer registers before a pact that cites it (tests/api/helpers.py
    ``register_citations``): registered once, whichever comes first, so the page shows this
    one and not a later copy of the text under another title."""
    payload = template_payload()
    return live.register(live.operator.admin.sign_statement(payload, "operator", NOW_S))


def test_the_record_page_shows_the_text_signed_and_the_signer(
    page: Page, live: LiveRegistry
) -> None:
    template = publish_template(live)
    index, place = live.new_pact()
    verdict, _ = verify(page, live.link(index))
    assert verdict == "valid"
    assert page.inner_text("#pledge-text") == TEXT
    assert page.inner_text("#pledge-title") == TITLE
    assert page.get_attribute("#pledge-template-link", "href") == f"/v/{template}"
    fill_ins = {
        item.get_attribute("data-field"): item.inner_text()
        for item in page.query_selector_all("#pledge-fill-ins dd")
    }
    assert fill_ins == {
        "name": SIGNER["name"],
        "jabatan": SIGNER["jabatan"],
        "instansi": SIGNER["instansi"],
        "election": "pilkada-2024",
        "place": place,
        "date": "2024-09-27",
    }
    assert page.inner_text("#verdict-signer") == SENTENCE_ID
    assert page.is_hidden("#pledge-missing")


def test_a_template_not_in_the_log_is_said_missing(
    page: Page, live: LiveRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The registry now refuses a pact citing a template not in the log (unknown-template),
    # and the page shows a revoked template's text still (what was signed). The page's
    # "missing" state remains for entries logged before that rule, which a registry keeps
    # and serves as they are. Such an entry is made here as the older registry made it: the
    # citation rule switched off in the (in-process) live registry while it is registered.
    monkeypatch.setattr(policy, "check_citations", lambda *_: None)
    unknown = hashlib.sha256(b"a text nobody published").digest()
    pre_rule = live.writer.sign("ppk-jabar", pact(template=unknown, place="Garut"))
    index = live.register(pre_rule)
    monkeypatch.undo()
    verdict, _ = verify(page, live.link(index, "en"))
    assert verdict == "valid"
    assert "not in the log" in page.inner_text("#pledge-missing")
    assert unknown.hex() in page.inner_text("#pledge-missing")
    assert page.query_selector("#pledge-text") is None


def test_the_offline_verdict_names_the_signer(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    text = live.get(f"/entries/{index}/qr-offline.txt").decode()
    open_scan(page, live, "id")
    page.context.route("**/*", lambda route: route.abort())  # offline from here on
    paste(page, text)
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "valid"
    assert page.inner_text("#verdict-signer") == SENTENCE_ID


def test_an_offline_verdict_on_an_altered_record_names_nobody(
    page: Page, live: LiveRegistry
) -> None:
    index, _ = live.new_pact()
    text = live.get(f"/entries/{index}/qr-offline.txt").decode()
    open_scan(page, live, "en")
    paste(page, text[:-12] + ("0" if text[-12] != "0" else "1") + text[-11:])
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "invalid"
    assert page.query_selector("#verdict-signer") is None


def test_axe_finds_no_violation_on_a_pact_page_with_its_text(
    browser: Browser, live: LiveRegistry
) -> None:
    publish_template(live)
    index, _ = live.new_pact()
    found = {}
    for lang in ("id", "en"):
        for viewport in (DESKTOP, PHONE):
            context = browser.new_context(viewport=viewport, locale="id-ID")
            page = context.new_page()
            page.goto(live.link(index, lang))
            page.wait_for_selector("body[data-verified]")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{lang} scrolls sideways ({width}px)"
            violations = axe_violations(page)
            if violations:
                found[f"{lang} {viewport['width']}px"] = violations
            context.close()
    assert not found, found
