"""The ``store`` fixture: a migrated, empty :class:`Store` on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from registry.store import Store, upgrade


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A Store on a freshly migrated, empty database."""
    await upgrade(database_url)
    store = Store.open(database_url)
    yield store
    await store.close()
