"""Fixtures shared by every test that needs a database.

``database_url`` runs a test once on SQLite (a file in ``tmp_path``) and once
on PostgreSQL, in a schema of its own that is dropped afterwards; ``settings``
are a registry's settings on that database (so also once per backend).  The
PostgreSQL run needs ``REGISTRY_TEST_POSTGRES_URL`` (for example
``postgresql+asyncpg://postgres@127.0.0.1:5432/test``) and is skipped without
it, unless ``REGISTRY_REQUIRE_POSTGRES=1`` (as in CI), which turns a missing or
unreachable PostgreSQL into a failure.

The fixtures are synchronous (they run their database work on a private event
loop in a worker thread), so sync and async tests can both use them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from registry.config import Settings
from registry.store.engine import create_engine, normalise_database_url
from tests.factories import HISTORY_HOURS

POSTGRES_URL_VARIABLE = "REGISTRY_TEST_POSTGRES_URL"
REQUIRE_POSTGRES_VARIABLE = "REGISTRY_REQUIRE_POSTGRES"
CONNECT_TIMEOUT_SECONDS = 10

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh event loop in a worker thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS), engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server's URL, checked reachable once per session (or skip/fail)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    required = os.environ.get(REQUIRE_POSTGRES_VARIABLE) == "1"
    if not url:
        reason = f"{POSTGRES_URL_VARIABLE} is not set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"
        if required:
            pytest.fail(f"{REQUIRE_POSTGRES_VARIABLE}=1 but {reason}")
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    url = normalise_database_url(url)
    try:
        run_sync(_execute(url, "SELECT 1"))
    except Exception as exc:  # any failure to connect means "unreachable"
        reason = f"PostgreSQL at {make_url(url).render_as_string()} is unreachable: {exc!r}"
        if required:
            pytest.fail(f"{REQUIRE_POSTGRES_VARIABLE}=1 but {reason}")
        pytest.skip(reason)
    return url


def _with_search_path(url: str, schema: str) -> str:
    return (
        make_url(url)
        .update_query_dict({"search_path": schema})
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def make_database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], str]]:
    """A factory ``make(backend)`` of URLs to new, empty databases, removed at teardown.

    ``backend`` is ``"sqlite"`` (a new file under ``tmp_path``) or
    ``"postgres"`` (a new schema on the test server, dropped at teardown).
    """
    schemas: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / f'registry-{uuid.uuid4().hex[:8]}.sqlite3'}"
        if backend != "postgres":
            raise ValueError(f"unknown backend {backend!r}")
        base = request.getfixturevalue("postgres_url")
        schema = f"test_{uuid.uuid4().hex[:16]}"
        run_sync(_execute(base, f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        return _with_search_path(base, schema)

    yield make
    if schemas:
        base = request.getfixturevalue("postgres_url")
        run_sync(_execute(base, *(f'DROP SCHEMA "{s}" CASCADE' for s in schemas)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, make_database_url: Callable[[str], str]) -> str:
    """The URL of an empty database, once per backend (``sqlite``, ``postgres``)."""
    return make_database_url(request.param)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A registry's settings on ``database_url`` (each backend), its data in ``tmp_path``."""
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        origin="test.example/pakta",
        admin_passphrase="kata-sandi-uji",
        batch_wait_ms=1,
        # The tests sign dated statements (2024) on today's clock: a history older than the
        # registry's default maximum age (tests/api/test_policy_holes.py keeps the default).
        max_statement_age_hours=HISTORY_HOURS,
    )


@pytest.fixture(autouse=True)
def _english_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are English unless a test asks for Bahasa Indonesia (not the runner's locale)."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
