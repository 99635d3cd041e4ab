"""bench/gen_log_direct.py writes the log the registry would have written, row for row.

The same registry (its keys and first entry) is copied, then grown once through
``register_atomic`` (every statement admitted by the registry's policy) and once
directly (signed and written without the policy), both with the same clock and
in two steps (growing a log goes on where it stops).  Every stored row of the
log's tables must be the same bytes; the direct one must pass the registry's
start-up check and `registry audit`.  The registered build is also what keeps
the factories admissible: a statement the policy refuses stops it.  A direct
build refuses to write under a running registry.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.config import Settings, settings_environment
from registry.records.bootstrap import initialise
from registry.records.operator import open_keys
from registry.records.service import RegistryService

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from gen_log import DEMO_NOW, ORIGIN, PASSPHRASE, Growth, generate, settings_for
from gen_log_direct import grow_direct

NOW_MS = int(DEMO_NOW.timestamp() * 1000)
TABLES = {
    "entries": "idx",
    "checkpoints": "size",
    "signer_keys": "kid",
    "revoked_entries": "idx",
    "registry_meta": "name",
    "leaf_tiles": "tile",
}
"""Every table a build writes (but derived state saved at a start), by its key."""


def clock() -> int:
    return NOW_MS


def rows(settings: Settings) -> dict[str, list[tuple[object, ...]]]:
    path = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(path) as db:
        return {
            table: db.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()
            for table, key in TABLES.items()
        }


async def grown(
    home: Path, steps: tuple[int, ...], direct: bool, verify_every: int = 1
) -> Settings:
    settings = settings_for(home)
    for entries in steps:
        await generate(
            home,
            entries,
            None,
            1,
            direct=direct,
            demo=False,
            clock=clock,
            verify_every=verify_every,
        )
    return settings


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    """One registry (keys, admin enrolment, pin), and a copy of it."""
    registered, direct = tmp_path / "registered", tmp_path / "direct"
    asyncio.run(initialise(settings_for(registered)))
    shutil.copytree(registered, direct)
    return registered, direct


async def test_the_direct_log_is_the_registered_log_row_for_row(
    copies: tuple[Path, Path],
) -> None:
    registered_home, direct_home = copies
    steps = (1_000, 2_000)
    registered = await grown(registered_home, steps, direct=False)
    direct = await grown(direct_home, steps, direct=True)
    expected, found = rows(registered), rows(direct)
    assert len(expected["entries"]) == 2_007  # admin, prelude (4), authorities (2), 20 cycles
    assert len(expected["signer_keys"]) == 1 + 2 + 20 * 7
    assert len(expected["leaf_tiles"]) == 2_007 // 256  # every complete tile, packed
    for table in TABLES:
        assert found[table] == expected[table], table
    types = {
        row[0]
        for row in sqlite3.connect(direct_home / "registry.sqlite3").execute(
            "SELECT DISTINCT type FROM entries"
        )
    }
    assert {"report", "recommendation", "follow-up", "declaration", "pact"} <= types


def test_the_direct_log_passes_the_start_up_check_and_the_audit(
    copies: tuple[Path, Path],
) -> None:
    _, home = copies
    # (one statement in ten verified, the others read: the audit checks every signature)
    settings = asyncio.run(grown(home, (1_200,), direct=True, verify_every=10))

    async def opened() -> None:
        keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
        service = await RegistryService.open(settings, keys)
        try:
            assert service.size == 1_207
            assert service.tampering() == (0, [])
            assert (await service.entry(1_206)).type == "declaration"
        finally:
            await service.close()

    asyncio.run(opened())
    answer = CliRunner().invoke(main, ["audit"], env=settings_environment(settings))
    assert answer.exit_code == 0, answer.output
    assert "1207" in answer.output.replace(",", "").replace(".", "")


async def test_a_direct_build_refuses_to_write_under_a_running_registry(
    copies: tuple[Path, Path],
) -> None:
    _, home = copies
    settings = await grown(home, (300,), direct=True)
    keys = open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
    before = rows(settings)
    service = await RegistryService.open(settings, keys)
    try:
        with pytest.raises(SystemExit, match="stop it first"):
            await grow_direct(Growth(settings, keys, 600, 1, clock=clock))
    finally:
        await service.close()
    assert rows(settings) == before
