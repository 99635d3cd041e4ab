"""A registry built once a session and handed to each test that needs it as a copy of its own.

Some tests need a log of hundreds of entries before they start (more than two leaf tiles, a
restart that saved its snapshots); registering them took 10 to 20 s of every such test.  The
log is the same each time (the operator's keys are the session's, the signers' keys are derived
from their labels, the payloads fixed), so it is built once per backend and process
(:func:`built_once`) and copied: the database (SQLite: its backup API; PostgreSQL: the
template schema dumped by ``pg_dump`` under the test's own schema name) and the data folder
(the operator's key files, the sealed derived keys and anything the registry left there).
A test then changes its copy as it likes (edits rows, registers more, restarts).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url

from registry.config import Settings

Build = Callable[[Settings], None]
"""Builds a registry on the settings' (new, empty) database and data folder."""


def backend_of(url: str) -> str:
    """``"postgres"`` or ``"sqlite"``: the backend of a test database's URL."""
    return "postgres" if url.startswith("postgresql") else "sqlite"


def _search_path(url: str) -> str:
    schema = make_url(url).query.get("search_path")
    if not isinstance(schema, str) or not schema:
        raise ValueError(f"a test PostgreSQL URL names its schema as search_path: {url!r}")
    return schema


def _libpq(url: str) -> str:
    """The URL as ``pg_dump`` and ``psql`` take it: no driver, no search path."""
    plain = make_url(url).set(drivername="postgresql").difference_update_query(["search_path"])
    return plain.render_as_string(hide_password=False)


def copy_database(source_url: str, target_url: str) -> None:
    """Make the new, empty database at ``target_url`` a copy of the one at ``source_url``."""
    if backend_of(source_url) != backend_of(target_url):
        raise ValueError(f"cannot copy {source_url!r} into {target_url!r}: another backend")
    if backend_of(source_url) == "sqlite":
        source, target = make_url(source_url).database, make_url(target_url).database
        if not source or not target:
            raise ValueError("a test SQLite URL names its file")
        with closing(sqlite3.connect(source)) as reader, closing(sqlite3.connect(target)) as writer:
            reader.backup(writer)
        return
    source_schema, target_schema = _search_path(source_url), _search_path(target_url)
    dump = subprocess.run(
        ["pg_dump", "--schema", source_schema, "--no-owner", "--no-privileges", _libpq(source_url)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The schema names are "test_" and 16 hex digits: no data holds one.
    script = f'DROP SCHEMA "{target_schema}" CASCADE;\n' + dump.replace(
        source_schema, target_schema
    )
    subprocess.run(
        ["psql", "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", _libpq(target_url)],
        input=script,
        capture_output=True,
        text=True,
        check=True,
    )


class BuiltOnce:
    """Registries built once per name and backend (each on a database of its own), copied."""

    def __init__(self, new_database_url: Callable[[str], str], folder: Callable[[], Path]) -> None:
        self._new_database_url = new_database_url
        self._folder = folder
        self._built: dict[tuple[str, str], Settings] = {}

    def __call__(self, name: str, settings: Settings, build: Build) -> Settings:
        """Make ``settings``' database and data folder a copy of registry ``name``, built by
        ``build`` on settings like these the first time it is asked for on their backend.

        ``settings.data_dir`` may hold the operator's key files already (the session's, so the
        same as the copy's); nothing else of it is kept.  Returns the settings of the registry
        built (its folder, ``data_dir.parent``, holds whatever else ``build`` wrote there).
        """
        backend = backend_of(settings.database_url)
        template = self._built.get((name, backend))
        if template is None:
            template = replace(
                settings,
                database_url=self._new_database_url(backend),
                data_dir=self._folder() / "data",
            )
            if settings.data_dir.exists():
                shutil.copytree(settings.data_dir, template.data_dir)
            build(template)
            self._built[(name, backend)] = template
        copy_database(template.database_url, settings.database_url)
        shutil.copytree(template.data_dir, settings.data_dir, dirs_exist_ok=True)
        return template
