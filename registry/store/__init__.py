"""Storage: SQLModel tables, async engines, Alembic migrations and the :class:`Store` API.

Only the log, records and compliance code use this package, and they see
nothing but :class:`Store` and the plain records of :mod:`registry.store.models`.
"""

from registry.store.engine import create_engine, normalise_database_url
from registry.store.errors import StoreError
from registry.store.migrate import upgrade
from registry.store.repository import Store

__all__ = ["Store", "StoreError", "create_engine", "normalise_database_url", "upgrade"]
