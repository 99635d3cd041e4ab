"""`registry init` and `registry demo` as an operator runs them (CLI, real SQLite database)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.config import Settings
from registry.records.operator import open_keys
from registry.store.repository import Store


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A registry in a fresh directory, initialised and filled with the demo (once per module)."""
    home = tmp_path_factory.mktemp("registry")
    env = {
        "REGISTRY_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'registry.sqlite3'}",
        "REGISTRY_DATA_DIR": str(home / "data"),
        "REGISTRY_ADMIN_PASSPHRASE": "operator-uji",
        "REGISTRY_ORIGIN": "test.example/pakta",
    }
    runner = CliRunner()
    first = runner.invoke(main, ["init"], env=env)
    assert first.exit_code == 0, first.output
    assert "1 entries" in first.output
    loaded = runner.invoke(main, ["demo"], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert "2304 reports" in loaded.output
    return env


def _count(env: dict[str, str], statement_type: str) -> int:
    async def count() -> int:
        store = Store.open(env["REGISTRY_DATABASE_URL"])
        try:
            return (await store.search_entries(type=statement_type, limit=1)).total
        finally:
            await store.close()

    return asyncio.run(count())


def test_demo_holds_the_national_figures(demo_env: dict[str, str]) -> None:
    # Pilkada 2020's own figures (2,304 / 1,596 / 1,373) are checked per election in
    # tests/demo/test_demo_figures.py; the log also holds the 2018 baseline and Pilkada 2024.
    assert _count(demo_env, "report") > 2304
    assert _count(demo_env, "recommendation") > 1596
    assert _count(demo_env, "follow-up") >= 1373
    assert _count(demo_env, "pact") > 100


def test_init_again_changes_nothing(demo_env: dict[str, str]) -> None:
    before = _count(demo_env, "enrolment")
    again = CliRunner().invoke(main, ["init"], env=demo_env)
    assert again.exit_code == 0, again.output
    assert _count(demo_env, "enrolment") == before


def test_demo_refuses_a_registry_with_data(demo_env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["demo"], env=demo_env)
    assert result.exit_code == 1
    assert "new registry" in result.output


def test_operator_keys_are_sealed_on_disk(demo_env: dict[str, str]) -> None:
    data = Path(demo_env["REGISTRY_DATA_DIR"])
    for name in ("admin.key", "log.key"):
        document = json.loads((data / name).read_text())
        assert document["cipher"]["name"] == "AES-256-GCM"
    keys = open_keys(data, demo_env["REGISTRY_ADMIN_PASSPHRASE"], demo_env["REGISTRY_ORIGIN"])
    assert keys.note.name == "test.example/pakta"


def test_init_with_the_wrong_passphrase_fails_clearly(demo_env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main, ["init"], env={**demo_env, "REGISTRY_ADMIN_PASSPHRASE": "salah"}
    )
    assert result.exit_code == 1
    assert "wrong passphrase" in result.output


def test_bad_configuration_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init"], env={"REGISTRY_PORT": "delapan"})
    assert result.exit_code == 1
    assert "REGISTRY_PORT" in result.output


def test_help_lists_the_configuration() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "REGISTRY_DATABASE_URL" in result.output
    _ = Settings
