"""The hand-written migrations: they apply on both backends and match the tables."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from registry.store import create_engine, upgrade
from registry.store.migrate import MIGRATIONS_DIR, current_revision, head_revision
from registry.store.tables import METADATA

TABLES = {
    "entries",
    "checkpoints",
    "cosignatures",
    "signer_keys",
    "custodial_keys",
    "revoked_entries",
    "identities",
    "pending",
    "used_requests",
    "registry_meta",
}


async def _run(url: str, function: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(function)
    finally:
        await engine.dispose()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, METADATA))


async def test_upgrade_creates_every_table(database_url: str) -> None:
    assert await current_revision(database_url) is None
    await upgrade(database_url)
    assert await _run(database_url, _table_names) == TABLES | {"alembic_version"}
    assert await current_revision(database_url) == head_revision() == "0003"


async def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    await upgrade(database_url)
    await upgrade(database_url)
    assert await current_revision(database_url) == head_revision()


@pytest.mark.postgres
async def test_concurrent_upgrades_migrate_once(make_database_url: Callable[[str], str]) -> None:
    # Several API processes sharing one PostgreSQL start together, each migrating.
    url = make_database_url("postgres")
    await asyncio.gather(*(upgrade(url) for _ in range(3)))
    assert await current_revision(url) == head_revision()


async def test_migrations_match_the_table_classes(database_url: str) -> None:
    await upgrade(database_url)
    assert await _run(database_url, _differences) == []


def test_migration_files_are_packaged() -> None:
    # pyproject's package-data patterns must cover every file Alembic needs at run time.
    names = {p.relative_to(MIGRATIONS_DIR).as_posix() for p in MIGRATIONS_DIR.rglob("*")}
    assert {"env.py", "script.py.mako", "versions/0001_initial.py"} <= names
