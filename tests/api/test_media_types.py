"""Every text answer names its charset once (RFC 9110 §8.3: ``charset=utf-8``).

Litestar appends ``; charset=utf-8`` to any ``text/`` media type it is given, so a handler
that passed ``text/html; charset=utf-8`` sent ``text/html; charset=utf-8; charset=utf-8``:
a parameter named twice, which a strict client may refuse or read as the last.  Found by
serving the demo and reading the headers of its pages.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import Registry

pytestmark = pytest.mark.one_backend

TEXT_ANSWERS = {
    "/": "text/html",
    "/dashboard": "text/html",
    "/dashboard?lang=en": "text/html",
    "/verify": "text/html",
    "/portal": "text/html",
    "/api/dashboard/national?format=csv": "text/csv",
    "/api/entries?format=csv": "text/csv",
    "/checkpoint": "text/plain",
    "/entries/0/qr-offline.txt": "text/plain",
    "/static/verify.js": "text/javascript",
    "/static/institutions.css": "text/css",
}


@pytest.mark.parametrize(("path", "media_type"), TEXT_ANSWERS.items(), ids=list(TEXT_ANSWERS))
def test_a_text_answer_names_its_charset_once(
    registry: Registry, path: str, media_type: str
) -> None:
    response = registry.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"


def test_a_page_refused_names_its_charset_once(registry: Registry) -> None:
    response = registry.client.get("/dashboard", params={"province": "Atlantis"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
