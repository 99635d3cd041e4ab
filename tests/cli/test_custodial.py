"""`registry custodial-key create`: the operator puts a signer's key in custody."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli.custodial import custodial_key
from registry.signing.keys import open_private_key, raw_public_key
from registry.store import Store
from registry.store.models import CustodialKeyRecord
from registry.verify.cose import key_id
from registry.verify.trust import b64url
from tests.conftest import run_sync

PASSPHRASE = "Rahasia-Walikota-Bandung-2024"


def held(url: str, kid: bytes) -> CustodialKeyRecord | None:
    async def read() -> CustodialKeyRecord | None:
        async with Store.open(url) as store:
            return await store.get_custodial_key(kid)

    return run_sync(read())


def printed(output: str) -> tuple[bytes, str]:
    kid = re.search(r"^kid ([0-9a-f]{64})$", output, re.MULTILINE)
    public = re.search(r"^public key (\S+)$", output, re.MULTILINE)
    assert kid is not None, output
    assert public is not None, output
    return bytes.fromhex(kid.group(1)), public.group(1)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_create_asks_twice_and_keeps_the_key_sealed(runner: CliRunner, database_url: str) -> None:
    result = runner.invoke(
        custodial_key,
        ["create"],
        input=f"{PASSPHRASE}\n{PASSPHRASE}\n",
        env={"REGISTRY_DATABASE_URL": database_url},
    )
    assert result.exit_code == 0, result.output
    kid, public = printed(result.stdout)
    assert PASSPHRASE not in result.output
    record = held(database_url, kid)
    assert record is not None
    key = open_private_key(record.encrypted_key, PASSPHRASE)
    assert b64url(raw_public_key(key)) == public
    assert key_id(raw_public_key(key)) == kid
    assert PASSPHRASE.encode() not in record.encrypted_key


def test_create_reads_a_passphrase_file(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.sqlite3'}"
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    result = runner.invoke(
        custodial_key,
        ["create", "--passphrase-file", str(secret)],
        env={"REGISTRY_DATABASE_URL": url},
    )
    assert result.exit_code == 0, result.output
    kid, _ = printed(result.stdout)
    record = held(url, kid)
    assert record is not None
    open_private_key(record.encrypted_key, PASSPHRASE)


def test_create_refuses_a_short_passphrase(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.sqlite3'}"
    result = runner.invoke(
        custodial_key, ["create"], input="pendek\npendek\n", env={"REGISTRY_DATABASE_URL": url}
    )
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output
    assert not (tmp_path / "registry.sqlite3").exists()


def test_create_refuses_passphrases_that_differ(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.sqlite3'}"
    result = runner.invoke(
        custodial_key,
        ["create"],
        input=f"{PASSPHRASE}\nsomething-else\n",
        env={"REGISTRY_DATABASE_URL": url},
    )
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert "kid " not in result.output


def test_create_names_a_bad_setting(runner: CliRunner) -> None:
    result = runner.invoke(custodial_key, ["create"], env={"REGISTRY_DATABASE_URL": "mysql://x"})
    assert result.exit_code == 1
    assert "REGISTRY_DATABASE_URL" in result.output


def test_create_speaks_indonesian_when_lang_says_id(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'registry.sqlite3'}"
    env = {"REGISTRY_DATABASE_URL": url, "LANG": "id_ID.UTF-8"}
    short = runner.invoke(custodial_key, ["create"], input="pendek\npendek\n", env=env)
    assert short.exit_code == 1
    assert "Frasa sandi penanda tangan" in short.output
    assert "Ulangi untuk konfirmasi" in short.output
    assert "Galat: frasa sandi kunci titipan paling sedikit 8 karakter" in short.output
    made = runner.invoke(custodial_key, ["create"], input=f"{PASSPHRASE}\n{PASSPHRASE}\n", env=env)
    assert made.exit_code == 0, made.output
    printed(made.stdout)  # the lines scripts read stay as they are
    assert "Frasa sandi tidak disimpan" in made.stderr
