"""GET /portal: the signing portal page lists the templates the log publishes, in both languages."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from tests.api.helpers import NOW_S, Registry
from tests.factories import election_payload

PACT_TEXT = "Saya berjanji menjaga netralitas ASN.\nDan menindaklanjuti setiap rekomendasi."


def publish_template(registry: Registry, text: str = PACT_TEXT, kind: str = "pact") -> int:
    """An admin publishes a template; its entry index."""
    payload = {"type": "template", "kind": kind, "title": f"Naskah {kind}", "text": text}
    response = registry.post(registry.operator.admin.sign_statement(payload, "operator", NOW_S))
    assert response.status_code == 201, response.text
    return int(response.headers["x-registry-entry-index"])


def page_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_portal_offers_each_published_template_with_its_text_and_hash(
    registry: Registry,
) -> None:
    index = publish_template(registry)
    for name in ("pemilu-2024", "pilkada-2024"):
        election = election_payload(name)
        assert registry.post(
            registry.operator.admin.sign_statement(election, "op", NOW_S)
        ).is_success
    response = registry.client.get("/portal")
    assert response.status_code == 200
    assert response.headers["content-language"] == "id"
    assert "Portal penandatanganan" in response.text
    offered = page_data(response.text)["templates"]
    assert offered == [
        {
            "index": index,
            "kind": "pact",
            "title": "Naskah pact",
            "language": "id",
            "text": PACT_TEXT,
            "sha256": hashlib.sha256(PACT_TEXT.encode()).hexdigest(),
        }
    ]
    # the elections the log registers, latest voting day first; no others
    assert re.findall(r'<option value="(p[a-z]+-\d+)"', response.text) == [
        "pilkada-2024",
        "pemilu-2024",
    ]


def test_the_portal_is_in_english_when_asked(registry: Registry) -> None:
    publish_template(registry)
    response = registry.client.get("/portal?lang=en")
    assert response.headers["content-language"] == "en"
    assert "Signing portal" in response.text


def test_the_portal_sends_the_pages_csp_and_no_inline_script(registry: Registry) -> None:
    publish_template(registry)
    response = registry.client.get("/portal")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    for attributes, body in scripts:
        assert 'src="' in attributes or 'type="application/json"' in attributes, body


def test_a_revoked_template_is_no_longer_offered(registry: Registry) -> None:
    kept = publish_template(registry, "Naskah yang berlaku")
    gone = publish_template(registry, "Naskah yang dicabut")
    revocation = {"type": "revocation", "entry": gone, "reason": "naskah diganti"}
    statement = registry.operator.admin.sign_statement(revocation, "operator", NOW_S)
    assert registry.post(statement).status_code == 201
    offered = page_data(registry.client.get("/portal").text)["templates"]
    assert [t["index"] for t in offered] == [kept]


def test_without_templates_the_portal_says_so(registry: Registry) -> None:
    response = registry.client.get("/portal")
    assert response.status_code == 200
    assert 'id="portal-empty"' in response.text
    assert page_data(response.text)["templates"] == []
