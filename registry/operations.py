"""Operator tasks behind the CLI: initialise a registry and load the demo data."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable

from registry.config import Settings
from registry.demo import DEMO_PASSPHRASE, build_demo
from registry.records.errors import RegistrationRefused
from registry.records.operator import OperatorKeys, create_keys, keys_exist, open_keys
from registry.records.service import RegistryService
from registry.signing.keys import seal_private_key
from registry.store.models import CustodialKeyRecord, IdentityRecord

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


DEMO_CUSTODIAL_PPKS = 12
"""How many demo PPKs get a custodial key (scrypt makes each take ~0.1 s)."""


class DemoError(Exception):
    """The demo data cannot be loaded into this registry."""


async def load_demo(
    settings: Settings, *, only_if_empty: bool, progress: Callable[[int], None] | None = None
) -> str:
    """Register the demo data (registry/demo/) and keep its identities and a few custodial keys.

    The demo refers to earlier entries by log index, so it goes into a new log:
    one that is empty or holds only the admin's enrolment made by `registry init`.
    Returns a line saying what was loaded.
    """
    keys, _ = operator_keys(settings)
    service = await RegistryService.open(settings, keys)
    try:
        size = service.size
        if size > 1:
            if only_if_empty:
                return f"the registry already holds {size} entries; no demo data loaded"
            raise DemoError(f"demo data go into a new registry; this one holds {size} entries")
        demo = build_demo(keys.admin, recommending_authority=settings.recommending_authority)
        statements = demo.statements[size:]
        done, refused = await register_all(service, statements, progress)
        if refused:
            position, reason = refused[0]
            raise DemoError(
                f"{len(refused)} demo statements were refused; the first, "
                f"#{position + size}: {reason}"
            )
        await service.store.put_identities(
            [
                IdentityRecord(commitment=i.commitment, salt=i.salt, nip=i.nip, name=i.name)
                for i in demo.identities
            ]
        )
        ppks = [s for s in demo.signers if s.role == "ppk"][:DEMO_CUSTODIAL_PPKS]
        for signer in ppks:
            sealed = await asyncio.to_thread(seal_private_key, signer.private_key, DEMO_PASSPHRASE)
            await service.store.put_custodial_key(CustodialKeyRecord(signer.kid, sealed))
        return (
            f"demo: {done} statements registered ({demo.expected['reports']} reports, "
            f"{demo.expected['recommendations']} recommendations, "
            f"{demo.expected['follow_ups_sanctioned']} followed up); {len(ppks)} PPKs can sign "
            f"remotely with the demo passphrase {DEMO_PASSPHRASE!r}"
        )
    finally:
        await service.close()
