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
import contextlib
import gc
import os
import shutil
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from registry.config import Settings
from registry.records.operator import ADMIN_KEY_FILE, LOG_KEY_FILE, OperatorKeys, create_keys
from registry.signing.cose import CoseSigner
from registry.signing.keys import load_key
from registry.signing.note import NoteSigner
from registry.store.engine import create_engine, normalise_database_url
from registry.store.migrate import upgrade
from tests.databases import BuiltOnce
from tests.factories import HISTORY_HOURS
from tests.loop import close_loop

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
    # The test database's commits do not wait for the WAL's flush to disk: a commit is as
    # atomic and as visible as before, and what it risks is a crash of the PostgreSQL server
    # itself, which no test makes (the crash tests kill the registry's processes).  Its
    # tests took 30 % less wall time beside other work on this machine's disk (stop 33,
    # docs/benchmarks.md).  A role that may not alter the database keeps the default.
    database = make_url(url).database
    with contextlib.suppress(DBAPIError):
        run_sync(_execute(url, f'ALTER DATABASE "{database}" SET synchronous_commit = off'))
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


@pytest.fixture(scope="session", autouse=True)
def one_loop() -> Iterator[None]:
    """The properties' shared event loop (:mod:`tests.loop`), closed at the session's end."""
    yield
    close_loop()


@pytest.fixture(scope="session", autouse=True)
def built_once(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltOnce]:
    """Registries built once a session (per name and backend) and copied into a test's own
    database and data folder (:class:`tests.databases.BuiltOnce`).  Made for every session
    (it builds nothing until asked), so helpers that are plain functions reach it as
    ``BuiltOnce.of_session()``."""
    schemas: list[tuple[str, str]] = []

    def new_database_url(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('built') / 'registry.sqlite3'}"
        base = request.getfixturevalue("postgres_url")
        schema = f"test_{uuid.uuid4().hex[:16]}"
        run_sync(_execute(base, f'CREATE SCHEMA "{schema}"'))
        schemas.append((base, schema))
        return _with_search_path(base, schema)

    BuiltOnce.session = BuiltOnce(new_database_url, lambda: tmp_path_factory.mktemp("built"))
    yield BuiltOnce.session
    BuiltOnce.session = None
    for base, schema in schemas:
        run_sync(_execute(base, f'DROP SCHEMA "{schema}" CASCADE'))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject.toml): two test processes a core.  A test spends much of its
    time waiting (PostgreSQL, fsync, a server's subprocess or thread), so one process a core
    left the cores idle (docs/benchmarks.md, "Test suite wall time")."""
    return 2 * (os.cpu_count() or 1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the PostgreSQL run of a test marked ``one_backend``: what it checks happens
    at the HTTP edge, before and after any store (its SQLite run stays), and running the
    same checks twice cost CI minutes (docs/benchmarks.md, "Test suite wall time")."""
    dropped = [
        item
        for item in items
        if isinstance(item, pytest.Function)
        and item.get_closest_marker("one_backend") is not None
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database_url") == "postgres"
    ]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        left = set(map(id, dropped))
        items[:] = [item for item in items if id(item) not in left]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, make_database_url: Callable[[str], str]) -> str:
    """The URL of an empty database, once per backend (``sqlite``, ``postgres``)."""
    return make_database_url(request.param)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the newest schema, once a session (per worker)."""
    path = tmp_path_factory.mktemp("migrated") / "registry.sqlite3"
    run_sync(upgrade(f"sqlite+aiosqlite:///{path}"))
    leftover = [p.name for p in path.parent.iterdir() if p != path]
    assert not leftover, f"the migrated database left {leftover} beside it"
    return path


@pytest.fixture
def settings(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """A registry's settings on ``database_url`` (each backend), its data in ``tmp_path``.

    On SQLite the database starts as a copy of one migrated once a session: a registry's
    start then finds its schema current (as every start after the first does) instead of
    migrating an empty file for every test (0.2 s each).  The migrations themselves are
    tested on empty databases (``database_url``, tests/store/test_migrations.py), and the
    start that migrates by tests of ``registry init`` and of PostgreSQL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        target = Path(url.database)
        if not target.exists():
            shutil.copyfile(request.getfixturevalue("migrated_sqlite"), target)
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        origin="test.example/pakta",
        admin_passphrase="kata-sandi-uji",
        batch_wait_ms=1,
        # The tests sign dated statements (2024) on today's clock: a history older than the
        # registry's default maximum age (tests/api/test_policy_holes.py keeps the default).
        max_statement_age_hours=HISTORY_HOURS,
        # No compliance tally keeper in the background: tests count what an answer reads
        # (tests/compliance/test_keeper.py runs it).
        tally_keeper_seconds=0,
    )


@pytest.fixture(autouse=True)
def _english_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are English unless a test asks for Bahasa Indonesia (not the runner's locale)."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


FROZEN_OBJECTS_KEPT = 1_000_000
"""How many frozen objects a test process keeps before it hands them back to the collector."""

TESTS_BETWEEN_FREEZE_COUNTS = 20
"""How many tests run between two counts of the frozen objects (a count walks them all)."""

_tests_since_count = [0]


@pytest.fixture(autouse=True)
def _frozen_objects_bounded() -> Iterator[None]:
    """Give the garbage collector back what the tests' apps froze, once it adds up.

    A registry app freezes everything alive when it starts (``gc.freeze()`` in
    ``registry/api/app.py``: right for a server, whose loaded log lives as long as it does);
    in the test process that froze each test's app, store and log for good, so nothing of a
    finished test that sat in a reference cycle was ever freed (4.2 GB by the end of the
    suite: about 16,000 objects, 3.7 MB a test).  ``gc.unfreeze()`` after every test would make
    every app's start a full collection of the whole process (5 % more CPU in
    tests/api/test_cors.py); every 60 or so tests it costs one.

    Counting the frozen objects walks all of them (``gc.get_freeze_count`` is linear: 17 to
    77 ms a call at a million, 10 s of the 95 s of tests/api/test_edges.py under a profiler),
    so they are counted once every :data:`TESTS_BETWEEN_FREEZE_COUNTS` tests, not after each.
    """
    yield
    _tests_since_count[0] += 1
    if _tests_since_count[0] < TESTS_BETWEEN_FREEZE_COUNTS:
        return
    _tests_since_count[0] = 0
    if gc.get_freeze_count() > FROZEN_OBJECTS_KEPT:
        gc.unfreeze()


SealedKeys = tuple[Path, Ed25519PrivateKey, Ed25519PrivateKey]
"""A folder holding ``admin.key`` and ``log.key``, and the two private keys they seal."""


@pytest.fixture(scope="session")
def sealed_operator_keys(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], SealedKeys]:
    """Operator key files sealed under a passphrase, made once a session per passphrase.

    Sealing a key runs scrypt (``registry/signing/keys.py``, n = 2**15): making the operator's
    two keys cost every test that needs a registry about 0.3 s of CPU.  The files are made by
    :func:`create_keys` itself, so they are what ``registry init`` writes.
    """
    made: dict[str, SealedKeys] = {}

    def sealed(passphrase: str) -> SealedKeys:
        if passphrase not in made:
            folder = tmp_path_factory.mktemp("operator-keys")
            create_keys(folder, passphrase, "keys.test.example")
            admin = load_key(folder / ADMIN_KEY_FILE, passphrase)
            log_key = load_key(folder / LOG_KEY_FILE, passphrase)
            made[passphrase] = (folder, admin, log_key)
        return made[passphrase]

    return sealed


@pytest.fixture
def operator(settings: Settings, sealed_operator_keys: Callable[[str], SealedKeys]) -> OperatorKeys:
    """The operator's keys in ``settings.data_dir``, as ``registry init`` leaves them.

    The test gets its own copies of the key files and its own signers (a signer keeps the
    last signature it made); the key pair is the session's (see :func:`sealed_operator_keys`).
    A test that needs keys of its own, or a second registry's, calls :func:`create_keys`.
    """
    folder, admin, log_key = sealed_operator_keys(settings.admin_passphrase)
    if (settings.data_dir / ADMIN_KEY_FILE).exists() or (settings.data_dir / LOG_KEY_FILE).exists():
        raise FileExistsError(f"operator keys already exist in {settings.data_dir}")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for name in (ADMIN_KEY_FILE, LOG_KEY_FILE):
        shutil.copy2(folder / name, settings.data_dir / name)
    return OperatorKeys(
        CoseSigner(admin), CoseSigner(log_key), NoteSigner(log_key, settings.origin)
    )
