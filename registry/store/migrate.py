"""Apply the Alembic migrations from code, without an ``alembic.ini`` on disk.

``registry serve`` and ``registry init`` call :func:`upgrade` before they open
the store.  On PostgreSQL the migration runs under a transaction-level
advisory lock, so that several API processes starting together migrate once.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from registry.store.engine import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# pg_advisory_xact_lock key serialising migrations (distinct from the sequencer's).
MIGRATION_LOCK_KEY = 0x7265_6769_6D69_6772  # "regimigr"


def alembic_config() -> Config:
    """Build the Alembic configuration in code, pointing at the packaged migrations."""
    config = Config()
    # ConfigParser interpolates "%": escape it in case the install path has one.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest revision the packaged migrations know."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to the newest schema (a no-op when it is there), or to
    ``revision`` (to test a migration from the schema before it)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(_upgrade_with, revision)
    finally:
        await engine.dispose()


async def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at, or ``None`` before any migration."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision_of)
    finally:
        await engine.dispose()


def _upgrade_with(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _current_revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
