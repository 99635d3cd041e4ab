"""The OpenAPI document declares every operation's errors as RFC 9457 problem details
(``registry/api/openapi.py``), however it is first asked for: the declaration is made on
the first request for the document or its pages, not when the app is made."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from litestar.testing import TestClient

from registry.api.problems import PROBLEM_JSON


def declared(schema: dict[str, Any]) -> None:
    assert schema["components"]["schemas"]["Problem"]["title"] == "Problem"
    operations = [
        operation
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]
    assert len(operations) > 50
    for operation in operations:
        for status in ("400", "default"):
            content = operation["responses"][status]["content"]
            assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}


@pytest.mark.parametrize(
    "first", ["/schema/openapi.json", "/schema/openapi.yaml", "/schema", "/schema/swagger"]
)
def test_the_document_declares_problems_whichever_read_comes_first(
    client: TestClient,  # type: ignore[type-arg]
    first: str,
) -> None:
    assert client.get("/health").status_code == 200, "a request before the document's"
    answer = client.get(first)
    assert answer.status_code == 200, answer.text
    if first.endswith(".yaml"):
        declared(yaml.safe_load(answer.text))
    declared(client.get("/schema/openapi.json").json())
    declared(client.get("/schema/openapi.json").json())  # read again: kept, not redone
