"""`registry serve` as users run it: granian, several worker processes, one log.

Each worker builds the app and opens the log; one holds the sequencer lock,
the others verify signatures and hand statements over.  Fifty clients
register at once over real TCP connections (the kernel spreads them over the
workers): every one gets a receipt that verifies against a checkpoint the
service serves, no entry is lost or written twice, and every worker serves
every entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from registry.records.operator import open_keys
from registry.signing.cose import CoseSigner
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.receipt import verify_receipt
from registry.verify.trust import TrustedKeys
from tests.api.helpers import COSE, NOW_S, enrolment, pact
from tests.factories import fixed_key

CLIENTS = 50
WORKERS = 2
START_TIMEOUT_S = 60.0
ORIGIN = "test.example/serve"
PASSPHRASE = "uji-registry-serve"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for a server started next)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A `registry serve --workers 2` on ``database_url``; yields its URL and data directory."""
    port = free_port()
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_DATA_DIR": str(data_dir),
        "REGISTRY_ORIGIN": ORIGIN,
        "REGISTRY_ADMIN_PASSPHRASE": PASSPHRASE,
    }
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from registry.cli import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "registry serve did not start"
            time.sleep(0.2)
        yield url, data_dir
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_fifty_clients_register_through_every_worker(served: tuple[str, Path]) -> None:
    url, data_dir = served
    operator = open_keys(data_dir, PASSPHRASE, ORIGIN)
    signers = [CoseSigner(fixed_key(f"ppk-serve-{n}")) for n in range(CLIENTS)]
    enrolments = [
        operator.admin.sign_statement(
            enrolment(s.public_key, "ppk", instansi=f"Pemerintah Kabupaten {n}"), "op", NOW_S
        )
        for n, s in enumerate(signers)
    ]
    pacts = [
        s.sign_statement(pact(instansi=f"Pemerintah Kabupaten {n}"), f"ppk-{n}", NOW_S)
        for n, s in enumerate(signers)
    ]

    async def post_all(statements: list[bytes]) -> list[httpx.Response]:
        # a connection each, as fifty separate clients would open
        async def one(statement: bytes) -> httpx.Response:
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                return await client.post("/entries", content=statement, headers=COSE)

        return list(await asyncio.gather(*(one(s) for s in statements)))

    enrolled = asyncio.run(post_all(enrolments))
    assert [r.status_code for r in enrolled] == [201] * CLIENTS, [r.text for r in enrolled]
    size_before = max(int(r.headers["x-registry-entry-index"]) for r in enrolled) + 1
    responses = asyncio.run(post_all(pacts))
    assert [r.status_code for r in responses] == [201] * CLIENTS, [r.text for r in responses]
    indexes = sorted(int(r.headers["x-registry-entry-index"]) for r in responses)
    assert indexes == list(range(size_before, size_before + CLIENTS))

    trusted = TrustedKeys.build(
        configurations=[httpx.get(f"{url}/.well-known/transparency-configuration").content]
    )
    expected = max(indexes) + 1
    deadline = time.monotonic() + 10
    while True:  # a follower worker serves the checkpoint it has caught up to
        latest = verify_checkpoint(httpx.get(f"{url}/checkpoint").text, trusted.log_keys).unwrap()
        if latest.size >= expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert latest.size == expected
    for statement, response in zip(pacts, responses, strict=True):
        info = verify_receipt(response.content, trusted.by_kid, statement).unwrap()
        assert info.tree_size <= latest.size
    # every worker serves every entry: fresh connections land on either
    for index in indexes:
        with httpx.Client(base_url=url) as client:
            assert client.get(f"/entries/{index}").status_code == 200
    # identical bytes again: the existing entry, from whichever worker answers
    again = asyncio.run(post_all(pacts[:10]))
    assert [r.status_code for r in again] == [200] * 10
    assert [r.headers["x-registry-entry-index"] for r in again] == [
        r.headers["x-registry-entry-index"] for r in responses[:10]
    ]
