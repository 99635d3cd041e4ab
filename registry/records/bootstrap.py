"""Bringing a registry into being: the operator's keys, the admin's enrolment, bulk registration."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable

from registry.config import Settings
from registry.records.errors import RegistrationRefused
from registry.records.operator import OperatorKeys, create_keys, keys_exist, open_keys
from registry.records.service import RegistryService
from registry.store.engine import sqlite_file
from registry.store.migrate import upgrade
from registry.store.repository import Store

OPERATOR_TERM = ("2000-01-01", "2099-12-31")
"""The operator is not an office holder: its admin key's "term" spans the registry's life."""


def operator_keys(settings: Settings) -> tuple[OperatorKeys, bool]:
    """The operator's keys, made on first use; also whether they were just made."""
    if keys_exist(settings.data_dir):
        return open_keys(settings.data_dir, settings.admin_passphrase, settings.origin), False
    return create_keys(settings.data_dir, settings.admin_passphrase, settings.origin), True


def admin_enrolment(keys: OperatorKeys, settings: Settings, issued_at: int | None = None) -> bytes:
    """The admin key's self-enrolment, the log's first entry."""
    today = dt.datetime.now(dt.UTC).date().isoformat()
    payload = {
        "type": "enrolment",
        "public_key": keys.admin.public_key,
        "role": "admin",
        "name": "Operator Registri Pakta Integritas",
        "jabatan": "Operator Registri",
        "instansi": settings.origin,
        "decree_number": "registry init",
        "decree_date": today,
        "term_start": OPERATOR_TERM[0],
        "term_end": OPERATOR_TERM[1],
    }
    return keys.admin.sign_statement(payload, issuer="registry-operator", issued_at=issued_at)


async def initialise(settings: Settings) -> tuple[OperatorKeys, int]:
    """Make the operator's keys and register the admin's enrolment if the log is empty.

    Returns the keys and the log size afterwards.  Running it again changes nothing.
    """
    keys, _ = operator_keys(settings)
    service = await RegistryService.open(settings, keys)
    try:
        if service.size == 0:
            await service.register(admin_enrolment(keys, settings))
        return keys, service.size
    finally:
        await service.close()


async def register_all(
    service: RegistryService,
    statements: Iterable[bytes],
    progress: Callable[[int], None] | None = None,
    chunk: int = 256,
) -> tuple[int, list[tuple[int, RegistrationRefused]]]:
    """Register statements in order, ``chunk`` at a time concurrently (one batch each).

    Statements that refer to earlier ones must come after them; within a chunk
    the registrar keeps submission order.  Returns how many were registered and
    the refusals by position.
    """
    items = list(statements)
    done = 0
    refused: list[tuple[int, RegistrationRefused]] = []
    for start in range(0, len(items), chunk):
        part = items[start : start + chunk]
        results = await asyncio.gather(*(service.register(s) for s in part), return_exceptions=True)
        for offset, result in enumerate(results):
            if isinstance(result, RegistrationRefused):
                refused.append((start + offset, result))
            elif isinstance(result, BaseException):
                raise result
            else:
                done += 1
        if progress:
            progress(len(part))
    return done, refused


async def stored_meta(settings: Settings, name: str) -> tuple[str | None, int]:
    """The registry's ``name`` metadata and its log size, read without the operator's keys."""
    await upgrade(settings.database_url)
    async with Store.open(settings.database_url) as store:
        return await store.get_meta(name), await store.size()


async def stored_log_size(settings: Settings) -> int:
    """How many entries the configured database holds (0 for a SQLite file not made yet)."""
    file = sqlite_file(settings.database_url)
    if file is not None and not file.exists():
        return 0
    await upgrade(settings.database_url)
    async with Store.open(settings.database_url) as store:
        return await store.size()
