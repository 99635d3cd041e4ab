"""The hand-written migrations: they apply on both backends and match the tables."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from registry.store import create_engine, upgrade
from registry.store.migrate import MIGRATIONS_DIR, current_revision, head_revision
from registry.store.tables import METADATA
from registry.verify.cose import sig_structure
from registry.verify.statement import statement_content
from tests.ed25519 import sign_with_nonce
from tests.factories import fixed_key, signed_pact

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
    "access_log",
    "fact_segments",
    "complaints",
    "leaf_tiles",
    "search_records",
}


async def _run(url: str, function: Any, *, commit: bool = False) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() if commit else engine.connect() as connection:
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
    assert await current_revision(database_url) == head_revision() == "0010"


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


async def test_0004_gives_each_signed_content_to_its_first_entry(database_url: str) -> None:
    # A log of 0003 in which someone replayed entry 0 untagged (entry 1) and signed it again
    # (entry 3, another nonce): both repeat entry 0's content, and keep none.
    original = signed_pact()
    body = cbor2.loads(original).value
    again = sign_with_nonce(fixed_key("ppk-jabar"), sig_structure(body[0], body[2]), b"again")
    other = signed_pact(place="Bogor")
    statements = [original, original[1:], other, cbor2.dumps(cbor2.CBORTag(18, [*body[:3], again]))]
    await upgrade(database_url, "0003")
    entries = sa.table(
        "entries", *(sa.column(name) for name in ("idx", "statement", "statement_sha256"))
    )
    rows = [
        {
            "idx": i,
            "statement": s,
            "statement_sha256": hashlib.sha256(s).digest(),
            "leaf_hash": b"",
            "leaf": b"",
            "registered_at": i,
            "type": "pact",
            "signer_kid": b"",
            "payload_json": "{}",
            "receipt": b"",
        }
        for i, s in enumerate(statements)
    ]
    full = sa.table("entries", *(sa.column(name) for name in rows[0]))
    await _run(database_url, lambda c: c.execute(sa.insert(full), rows), commit=True)
    await upgrade(database_url)

    def contents(connection: Connection) -> list[bytes | None]:
        query = sa.select(sa.column("content_sha256")).select_from(entries).order_by("idx")
        return [None if v is None else bytes(v) for v in connection.execute(query).scalars()]

    digest = statement_content(original)
    assert await _run(database_url, contents) == [digest, None, statement_content(other), None]
