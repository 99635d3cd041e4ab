"""`registry backup` and `registry restore`, checked against what the registry signed.

A backup is a consistent copy of the database (:mod:`registry.store.backup`),
taken while the registry runs.  A restore replaces the database with one, with
every registry process stopped (the sequencer lock is taken for it), and then
checks the result as a start would: the stored tree against its own latest
checkpoint, and against the checkpoint pinned in the data directory
(:mod:`registry.log.pin`), which a database restore cannot reach.

A backup older than the pin would make the registry sign a second root for a
size it already published (a fork).  On SQLite the backup is checked before the
database is touched, and refused: nothing changes.  A PostgreSQL dump can only
be read by restoring it, so it is restored and then flagged: the registry will
refuse to start on it (promise 5), and the operator restores a newer backup or
accepts the loss with ``registry repin``.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from registry.config import Settings
from registry.i18n import Message
from registry.log.integrity import LogContradiction
from registry.records.operator import OperatorKeys
from registry.records.startup import RegistryRunning, pin_review
from registry.store.backup import BackupError, backup_database, restore_database, sqlite_copy
from registry.store.engine import sqlite_file
from registry.store.migrate import upgrade
from registry.store.repository import Store

__all__ = ["BackupError", "BackupRefused", "Restored", "backup", "restore"]


@dataclass(frozen=True)
class Restored:
    """What a restore left: the log's size, and how it stands against the pin."""

    size: int
    pinned: int | None
    behind: LogContradiction | None
    """Set when the restored database does not extend the pinned checkpoint (PostgreSQL)."""


class BackupRefused(Exception):
    """A restore refused before the database was touched; ``message`` says why."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message.render("en"))


async def backup(settings: Settings, file: Path) -> int:
    """Write a backup of the registry's database to ``file``; the log's size in it."""
    async with Store.open(settings.database_url) as store:
        size = await store.size()
    backup_database(settings.database_url, file)
    return size


async def _check(settings: Settings, keys: OperatorKeys) -> Restored:
    """The database of ``settings`` against its own checkpoint and the pin."""
    async with pin_review(settings, keys) as review:
        size = 0 if review.database is None else review.database.size
        pinned = None if review.pinned is None else review.pinned.size
        return Restored(size, pinned, review.contradiction)


async def restore(
    settings: Settings, keys: OperatorKeys, file: Path, *, older: bool = False
) -> Restored:
    """Replace the registry's database with the backup ``file``, checked (module docstring).

    Raises :class:`RegistryRunning` while a registry process runs on the
    database, :class:`BackupRefused` (nothing changed) for an SQLite backup that
    contradicts its own checkpoint or is older than the pin (unless ``older``:
    then it is restored and flagged like a PostgreSQL one), and
    :class:`registry.store.backup.BackupError` when the copy fails.
    """
    database = sqlite_file(settings.database_url)
    if database is not None:
        await _check_sqlite_backup(settings, keys, file, database, older=older)
    await upgrade(settings.database_url)
    async with Store.open(settings.database_url) as store, store.sequencer_lock() as held:
        if not held:
            raise RegistryRunning(Message("backup.running", {}))
        restore_database(settings.database_url, file)
    await upgrade(settings.database_url)  # a backup made by an older version
    return await _check(settings, keys)


async def _check_sqlite_backup(
    settings: Settings, keys: OperatorKeys, file: Path, database: Path, *, older: bool
) -> None:
    """Check a copy of the SQLite backup against the pin before the database is replaced."""
    scratch = database.with_name(f".{database.name}.restore-{os.getpid()}")
    sqlite_copy(file, scratch)
    try:
        trial = dataclasses.replace(settings, database_url=f"sqlite+aiosqlite:///{scratch}")
        try:
            checked = await _check(trial, keys)
        except LogContradiction as exc:
            raise BackupRefused(exc.message) from exc
        if checked.behind is not None and not older:
            raise BackupRefused(
                Message(
                    "backup.older-than-pin",
                    {**checked.behind.evidence, "file": str(file), "detail": str(checked.behind)},
                )
            )
    finally:
        for suffix in ("", "-wal", "-shm", "-sequencer.lock"):
            scratch.with_name(scratch.name + suffix).unlink(missing_ok=True)
