"""How handlers get the registry: the components made at start-up, nothing behind them.

Handlers call the service and its collaborators (registry/api/deps.py); none
reaches the store, the in-memory tree, the registrar or the key directory
behind the service, and the components are made once, at start-up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from registry.api.deps import Components, NotStarted
from tests.api.helpers import Registry

API = Path(__file__).resolve().parents[2] / "registry" / "api"
BEHIND_THE_SERVICE = {"store", "registrar", "directory", "state"}


@pytest.mark.parametrize("module", sorted(p.name for p in API.glob("*.py")))
def test_no_handler_reaches_behind_the_service(module: str) -> None:
    tree = ast.parse((API / module).read_text("utf-8"))
    reached = [
        f"{module}:{node.lineno} {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in BEHIND_THE_SERVICE
        and "service" in ast.unparse(node.value)
    ]
    assert reached == []


def test_the_components_are_made_once_and_shared_by_every_request(registry: Registry) -> None:
    components = registry.components
    made = (components.service, components.compliance, components.custodial, components.documents)
    for path in ("/health", "/api/compliance/national", "/entries/0/qr.svg", "/checkpoint"):
        assert registry.client.get(path).status_code == 200
    again = (components.service, components.compliance, components.custodial, components.documents)
    assert all(a is b for a, b in zip(made, again, strict=True))
    assert components.documents.service is components.service


async def test_components_not_opened_refuse_to_be_used() -> None:
    components = Components()
    with pytest.raises(NotStarted):
        _ = components.service
    provide = components.dependencies()["compliance"]
    with pytest.raises(NotStarted):
        await provide()
