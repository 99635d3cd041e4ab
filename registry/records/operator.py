"""The operator's keys: the admin key (signs enrolments) and the log key (receipts, checkpoints).

Both live in the data directory, sealed under the operator's passphrase
(`registry.signing.keys`).  `registry init` makes them; the service opens the
log key at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.signing.cose import CoseSigner
from registry.signing.keys import generate_key, load_key, save_key
from registry.signing.note import NoteSigner

ADMIN_KEY_FILE = "admin.key"
LOG_KEY_FILE = "log.key"


@dataclass(frozen=True)
class OperatorKeys:
    """The operator's signers: admin for statements, log for receipts and checkpoints."""

    admin: CoseSigner
    log: CoseSigner
    note: NoteSigner


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
    return OperatorKeys(CoseSigner(admin), CoseSigner(log_key), NoteSigner(log_key, origin))
