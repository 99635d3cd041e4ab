"""/v/{index}: the browser's verdict on genuine records and on servers that lie."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

from registry.log.receipt import issue_receipt
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.verify.trust import unb64url
from tests.api.helpers import other_key
from tests.browser.harness import ORIGIN, LiveRegistry, flip_last_byte

pytestmark = pytest.mark.browser


def verify(page: Page, url: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """Open ``url`` and wait for the verdict; it and each check's (status, code)."""
    page.goto(url)
    page.wait_for_selector("body[data-verified]")
    verdict = page.get_attribute("#verdict", "data-verdict") or ""
    checks = {}
    for item in page.query_selector_all("#checks li"):
        checks[item.get_attribute("data-check") or ""] = (
            item.get_attribute("data-status") or "",
            item.get_attribute("data-code") or "",
        )
    return verdict, checks


def test_genuine_record_is_valid(page: Page, live: LiveRegistry) -> None:
    index, place = live.new_pact()
    live.new_pact()  # the checkpoint moves on: the receipt's tree is checked consistent with it
    verdict, checks = verify(page, live.link(index, "en"))
    assert verdict == "valid", page.inner_text("#checks")
    assert checks == {
        "signature": ("pass", "signature-ok"),
        "statement": ("pass", "statement-ok"),
        "fragment": ("pass", "fragment-ok"),
        "receipt": ("pass", "receipt-ok"),
        "checkpoint": ("pass", "checkpoint-ok"),
        "witnesses": ("info", "witnesses-none"),
        "revocation": ("info", "not-revoked"),
    }
    assert page.inner_text("#verdict-title") == "VALID"
    signed = page.inner_text("#signed")
    assert place in signed
    assert "Integrity Pact" in signed
    assert "Bey Machmudin" in page.inner_text("[data-check=signature]")


def test_latest_record_matches_the_checkpoint_root(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    verdict, checks = verify(page, live.link(index))
    assert verdict == "valid"
    assert checks["checkpoint"] == ("pass", "checkpoint-same")
    assert page.inner_text("#verdict-title") == "SAH"


def test_statement_bytes_altered_by_the_server(page: Page, live: LiveRegistry) -> None:
    index, place = live.new_pact()
    altered = place[:-1] + ("9" if place[-1] != "9" else "8")

    def alter(body: bytes) -> bytes:
        assert place.encode() in body
        return body.replace(place.encode(), altered.encode())

    with live.tamper.rewriting({(f"/entries/{index}/statement", "raw"): alter}):
        verdict, checks = verify(page, live.link(index, "en"))
    assert verdict == "invalid"
    assert checks["signature"] == ("fail", "bad-signature")
    assert checks["statement"] == ("fail", "statement-hash-mismatch")
    assert checks["receipt"][0] == "pass"  # the log itself is fine: the statement is not its
    assert page.inner_text("#verdict-title") == "NOT VALID"
    assert "statement's bytes were altered" in page.inner_text("[data-check=statement]")


def test_signature_byte_flipped_by_the_server(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    with live.tamper.rewriting({(f"/entries/{index}/statement", "raw"): flip_last_byte}):
        verdict, checks = verify(page, live.link(index))
    assert verdict == "invalid"
    assert checks["signature"] == ("fail", "bad-signature")
    assert "byte pernyataan telah diubah" in page.inner_text("[data-check=signature]")


def test_wrong_fragment_means_another_record(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    other, _ = live.new_pact()
    url = f"{live.url}/v/{index}?lang=en#{live.fragment(other)}"
    verdict, checks = verify(page, url)
    assert verdict == "invalid"
    assert checks["fragment"] == ("fail", "fragment-mismatch")
    assert "answered with another record" in page.inner_text("[data-check=fragment]")


def test_server_answering_with_another_record(page: Page, live: LiveRegistry) -> None:
    """The server swaps entry A's bytes for entry B's: the link's fingerprint catches it."""
    index, _ = live.new_pact()
    other, _ = live.new_pact()
    link = live.link(index, "en")
    statement, receipt = live.get(f"/entries/{other}/statement"), live.get(f"/entries/{other}")
    view = json.dumps(live.view(other)).encode()
    swaps = {
        (f"/entries/{index}/statement", "raw"): lambda _: statement,
        (f"/entries/{index}", "raw"): lambda _: receipt,
        (f"/entries/{index}", "json"): lambda _: view,
    }
    with live.tamper.rewriting(swaps):
        verdict, checks = verify(page, link)
    assert verdict == "invalid"
    assert checks["signature"][0] == "pass"  # B is a genuine record...
    assert checks["fragment"] == ("fail", "fragment-mismatch")  # ...but not the one linked
    assert checks["statement"] == ("fail", "wrong-index")


def test_damaged_fragment(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    verdict, checks = verify(page, f"{live.url}/v/{index}#AAAA")
    assert verdict == "invalid"
    assert checks["fragment"] == ("fail", "bad-fragment")


def test_link_without_fragment_is_valid_with_a_warning(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    verdict, checks = verify(page, f"{live.url}/v/{index}?lang=en")
    assert verdict == "valid"
    assert checks["fragment"] == ("warn", "fragment-missing")
    assert "no fingerprint" in page.inner_text("#verdict-detail")


def test_revoked_record(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    revocation = live.revoke(index, reason="salah tanggal")
    verdict, checks = verify(page, live.link(index, "en"))
    assert verdict == "revoked"
    assert checks["revocation"] == ("warn", "revoked-proven")
    for check in ("signature", "statement", "fragment", "receipt", "checkpoint"):
        assert checks[check][0] == "pass", check
    text = page.inner_text("[data-check=revocation]")
    assert f"#{revocation}" in text
    assert "salah tanggal" in text
    assert page.inner_text("#verdict-title") == "REVOKED"


def test_revocation_claimed_but_not_proven(page: Page, live: LiveRegistry) -> None:
    """The server says "revoked" and names an entry that revokes nothing."""
    index, _ = live.new_pact()
    unrelated, _ = live.new_pact()

    def claim(body: bytes) -> bytes:
        view: dict[str, Any] = json.loads(body)
        view["status"] = {"revoked": True, "revoked_by": unrelated, "reason": "palsu"}
        return json.dumps(view).encode()

    link = live.link(index)
    with live.tamper.rewriting({(f"/entries/{index}", "json"): claim}):
        verdict, checks = verify(page, link)
    assert verdict == "revoked"
    assert checks["revocation"] == ("warn", "revoked-unproven")
    assert "bad-revocation" in page.inner_text("[data-check=revocation]")


def test_receipt_signed_by_an_unknown_key(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    view = live.view(index)
    proof = view["inclusion_proof"]
    forged = issue_receipt(
        CoseSigner(other_key()),
        ORIGIN,
        unb64url(view["leaf"]["bytes"]),
        index,
        proof["size"],
        [unb64url(h) for h in proof["path"]],
        unb64url(proof["root"]),
        1_727_395_200,
    )
    with live.tamper.rewriting({(f"/entries/{index}", "raw"): lambda _: forged}):
        verdict, checks = verify(page, live.link(index, "en"))
    assert verdict == "invalid"
    assert checks["receipt"] == ("fail", "unknown-log-key")
    assert checks["signature"][0] == "pass"
    assert "not a trusted log key" in page.inner_text("[data-check=receipt]")


def test_configuration_swapped_at_verify_time_changes_nothing(
    page: Page, live: LiveRegistry
) -> None:
    """The page never reads keys from the API at verify time: a swapped config is ignored."""
    index, _ = live.new_pact()
    fetched: list[bytes] = []

    def swap(body: bytes) -> bytes:
        fetched.append(body)
        return body.replace(b'"x":"', b'"x":"A')

    path = "/.well-known/transparency-configuration"
    with live.tamper.rewriting({(path, "json"): swap, (path, "raw"): swap}):
        verdict, _ = verify(page, live.link(index))
    assert verdict == "valid"
    assert not fetched


def test_checkpoint_signed_by_an_unknown_key(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    stranger = NoteSigner(other_key(), ORIGIN)

    def resign(body: bytes) -> bytes:
        text = body.decode()
        note_text = text[: text.rindex("\n\n") + 1]
        return stranger.sign(note_text).encode()

    with live.tamper.rewriting({("/checkpoint", "raw"): resign}):
        verdict, checks = verify(page, live.link(index, "en"))
    assert verdict == "invalid"
    assert checks["checkpoint"] == ("fail", "checkpoint-unsigned")


def test_checkpoint_from_a_forked_log(page: Page, live: LiveRegistry) -> None:
    """A checkpoint correctly signed by the log key, but for another root: a fork."""
    index, _ = live.new_pact()
    note = live.get("/checkpoint").decode()
    lines = note[: note.rindex("\n\n") + 1].split("\n")
    lines[2] = "A" * 43 + "="  # another root for the same size
    forked = live.operator.note.sign("\n".join(lines))

    with live.tamper.rewriting({("/checkpoint", "raw"): lambda _: forked.encode()}):
        verdict, checks = verify(page, live.link(index))
    assert verdict == "invalid"
    assert checks["checkpoint"] == ("fail", "fork")


def test_language_switch_keeps_the_fingerprint(page: Page, live: LiveRegistry) -> None:
    index, _ = live.new_pact()
    verify(page, live.link(index))
    assert page.inner_text("#verdict-title") == "SAH"
    page.click("#lang-switch")
    page.wait_for_url(f"**/v/{index}?lang=en#*")
    page.wait_for_selector("body[data-verified]")
    assert page.get_attribute("#verdict", "data-verdict") == "valid"
    assert page.get_attribute("[data-check=fragment]", "data-status") == "pass"
    assert page.inner_text("#verdict-title") == "VALID"
