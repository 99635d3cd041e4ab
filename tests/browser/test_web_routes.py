"""The web controller without a browser: pages, languages, headers, static files, the pin."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.api import rendering
from registry.api.app import create_app
from registry.config import Settings
from registry.records.operator import create_keys
from tests.api.helpers import Registry, pact
from tests.factories import HISTORY_HOURS

STATIC = rendering.STATIC_DIR


@pytest.fixture
def registry(tmp_path: Path, make_database_url: Callable[[str], str]) -> Iterator[Registry]:
    """A registry (SQLite: the pages do not depend on the backend) with a PPK enrolled."""
    settings = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=make_database_url("sqlite"),
        data_dir=tmp_path / "data",
        origin="test.example/pakta",
        admin_passphrase="kata-sandi-uji",
        batch_wait_ms=1,
    )
    operator = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    with TestClient(create_app(settings, operator)) as client:
        registry = Registry.bootstrapped(client, operator)
        registry.enrol("ppk-jabar")
        yield registry


def page_data(html: str) -> dict[str, Any]:
    """The JSON the page embeds for its scripts."""
    found = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def new_pact(registry: Registry, place: str = "Bandung") -> int:
    response = registry.post(registry.sign("ppk-jabar", pact(place=place)))
    assert response.status_code == 201, response.text
    return int(response.headers["x-registry-entry-index"])


def test_record_page_in_indonesian_by_default(registry: Registry) -> None:
    index = new_pact(registry)
    response = registry.client.get(f"/v/{index}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "id"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert '<html lang="id">' in html
    assert "Pakta Integritas" in html
    assert "Bey Machmudin" in html
    assert "Menurut server" in html
    assert f'href="/entries/{index}/statement"' in html
    assert '<script type="module" src="/static/record.js">' in html
    data = page_data(html)
    assert data["index"] == index
    assert data["lang"] == "id"
    assert data["strings"] == rendering.strings("id")


def test_record_page_in_english(registry: Registry) -> None:
    index = new_pact(registry)
    html = registry.client.get(f"/v/{index}?lang=en").text
    assert '<html lang="en">' in html
    assert "What the server says" in html
    assert 'href="?lang=id"' in html
    assert page_data(html)["strings"] == rendering.strings("en")


def test_unknown_language_falls_back_to_indonesian(registry: Registry) -> None:
    index = new_pact(registry)
    assert '<html lang="id">' in registry.client.get(f"/v/{index}?lang=xx").text


def test_pinned_trust_list_is_the_operator_configuration(registry: Registry) -> None:
    index = new_pact(registry)
    configuration = registry.client.get("/.well-known/transparency-configuration").json()
    html = registry.client.get(f"/v/{index}").text
    assert page_data(html)["trust"] == configuration
    assert configuration["keys"][0]["note_verifier_key"] in html
    served = registry.client.get("/static/trust.json")
    assert served.headers["content-type"].startswith("application/json")
    assert served.json() == configuration


def test_deploy_time_trust_file_wins(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pinned = {"origin": "elsewhere.example/pakta", "keys": [], "admin_keys": []}
    trust_file = tmp_path / "trust.json"
    trust_file.write_text(json.dumps(pinned))
    monkeypatch.setattr(rendering, "TRUST_FILE", trust_file)
    index = new_pact(registry)
    assert page_data(registry.client.get(f"/v/{index}").text)["trust"] == pinned


def test_missing_record_page(registry: Registry) -> None:
    response = registry.client.get("/v/999?lang=en")
    assert response.status_code == 404
    assert "This registry has no record #999" in response.text


def test_negative_index_is_refused(registry: Registry) -> None:
    assert registry.client.get("/v/-1").status_code in (400, 404)


def test_server_fields_are_escaped(registry: Registry) -> None:
    registry.enrol("ppk-nakal", name="<script>alert(1)</script>")
    named = pact(place="Garut")
    named["signer"]["name"] = "<script>alert(1)</script>"
    response = registry.post(registry.sign("ppk-nakal", named))
    assert response.status_code == 201, response.text
    html = registry.client.get(f"/v/{response.headers['x-registry-entry-index']}").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_scan_page(registry: Registry) -> None:
    response = registry.client.get("/verify?lang=en")
    assert response.status_code == 200
    assert "camera=(self)" in response.headers["permissions-policy"]
    html = response.text
    assert '<script src="/static/vendor/jsQR.js"></script>' in html
    assert 'id="camera-start"' in html
    assert page_data(html)["lang"] == "en"


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("verify.js", "text/javascript"),
        ("page.js", "text/javascript"),
        ("record.js", "text/javascript"),
        ("scan.js", "text/javascript"),
        ("style.css", "text/css"),
        ("vendor/jsQR.js", "text/javascript"),
        ("vendor/jsQR.LICENSE", "text/plain"),
    ],
)
def test_static_files(registry: Registry, name: str, media_type: str) -> None:
    response = registry.client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.content == (STATIC / name).read_bytes()
    again = registry.client.get(
        f"/static/{name}", headers={"if-none-match": response.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "name",
    [
        "../i18n/id.json",
        "..%2fi18n%2fid.json",
        "%2e%2e/templates/base.html",
        "missing.js",
        "vendor",
    ],
)
def test_static_files_stay_inside_static(registry: Registry, name: str) -> None:
    assert registry.client.get(f"/static/{name}").status_code == 404


def test_every_string_exists_in_both_languages() -> None:
    assert rendering.strings("id").keys() == rendering.strings("en").keys()


def test_every_check_code_has_a_message() -> None:
    """Each code verify.js can report is a ``check.<code>`` string in the dictionaries."""
    source = (STATIC / "verify.js").read_text()
    codes = set(re.findall(r'fail\("([a-z0-9-]+)"', source))
    codes |= set(re.findall(r'code: "([a-z0-9-]+)"', source))
    codes |= set(re.findall(r'new (?:Http|Verify)Error\("([a-z0-9-]+)"', source))
    assert len(codes) > 40
    missing = {c for c in codes if f"check.{c}" not in rendering.strings("id")}
    assert not missing
