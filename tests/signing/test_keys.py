"""Key files: encrypted at rest, opened only with the passphrase."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from registry.signing.keys import (
    KeyFileError,
    WrongPassphrase,
    generate_key,
    load_key,
    open_private_key,
    public_key_of_sealed,
    raw_private_key,
    raw_public_key,
    save_key,
    seal_private_key,
)


def test_saved_key_round_trips_and_is_private(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "ppk.key"
    save_key(path, key, "kata sandi panjang")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert raw_public_key(load_key(path, "kata sandi panjang")) == raw_public_key(key)


def test_private_key_never_on_disk_in_clear(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "ppk.key"
    save_key(path, key, "pw")
    data = path.read_bytes()
    secret = raw_private_key(key)
    assert secret not in data
    assert secret.hex().encode() not in data
    import base64

    assert base64.urlsafe_b64encode(secret).rstrip(b"=") not in data


def test_wrong_passphrase_is_refused() -> None:
    sealed = seal_private_key(generate_key(), "right")
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        open_private_key(sealed, "wrong")


def test_swapped_public_key_is_refused() -> None:
    sealed = json.loads(seal_private_key(generate_key(), "pw"))
    other = json.loads(seal_private_key(generate_key(), "pw"))
    sealed["public_key"] = other["public_key"]
    with pytest.raises(WrongPassphrase):
        open_private_key(json.dumps(sealed).encode(), "pw")


def test_public_key_readable_without_passphrase() -> None:
    key = generate_key()
    assert public_key_of_sealed(seal_private_key(key, "pw")) == raw_public_key(key)


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("not-json", b"\x00garbage", "not a key file"),
        ("other-format", b'{"format": "pem"}', "not a registry-ed25519-key/v1"),
        (
            "missing-cipher",
            b'{"format": "registry-ed25519-key/v1", "kdf": {"name": "scrypt"}}',
            "cipher",
        ),
    ],
)
def test_malformed_key_files_are_refused(name: str, data: bytes, match: str) -> None:
    with pytest.raises(KeyFileError, match=match):
        open_private_key(data, "pw")


def test_empty_passphrase_is_refused() -> None:
    with pytest.raises(KeyFileError, match="passphrase is required"):
        seal_private_key(generate_key(), "")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read key file"):
        load_key(tmp_path / "absent.key", "pw")
