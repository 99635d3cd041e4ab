"""A registry holding the demo data (registry/demo/), served over HTTP for the dashboard's tests.

The demo is registered once into a SQLite registry in a temporary folder, then the app is
served by uvicorn from a thread (tests/threaded_server.py).  Nothing here is part of the product.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry.api.app import create_app
from registry.config import Settings
from registry.demo import build_demo
from registry.records.bootstrap import register_all
from registry.records.operator import OperatorKeys, create_keys
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


def load_demo_registry(root: Path) -> tuple[Settings, OperatorKeys]:
    """A registry under ``root`` with the demo registered; its settings and operator keys."""
    settings = demo_settings(root)
    keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    run_sync(_load(settings, keys))
    return settings, keys


@dataclass
class DemoServer:
    """The demo registry over HTTP."""

    url: str
    server: ThreadedServer

    @classmethod
    def start(cls, root: Path) -> DemoServer:
        """Load the demo under ``root`` and serve it."""
        settings, keys = load_demo_registry(root)
        server = ThreadedServer("the demo registry")
        server.start(create_app(settings, keys))
        return cls(server.url, server)

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()
