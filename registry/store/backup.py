"""Copying a registry's database to a file and back: SQLite's online backup, pg_dump/pg_restore.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a
consistent snapshot page by page while the registry goes on writing; the copy
is made beside the target and renamed over it, so a backup file is whole or
absent.  A restore copies the same way into the database file, through SQLite
(never a file copy over a database in WAL mode).

PostgreSQL: ``pg_dump --format=custom`` of the registry's schema (the
``search_path`` of its URL, else ``public``) and ``pg_restore --clean
--if-exists`` into the same schema.  The password goes to the tools in
``PGPASSWORD``, never on their command line.  Both tools must be installed
(:class:`BackupError` says so when they are not).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from registry.store.engine import normalise_database_url, sqlite_file


class BackupError(Exception):
    """A backup or restore that could not be made; ``detail`` says why (English)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy the SQLite database ``source`` into ``target`` with the online backup API.

    ``target`` is written beside itself and renamed, unless it is a live
    database (it has a ``-wal`` file), which is then overwritten through SQLite.
    """
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    live = target.with_name(target.name + "-wal").exists()
    written = target if live else target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader:
            writer = sqlite3.connect(written)
            try:
                reader.backup(writer)
            finally:
                writer.close()
        reader.close()
    except sqlite3.Error as exc:
        if not live:
            written.unlink(missing_ok=True)
        raise BackupError(f"{source}: {exc}") from exc
    if not live:
        os.replace(written, target)


def _libpq(url: str) -> tuple[str, str, dict[str, str]]:
    """The libpq URL (no password), the schema, and the environment for the tools."""
    parsed = make_url(normalise_database_url(url))
    schema = parsed.query.get("search_path") or "public"
    if not isinstance(schema, str):
        raise BackupError("search_path may be given once in the database URL")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None).difference_update_query(
        ["search_path"]
    )
    return plain.render_as_string(hide_password=False), schema, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (PostgreSQL's client tools are needed)")
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    # The tool is found on PATH by name; the arguments are a list (no shell).
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(command[0]).name}: {' '.join(detail[-3:])}")


def backup_database(url: str, file: Path) -> None:
    """Write a backup of the database at ``url`` to ``file`` (replaced whole)."""
    database = sqlite_file(url)
    if database is not None:
        sqlite_copy(database, file)
        return
    if make_url(normalise_database_url(url)).get_backend_name() != "postgresql":
        raise BackupError("an in-memory database has nothing to back up")
    libpq, schema, env = _libpq(url)
    temporary = file.with_name(f".{file.name}.{os.getpid()}.tmp")
    try:
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
        _run([*command, f"--schema={schema}", f"--file={temporary}", f"--dbname={libpq}"], env)
        os.replace(temporary, file)
    finally:
        temporary.unlink(missing_ok=True)


def restore_database(url: str, file: Path) -> None:
    """Replace the database at ``url`` with the backup ``file`` (its schema only on PostgreSQL)."""
    if not file.is_file():
        raise BackupError(f"{file} is not a file")
    database = sqlite_file(url)
    if database is not None:
        sqlite_copy(file, database)
        return
    libpq, _schema, env = _libpq(url)
    command = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    _run([*command, "--single-transaction", f"--dbname={libpq}", str(file)], env)
