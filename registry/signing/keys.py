"""Ed25519 keys and their storage at rest, encrypted under a passphrase.

A key file is JSON: the public key in clear, the private key sealed with
AES-256-GCM under a key derived from the passphrase by scrypt, the public key
as associated data (so a file whose public half was swapped does not open).
A private key never touches the disk in clear.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from registry.verify.cose import key_id

KEY_FILE_FORMAT = "registry-ed25519-key/v1"
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1


class KeyFileError(Exception):
    """A key file that cannot be read: malformed, or of another format."""


class WrongPassphrase(KeyFileError):
    """The passphrase does not open the key."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_key() -> Ed25519PrivateKey:
    """A new random Ed25519 private key."""
    return Ed25519PrivateKey.generate()


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32-byte raw public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def raw_private_key(key: Ed25519PrivateKey) -> bytes:
    """The 32-byte raw private key (for sealing only; never written in clear)."""
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal_private_key(key: Ed25519PrivateKey, passphrase: str) -> bytes:
    """Encrypt ``key`` under ``passphrase``; the JSON bytes of a key file."""
    if not passphrase:
        raise KeyFileError("a passphrase is required to protect a private key")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    public = raw_public_key(key)
    sealed = AESGCM(_derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, raw_private_key(key), public
    )
    document = {
        "format": KEY_FILE_FORMAT,
        "kid": key_id(public).hex(),
        "public_key": _b64(public),
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": {"name": "AES-256-GCM", "nonce": _b64(nonce), "ciphertext": _b64(sealed)},
    }
    return json.dumps(document, indent=2).encode() + b"\n"


def _field(doc: dict[str, Any], *path: str) -> Any:
    value: Any = doc
    for name in path:
        if not isinstance(value, dict) or name not in value:
            raise KeyFileError(f"key file has no {'.'.join(path)}")
        value = value[name]
    return value


def public_key_of_sealed(data: bytes) -> bytes:
    """The raw public key recorded in a sealed key file, without the passphrase."""
    try:
        doc = json.loads(data)
        return _unb64(str(_field(doc, "public_key")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"not a key file: {exc}") from exc


def open_private_key(data: bytes, passphrase: str) -> Ed25519PrivateKey:
    """Decrypt a key file's bytes; raises :class:`WrongPassphrase` or :class:`KeyFileError`."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"not a key file: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != KEY_FILE_FORMAT:
        raise KeyFileError(f"not a {KEY_FILE_FORMAT} key file")
    if _field(doc, "kdf", "name") != "scrypt" or _field(doc, "cipher", "name") != "AES-256-GCM":
        raise KeyFileError("unsupported key file cipher")
    try:
        public = _unb64(_field(doc, "public_key"))
        salt = _unb64(_field(doc, "kdf", "salt"))
        nonce = _unb64(_field(doc, "cipher", "nonce"))
        sealed = _unb64(_field(doc, "cipher", "ciphertext"))
        n, r, p = (int(_field(doc, "kdf", x)) for x in ("n", "r", "p"))
        derived = _derive(passphrase, salt, n, r, p)
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"malformed key file: {exc}") from exc
    try:
        raw = AESGCM(derived).decrypt(nonce, sealed, public)
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase for this key") from None
    key = Ed25519PrivateKey.from_private_bytes(raw)
    if raw_public_key(key) != public:
        raise KeyFileError("the key file's public key does not match its private key")
    return key


def save_key(path: Path, key: Ed25519PrivateKey, passphrase: str) -> None:
    """Write ``key`` sealed under ``passphrase`` to ``path`` (mode 0600, atomically)."""
    data = seal_private_key(key, passphrase)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def load_key(path: Path, passphrase: str) -> Ed25519PrivateKey:
    """Read and decrypt a key file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc
    return open_private_key(data, passphrase)
