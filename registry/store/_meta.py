"""Facts about the registry itself (``registry_meta``): small named values, written whole.

Mixed into :class:`registry.store.Store`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import upsert
from registry.store.tables import REGISTRY_META


class MetaMixin:
    """Read and write the named values of ``registry_meta``."""

    _engine: AsyncEngine

    async def get_meta(self, name: str) -> str | None:
        """The value named ``name``, or ``None`` when it was never written."""
        async with self._engine.connect() as connection:
            query = select(REGISTRY_META.c.value).where(REGISTRY_META.c.name == name)
            value = (await connection.execute(query)).scalar_one_or_none()
        return None if value is None else str(value)

    async def put_meta(self, name: str, value: str) -> None:
        """Write ``value`` under ``name``, replacing any earlier one (committed on return)."""
        async with self._engine.begin() as connection:
            await upsert(connection, REGISTRY_META, {"name": name, "value": value}, key="name")
