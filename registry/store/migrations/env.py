"""Alembic environment for the registry's schema.

Normally run through :func:`registry.store.migrate.upgrade`, which hands over
an open connection in ``config.attributes["connection"]``.  Run by the
``alembic`` command instead, it connects to ``sqlalchemy.url`` from the Alembic
config, or else to ``REGISTRY_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from registry.store.engine import create_engine, normalise_database_url
from registry.store.tables import METADATA

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("REGISTRY_DATABASE_URL")
    if not url:
        raise RuntimeError("set sqlalchemy.url or REGISTRY_DATABASE_URL to run migrations")
    return normalise_database_url(url)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=METADATA)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    elif context.is_offline_mode():
        context.configure(url=_url(), target_metadata=METADATA, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(_run_async())


_main()
