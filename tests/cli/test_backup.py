"""`registry backup` / `registry restore` on SQLite and PostgreSQL.

A backup restored after the database is lost gives a registry that audits
clean and goes on with the log; an older backup, restored after the registry
signed more, is refused (SQLite, before anything changes) or flagged
(PostgreSQL, whose dump can only be read by restoring it) by the pinned
checkpoint, and the registry then refuses to start on it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

from registry.cli import main
from registry.config import Settings, settings_environment
from registry.log.integrity import LogContradiction
from registry.records.operator import OperatorKeys
from registry.records.service import RegistryService
from registry.store.engine import sqlite_file
from tests.api.helpers import pact
from tests.api.test_witnessing import registry_with
from tests.cli.test_audit import SIZE, audit, fill
from tests.records.test_startup import _execute


def run(settings: Settings, *args: str) -> Result:
    env = {**settings_environment(settings), "LANG": "C.UTF-8"}
    return CliRunner().invoke(main, list(args), env=env)


def more_pacts(settings: Settings, operator: OperatorKeys, count: int, place: str) -> None:
    with registry_with(settings, operator, [], bootstrap=False) as registry:
        for n in range(count):
            answer = registry.post(registry.sign("ppk-jabar", pact(place=f"{place} {n}")))
            assert answer.status_code == 201, answer.text


def lose_database(settings: Settings) -> None:
    """The database is gone (the disk failed, the schema was dropped); the data folder is kept."""
    database = sqlite_file(settings.database_url)
    if database is not None:
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        return
    schema = make_url(settings.database_url).query["search_path"]
    asyncio.run(
        _execute(
            settings.database_url, f'DROP SCHEMA "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"'
        )
    )


def test_a_restored_backup_audits_clean_and_the_log_goes_on(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    fill(settings, operator)
    file = tmp_path / "registry.backup"
    made = run(settings, "backup", str(file))
    assert made.exit_code == 0, made.output
    assert f"backup of {SIZE} entries written to {file}" in made.output
    lose_database(settings)

    restored = run(settings, "restore", str(file))
    assert restored.exit_code == 0, restored.output
    assert f"{SIZE} entries, checked against its checkpoint and the pinned one" in restored.output
    assert audit(settings).exit_code == 0
    more_pacts(settings, operator, 2, "Cirebon")
    after = audit(settings)
    assert after.exit_code == 0, after.output
    assert f"audit clean: {SIZE + 2} entries" in after.output


def test_an_old_backup_is_refused_or_flagged_by_the_pin(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    fill(settings, operator)
    file = tmp_path / "old.backup"
    assert run(settings, "backup", str(file)).exit_code == 0
    more_pacts(settings, operator, 2, "Cirebon")

    restored = run(settings, "restore", str(file))
    assert restored.exit_code == 1, restored.output
    if sqlite_file(settings.database_url) is not None:
        # Refused before the database was touched: it still holds everything.
        assert f"holds {SIZE} entries" in restored.output
        assert f"checkpoint of {SIZE + 2} entries" in restored.output
        assert "Nothing was changed" in restored.output
        kept = audit(settings)
        assert kept.exit_code == 0, kept.output
        assert f"audit clean: {SIZE + 2} entries" in kept.output
        forced = run(settings, "restore", "--older", str(file))
        assert forced.exit_code == 1
    # Restored (PostgreSQL, or SQLite with --older) and flagged: the registry refuses to start.
    assert "the registry will refuse to start on it" in (
        restored.output if sqlite_file(settings.database_url) is None else forced.output
    )
    with pytest.raises(LogContradiction):
        asyncio.run(_open(settings, operator))
    assert audit(settings).exit_code == 1


async def _open(settings: Settings, operator: OperatorKeys) -> None:
    service = await RegistryService.open(settings, operator)
    await service.close()


def test_a_restore_while_the_registry_runs_is_refused(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    fill(settings, operator)
    file = tmp_path / "registry.backup"
    assert run(settings, "backup", str(file)).exit_code == 0
    with registry_with(settings, operator, [], bootstrap=False):
        refused = run(settings, "restore", str(file))
    assert refused.exit_code == 1
    assert "stop every `registry serve` on it" in refused.output
