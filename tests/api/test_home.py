"""The home page: what a visitor of `registry serve --demo` sees first, in Indonesian first."""

from __future__ import annotations

from tests.api.helpers import Registry, pact


def test_the_home_page_shows_the_log_and_its_newest_records(registry: Registry) -> None:
    registry.enrol("ppk-beranda", instansi="Pemerintah Kabupaten Garut")
    registry.post(registry.sign("ppk-beranda", pact(instansi="Pemerintah Kabupaten Garut")))
    size = registry.client.get("/health").json()["size"]
    response = registry.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "id"
    page = response.text
    assert "Registri Pakta Integritas" in page
    assert f"Log ini memuat {size} catatan." in page
    assert registry.client.get("/checkpoint").text.strip() in page
    assert f'href="/v/{size - 1}"' in page  # the newest record, linked to its verify page
    assert "Pakta Integritas</td>" in page
    assert "Pemerintah Kabupaten Garut" in page
    assert 'href="/verify"' in page


def test_the_home_page_in_english(registry: Registry) -> None:
    response = registry.client.get("/", params={"lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-language"] == "en"
    assert "The log holds" in response.text
    assert 'href="/verify?lang=en"' in response.text


def test_the_home_page_keeps_the_pages_security_headers(registry: Registry) -> None:
    headers = registry.client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
