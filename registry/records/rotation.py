"""Replacing the operator's keys on a registry: the log key and the admin key.

Each rotation runs in a process that sequences the log (every server stopped:
the new log key must sign the very next checkpoint), announces the new key in
the log, and only then makes it the data directory's key; the new key waits
in a file of its own until the log names it, so a rotation cut short is
finished by running it again (it announces the same key).

- **Log key** (:func:`rotate_log_key`): the admin signs a ``log-key-rotation``
  entry naming the current log key and its successor
  (:mod:`registry.records.log_key_rotation`).
- **Admin key** (:func:`rotate_admin_key`): the old admin key enrols the new
  one (role ``admin``, the operator's own office), then the new one revokes the
  old from today (WIB): from then on the old key can enrol nobody, and what it
  enrolled before stays in the log, valid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from registry.config import Settings
from registry.i18n import Message
from registry.records.bootstrap import OPERATOR_TERM
from registry.records.log_key_rotation import sign_rotation
from registry.records.obligations import WIB
from registry.records.operator import (
    ADMIN_KEY_FILE,
    LOG_KEY_FILE,
    NEXT_ADMIN_KEY_FILE,
    NEXT_LOG_KEY_FILE,
    OperatorKeys,
    next_key,
    open_keys,
    promote,
)
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner


class NotSequencing(Exception):
    """Another process sequences the log: a rotation needs every registry stopped."""

    def __init__(self) -> None:
        self.message = Message("rotation.registry-running", {})
        super().__init__(self.message.render("en"))


@dataclass(frozen=True)
class Rotated:
    """What a rotation did: the old and new keys' kids, and the entries it registered."""

    old_kid: bytes
    new_kid: bytes
    entries: tuple[int, ...]
    retired_file: str


async def rotate_log_key(settings: Settings, reason: str) -> Rotated:
    """Replace the log key (see the module docstring); returns what was done."""
    folder, passphrase = settings.data_dir, settings.admin_passphrase
    following = next_key(folder, NEXT_LOG_KEY_FILE, passphrase)
    keys = open_keys(folder, passphrase, settings.origin)
    new = CoseSigner(following)
    keys = replace(keys, standby=(new, NoteSigner(following, settings.origin)))
    old = keys.log
    entries: list[int] = []
    service = await _sequencing(settings, keys)
    try:
        current = service.state.keys.current.public_key
        if current != new.public_key:  # not announced yet (else: a rotation cut short)
            statement = sign_rotation(keys.admin, current, new.public_key, reason)
            entries.append((await service.register(statement)).index)
    finally:
        await service.close()
    retired = promote(folder, NEXT_LOG_KEY_FILE, LOG_KEY_FILE, old.kid)
    return Rotated(old.kid, new.kid, tuple(entries), str(retired))


async def rotate_admin_key(settings: Settings, reason: str) -> Rotated:
    """Replace the operator's admin key (see the module docstring); returns what was done."""
    folder, passphrase = settings.data_dir, settings.admin_passphrase
    new = CoseSigner(next_key(folder, NEXT_ADMIN_KEY_FILE, passphrase))
    keys = open_keys(folder, passphrase, settings.origin)
    old = keys.admin
    entries: list[int] = []
    service = await _sequencing(settings, keys)
    try:
        if await service.enrolled(new.kid) is None:
            enrolment = _enrolment(settings, new.public_key)
            statement = old.sign_statement(enrolment, issuer="registry-operator")
            entries.append((await service.register(statement)).index)
        current = await service.enrolled(old.kid)
        if current is not None and current.revoked_at is None:
            revocation = {
                "type": "key-revocation",
                "kid": old.kid,
                "reason": reason,
                "effective": dt.datetime.now(WIB).date().isoformat(),
            }
            statement = new.sign_statement(revocation, issuer="registry-operator")
            entries.append((await service.register(statement)).index)
    finally:
        await service.close()
    retired = promote(folder, NEXT_ADMIN_KEY_FILE, ADMIN_KEY_FILE, old.kid)
    return Rotated(old.kid, new.kid, tuple(entries), str(retired))


def _enrolment(settings: Settings, public_key: bytes) -> dict[str, object]:
    """The new admin key's enrolment: the operator's office, as ``registry init`` enrols it."""
    today = dt.datetime.now(WIB).date().isoformat()
    return {
        "type": "enrolment",
        "public_key": public_key,
        "role": "admin",
        "name": "Operator Registri Pakta Integritas",
        "jabatan": "Operator Registri",
        "instansi": settings.origin,
        "decree_number": "registry rotate admin-key",
        "decree_date": today,
        "term_start": OPERATOR_TERM[0],
        "term_end": OPERATOR_TERM[1],
    }


async def _sequencing(settings: Settings, keys: OperatorKeys) -> RegistryService:
    service = await RegistryService.open(settings, keys)
    if not service.is_sequencer:
        await service.close()
        raise NotSequencing
    return service
