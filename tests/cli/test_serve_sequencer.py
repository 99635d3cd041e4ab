"""Where `registry serve` sequences the log: a process apart that serves no HTTP, or a worker.

With ``REGISTRY_SEQUENCER=apart`` the server starts a sequencing
process before its HTTP workers: it holds the sequencer's hand-off socket (and
so its lock) and not the port, and every worker is a follower that hands
statements to it.  With ``worker`` (the default) one of the workers sequences, as before.
A bulk import chunk reaching any worker is handed to the sequencer
(``test_import_chunks.py``); the sequencing process killed under load is in
``test_crash.py``.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.config import Settings
from registry.records.handoff import handoff_socket
from registry.records.operator import open_keys
from registry.signing.cose import CoseSigner
from tests.api.helpers import COSE, NOW_S, enrolment
from tests.cli.servers import Served, registry_env, serving
from tests.factories import fixed_key

WORKERS = 2
ORIGIN = "test.example/sequencer"
PASSPHRASE = "uji-registry-sekuenser"


def _served(layout: str, database_url: str, tmp_path: Path) -> Iterator[tuple[Served, Settings]]:
    data_dir = tmp_path / "data"
    env = registry_env(
        REGISTRY_DATABASE_URL=database_url,
        REGISTRY_DATA_DIR=str(data_dir),
        REGISTRY_ORIGIN=ORIGIN,
        REGISTRY_ADMIN_PASSPHRASE=PASSPHRASE,
        REGISTRY_SEQUENCER=layout,
    )
    settings = Settings(database_url=database_url, data_dir=data_dir)
    with serving(
        "--workers", str(WORKERS), env=env, cwd=tmp_path, log=tmp_path / "serve.log"
    ) as server:
        yield server, settings


@pytest.fixture
def apart(database_url: str, tmp_path: Path) -> Iterator[tuple[Served, Settings]]:
    """`registry serve --workers 2`, sequencing apart."""
    yield from _served("apart", database_url, tmp_path)


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _flock_holders(path: Path) -> set[int]:
    """The processes holding an ``flock`` on ``path``."""
    inode = path.stat().st_ino
    holders = set()
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if len(fields) > 5 and fields[1] == "FLOCK" and fields[5].endswith(f":{inode}"):
            holders.add(int(fields[4]))
    return holders


def _listening_inode(port: int) -> str:
    """The inode of the TCP socket listening on ``port`` (IPv4, any address)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":  # 0A: LISTEN
            return fields[9]
    raise AssertionError(f"nothing listens on port {port}")


def _sockets(pid: int) -> set[str]:
    """The inodes of the sockets process ``pid`` holds open."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            found.add(target[len("socket:[") : -1])
    return found


def _register_one(url: str, data_dir: Path) -> httpx.Response:
    operator = open_keys(data_dir, PASSPHRASE, ORIGIN)
    ppk = CoseSigner(fixed_key("ppk-sekuenser"))
    statement = operator.admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
    return httpx.post(f"{url}/entries", content=statement, headers=COSE, timeout=30)


def test_the_sequencer_runs_apart_serves_no_http_and_every_worker_follows(
    apart: tuple[Served, Settings],
) -> None:
    server, settings = apart
    named = re.findall(r"sequencer: process (\d+)", server.output())
    assert len(named) == 1, server.output()
    sequencer = int(named[0])
    children = _children(server.process.pid)
    workers = [c for c in children if c != sequencer]
    assert sequencer in children
    assert len(workers) == WORKERS
    socket = handoff_socket(settings)
    assert socket is not None
    # it holds the hand-off socket's lock (it serves the socket): no worker sequences
    assert _flock_holders(socket.with_name(socket.name + ".lock")) == {sequencer}
    # and not the port: the HTTP is the workers'
    port = int(server.url.rsplit(":", 1)[1])
    listening = _listening_inode(port)
    assert listening not in _sockets(sequencer)
    assert any(listening in _sockets(w) for w in workers)
    # a registration reaching a worker is handed over and answered with its receipt
    response = _register_one(server.url, settings.data_dir)
    assert response.status_code == 201, response.text
    index = int(response.headers["x-registry-entry-index"])
    assert httpx.get(f"{server.url}/entries/{index}", timeout=30).content == response.content


def test_the_old_layout_is_kept_a_worker_sequences_beside_its_http(
    database_url: str, tmp_path: Path
) -> None:
    for server, settings in _served("worker", database_url, tmp_path):
        assert "sequencer: process" not in server.output()
        workers = _children(server.process.pid)
        assert len(workers) == WORKERS
        socket = handoff_socket(settings)
        assert socket is not None
        lock = socket.with_name(socket.name + ".lock")
        deadline = time.monotonic() + 30  # (the workers open the log side by side)
        while not (holders := _flock_holders(lock)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(holders) == 1
        assert holders <= set(workers)
        response = _register_one(server.url, settings.data_dir)
        assert response.status_code == 201, response.text


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, exited and not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_the_sequencer_apart_stops_when_the_server_that_started_it_is_killed(
    apart: tuple[Served, Settings],
) -> None:
    # `registry serve` killed outright (kill -9, the OOM killer): its sequencer must not
    # live on holding the lock, or the next start's workers would hand their statements to
    # an orphan that nothing supervises or stops.
    server, settings = apart
    sequencer = int(re.findall(r"sequencer: process (\d+)", server.output())[0])
    socket = handoff_socket(settings)
    assert socket is not None
    lock = socket.with_name(socket.name + ".lock")
    assert _flock_holders(lock) == {sequencer}
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    deadline = time.monotonic() + 60  # it looks for its parent every second
    while _running(sequencer) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(sequencer), "the sequencer outlived the server that started it"
    assert sequencer not in _flock_holders(lock), "and kept the lock"
