"""Start-up checks: a registry refuses a database that contradicts what it signed.

Each test edits the database behind the registry's back as someone with access
to it could (rolls it back by one entry, restores an old backup, rewrites a
leaf hash or a checkpoint) and checks that the registry refuses to start, with
both sizes and both roots in the message, rather than serve the edited log or
sign a second root for a size it signed before.  ``registry repin`` is the
operator's explicit way to accept a rolled-back database.
"""

from __future__ import annotations

import asyncio
import base64
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from registry.cli import main
from registry.config import Settings, settings_environment
from registry.log.integrity import LogContradiction
from registry.log.pin import pin_path
from registry.records.bootstrap import initialise
from registry.records.operator import OperatorKeys, create_keys
from registry.records.service import RegistryService
from registry.records.startup import RegistryRunning, checkpoint_pin, pin_review
from registry.signing.cose import CoseSigner
from registry.store.engine import create_engine, sqlite_file
from registry.verify.checkpoint import verify_checkpoint
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import HISTORY_HOURS, cited_statements, fixed_key

PACTS = 3


async def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _roll_back_one_entry(settings: Settings, size: int) -> None:
    """Delete the last entry and its checkpoint, as restoring the previous backup would."""
    asyncio.run(
        _execute(
            settings.database_url,
            f"DELETE FROM checkpoints WHERE size = {size}",
            f"DELETE FROM entries WHERE idx = {size - 1}",
        )
    )


async def _fill(settings: Settings) -> tuple[OperatorKeys, int, str]:
    """A registry with the admin, a PPK and some pacts; its keys, size and latest checkpoint."""
    keys, _ = await initialise(settings)
    service = await RegistryService.open(settings, keys)
    try:
        ppk = CoseSigner(fixed_key("ppk-startup"))
        await service.register(
            keys.admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
        )
        for cited in cited_statements(keys.admin, issued_at=NOW_S):  # what the pacts cite
            await service.register(cited)
        for n in range(PACTS):
            await service.register(ppk.sign_statement(pact(place=f"Kota {n}"), "ppk", NOW_S))
        return keys, service.size, await service.checkpoint()
    finally:
        await service.close()


def _open(settings: Settings, keys: OperatorKeys) -> None:
    async def open_and_close() -> None:
        service = await RegistryService.open(settings, keys)
        await service.close()

    asyncio.run(open_and_close())


def _root_of(note: str, keys: OperatorKeys) -> str:
    return base64.b64encode(
        verify_checkpoint(note, [keys.note.verifier_key]).unwrap().root
    ).decode()


def _env(settings: Settings) -> dict[str, str]:
    return {**settings_environment(settings), "LANG": "C.UTF-8"}


def test_the_pin_follows_every_commit(settings: Settings) -> None:
    keys, size, latest = asyncio.run(_fill(settings))
    pin = checkpoint_pin(settings, keys)
    assert pin is not None
    assert pin.note() == latest
    assert f"\n{size}\n" in latest


def test_a_database_rolled_back_by_one_entry_is_refused(settings: Settings) -> None:
    keys, size, latest = asyncio.run(_fill(settings))
    _roll_back_one_entry(settings, size)
    with pytest.raises(LogContradiction) as refused:
        _open(settings, keys)
    message = str(refused.value)
    assert f"holds {size - 1} entries" in message
    assert f"checkpoint of {size} entries (root {_root_of(latest, keys)}" in message
    assert "registry repin" in message
    assert "\n" not in message
    assert refused.value.evidence["pinned_size"] == str(size)
    assert refused.value.evidence["size"] == str(size - 1)
    # nothing was signed: the database still ends where it was rolled back to
    store_size = asyncio.run(_stored_sizes(settings))
    assert store_size == size - 1


async def _stored_sizes(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text("SELECT max(size) FROM checkpoints"))
            return int(result.scalar_one())
    finally:
        await engine.dispose()


def test_an_old_sqlite_backup_restored_is_refused(tmp_path: Path) -> None:
    settings = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'registry.sqlite3'}",
        data_dir=tmp_path / "data",
        origin="test.example/pakta",
        admin_passphrase="kata-sandi-uji",
    )
    database = sqlite_file(settings.database_url)
    assert database is not None
    backup = tmp_path / "backup.sqlite3"

    async def scenario() -> OperatorKeys:
        keys, _ = await initialise(settings)
        _copy_database(database, backup)  # the operator's nightly backup: one entry
        service = await RegistryService.open(settings, keys)
        try:
            ppk = CoseSigner(fixed_key("ppk-backup"))
            await service.register(
                keys.admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
            )
        finally:
            await service.close()
        return keys

    keys = asyncio.run(scenario())
    _copy_database(backup, database)  # restored without a word to anyone
    with pytest.raises(LogContradiction, match=r"holds 1 entries .* checkpoint of 2 entries"):
        _open(settings, keys)


def _copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database with SQLite's online backup (as `sqlite3 .backup` does)."""
    reader, writer = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reader.backup(writer)
    finally:
        reader.close()
        writer.close()


def test_init_refuses_a_rolled_back_database_in_one_line(settings: Settings) -> None:
    _, size, _ = asyncio.run(_fill(settings))
    _roll_back_one_entry(settings, size)
    result = CliRunner().invoke(main, ["init"], env=_env(settings))
    assert result.exit_code == 1
    assert result.output.startswith("Error: The database holds")
    assert result.output.count("\n") == 1


def test_init_refuses_in_indonesian_when_asked(settings: Settings) -> None:
    _, size, _ = asyncio.run(_fill(settings))
    _roll_back_one_entry(settings, size)
    env = {**_env(settings), "LANG": "id_ID.UTF-8"}
    result = CliRunner().invoke(main, ["init"], env=env)
    assert result.exit_code == 1
    assert f"Basis data memuat {size - 1} entri" in result.output


def test_repin_accepts_a_rolled_back_database_when_told(settings: Settings) -> None:
    keys, size, _ = asyncio.run(_fill(settings))
    _roll_back_one_entry(settings, size)
    runner = CliRunner()
    declined = runner.invoke(main, ["repin"], env=_env(settings), input="n\n")
    assert declined.exit_code == 1
    assert f"Database's latest checkpoint: {size - 1} " in declined.output
    with pytest.raises(LogContradiction):
        _open(settings, keys)
    accepted = runner.invoke(main, ["repin", "--yes"], env=_env(settings))
    assert accepted.exit_code == 0, accepted.output
    assert f"Pinned the database's checkpoint of size {size - 1}" in accepted.output
    _open(settings, keys)
    again = runner.invoke(main, ["repin"], env=_env(settings))
    assert again.exit_code == 0
    assert "nothing to do" in again.output


def test_repin_refuses_while_a_registry_runs(settings: Settings) -> None:
    keys, _, _ = asyncio.run(_fill(settings))

    async def scenario() -> None:
        service = await RegistryService.open(settings, keys)
        try:
            with pytest.raises(RegistryRunning, match="stop every `registry serve`"):
                async with pin_review(settings, keys):
                    pass
        finally:
            await service.close()

    asyncio.run(scenario())


def test_an_edited_leaf_hash_is_refused(settings: Settings) -> None:
    keys, size, latest = asyncio.run(_fill(settings))
    asyncio.run(
        _execute(
            settings.database_url, "UPDATE entries SET leaf_hash = statement_sha256 WHERE idx = 2"
        )
    )
    with pytest.raises(LogContradiction) as refused:
        _open(settings, keys)
    evidence = refused.value.evidence
    assert evidence["size"] == str(size)
    assert evidence["root"] == _root_of(latest, keys)
    assert evidence["tree_root"] != evidence["root"]
    assert "entries were edited" in str(refused.value)


def test_an_edited_checkpoint_root_is_refused(settings: Settings) -> None:
    keys, size, _ = asyncio.run(_fill(settings))
    asyncio.run(
        _execute(
            settings.database_url,
            f"UPDATE checkpoints SET root = (SELECT leaf_hash FROM entries WHERE idx = 0)"
            f" WHERE size = {size}",
        )
    )
    with pytest.raises(LogContradiction, match="its signed note says size"):
        _open(settings, keys)


def test_a_checkpoint_note_not_signed_by_the_log_is_refused(settings: Settings) -> None:
    keys, size, latest = asyncio.run(_fill(settings))
    forged = latest.replace(latest.splitlines()[-1][-8:], "AAAAAAAA")
    asyncio.run(
        _execute(
            settings.database_url,
            f"UPDATE checkpoints SET note = '{forged}' WHERE size = {size}",
        )
    )
    with pytest.raises(LogContradiction, match=r"latest checkpoint \(size \d+\) does not verify"):
        _open(settings, keys)


def test_a_pin_file_written_by_hand_is_refused(settings: Settings) -> None:
    keys, size, latest = asyncio.run(_fill(settings))
    pin = pin_path(settings.data_dir, settings.origin)
    pin.write_text(latest.replace(f"\n{size}\n", f"\n{size}0\n"))
    with pytest.raises(LogContradiction, match="is not a checkpoint of this log signed by its key"):
        _open(settings, keys)


def test_a_pin_behind_the_database_is_moved_on(settings: Settings) -> None:
    keys, size, latest = asyncio.run(_fill(settings))
    pin = pin_path(settings.data_dir, settings.origin)
    pin.unlink()  # e.g. the first start after an upgrade: nothing pinned yet
    _open(settings, keys)
    pinned = checkpoint_pin(settings, keys)
    assert pinned is not None
    assert pinned.note() == latest
    assert f"\n{size}\n" in latest


def test_an_in_memory_registry_pins_nothing(tmp_path: Path) -> None:
    settings = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url="sqlite+aiosqlite:///:memory:",
        data_dir=tmp_path / "data",
        origin="test.example/pakta",
        admin_passphrase="kata-sandi-uji",
    )
    keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    assert checkpoint_pin(settings, keys) is None
