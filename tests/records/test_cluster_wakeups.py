"""Two hosts on one PostgreSQL log: the hand-off through ``pending``, woken by NOTIFY.

The follower here has a data directory of its own (so no sequencer socket:
it is on "another host") and hands statements over through the ``pending``
table.  The safety poll and the follower's timeout are set to an hour, in
both processes, and a scenario that does not end within :data:`HANG_S` fails:
an outcome that arrives at all arrived through a notification.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from registry.config import Settings, settings_environment
from registry.records import cluster, wakeups
from registry.records.errors import RegistrationRefused
from registry.records.operator import ADMIN_KEY_FILE, LOG_KEY_FILE, create_keys, open_keys
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store import Store, upgrade
from registry.verify.receipt import verify_receipt
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import cited_statements, fixed_key
from tests.records.test_cluster import _admin_enrolment, _settings

pytestmark = pytest.mark.postgres

NO_POLL_S = 3600.0
"""A safety poll that never comes within a test: only notifications wake anyone."""
START_TIMEOUT_S = 60
HANG_S = 120
"""A scenario still running after this is stuck (a missed wake-up), not slow."""

SEQUENCER = f"""
import asyncio
from registry.config import Settings
from registry.records import cluster, wakeups
from registry.records.operator import open_keys
from registry.records.service import RegistryService

wakeups.SAFETY_POLL_S = {NO_POLL_S}

async def main():
    settings = Settings.from_env()
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    service = await RegistryService.open(settings, keys)
    print("sequencing" if service.is_sequencer else "following", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""

CLAIMER = """
import asyncio, sys
from registry.store import Store

async def main():
    store = Store.open(sys.argv[1])
    async with store.sequencer_lock() as held:
        print("locked" if held else "not locked", flush=True)
        while True:
            async with store.claimed(100) as claim:
                if claim.items:  # a sequencer mid-batch: claimed, nothing recorded yet
                    print("claimed", len(claim.items), flush=True)
                    await asyncio.Event().wait()
            await asyncio.sleep(0.01)

asyncio.run(main())
"""


@pytest.fixture
def hosts(make_database_url: Callable[[str], str], tmp_path: Path) -> tuple[Settings, Settings]:
    """Two hosts' settings on one database, each with its copy of the operator's keys."""
    url = make_database_url("postgres")
    host_a, host_b = (_settings(url, tmp_path / name, batch_wait_ms=2) for name in "ab")
    create_keys(host_a.data_dir, host_a.admin_passphrase, host_a.origin)
    host_b.data_dir.mkdir()
    for name in (ADMIN_KEY_FILE, LOG_KEY_FILE):
        shutil.copy2(host_a.data_dir / name, host_b.data_dir / name)
    return host_a, host_b


@pytest.fixture(autouse=True)
def _no_safety_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wakeups, "SAFETY_POLL_S", NO_POLL_S)
    monkeypatch.setattr(cluster, "FORWARD_TIMEOUT_S", NO_POLL_S)


def _spawn(script: str, settings: Settings, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env={**os.environ, **settings_environment(settings)},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start a process on another host's settings; every one is killed at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(script: str, settings: Settings, *args: str) -> subprocess.Popen[str]:
        started.append(_spawn(script, settings, *args))
        return started[-1]

    yield start
    for process in started:
        _kill(process)


def _kill(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=START_TIMEOUT_S)
    if process.stdout is not None:
        process.stdout.close()


def _line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    return process.stdout.readline().strip()


async def _follower(settings: Settings) -> RegistryService:
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    follower = await RegistryService.open(settings, keys)
    assert not follower.is_sequencer
    assert follower.handoff_client is not None
    assert not follower.handoff_client.available  # no sequencer on this host: the table
    return follower


def test_a_statement_submitted_on_another_host_is_sequenced_once_and_answered(
    hosts: tuple[Settings, Settings], spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    host_a, host_b = hosts
    sequencer = spawn(SEQUENCER, host_a)
    assert _line(sequencer) == "sequencing"

    async def scenario() -> None:
        follower = await _follower(host_b)
        try:
            admin = follower.keys.admin
            assert (await follower.register(_admin_enrolment(admin))).index == 0
            ppk = CoseSigner(fixed_key("ppk-dua-host"))
            await follower.register(
                admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
            )
            for cited in cited_statements(admin, issued_at=NOW_S):  # entries 2 and 3
                await follower.register(cited)
            statements = [
                ppk.sign_statement(pact(place=f"Kota {i}"), "ppk", NOW_S) for i in range(8)
            ]
            results = await asyncio.gather(*(follower.register(s) for s in statements))
            assert sorted(r.index for r in results) == list(range(4, 12))
            log_keys = {follower.keys.log.kid: follower.keys.log.public_key}
            for statement, result in zip(statements, results, strict=True):
                assert not result.existed
                assert verify_receipt(result.receipt, log_keys, statement).ok
            again = await follower.register(statements[3])
            assert (again.existed, again.index) == (True, results[3].index)
            stranger = CoseSigner(fixed_key("orang-asing")).sign_statement(pact(), "x", NOW_S)
            with pytest.raises(RegistrationRefused, match="not enrolled"):
                await follower.register(stranger)
            await follower.refresh()
            assert follower.size == 12  # each statement once, the repeat not again
        finally:
            await follower.close()

    asyncio.run(asyncio.wait_for(scenario(), HANG_S))


def test_a_sequencer_killed_holding_a_claim_loses_nothing(
    hosts: tuple[Settings, Settings], spawn: Callable[..., subprocess.Popen[str]]
) -> None:
    host_a, host_b = hosts
    asyncio.run(upgrade(host_a.database_url))
    claimer = spawn(CLAIMER, host_a, host_a.database_url)
    assert _line(claimer) == "locked"

    async def scenario() -> None:
        follower = await _follower(host_b)
        try:
            statement = _admin_enrolment(follower.keys.admin)
            submitted = asyncio.create_task(follower.register(statement))
            loop = asyncio.get_running_loop()
            assert await loop.run_in_executor(None, _line, claimer) == "claimed 1"
            assert not submitted.done()
            _kill(claimer)  # mid-batch: its transaction, and the rows' locks, go with it
            registered = await asyncio.wait_for(submitted, START_TIMEOUT_S)
            assert follower.is_sequencer  # took the lock the dead process held
            assert (registered.index, registered.existed) == (0, False)
            assert follower.size == 1
            async with Store.open(host_a.database_url) as store, store.claimed(10) as claim:
                assert claim.items == []  # nothing left waiting
        finally:
            await follower.close()

    asyncio.run(asyncio.wait_for(scenario(), HANG_S))


def test_claimed_rows_are_skipped_by_a_second_claim_and_released_on_error(
    hosts: tuple[Settings, Settings],
) -> None:
    url = hosts[0].database_url

    async def scenario() -> None:
        await upgrade(url)
        async with Store.open(url) as first, Store.open(url) as second:
            ids = [await first.submit_pending(b"s%d" % i) for i in range(3)]
            async with first.claimed(2) as held:
                assert [r.id for r in held.items] == ids[:2]
                async with second.claimed(10) as other:
                    assert [r.id for r in other.items] == ids[2:]
                    other.done(ids[2], 7)
                held.refused(ids[0], '{"type": "x"}')
            with pytest.raises(RuntimeError, match="mid-batch"):
                await _fail_mid_batch(second, ids[1])
            results = [await first.pending_result(i) for i in ids]
            statuses = [(r.status, r.result_idx) for r in results if r is not None]
            assert statuses == [("refused", None), ("pending", None), ("done", 7)]

    asyncio.run(asyncio.wait_for(scenario(), HANG_S))


async def _fail_mid_batch(store: Store, expected: int) -> None:
    async with store.claimed(10) as failing:
        assert [r.id for r in failing.items] == [expected]
        failing.done(expected, 8)
        raise RuntimeError("the sequencer failed mid-batch")


def test_a_notification_wakes_the_listener_with_the_finished_ids(
    hosts: tuple[Settings, Settings],
) -> None:
    url = hosts[0].database_url

    async def scenario() -> None:
        await upgrade(url)
        async with Store.open(url) as store:
            outcomes = wakeups.Outcomes(store)
            await outcomes.started()
            assert outcomes.wakeups.ready.is_set()
            pending_id = await store.submit_pending(b"s")
            waiting = asyncio.create_task(outcomes.wait(pending_id, NO_POLL_S))
            async with store.claimed(1) as claim:
                claim.done(pending_id, 0)
            await asyncio.wait_for(waiting, START_TIMEOUT_S)
            # notified before anyone waits: remembered, so a late waiter returns at once
            later = await store.submit_pending(b"t")
            async with store.claimed(1) as claim:
                claim.done(later, 1)
            await until_notified(outcomes, later)
            await outcomes.stop()

    asyncio.run(asyncio.wait_for(scenario(), HANG_S))


async def until_notified(outcomes: wakeups.Outcomes, pending_id: int) -> None:
    await asyncio.wait_for(outcomes.wait(pending_id, NO_POLL_S), START_TIMEOUT_S)
