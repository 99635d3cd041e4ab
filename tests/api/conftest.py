"""A running registry per test, on SQLite and on PostgreSQL, reached over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import Registry


@pytest.fixture
def client(settings: Settings, operator: OperatorKeys) -> Iterator[TestClient]:  # type: ignore[type-arg]
    with TestClient(create_app(settings, operator)) as test_client:
        yield test_client


@pytest.fixture
def registry(client: TestClient, operator: OperatorKeys) -> Registry:  # type: ignore[type-arg]
    """A registry whose admin is enrolled (entry 0)."""
    return Registry.bootstrapped(client, operator)
