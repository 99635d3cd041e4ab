"""The operator's keys: the admin key (signs enrolments) and the log key (receipts, checkpoints).

Both live in the data directory, sealed under the operator's passphrase
(`registry.signing.keys`).  `registry init` makes them; the service opens the
log key at start.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.log.durable import sync_directory
from registry.signing.cose import CoseSigner
from registry.signing.keys import WrongPassphrase, generate_key, load_key, save_key
from registry.signing.note import NoteSigner

ADMIN_KEY_FILE = "admin.key"
LOG_KEY_FILE = "log.key"
NEXT_LOG_KEY_FILE = "log-next.key"
"""A log key made by ``registry rotate log-key``, held until the log announces it."""
NEXT_ADMIN_KEY_FILE = "admin-next.key"
"""An admin key made by ``registry rotate admin-key``, until its enrolment is in the log."""


@dataclass(frozen=True)
class OperatorKeys:
    """The operator's signers: admin for statements, log for receipts and checkpoints."""

    admin: CoseSigner
    log: CoseSigner
    note: NoteSigner
    standby: tuple[CoseSigner, NoteSigner] | None = None
    """The log key a rotation in progress moves to (``log-next.key``), if any."""


def keys_exist(data_dir: Path) -> bool:
    """Whether the operator's keys were made in ``data_dir``."""
    return (data_dir / ADMIN_KEY_FILE).exists() and (data_dir / LOG_KEY_FILE).exists()


def create_keys(data_dir: Path, passphrase: str, origin: str) -> OperatorKeys:
    """Make and save new operator keys; refuses to replace existing ones."""
    if (data_dir / ADMIN_KEY_FILE).exists() or (data_dir / LOG_KEY_FILE).exists():
        raise FileExistsError(f"operator keys already exist in {data_dir}")
    admin, log_key = generate_key(), generate_key()
    save_key(data_dir / ADMIN_KEY_FILE, admin, passphrase)
    save_key(data_dir / LOG_KEY_FILE, log_key, passphrase)
    return OperatorKeys(CoseSigner(admin), CoseSigner(log_key), NoteSigner(log_key, origin))


def open_keys(data_dir: Path, passphrase: str, origin: str) -> OperatorKeys:
    """Open the operator's keys (raises ``KeyFileError``/``WrongPassphrase``)."""
    admin = load_key(data_dir / ADMIN_KEY_FILE, passphrase)
    log_key = load_key(data_dir / LOG_KEY_FILE, passphrase)
    standby = None
    if (data_dir / NEXT_LOG_KEY_FILE).exists():
        following = load_key(data_dir / NEXT_LOG_KEY_FILE, passphrase)
        standby = (CoseSigner(following), NoteSigner(following, origin))
    return OperatorKeys(
        CoseSigner(admin), CoseSigner(log_key), NoteSigner(log_key, origin), standby
    )


def next_key(data_dir: Path, name: str, passphrase: str) -> Ed25519PrivateKey:
    """The key waiting in ``name`` (made and sealed now if there is none yet).

    Kept until the rotation is in the log, so a rotation cut short and run
    again announces the same key.
    """
    path = data_dir / name
    if path.exists():
        return load_key(path, passphrase)
    key = generate_key()
    save_key(path, key, passphrase)
    sync_directory(data_dir)
    return key


def promote(data_dir: Path, name: str, into: str, retired_kid: bytes) -> Path:
    """Make the waiting key ``name`` the operator's ``into`` key; the old one is kept as
    ``<into stem>-retired-<kid>.key`` (its public half is in the log; destroy the file
    once no process needs it).  Returns the retired file's path."""
    retired = data_dir / f"{Path(into).stem}-retired-{retired_kid.hex()[:16]}.key"
    os.replace(data_dir / into, retired)
    os.replace(data_dir / name, data_dir / into)
    sync_directory(data_dir)
    return retired


def reseal_keys(data_dir: Path, old: str, new: str, origin: str) -> OperatorKeys:
    """Seal the operator's keys under the passphrase ``new`` instead of ``old``.

    Both keys are opened before either file is written, so a wrong ``old``
    changes nothing (``WrongPassphrase``).  Each file is replaced whole
    (written beside it, synced, renamed over it): never half-written.  A key
    that opens only under ``new`` was already re-sealed by a change cut short
    between the two files, and is kept as it is: running the change again
    finishes it.
    """
    keys: dict[str, Ed25519PrivateKey] = {}
    for name in (ADMIN_KEY_FILE, LOG_KEY_FILE):
        try:
            keys[name] = load_key(data_dir / name, old)
        except WrongPassphrase:
            try:
                keys[name] = load_key(data_dir / name, new)
            except WrongPassphrase:
                raise WrongPassphrase(f"the passphrase does not open {data_dir / name}") from None
    for name, key in keys.items():
        save_key(data_dir / name, key, new)
    # The renames are durable once the folder itself is synced.
    sync_directory(data_dir)
    admin, log_key = keys[ADMIN_KEY_FILE], keys[LOG_KEY_FILE]
    return OperatorKeys(CoseSigner(admin), CoseSigner(log_key), NoteSigner(log_key, origin))
