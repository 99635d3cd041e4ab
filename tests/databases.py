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

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from registry.compliance import service as compliance_service
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


def dump_database(url: str) -> str:
    """What :func:`restore_database` makes a copy from: a SQLite file's path, or the
    PostgreSQL schema's ``pg_dump`` (its definitions and rows)."""
    if backend_of(url) == "sqlite":
        path = make_url(url).database
        if not path:
            raise ValueError("a test SQLite URL names its file")
        return path
    return subprocess.run(
        ["pg_dump", "--schema", _search_path(url), "--no-owner", "--no-privileges", _libpq(url)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def restore_database(source_url: str, dump: str, target_url: str) -> None:
    """Make the new, empty database at ``target_url`` a copy of ``dump``, which
    :func:`dump_database` made of ``source_url`` (a copy made since the source last changed)."""
    if backend_of(source_url) != backend_of(target_url):
        raise ValueError(f"cannot copy {source_url!r} into {target_url!r}: another backend")
    if backend_of(source_url) == "sqlite":
        target = make_url(target_url).database
        if not target:
            raise ValueError("a test SQLite URL names its file")
        with closing(sqlite3.connect(dump)) as reader, closing(sqlite3.connect(target)) as writer:
            reader.backup(writer)
        return
    source_schema, target_schema = _search_path(source_url), _search_path(target_url)
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


def copy_database(source_url: str, target_url: str) -> None:
    """Make the new, empty database at ``target_url`` a copy of the one at ``source_url``."""
    restore_database(source_url, dump_database(source_url), target_url)


class BuiltOnce:
    """Registries built once per name and backend (each on a database of its own), copied."""

    session: BuiltOnce | None = None
    """The test session's (fixture ``built_once``, made for every session), for helpers that
    are plain functions rather than fixtures (:func:`of_session`)."""

    @classmethod
    def of_session(cls) -> BuiltOnce:
        """The test session's registries built once."""
        if cls.session is None:
            raise RuntimeError("no test session made the fixture built_once")
        return cls.session

    def __init__(self, new_database_url: Callable[[str], str], folder: Callable[[], Path]) -> None:
        self._new_database_url = new_database_url
        self._folder = folder
        self._built: dict[tuple[str, str], Settings] = {}
        # A template never changes once built: its PostgreSQL dump is made once, not for
        # every copy (pg_dump took 0.3 to 0.5 s of a copy's 0.7 to 1.5 s under load).
        self._dumps: dict[tuple[str, str], str] = {}

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
            self._dumps[(name, backend)] = dump_database(template.database_url)
        dump = self._dumps[(name, backend)]
        restore_database(template.database_url, dump, settings.database_url)
        shutil.copytree(template.data_dir, settings.data_dir, dirs_exist_ok=True)
        return template


UNPINNED = {("registry.compliance.service", "today"), ("registry.api.dashboard", "today")}
"""What the fixture ``today`` replaces for every test: a key names the day it answers instead."""


def bindings() -> str:
    """A digest of what every loaded module of ``registry`` and ``tests`` binds, and of what
    their classes bind, by identity (but :data:`UNPINNED`): it differs while a test has
    replaced any of them (``monkeypatch.setattr`` on a module or class), so a registry built
    once under one test's replacements is not copied for another's.  (Not seen: an object's
    own attributes, and modules of other packages.)"""
    found = []
    for module_name, module in sorted(sys.modules.items()):
        if module is None or not module_name.startswith(("registry.", "tests.")):
            continue
        for name, value in sorted(vars(module).items()):
            if (module_name, name) in UNPINNED:
                continue
            found.append(f"{module_name}.{name}={id(value)}")
            if isinstance(value, type) and value.__module__ == module_name:
                found += (f"{name}.{k}={id(v)}" for k, v in sorted(vars(value).items()))
    return hashlib.sha256("\n".join(found).encode()).hexdigest()


RESULT = "built.json"
"""Where :func:`copied` keeps what a build returned, beside the built registry's data folder."""


def copied(name: str, settings: Settings, build: Callable[[Settings], Any], *reads: object) -> Any:
    """Make ``settings``' database and data folder a copy of registry ``name``, built by
    ``build`` once a session per backend and per everything its building reads: the day the
    compliance figures take as today, ``settings`` but their database and folder, ``reads``
    (the operator's key id, say) and every module binding (:func:`bindings`).  Returns what
    ``build`` returned (through JSON: a tuple comes back a list)."""

    def built_and_kept(template: Settings) -> None:
        result = json.dumps(build(template))
        (template.data_dir.parent / RESULT).write_text(result, encoding="utf-8")

    plain = replace(settings, database_url="", data_dir=Path())
    key = repr((name, compliance_service.today(), plain, reads, bindings()))
    template = BuiltOnce.of_session()(key, settings, built_and_kept)
    return json.loads((template.data_dir.parent / RESULT).read_text(encoding="utf-8"))
