"""Database URLs and async engines for the two supported backends.

SQLite (``sqlite+aiosqlite``) is the embedded default; PostgreSQL
(``postgresql+asyncpg``) is the production engine.  Synchronous spellings
(``sqlite:///``, ``postgresql://``, ``postgres://``) are accepted and rewritten
to the async drivers; any other driver is refused.

A PostgreSQL URL may carry ``?search_path=schema`` to keep the registry's
tables in their own schema; it is passed to the server as a session setting
(asyncpg does not accept it as a connection argument).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

SQLITE_DRIVER = "sqlite+aiosqlite"
POSTGRES_DRIVER = "postgresql+asyncpg"

# How long a SQLite writer waits for another writer before giving up (ms).
SQLITE_BUSY_TIMEOUT_MS = 10_000

_SCHEME_ALIASES = {
    "sqlite": SQLITE_DRIVER,
    SQLITE_DRIVER: SQLITE_DRIVER,
    "postgresql": POSTGRES_DRIVER,
    "postgres": POSTGRES_DRIVER,
    POSTGRES_DRIVER: POSTGRES_DRIVER,
}


def normalise_database_url(url: str) -> str:
    """Return ``url`` rewritten to its async driver, or raise ``ValueError``.

    ``sqlite:///f`` becomes ``sqlite+aiosqlite:///f`` and ``postgresql://...``
    (or ``postgres://...``) becomes ``postgresql+asyncpg://...``.  The rest of
    the URL (credentials, host, database, query) is kept as written.
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise ValueError(f"not a database URL (expected scheme://...): {url!r}")
    driver = _SCHEME_ALIASES.get(scheme.lower())
    if driver is None:
        supported = "sqlite:///path, sqlite+aiosqlite:///path, postgresql://..., "
        raise ValueError(
            f"unsupported database scheme {scheme!r}; use {supported}postgresql+asyncpg://..."
        )
    normalised = f"{driver}://{rest}"
    try:
        make_url(normalised)
    except ArgumentError as exc:
        raise ValueError(f"malformed database URL {url!r}: {exc}") from exc
    return normalised


def database_backend(url: str) -> str:
    """The backend of a database URL: ``sqlite`` or ``postgresql`` (``ValueError`` for others)."""
    return make_url(normalise_database_url(url)).get_backend_name()


def create_engine(url: str) -> AsyncEngine:
    """Create an AsyncEngine for ``url`` with the registry's connection settings.

    SQLite connections get, on every connect: ``journal_mode=WAL`` (readers do
    not block the writer), ``synchronous=FULL`` (a committed, receipted record
    survives power loss), ``foreign_keys=ON`` and a busy timeout.  PostgreSQL
    uses asyncpg with pre-ping so that a restarted server does not fail the
    first request; ``?search_path=`` in the URL becomes a session setting.
    """
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(parsed)
    return _create_postgres_engine(parsed)


def sqlite_file(url: URL | str) -> Path | None:
    """The file a SQLite database URL names; None for PostgreSQL or an in-memory database.

    An in-memory database lives in one connection of one process: it has no
    second engine, no file lock and no other process to hand work to.
    """
    parsed = url if isinstance(url, URL) else make_url(normalise_database_url(url))
    database = parsed.database or ":memory:"
    if parsed.get_backend_name() != "sqlite" or database == ":memory:":
        return None
    if database.startswith("file::memory:"):
        return None
    return Path(database)


def database_display_name(url: str) -> str:
    """The database as an operator knows it: a SQLite file's full path, or a URL sans password."""
    file = sqlite_file(url)
    if file is not None:
        return str(file.resolve())
    return make_url(url).render_as_string(hide_password=True)


def in_memory(url: str) -> bool:
    """Whether ``url`` names an in-memory SQLite database (private to its process, gone with it)."""
    parsed = make_url(normalise_database_url(url))
    return parsed.get_backend_name() == "sqlite" and sqlite_file(parsed) is None


def _create_sqlite_engine(url: URL) -> AsyncEngine:
    kwargs: dict[str, Any] = {}
    if sqlite_file(url) is None:
        # An in-memory database lives in one connection: share it.
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "connect", _set_pragmas)
    return engine


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def create_sqlite_writer(url: str) -> Engine | None:
    """A plain (synchronous) engine on the SQLite file at ``url``, for one writer thread.

    The log's batches are written through it in one hand-off to a thread per
    batch, where aiosqlite makes one per statement (each waiting its turn on
    a busy event loop: 7 ms a batch under load, docs/benchmarks.md).  Same
    pragmas as :func:`create_engine`; None for PostgreSQL or an in-memory
    SQLite database (which one connection owns).
    """
    parsed = make_url(normalise_database_url(url))
    if sqlite_file(parsed) is None:
        return None
    engine = sqlalchemy.create_engine(
        parsed.set(drivername="sqlite+pysqlite"), pool_size=1, max_overflow=0
    )
    event.listen(engine, "connect", _set_pragmas)
    return engine


def _create_postgres_engine(url: URL) -> AsyncEngine:
    connect_args: dict[str, Any] = {}
    search_path = url.query.get("search_path")
    if search_path is not None:
        if not isinstance(search_path, str):
            raise ValueError("search_path may be given once in the database URL")
        connect_args["server_settings"] = {"search_path": search_path}
        url = url.difference_update_query(["search_path"])
    return create_async_engine(url, pool_pre_ping=True, connect_args=connect_args)
