"""A registry holding the demo data (registry/demo/), served over HTTP for the dashboard's tests.

The demo is registered once a test run into a SQLite registry (:func:`built_demo`: the first
test process to ask registers it, under a lock, the others wait and copy it), copied into a
test's own folder, then the app is served by uvicorn from a thread (tests/threaded_server.py).
Nothing here is part of the product.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from registry.api.app import create_app
from registry.config import Settings
from registry.demo import build_demo
from registry.records.bootstrap import register_all
from registry.records.operator import OperatorKeys, create_keys, open_keys
from registry.records.service import RegistryService
from tests.conftest import run_sync
from tests.factories import HISTORY_HOURS
from tests.threaded_server import ThreadedServer


def demo_settings(root: Path) -> Settings:
    """Settings of a registry under ``root``."""
    return Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=f"sqlite+aiosqlite:///{root / 'demo.sqlite3'}",
        data_dir=root / "data",
        origin="test.example/demo",
        admin_passphrase="kata-sandi-uji",
        batch_wait_ms=1,
    )


async def _load(settings: Settings, keys: OperatorKeys) -> None:
    service = await RegistryService.open(settings, keys)
    try:
        demo = build_demo(keys.admin)
        done, refused = await register_all(service, demo.statements)
        assert not refused, f"the demo was refused: #{refused[0][0]}: {refused[0][1]}"
        assert done == len(demo.statements)
    finally:
        await service.close()


def load_demo_registry(root: Path, built: Path | None = None) -> tuple[Settings, OperatorKeys]:
    """A registry under ``root`` with the demo registered; its settings and operator keys.

    With ``built`` (:func:`built_demo`), a copy of the registry registered there once: its
    database (through SQLite's backup, so a consistent one) and its data folder (the sealed
    operator keys, the pin); registering it costs about 16 s of CPU, a copy a fraction of one."""
    settings = demo_settings(root)
    if built is None:
        keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        run_sync(_load(settings, keys))
        return settings, keys
    with _locked(built.parent / f"{built.name}.lock"):
        if not (built / "registered").exists():
            shutil.rmtree(built, ignore_errors=True)  # a build cut short
            made = demo_settings(built)
            run_sync(_load(made, create_keys(made.data_dir, made.admin_passphrase, made.origin)))
            (built / "registered").touch()
    root.mkdir(parents=True, exist_ok=True)
    with (
        sqlite3.connect(built / "demo.sqlite3") as source,
        sqlite3.connect(root / "demo.sqlite3") as copy,
    ):
        source.backup(copy)
    shutil.copytree(built / "data", settings.data_dir)
    return settings, open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)


def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this test run registers the demo once: beside the test processes' own temporary
    folders under xdist (so every worker of the run finds it), else in this process's."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if "PYTEST_XDIST_WORKER" in os.environ else base) / "demo-built"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (made if missing) while in the ``with``."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # lets the lock go


@dataclass
class DemoServer:
    """The demo registry over HTTP."""

    url: str
    server: ThreadedServer

    @classmethod
    def start(cls, root: Path, built: Path | None = None) -> DemoServer:
        """Load the demo under ``root`` (a copy of ``built``'s, if given) and serve it."""
        settings, keys = load_demo_registry(root, built)
        server = ThreadedServer("the demo registry")
        server.start(create_app(settings, keys))
        return cls(server.url, server)

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()
