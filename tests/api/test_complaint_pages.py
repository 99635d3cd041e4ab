"""The complaint pages served: the form (Bahasa Indonesia first), filing without a script, status.

The browser journey is tests/browser/test_complaints_browser.py; here the HTML the
server answers, on both backends.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from registry.records.complaint_form import new_number
from tests.api.helpers import Registry
from tests.api.test_complaints import complaint, desk, forged, receive, register_election

__all__ = ["desk"]  # the fixture the tests below take, from test_complaints

FORM = {"content-type": "application/x-www-form-urlencoded"}


def post_form(registry: Registry, data: dict[str, Any], query: str = "") -> Any:
    return registry.client.post(
        f"/complaints{query}", content=urlencode(data), headers=FORM, follow_redirects=False
    )


def test_the_form_is_in_indonesian_first_and_english_on_asking(registry: Registry) -> None:
    page = registry.client.get("/complaints")
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    assert "Laporkan pelanggaran netralitas" in page.text
    english = registry.client.get("/complaints?lang=en")
    assert '<html lang="en">' in english.text
    assert "Report a neutrality violation" in english.text
    assert 'action="/complaints?lang=en"' in english.text


def test_filing_from_the_form_redirects_to_the_status_page(desk: Registry) -> None:
    answer = post_form(desk, complaint())
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/complaints/")
    assert location.endswith("?filed=1")
    page = desk.client.get(location)
    number = location.removeprefix("/complaints/").removesuffix("?filed=1")
    assert page.status_code == 200
    assert f'id="complaint-number" class="receipt-number">{number}<' in page.text
    assert 'data-status="pending"' in page.text
    assert "Rina Kartika" not in page.text


def test_personal_data_in_description_comes_back_on_the_form(desk: Registry) -> None:
    data = complaint(description="Pelaku NIP 198703152010011004 di kantor camat")
    answer = post_form(desk, data, "?lang=en")
    assert answer.status_code == 422
    assert 'data-reason="nip-in-text"' in answer.text
    assert 'href="#description"' in answer.text
    assert 'value="Rina Kartika"' in answer.text  # what was typed is kept


def test_the_form_offers_only_the_registered_elections(desk: Registry) -> None:
    register_election(desk, "pilkada-2020")
    page = desk.client.get("/complaints").text
    offered = re.findall(r'<option value="((?:pilkada|pemilu)-[0-9]+)"', page)
    assert offered == ["pilkada-2024", "pilkada-2020"]  # latest voting day first


def test_an_unregistered_election_comes_back_on_the_form(desk: Registry) -> None:
    answer = post_form(desk, complaint(election="pemilu-2019"), "?lang=en")
    assert answer.status_code == 422
    assert 'data-reason="unknown-election"' in answer.text
    assert 'href="#election"' in answer.text
    assert "pilkada-2024" in answer.text
    assert 'value="Rina Kartika"' in answer.text


def test_the_status_page_shows_the_entry_once_received(desk: Registry) -> None:
    number = post_form(desk, complaint()).headers["location"].split("/")[-1].split("?")[0]
    entry = receive(desk, number).json()["entry"]
    page = desk.client.get(f"/complaints/{number}?lang=en")
    assert 'data-status="received"' in page.text
    assert f'href="/v/{entry}?lang=en"' in page.text


def test_forged_receipt_number_page_is_400(desk: Registry) -> None:
    number = post_form(desk, complaint()).headers["location"].split("/")[-1].split("?")[0]
    page = desk.client.get(f"/complaints/{forged(number)}")
    assert page.status_code == 400
    assert 'id="complaint-problem"' in page.text


def test_an_unknown_receipt_number_page_is_404(registry: Registry) -> None:
    page = registry.client.get(f"/complaints/{new_number()}")
    assert page.status_code == 404
    assert "Tidak ada pengaduan" in page.text


def test_the_follow_form_goes_to_the_status_page(registry: Registry) -> None:
    answer = registry.client.get(
        "/complaints/find", params={"number": " abcd ", "lang": "en"}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/complaints/abcd?lang=en"
