"""Two registry processes on one log: one sequences, the other verifies, hands over, follows.

Run on SQLite (a file lock elects the sequencer, the hand-off goes through
its Unix socket) and on PostgreSQL (an advisory lock; the socket, or the
``pending`` table that followers on other hosts use).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.config import Settings, settings_environment
from registry.records.errors import RegistrationRefused
from registry.records.handoff import handoff_socket
from registry.records.operator import ADMIN_KEY_FILE, LOG_KEY_FILE, create_keys, open_keys
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store.models import LogSnapshot
from registry.verify.receipt import verify_receipt
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import HISTORY_HOURS, cited_statements, fixed_key
from tests.waiting import until

PATHS = [
    pytest.param("sqlite", "socket", id="sqlite-socket"),
    pytest.param("postgres", "socket", id="postgres-socket", marks=pytest.mark.postgres),
    pytest.param("postgres", "table", id="postgres-table", marks=pytest.mark.postgres),
]


async def _no_query(idx: int) -> None:
    raise AssertionError(f"entry {idx} was read from the database")


def _settings(database_url: str, data_dir: Path, batch_wait_ms: int = 0) -> Settings:
    return Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=database_url,
        data_dir=data_dir,
        origin="test.example/pakta",
        admin_passphrase="uji-klaster",
        batch_wait_ms=batch_wait_ms,
    )


def _admin_enrolment(admin: CoseSigner) -> bytes:
    """The operator's admin key enrolled for the registry's life: the log's first entry."""
    payload = enrolment(admin.public_key, "admin", term_start="2000-01-01", term_end="2099-12-31")
    return admin.sign_statement({k: v for k, v in payload.items() if v is not None}, "op", NOW_S)


async def _pair(settings: Settings) -> tuple[RegistryService, RegistryService]:
    keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    first = await RegistryService.open(settings, keys)
    second = await RegistryService.open(settings, keys)
    return first, second


@pytest.mark.parametrize(("backend", "handoff"), PATHS)
def test_one_sequencer_and_a_follower_share_one_log(
    make_database_url: Callable[[str], str], tmp_path: Path, backend: str, handoff: str
) -> None:
    settings = _settings(make_database_url(backend), tmp_path / "d", batch_wait_ms=2)

    async def scenario() -> None:
        sequencer, follower = await _pair(settings)
        try:
            assert sequencer.is_sequencer
            assert not follower.is_sequencer
            if handoff == "table":  # as a follower on another host, which has no socket
                assert follower.handoff_client is not None
                await follower.handoff_client.close()
                follower.handoff_client = None
            admin = sequencer.keys.admin
            boot = await follower.register(_admin_enrolment(admin))
            assert boot.index == 0
            ppk = CoseSigner(fixed_key("ppk-klaster"))
            await follower.register(
                admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
            )
            for cited in cited_statements(admin, issued_at=NOW_S):  # entries 2 and 3
                await follower.register(cited)
            statements = [
                ppk.sign_statement(pact(place=f"Kota {i}"), "ppk", NOW_S) for i in range(10)
            ]
            results = await asyncio.gather(*(follower.register(s) for s in statements))
            assert sorted(r.index for r in results) == list(range(4, 14))
            keys = {sequencer.keys.log.kid: sequencer.keys.log.public_key}
            for statement, result in zip(statements, results, strict=True):
                assert verify_receipt(result.receipt, keys, statement).ok
                # the follower reads what it just registered, without waiting to catch up
                assert await follower.receipt(result.index) == result.receipt
            again = await follower.register(statements[0])
            assert again.existed
            assert again.index == results[0].index
            stranger = CoseSigner(fixed_key("stranger")).sign_statement(pact(), "x", NOW_S)
            with pytest.raises(RegistrationRefused, match="not enrolled"):
                await follower.register(stranger)
            await follower.refresh()
            assert follower.size == sequencer.size == 14
            # receipts and statements registered through the sequencer are read here from memory
            follower.store.get_entry = _no_query  # type: ignore[method-assign]
            assert await follower.receipt(1) == await sequencer.receipt(1)
            # (gathered, the statements may have been logged in any order)
            for statement, result in zip(statements, results, strict=True):
                assert await follower.statement(result.index) == statement
            # a key revoked through the sequencer is revoked here once caught up
            revocation = {
                "type": "key-revocation",
                "kid": ppk.kid,
                "reason": "masa jabatan berakhir",
                "effective": "2024-10-01",
            }
            await sequencer.register(admin.sign_statement(revocation, "op", NOW_S))
            await follower.refresh()
            revoked = await follower.enrolled(ppk.kid)
            assert revoked is not None
            assert revoked.revocation_idx == 14
            assert await follower.checkpoint() == await sequencer.checkpoint()
        finally:
            await sequencer.close()
        # the sequencer is gone: the follower takes over within its polling interval
        try:
            await until(lambda: follower.is_sequencer, "the follower took over", timeout=5)
            other = CoseSigner(fixed_key("ppk-klaster-2"))
            more = await follower.register(
                admin.sign_statement(enrolment(other.public_key, "ppk"), "op", NOW_S)
            )
            assert more.index == 15
        finally:
            await follower.close()

    asyncio.run(scenario())


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
RESTARTS = 12


async def _bootstrapped(settings: Settings) -> tuple[RegistryService, CoseSigner]:
    """A sequencer with the admin and one PPK enrolled, and the template and election a pact
    cites; the PPK's signer."""
    keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    sequencer = await RegistryService.open(settings, keys)
    admin = keys.admin
    await sequencer.register(_admin_enrolment(admin))
    ppk = CoseSigner(fixed_key("ppk-restart"))
    await sequencer.register(admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S))
    for cited in cited_statements(admin, issued_at=NOW_S):
        await sequencer.register(cited)
    return sequencer, ppk


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_process_starts_while_the_sequencer_writes(
    make_database_url: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    # Issue 11: start-up read the leaves and the latest checkpoint in two reads, so a
    # batch committed between them made the starting process refuse to start.
    settings = _settings(make_database_url(backend), tmp_path / "d")

    async def scenario() -> None:
        sequencer, ppk = await _bootstrapped(settings)
        stop = asyncio.Event()

        async def write() -> None:
            n = 0
            while not stop.is_set():
                batch = [
                    ppk.sign_statement(pact(place=f"Kota {n}-{i}"), "ppk", NOW_S) for i in range(4)
                ]
                n += 1
                await asyncio.gather(*(sequencer.register(s) for s in batch))

        writer = asyncio.create_task(write())
        try:
            for _ in range(RESTARTS):
                size_before = sequencer.size
                restarted = await RegistryService.open(settings, sequencer.keys)
                try:
                    assert not restarted.is_sequencer
                    assert restarted.size >= size_before
                    assert restarted.state.size == restarted.size
                    latest = restarted.state.latest
                    assert latest is not None
                    assert restarted.state.tree.root(latest.size) == latest.root
                finally:
                    await restarted.close()
        finally:
            stop.set()
            await writer
            await sequencer.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_refresh_started_as_another_ends_does_not_extend_the_tree_twice(
    make_database_url: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    # test_cluster (postgres-table) once failed with "a snapshot from entry 10 for a tree
    # of 14": a caller that found the follower's read just ended started its own, and the
    # read queued behind the ended one started too; both read from entry 10.
    settings = _settings(make_database_url(backend), tmp_path / "d")

    async def scenario() -> None:
        sequencer, ppk = await _bootstrapped(settings)
        follower = await RegistryService.open(settings, sequencer.keys)
        original = follower.store.read_log
        first_read, later_reads = asyncio.Event(), asyncio.Event()
        reads: list[int] = []
        in_flight = [0, 0]  # now, most at once

        async def read_log(start: int = 0, **kwargs: int) -> LogSnapshot:
            reads.append(start)
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
            try:
                await (first_read if len(reads) == 1 else later_reads).wait()
                return await original(start, **kwargs)
            finally:
                in_flight[0] -= 1

        follower.store.read_log = read_log  # type: ignore[method-assign]
        late: list[asyncio.Task[None]] = []
        try:
            assert not follower.is_sequencer
            first = asyncio.ensure_future(follower.refresh())
            await asyncio.sleep(0)
            running = follower._refreshing
            assert running is not None
            # a caller whose turn comes after the read ends, before the queued read starts
            running.add_done_callback(
                lambda _: late.append(asyncio.ensure_future(follower.refresh()))
            )
            queued = asyncio.ensure_future(follower.refresh())  # waits for the next read
            await asyncio.sleep(0)
            first_read.set()
            await first
            await until(lambda: bool(late), "the late caller came")
            for _ in range(10):  # let every read started reach the database
                await asyncio.sleep(0)
            await sequencer.register(ppk.sign_statement(pact(place="Kota baru"), "ppk", NOW_S))
            later_reads.set()
            await asyncio.gather(queued, *late)
            await follower.refresh()
            assert follower.size == sequencer.size
            assert in_flight[1] == 1
        finally:
            first_read.set()
            later_reads.set()
            await follower.close()
            await sequencer.close()

    asyncio.run(scenario())


SEQUENCER_SCRIPT = """
import asyncio, sys
from registry.config import Settings
from registry.records.operator import open_keys
from registry.records.service import RegistryService

async def main():
    settings = Settings.from_env()
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    service = await RegistryService.open(settings, keys)
    print("sequencing" if service.is_sequencer else "following", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""
START_TIMEOUT_S = 60


def _start_process(settings: Settings) -> subprocess.Popen[str]:
    """A registry process on ``settings`` (as a worker of `registry serve` would be)."""
    env = {**os.environ, **settings_environment(settings)}
    return subprocess.Popen(
        [sys.executable, "-c", SEQUENCER_SCRIPT],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _kill(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=START_TIMEOUT_S)
    if process.stdout is not None:
        process.stdout.close()


@pytest.mark.postgres
def test_a_node_restarted_after_sigkill_hands_over_to_the_other_node(
    make_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    # Issue 11: a sequencer killed on PostgreSQL left its hand-off socket behind; once
    # restarted (now a follower, the other node sequencing) the process tried that dead
    # socket for every registration and answered 503 until the file was removed by hand.
    url = make_database_url("postgres")
    node_a, node_b = _settings(url, tmp_path / "a"), _settings(url, tmp_path / "b")
    keys = create_keys(node_a.data_dir, node_a.admin_passphrase, node_a.origin)
    node_b.data_dir.mkdir()
    for name in (ADMIN_KEY_FILE, LOG_KEY_FILE):  # one log, one key: each host holds a copy
        shutil.copy2(node_a.data_dir / name, node_b.data_dir / name)

    first = _start_process(node_a)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "sequencing"
    finally:
        _kill(first)
    assert handoff_socket(node_a) is not None
    assert handoff_socket(node_a).exists()  # type: ignore[union-attr]  # left behind

    async def scenario() -> None:
        other = await RegistryService.open(
            node_b, open_keys(node_b.data_dir, node_b.admin_passphrase, node_b.origin)
        )
        restarted = await RegistryService.open(node_a, keys)
        try:
            for _ in range(100):  # the advisory lock goes with the killed session
                if other.is_sequencer:
                    break
                await asyncio.sleep(0.1)
            assert other.is_sequencer
            assert not restarted.is_sequencer
            registered = await restarted.register(_admin_enrolment(keys.admin))
            assert registered.index == 0
            assert verify_receipt(registered.receipt, {keys.log.kid: keys.log.public_key}, None).ok
        finally:
            await restarted.close()
            await other.close()

    asyncio.run(scenario())
