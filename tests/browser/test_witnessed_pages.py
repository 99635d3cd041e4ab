"""The verify pages under a witness policy: witnessed records, and "not yet witnessed" ones.

Two live registries, each with its own key and its own witness (the witness's
app served over HTTP, tests/witnesses.py): one whose quorum is that witness
(so its records get witnessed), one that also requires a witness that is
down (so none is). The pages pin each registry's configuration, witnesses
and quorum included, and say "NOT YET WITNESSED" (not "NOT VALID") for the second.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route

from registry.config import WitnessSetting
from registry.records.operator import OperatorKeys
from registry.signing.note import NoteSigner
from tests.browser.harness import LiveRegistry
from tests.factories import fixed_key
from tests.waiting import wait_until
from tests.witnesses import LiveWitness, live_witness, unused_url

pytestmark = pytest.mark.browser


def _setting(witness: LiveWitness) -> WitnessSetting:
    return WitnessSetting(witness.url, str(witness.key), witness.key.name)


@contextlib.contextmanager
def _registry(root: Path, down: bool) -> Iterator[LiveRegistry]:
    stack = contextlib.ExitStack()

    def witnesses(operator: OperatorKeys) -> tuple[tuple[WitnessSetting, ...], int | None]:
        follows = [(operator.note.name, operator.note.verifier_key_string)]
        up = stack.enter_context(live_witness(root / "witnesses", "saksi.example/w", follows))
        if not down:
            return (_setting(up),), 1
        dead = NoteSigner(fixed_key("saksi-mati"), "saksi-mati.example/w")
        missing = WitnessSetting(unused_url(), dead.cosignature_verifier_key_string, dead.name)
        return (_setting(up), missing), 2

    with stack:
        registry = LiveRegistry.start(root, witnesses)
        try:
            yield registry
        finally:
            registry.stop()


@pytest.fixture(scope="module")
def witnessed(tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> Iterator[LiveRegistry]:
    with _registry(tmp_path_factory.mktemp("witnessed"), down=False) as registry:
        yield registry


@pytest.fixture(scope="module")
def unwitnessed(tmp_path_factory: pytest.TempPathFactory, chromium: Path) -> Iterator[LiveRegistry]:
    with _registry(tmp_path_factory.mktemp("unwitnessed"), down=True) as registry:
        yield registry


def pact_witnessed(live: LiveRegistry) -> int:
    """A new pact, once the witnessed checkpoint covers it."""
    index, _ = live.new_pact()

    def covered() -> bool:
        answer = live.writer.client.get("/checkpoint/witnessed")
        return answer.status_code == 200 and int(answer.text.split("\n")[1]) > index

    wait_until(covered, f"entry {index} witnessed", timeout=30)
    return index


def outcome(page: Page) -> tuple[str, dict[str, tuple[str, str]]]:
    page.wait_for_selector("body[data-verified]")
    checks = {
        item.get_attribute("data-check") or "": (
            item.get_attribute("data-status") or "",
            item.get_attribute("data-code") or "",
        )
        for item in page.query_selector_all("#checks li")
    }
    return page.get_attribute("#verdict", "data-verdict") or "", checks


def offline(page: Page, live: LiveRegistry, index: int) -> tuple[str, dict[str, tuple[str, str]]]:
    """Paste entry ``index``'s offline QR text into /verify with the network cut."""
    text = live.get(f"/entries/{index}/qr-offline.txt").decode()
    page.goto(f"{live.url}/verify?lang=en")
    page.wait_for_selector("body[data-ready]")
    page.context.route("**/*", lambda route: route.abort())
    page.fill("#paste", text)
    page.click("#paste-form button[type=submit]")
    return outcome(page)


def test_witnessed_record_is_valid_with_its_witnesses(page: Page, witnessed: LiveRegistry) -> None:
    index = pact_witnessed(witnessed)
    page.goto(witnessed.link(index, "en"))
    verdict, checks = outcome(page)
    assert verdict == "valid", page.inner_text("#checks")
    assert checks["witnesses"] == ("pass", "witnessed-ok")
    assert "1 of the 1 pinned witnesses" in page.inner_text("[data-check=witnesses]")
    assert "saksi.example/w+" in page.inner_text("footer")


def test_record_without_its_quorum_is_not_yet_witnessed_not_invalid(
    page: Page, unwitnessed: LiveRegistry
) -> None:
    index, _ = unwitnessed.new_pact()
    page.goto(unwitnessed.link(index, "id"))
    verdict, checks = outcome(page)
    assert verdict == "unwitnessed", page.inner_text("#checks")
    assert checks["witnesses"] == ("warn", "not-witnessed")
    assert all(status != "fail" for status, _ in checks.values())
    assert page.inner_text("#verdict-title") == "BELUM DISAKSIKAN"


def test_offline_qr_carries_the_cosignatures(page: Page, witnessed: LiveRegistry) -> None:
    index = pact_witnessed(witnessed)
    verdict, checks = offline(page, witnessed, index)
    assert verdict == "valid", page.inner_text("#checks")
    status, code = checks["witnesses"]
    assert status == "pass"
    assert code in {"witnessed-offline", "witnessed-offline-receipt"}


def test_offline_qr_without_the_quorum_sends_the_reader_online(
    page: Page, unwitnessed: LiveRegistry
) -> None:
    index, _ = unwitnessed.new_pact()
    verdict, checks = offline(page, unwitnessed, index)
    assert verdict == "unwitnessed", page.inner_text("#checks")
    assert checks["witnesses"] == ("warn", "not-witnessed-offline")
    assert "Verify it online" in page.inner_text("#verdict-detail")


def test_a_server_hiding_the_witnessed_checkpoint_cannot_make_a_record_witnessed(
    page: Page, witnessed: LiveRegistry
) -> None:
    index = pact_witnessed(witnessed)

    def without_cosignatures(route: Route) -> None:
        response = route.fetch()
        note = response.text()
        route.fulfill(response=response, body=note.split("\u2014 saksi")[0])

    page.route("**/checkpoint/witnessed", without_cosignatures)
    page.goto(witnessed.link(index, "en"))
    verdict, checks = outcome(page)
    assert verdict == "unwitnessed"
    assert checks["witnesses"] == ("warn", "not-witnessed")
