"""Database URLs and the connection settings of each backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from registry.store import create_engine, normalise_database_url
from registry.store.engine import sqlite_file


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///registry.sqlite3", "sqlite+aiosqlite:///registry.sqlite3"),
        ("sqlite+aiosqlite:////var/lib/r.db", "sqlite+aiosqlite:////var/lib/r.db"),
        ("postgresql://u:p@db:5432/reg", "postgresql+asyncpg://u:p@db:5432/reg"),
        ("postgres://u@db/reg", "postgresql+asyncpg://u@db/reg"),
        (
            "postgresql+asyncpg://u@db/reg?search_path=s",
            "postgresql+asyncpg://u@db/reg?search_path=s",
        ),
        ("  sqlite:///x.db\n", "sqlite+aiosqlite:///x.db"),
    ],
    ids=["sqlite", "sqlite-async", "postgresql", "postgres-alias", "asyncpg-kept", "whitespace"],
)
def test_normalise(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("mysql://u@db/reg", "unsupported database scheme 'mysql'"),
        ("postgresql+psycopg2://u@db/reg", "unsupported database scheme"),
        ("registry.sqlite3", "not a database URL"),
    ],
    ids=["mysql", "other-postgres-driver", "bare-path"],
)
def test_normalise_refuses(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_database_url(given)


async def test_sqlite_connections_are_durable(make_database_url: Callable[[str], str]) -> None:
    engine = create_engine(make_database_url("sqlite"))
    try:
        async with engine.connect() as connection:
            values = {
                pragma: (await connection.execute(text(f"PRAGMA {pragma}"))).scalar_one()
                for pragma in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        await engine.dispose()
    # synchronous: 2 is FULL
    assert values == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 10_000,
    }


async def test_in_memory_sqlite_is_one_shared_database() -> None:
    engine = create_engine("sqlite:///:memory:")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_postgres_search_path_from_the_url(make_database_url: Callable[[str], str]) -> None:
    url = make_database_url("postgres")
    schema = url.rpartition("search_path=")[2]
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            current = (await connection.execute(text("SELECT current_schema()"))).scalar_one()
    finally:
        await engine.dispose()
    assert current == schema


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///registry.sqlite3", "registry.sqlite3"),
        ("sqlite+aiosqlite:////var/lib/registry/log.db", "/var/lib/registry/log.db"),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite://", None),
        ("sqlite:///file::memory:?cache=shared", None),
        ("postgresql://postgres@127.0.0.1/test", None),
    ],
)
def test_sqlite_file_names_the_file_or_nothing(url: str, expected: str | None) -> None:
    found = sqlite_file(url)
    assert (None if found is None else str(found)) == expected
