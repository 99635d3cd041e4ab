"""What a start says and refuses: a new registry is announced, keys are never made for a log
that has its own, and half a demo is finished or refused, never served as if it were whole."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.config import Settings
from registry.demo.load import DEMO_META, DemoError, DemoMark, demo_status, load_demo
from registry.records.bootstrap import initialise
from registry.records.operator import keys_exist
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store import Store
from tests.api.helpers import NOW_S, enrolment
from tests.cli.servers import free_port, refused_start, registry_env
from tests.factories import HISTORY_HOURS, fixed_key

ORIGIN = "test.example/pakta"
PASSPHRASE = "kata-sandi-uji"
INTERRUPT_AT = 1500
"""Statements in the log when the demo load is cut short."""


class Interrupted(Exception):
    """The load stops here, as a Ctrl-C or a crash would stop it."""


def _init(cwd: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    variables = {
        "REGISTRY_ORIGIN": ORIGIN,
        "REGISTRY_ADMIN_PASSPHRASE": PASSPHRASE,
        "LC_ALL": "C.UTF-8",
        **env,
    }
    result = CliRunner().invoke(main, ["init"], env=variables)
    return result.exit_code, result.output


def test_a_start_that_makes_a_new_registry_says_so_and_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = _init(tmp_path, monkeypatch)
    assert code == 0, output
    assert f"NEW REGISTRY: new operator keys were made in {tmp_path / 'registry-data'}" in output
    assert f"database: {tmp_path / 'registry.sqlite3'}" in output
    assert f"operator keys: {tmp_path / 'registry-data'}" in output
    assert f"signed under): {ORIGIN}" in output
    code, output = _init(tmp_path, monkeypatch)
    assert code == 0, output
    assert "NEW REGISTRY" not in output
    assert f"operator keys: {tmp_path / 'registry-data'}" in output


def test_no_new_keys_for_a_log_whose_keys_are_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The log was begun from one folder; a start from another folder finds the same
    # database (an absolute REGISTRY_DATABASE_URL) but not its keys.
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    assert _init(first, monkeypatch, REGISTRY_DATABASE_URL=database)[0] == 0
    code, output = _init(second, monkeypatch, REGISTRY_DATABASE_URL=database)
    assert code == 1
    assert f"the database {tmp_path / 'shared.sqlite3'} holds a log of 1 entries" in output
    assert f"but {second / 'registry-data'} holds no operator keys" in output
    assert not keys_exist(second / "registry-data")


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'registry.sqlite3'}",
        data_dir=tmp_path / "data",
        origin=ORIGIN,
        admin_passphrase=PASSPHRASE,
        batch_wait_ms=1,
    )


def _environment(settings: Settings) -> dict[str, str]:
    return registry_env(
        REGISTRY_DATABASE_URL=settings.database_url,
        REGISTRY_DATA_DIR=str(settings.data_dir),
        REGISTRY_ORIGIN=settings.origin,
        REGISTRY_ADMIN_PASSPHRASE=settings.admin_passphrase,
    )


def _interrupt_after(count: int) -> Callable[[int], None]:
    logged = 0

    def progress(done: int) -> None:
        nonlocal logged
        logged += done
        if logged >= count:
            raise Interrupted

    return progress


def _count(settings: Settings, statement_type: str) -> int:
    async def count() -> int:
        async with Store.open(settings.database_url) as store:
            return (await store.search_entries(type=statement_type, limit=1)).total

    return asyncio.run(count())


def test_interrupted_demo_is_refused_by_serve_and_finished_by_demo(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    with pytest.raises(Interrupted):
        asyncio.run(
            load_demo(settings, only_if_empty=True, progress=_interrupt_after(INTERRUPT_AT))
        )
    mark, size = asyncio.run(demo_status(settings))
    assert mark is not None
    assert mark.state == "loading"
    assert INTERRUPT_AT <= size < mark.statements

    # A plain start refuses to serve half a demo (a real process: one that served it
    # would not exit), in one line saying how far the load got and how to finish it.
    line = refused_start(
        ["serve", "--port", str(free_port()), "--workers", "1"],
        env=_environment(settings),
        cwd=tmp_path,
        log=tmp_path / "serve.log",
    )
    assert f"stopped at {size} of {mark.statements} entries" in line
    assert "registry serve --demo" in line

    finished = CliRunner().invoke(main, ["demo"], env=_environment(settings))
    assert finished.exit_code == 0, finished.output
    assert "an interrupted load finished" in finished.output
    assert f"{mark.statements - size} statements registered now" in finished.output
    done, total = asyncio.run(demo_status(settings))
    assert done == DemoMark("complete", mark.now, mark.statements)
    assert total == mark.statements
    # Pilkada 2020's figures, the 2018 baseline, and the Pilkada 2024 pact signers' cases
    baseline, pact_signers = 150, 40
    assert 2304 + baseline < _count(settings, "report") <= 2304 + baseline + pact_signers
    assert 1596 + baseline < _count(settings, "recommendation") <= 1596 + baseline + pact_signers
    # finished once: a second load would be a second demo in one log
    again = CliRunner().invoke(main, ["demo"], env=_environment(settings))
    assert again.exit_code == 1
    assert "demo data go into a new registry" in again.output


async def test_unfinished_demo_over_entries_not_the_demos_is_not_finished(
    settings: Settings,
) -> None:
    # The mark says "loading", but entry 1 is not the demo's (a mark copied into another
    # registry, or an entry added meanwhile): finishing would put the demo's statements
    # at indexes their references do not mean.
    keys, _ = await initialise(settings)
    service = await RegistryService.open(settings, keys)
    try:
        stranger = CoseSigner(fixed_key("not-in-the-demo"))
        await service.register(
            keys.admin.sign_statement(enrolment(stranger.public_key, "ppk"), "op", NOW_S)
        )
        await service.store.put_meta(DEMO_META, DemoMark("loading", 1_735_000_000, 8128).to_json())
    finally:
        await service.close()
    with pytest.raises(DemoError) as refused:
        await load_demo(settings, only_if_empty=True)
    assert refused.value.message.key == "demo.foreign_entry"
    assert "entry 1 of this registry is not the demo's" in str(refused.value)
    mark, size = await demo_status(settings)
    assert mark is not None
    assert (mark.state, size) == ("loading", 2)
