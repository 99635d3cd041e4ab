"""POST /entries links to what a person reads: the entry's page and, if it has one, certificate."""

from __future__ import annotations

import re

from tests.api.helpers import Registry, enrolment, pact

LINK = re.compile(
    r'<(?P<target>[^>]+)>;\s*rel="alternate";\s*type="(?P<type>[^"]+)";\s*anchor="(?P<anchor>[^"]+)"'
)


def _links(header: str) -> dict[str, tuple[str, str]]:
    """``Link`` as media type -> (target, anchor)."""
    found = {m["type"]: (m["target"], m["anchor"]) for m in LINK.finditer(header)}
    assert len(found) == header.count("<"), header
    return found


def test_registered_pact_links_its_page_and_certificate(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    response = registry.post(registry.sign("ppk-jabar", pact()))
    assert response.status_code == 201
    index = response.headers["x-registry-entry-index"]
    links = _links(response.headers["link"])
    assert links == {
        "text/html": (f"/v/{index}", f"/entries/{index}"),
        "application/pdf": (f"/entries/{index}/certificate.pdf", f"/entries/{index}"),
    }
    page = registry.client.get(links["text/html"][0])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    certificate = registry.client.get(links["application/pdf"][0])
    assert certificate.status_code == 200
    assert certificate.content.startswith(b"%PDF")


def test_existing_entry_answers_with_the_same_links(registry: Registry) -> None:
    registry.enrol("ppk-jabar")
    statement = registry.sign("ppk-jabar", pact())
    first = registry.post(statement)
    again = registry.post(statement)
    assert again.status_code == 200
    assert again.headers["link"] == first.headers["link"]


def test_enrolment_links_its_page_but_no_certificate(registry: Registry) -> None:
    signer = registry.signer("ppk-jabar")
    statement = registry.operator.admin.sign_statement(
        enrolment(signer.public_key, "ppk"), "operator", 1_727_395_200
    )
    response = registry.post(statement)
    assert response.status_code == 201
    assert _links(response.headers["link"]) == {"text/html": ("/v/1", "/entries/1")}
    # the certificate it does not link to does not exist
    assert registry.client.get("/entries/1/certificate.pdf").status_code == 404
