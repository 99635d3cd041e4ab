"""The sequencer purges the hand-off queue (PostgreSQL's ``pending`` table) of handled rows.

Followers on other hosts hand statements over through ``pending`` and poll
their row for the outcome; once nobody polls a handled row any more (after
``PENDING_KEPT_S``) the sequencer's pump deletes it, at start and on a
schedule, so the table holds minutes of traffic, not the log's history.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.config import Settings
from registry.records import cluster
from registry.records.operator import create_keys
from registry.records.service import RegistryService
from registry.store import Store, upgrade
from tests.factories import HISTORY_HOURS
from tests.waiting import until


@pytest.fixture
def settings(make_database_url: Callable[[str], str], tmp_path: Path) -> Settings:
    """A registry on PostgreSQL: only there do followers hand over through ``pending``."""
    return Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=make_database_url("postgres"),
        data_dir=tmp_path / "d",
        origin="test.example/pakta",
        admin_passphrase="uji-antrian",
    )


@pytest.mark.postgres
def test_the_sequencer_purges_handled_submissions_nobody_waits_for(settings: Settings) -> None:

    async def scenario() -> None:
        await upgrade(settings.database_url)
        now_ms = int(time.time() * 1000)
        long_ago = now_ms - int(cluster.PENDING_KEPT_S * 1000) - 60_000
        async with Store.open(settings.database_url) as store:
            old_done = await store.submit_pending(b"a", submitted_at=long_ago)
            await store.finish_pending(old_done, idx=0)
            old_refused = await store.submit_pending(b"b", submitted_at=long_ago)
            await store.finish_pending(old_refused, error="{}")
            recent_done = await store.submit_pending(b"c", submitted_at=now_ms)
            await store.finish_pending(recent_done, idx=1)
        keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        service = await RegistryService.open(settings, keys)
        try:
            assert service.is_sequencer
            await until(lambda: _gone(service, old_done, old_refused), "old handled rows purged")
            kept = await service.store.pending_result(recent_done)
            assert kept is not None, "a follower may still be polling a recent outcome"
            assert (kept.status, kept.result_idx) == ("done", 1)
        finally:
            await service.close()

    asyncio.run(scenario())


async def _gone(service: RegistryService, *ids: int) -> bool:
    return all([await service.store.pending_result(i) is None for i in ids])


@pytest.mark.postgres
def test_a_failed_purge_is_logged_not_raised_into_the_pump(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:

    async def scenario() -> None:
        keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        service = await RegistryService.open(settings, keys)
        try:

            async def broken(*, submitted_before: int) -> int:
                raise ConnectionError("database went away")

            service.store.purge_pending = broken  # type: ignore[method-assign]
            assert await cluster.purge_handled(service) == 0
        finally:
            await service.close()

    asyncio.run(scenario())
    assert "purging handled submissions failed" in caplog.text
