"""Crashes under load: `registry serve` killed with SIGKILL while clients register.

Real processes on real TCP.  Clients register new statements concurrently,
each resent until it is acknowledged (as a client honouring ``Retry-After``
does), while the service is killed with SIGKILL and restarted, several times:
on SQLite the whole server, then one granian worker at a time (issue 11: a
respawned worker failed to start while the sequencer wrote, and granian's
crash-loop guard took the server down); on PostgreSQL two nodes (two
`registry serve`, each with its own data directory as on two hosts), killed
alternately, always the one sequencing; on both, the sequencing process apart
from the HTTP workers (``REGISTRY_SEQUENCER=apart``), then the worker that took
its place.  After each kill:

- every acknowledged entry (``201``, or ``200`` for a statement already in the
  log) is in the log exactly once, at the index it was acknowledged with, and
  is served with the same receipt;
- every checkpoint any node ever served, and the tree head of every receipt, is
  consistent with the new head (consistency proofs checked with ``registry.verify``);
- every node rejoins by itself: it registers again and catches up to the head.

Run by the plain ``python -m pytest`` (marked ``crash``; well under a minute
per backend).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from registry.config import Settings
from registry.log.tiles import TILE_WIDTH, EntryBundle, parse_entry_bundle
from registry.log.tree import MerkleTree
from registry.records.handoff import handoff_socket
from registry.records.operator import ADMIN_KEY_FILE, LOG_KEY_FILE, open_keys
from registry.signing.cose import CoseSigner
from registry.store.engine import sqlite_file
from registry.verify.checkpoint import (
    Checkpoint,
    verify_checkpoint,
    verify_checkpoint_consistency,
)
from registry.verify.leaf import ZERO_HASH, decode_leaf
from registry.verify.receipt import verify_receipt
from registry.verify.trust import TrustedKeys
from tests.api.helpers import COSE, NOW_S, enrolment, pact
from tests.cli.servers import free_port
from tests.factories import HISTORY_HOURS, cited_statements, fixed_key

pytestmark = pytest.mark.crash

WORKERS = 2
CLIENTS = 4
PER_CLIENT = 24
"""Statements each client registers in one round."""
KILL_AFTER = 24
"""Acknowledgements a round waits for before it kills."""
START_TIMEOUT_S = 60.0
ROUND_TIMEOUT_S = 60.0
LOADED = "log loaded:"
"""What a worker logs once it has loaded and checked the log (RegistryService.open)."""
ORIGIN = "test.example/crash"
PASSPHRASE = "uji-registry-crash"


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


@dataclass
class Node:
    """One `registry serve` (its own port and data directory), started and killed at will."""

    name: str
    env: dict[str, str]
    data_dir: Path
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The node's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the node and wait until it answers."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from registry.cli import main; main()",
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(WORKERS),
                ],
                env={**os.environ, **self.env, "REGISTRY_DATA_DIR": str(self.data_dir)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_for(self._answers, f"{self.name} to start")

    def _answers(self) -> bool:
        assert self.alive(), f"{self.name} exited:\n{self.log_tail()}"
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
        return False

    def alive(self) -> bool:
        """Whether the server's main process runs."""
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the server and all its workers at once (no shutdown of any kind)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=START_TIMEOUT_S)

    def stop(self) -> None:
        """Stop the server if it runs (SIGTERM, then SIGKILL if it lingers)."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def workers(self) -> list[int]:
        """The HTTP worker processes' ids (not the sequencing process apart, if any)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split() if int(pid) != self.apart()]

    def apart(self) -> int | None:
        """The sequencing process apart from the HTTP workers, as the last start named it."""
        named = re.findall(r"sequencer: process (\d+)", self.log_path.read_text(errors="replace"))
        return int(named[-1]) if named else None

    def holds_lock(self, lock_file: Path) -> int | None:
        """The process of this node holding the sequencer's lock file ``lock_file``, if any."""
        inode = lock_file.stat().st_ino
        mine = [*self.workers(), self.apart()]
        for line in Path("/proc/locks").read_text().splitlines():
            fields = line.split()
            held = len(fields) > 5 and fields[1] == "FLOCK" and fields[5].endswith(f":{inode}")
            if held and int(fields[4]) in mine:
                return int(fields[4])
        return None

    def sequences(self) -> bool:
        """Whether a worker of this node sequences: its hand-off socket accepts connections.

        The socket is where the node puts it: in the data folder, or in a short private
        folder when that path is too long for a Unix socket (a deep temporary folder)."""
        settings = Settings(database_url=self.env["REGISTRY_DATABASE_URL"], data_dir=self.data_dir)
        path = handoff_socket(settings)
        assert path is not None
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(str(path))
            except OSError:
                return False
            return True

    def sequencer_worker(self, lock_file: Path) -> int | None:
        """The worker holding the SQLite sequencer lock ``lock_file``, if any."""
        holder = self.holds_lock(lock_file)
        return holder if holder in self.workers() else None

    def loaded(self) -> int:
        """How many times a worker of this node loaded the log (it must still run)."""
        assert self.alive(), f"{self.name} exited:\n{self.log_tail()}"
        return self.log_path.read_text(errors="replace").count(LOADED)

    def log_tail(self) -> str:
        """The end of the node's output, for failure messages."""
        return self.log_path.read_text(errors="replace")[-4000:]


class Load:
    """Clients registering new statements through every node, and a reader of checkpoints."""

    def __init__(self, nodes: list[Node], signers: list[CoseSigner]) -> None:
        self.nodes = nodes
        self.signers = signers
        self.acked: dict[bytes, tuple[int, bytes]] = {}
        """Statement -> (index, receipt) as acknowledged."""
        self.served: set[str] = set()
        """Every checkpoint note a node served."""
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sent = 0
        self._reader = threading.Thread(target=self._read_checkpoints, daemon=True)
        self._reader.start()

    def round(
        self, per_client: int, until: threading.Event | None = None
    ) -> list[threading.Thread]:
        """Start a round: each client registers ``per_client`` new statements, or, with
        ``until``, new statements until it is set."""
        clients = []
        for n, signer in enumerate(self.signers):
            client = threading.Thread(
                target=self._register,
                args=(n, self._statements(n, signer, per_client, until)),
                daemon=True,
            )
            client.start()
            clients.append(client)
        return clients

    def _statements(
        self, n: int, signer: CoseSigner, count: int, until: threading.Event | None
    ) -> Iterator[bytes]:
        made = 0
        while (made < count) if until is None else not until.is_set():
            with self._lock:
                self._sent += 1
                place = f"Kota {self._sent}"
            made += 1
            office = {"instansi": f"Pemerintah Kabupaten {n}"}  # its enrolment's (policy)
            yield signer.sign_statement(pact(place=place, **office), f"ppk-{n}", NOW_S)

    def acknowledged(self) -> int:
        """How many statements were acknowledged so far."""
        with self._lock:
            return len(self.acked)

    def close(self) -> None:
        """Stop reading checkpoints."""
        self._stop.set()
        self._reader.join(timeout=10)

    def _register(self, n: int, statements: Iterator[bytes]) -> None:
        with httpx.Client(timeout=10) as http:
            for statement in statements:
                deadline = time.monotonic() + ROUND_TIMEOUT_S
                attempt = n
                while not self._stop.is_set():
                    if time.monotonic() > deadline:
                        self._problem(f"client {n}: a statement was never acknowledged")
                        return
                    node = self.nodes[attempt % len(self.nodes)]
                    attempt += 1
                    try:
                        response = http.post(f"{node.url}/entries", content=statement, headers=COSE)
                    except httpx.HTTPError:
                        self._stop.wait(0.05)  # the node is down: another, or this one later
                        continue
                    if response.status_code in (200, 201):
                        self._ack(statement, response)
                        break
                    if response.status_code in (502, 503, 504):
                        self._stop.wait(0.05)  # Retry-After, shortened
                        continue
                    self._problem(f"{node.name}: {response.status_code} {response.text}")
                    return

    def _ack(self, statement: bytes, response: httpx.Response) -> None:
        acked = (int(response.headers["x-registry-entry-index"]), response.content)
        with self._lock:
            before = self.acked.setdefault(statement, acked)
        if before != acked:
            self._problem(f"acknowledged twice differently: entry {before[0]}, then {acked[0]}")

    def _read_checkpoints(self) -> None:
        with httpx.Client(timeout=2) as http:
            while not self._stop.wait(0.02):
                for node in self.nodes:
                    with contextlib.suppress(httpx.HTTPError):
                        response = http.get(f"{node.url}/checkpoint")
                        if response.status_code == 200:
                            with self._lock:
                                self.served.add(response.text)

    def _problem(self, text: str) -> None:
        with self._lock:
            self.problems.append(text)


def _finish(clients: list[threading.Thread], load: Load) -> None:
    for client in clients:
        client.join(timeout=ROUND_TIMEOUT_S + 10)
        assert not client.is_alive(), "a client is still registering"
    assert not load.problems, load.problems


def _head(nodes: list[Node], trusted: TrustedKeys, at_least: int = 0) -> tuple[Checkpoint, Node]:
    """A checkpoint of at least ``at_least`` entries, and a node serving it.

    A follower worker serves the checkpoint it has read (at most a moment
    behind), so a node is asked again until one of its workers is there.
    """
    found: list[tuple[Checkpoint, Node]] = []

    def served() -> bool:
        for node in nodes:
            note = httpx.get(f"{node.url}/checkpoint", timeout=10).text
            checkpoint = verify_checkpoint(note, trusted.log_keys, origin=ORIGIN).unwrap()
            if checkpoint.size >= at_least:
                found.append((checkpoint, node))
                return True
        return False

    _wait_for(served, f"a checkpoint of {at_least} entries")
    return found[0]


def _get(http: httpx.Client, path: str) -> httpx.Response:
    """GET ``path``, asked again while a worker that has not caught up answers 404."""
    responses: list[httpx.Response] = []

    def found() -> bool:
        responses.append(http.get(path))
        return responses[-1].status_code != 404

    _wait_for(found, f"{path} to be served")
    assert responses[-1].status_code == 200, responses[-1].text
    return responses[-1]


def _check(nodes: list[Node], load: Load, trusted: TrustedKeys) -> None:
    """The promises after a restart (see the module docstring)."""
    acknowledged = max(index for index, _ in load.acked.values()) + 1
    # every node rejoins: it catches up to every acknowledged entry...
    for node in nodes:
        _head([node], trusted, acknowledged)
    head, full = _head(nodes, trusted, acknowledged)
    # ...and the leaves it serves hash to the head's root, chained, each statement once
    tree = MerkleTree()
    where: dict[bytes, int] = {}
    previous = ZERO_HASH
    with httpx.Client(base_url=full.url, timeout=10) as http:
        for start in range(0, head.size, TILE_WIDTH):
            bundle = EntryBundle(start // TILE_WIDTH, min(TILE_WIDTH, head.size - start))
            for leaf_bytes in parse_entry_bundle(_get(http, f"/{bundle.path}").content):
                leaf = decode_leaf(leaf_bytes).unwrap()
                assert leaf.index == tree.size
                assert leaf.prev_leaf_hash == previous
                assert leaf.statement_sha256 not in where, f"entry {leaf.index} twice in the log"
                where[leaf.statement_sha256] = leaf.index
                previous = leaf.leaf_hash()
                tree.append(previous)
        assert tree.root(head.size) == head.root
        # every acknowledged entry: once, at its index, with the same receipt
        for statement, (index, receipt) in load.acked.items():
            assert index < head.size
            assert where.get(hashlib.sha256(statement).digest()) == index
            assert http.get(f"/entries/{index}").content == receipt
            info = verify_receipt(receipt, trusted.by_kid, statement).unwrap()
            assert info.index == index
            assert tree.root(info.tree_size) == info.root  # its tree head is a prefix of the head
        # every checkpoint ever served is consistent with the head
        for note in sorted(load.served):
            old = verify_checkpoint(note, trusted.log_keys, origin=ORIGIN).unwrap()
            if old.size == head.size:
                assert old.root == head.root, "two roots signed for one size"
                continue
            assert old.size < head.size, f"a checkpoint of {old.size} was served, now {head.size}"
            proof = _get(http, f"/proofs/consistency?old={old.size}&new={head.size}").json()
            path = [_b64url(p) for p in proof["path"]]
            verify_checkpoint_consistency(old, head, path).raise_for_failure()
    # every node registers again (a node left knocking at a dead socket would answer 503)
    for node in nodes:
        fresh = load.signers[0].sign_statement(
            pact(place=f"{node.name} {head.size}", instansi="Pemerintah Kabupaten 0"), "x", NOW_S
        )
        _wait_for(
            lambda node=node, fresh=fresh: _registers(node, fresh),  # type: ignore[misc]
            f"{node.name} to register again",
        )


def _registers(node: Node, statement: bytes) -> bool:
    response = httpx.post(f"{node.url}/entries", content=statement, headers=COSE, timeout=10)
    assert response.status_code in (201, 503), response.text
    return response.status_code == 201


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _enrol(nodes: list[Node], data_dir: Path) -> tuple[list[CoseSigner], TrustedKeys]:
    """Enrol one PPK per client through the first node, and register the template and election
    their pacts cite; the signers and the trusted keys."""
    operator = open_keys(data_dir, PASSPHRASE, ORIGIN)
    signers = [CoseSigner(fixed_key(f"ppk-crash-{n}")) for n in range(CLIENTS)]
    statements = [
        operator.admin.sign_statement(
            enrolment(signer.public_key, "ppk", instansi=f"Pemerintah Kabupaten {n}"), "op", NOW_S
        )
        for n, signer in enumerate(signers)
    ]
    for statement in [*statements, *cited_statements(operator.admin, issued_at=NOW_S)]:
        response = httpx.post(f"{nodes[0].url}/entries", content=statement, headers=COSE)
        assert response.status_code == 201, response.text
    configuration = httpx.get(f"{nodes[0].url}/.well-known/transparency-configuration")
    return signers, TrustedKeys.build(configurations=[configuration.content])


@contextlib.contextmanager
def _running(nodes: list[Node]) -> Iterator[None]:
    try:
        for node in nodes:
            node.start()
        yield
    finally:
        for node in nodes:
            node.stop()


def _kill_under_load(
    load: Load, kill: Callable[[], None], until: threading.Event | None = None
) -> list[threading.Thread]:
    """Start a round, and ``kill`` once it has had some acknowledgements."""
    before = load.acknowledged()
    clients = load.round(PER_CLIENT, until)
    _wait_for(lambda: load.acknowledged() >= before + KILL_AFTER, "registrations to flow")
    kill()
    return clients


def _environment(database_url: str, sequencer: str = "apart") -> dict[str, str]:
    return {
        "REGISTRY_SEQUENCER": sequencer,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_ORIGIN": ORIGIN,
        "REGISTRY_ADMIN_PASSPHRASE": PASSPHRASE,
        "REGISTRY_MAX_STATEMENT_AGE_HOURS": str(HISTORY_HOURS),  # it signs 2024-dated pacts
    }


def test_sqlite_survives_sigkill_of_the_server_and_of_its_workers(
    make_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    database_url = make_database_url("sqlite")
    database = sqlite_file(database_url)
    assert database is not None
    lock = database.with_name(database.name + "-sequencer.lock")
    # one of the workers sequences: killed, granian respawns it and another takes the lock
    environment = _environment(database_url, sequencer="worker")
    node = Node("sqlite", environment, tmp_path / "data", tmp_path / "serve.log")
    with _running([node]):
        signers, trusted = _enrol([node], node.data_dir)
        load = Load([node], signers)
        try:
            for _ in range(3):  # the whole server, at once
                clients = _kill_under_load(load, node.kill)
                node.start()
                _finish(clients, load)
                _check([node], load, trusted)
            # one worker: first a follower, then the sequencer (never the one just respawned,
            # which granian's crash-loop guard would count as failing to start); the load
            # goes on until the respawned worker has loaded the log (issue 11: while the
            # sequencer wrote, that failed, and the guard took the whole server down)
            for pick in ("follower", "sequencer"):
                workers = node.workers()
                assert len(workers) == WORKERS
                _wait_for(lambda: node.sequencer_worker(lock) is not None, "a worker to sequence")
                sequencer = node.sequencer_worker(lock)
                victim = (
                    sequencer if pick == "sequencer" else next(w for w in workers if w != sequencer)
                )
                assert victim is not None
                loaded = node.loaded()
                respawned = threading.Event()
                clients = _kill_under_load(
                    load, lambda v=victim: os.kill(v, signal.SIGKILL), until=respawned
                )
                _wait_for(
                    lambda before=loaded: node.loaded() > before,
                    "the respawned worker to load the log",
                )
                respawned.set()
                _finish(clients, load)
                assert node.alive(), node.log_tail()
                assert len(node.workers()) == WORKERS
                assert victim not in node.workers()
                _check([node], load, trusted)
            assert node.alive(), node.log_tail()
        finally:
            load.close()
    assert "crash loop" not in node.log_tail()


@pytest.mark.postgres
def test_two_postgres_nodes_survive_sigkill_of_the_sequencing_node(
    make_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    environment = _environment(make_database_url("postgres"))
    first = Node("node-a", environment, tmp_path / "a", tmp_path / "a.log")
    second = Node("node-b", environment, tmp_path / "b", tmp_path / "b.log")
    nodes = [first, second]
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(first.stop)
        first.start()  # it makes the operator's keys; the other host gets a copy
        second.data_dir.mkdir()
        for name in (ADMIN_KEY_FILE, LOG_KEY_FILE):
            shutil.copy2(first.data_dir / name, second.data_dir / name)
        cleanup.callback(second.stop)
        second.start()
        signers, trusted = _enrol(nodes, first.data_dir)
        load = Load(nodes, signers)
        cleanup.callback(load.close)
        killed: list[str] = []
        for _ in range(3):  # the node that sequences; the other takes over, so they alternate
            _wait_for(lambda: any(node.sequences() for node in nodes), "a node to sequence")
            victim = next(node for node in nodes if node.sequences())
            killed.append(victim.name)
            clients = _kill_under_load(load, victim.kill)
            victim.start()
            _finish(clients, load)
            _check(nodes, load, trusted)
        assert set(killed) == {first.name, second.name}


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_sequencing_process_apart_killed_under_load_loses_and_doubles_nothing(
    make_database_url: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    database_url = make_database_url(backend)
    node = Node(backend, _environment(database_url), tmp_path / "data", tmp_path / "serve.log")
    with _running([node]):
        signers, trusted = _enrol([node], node.data_dir)
        load = Load([node], signers)
        try:
            apart = node.apart()
            assert apart is not None, node.log_tail()
            assert apart not in node.workers()
            assert len(node.workers()) == WORKERS
            assert node.sequences()  # the socket is the apart process's: no worker holds it
            clients = _kill_under_load(load, lambda: os.kill(apart, signal.SIGKILL))
            _finish(clients, load)
            _check([node], load, trusted)
            # a worker took its place: it sequences beside its HTTP, and is killed in turn
            assert node.alive(), node.log_tail()
            assert node.sequences()
            loaded = node.loaded()
            clients = _kill_under_load(load, lambda: _kill_sequencing_worker(node, backend))
            _wait_for(lambda: node.loaded() > loaded, "the respawned worker to load the log")
            _finish(clients, load)
            _check([node], load, trusted)
            assert len(node.workers()) == WORKERS
        finally:
            load.close()
    assert "crash loop" not in node.log_tail()


def _kill_sequencing_worker(node: Node, backend: str) -> None:
    """SIGKILL the worker that sequences now (on PostgreSQL the one serving the socket)."""
    settings = Settings(database_url=node.env["REGISTRY_DATABASE_URL"], data_dir=node.data_dir)
    path = handoff_socket(settings)
    assert path is not None
    lock = path.with_name(path.name + ".lock")  # held by the process that serves the socket
    holder = node.holds_lock(lock)
    assert holder is not None
    assert holder in node.workers()
    os.kill(holder, signal.SIGKILL)
