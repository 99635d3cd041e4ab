"""`registry serve` as users run it: granian, several worker processes, one log.

Each worker builds the app and opens the log; one holds the sequencer lock,
the others verify signatures and hand statements over.  Fifty clients
register at once over real TCP connections (the kernel spreads them over the
workers): every one gets a receipt that verifies against a checkpoint the
service serves, no entry is lost or written twice, and every worker serves
every entry.

And what an operator meets first: a second server on a busy port or on the
same data folder refuses to start with one line, the links in QR codes and
certificates follow the port served, and the start says which registry it is.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from registry.documents.qr import read_qr_image
from registry.records.operator import open_keys
from registry.signing.cose import CoseSigner
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.receipt import verify_receipt
from registry.verify.trust import TrustedKeys
from tests.api.helpers import COSE, NOW_S, enrolment, pact
from tests.cli.servers import free_port, refused_start, registry_env, serving
from tests.factories import cited_statements, fixed_key

CLIENTS = 50
WORKERS = 2
ORIGIN = "test.example/serve"
PASSPHRASE = "uji-registry-serve"


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A `registry serve --workers 2` on ``database_url``; yields its URL and data directory."""
    data_dir = tmp_path / "data"
    env = registry_env(
        REGISTRY_DATABASE_URL=database_url,
        REGISTRY_DATA_DIR=str(data_dir),
        REGISTRY_ORIGIN=ORIGIN,
        REGISTRY_ADMIN_PASSPHRASE=PASSPHRASE,
    )
    with serving(
        "--workers", str(WORKERS), env=env, cwd=tmp_path, log=tmp_path / "serve.log"
    ) as server:
        yield server.url, data_dir


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
    enrolled += asyncio.run(post_all(cited_statements(operator.admin, issued_at=NOW_S)))
    assert [r.status_code for r in enrolled] == [201] * (CLIENTS + 2), [r.text for r in enrolled]
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


def _folders(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    return first, second


def _origin_served(url: str) -> str:
    """The origin a fresh connection to ``url`` is answered with."""
    with httpx.Client(base_url=url) as client:
        document = client.get("/.well-known/transparency-configuration").json()
    origin: str = document["origin"]
    return origin


def test_second_server_on_a_busy_port_refuses_with_one_line(tmp_path: Path) -> None:
    # Two operators' registries, each started from its own folder with the defaults
    # (registry.sqlite3 and registry-data/ there), the second on the first's port.
    first_dir, second_dir = _folders(tmp_path)
    first_env = registry_env(REGISTRY_ORIGIN="test.example/first", REGISTRY_ADMIN_PASSPHRASE="a")
    with serving("--workers", "1", env=first_env, cwd=first_dir, log=tmp_path / "a.log") as first:
        port = first.url.rsplit(":", 1)[1]
        line = refused_start(
            ["serve", "--port", port, "--workers", "1"],
            env=registry_env(REGISTRY_ORIGIN="test.example/second", REGISTRY_ADMIN_PASSPHRASE="b"),
            cwd=second_dir,
            log=tmp_path / "b.log",
        )
        assert f"port {port} on 127.0.0.1 is already in use" in line
        assert "--port" in line
        # nothing of the second registry was made, and only the first answers on the port
        assert not (second_dir / "registry-data").exists()
        assert not (second_dir / "registry.sqlite3").exists()
        assert {_origin_served(first.url) for _ in range(20)} == {"test.example/first"}


def test_second_server_on_the_same_data_folder_refuses_with_one_line(tmp_path: Path) -> None:
    # The second starts from another folder, on another port, and reaches the first's data
    # folder through a relative path and a symbolic link: the same folder all the same.
    first_dir, second_dir = _folders(tmp_path)
    env = registry_env(REGISTRY_ADMIN_PASSPHRASE=PASSPHRASE)
    with serving("--workers", "1", env=env, cwd=first_dir, log=tmp_path / "a.log") as first:
        (second_dir / "shared").symlink_to(first_dir / "registry-data")
        line = refused_start(
            ["serve", "--port", str(free_port()), "--workers", "1"],
            env={**env, "REGISTRY_DATA_DIR": "shared"},
            cwd=second_dir,
            log=tmp_path / "b.log",
        )
        assert f"is using the data folder {first_dir / 'registry-data'}" in line
        assert f"(pid {first.process.pid})" in line
        assert "REGISTRY_DATA_DIR" in line
        assert not (second_dir / "registry.sqlite3").exists()
        assert httpx.get(f"{first.url}/health").status_code == 200


def test_qr_codes_and_certificates_link_to_the_port_served(tmp_path: Path) -> None:
    env = registry_env(
        REGISTRY_DATA_DIR=str(tmp_path / "data"),
        REGISTRY_DATABASE_URL=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        REGISTRY_ORIGIN=ORIGIN,
        REGISTRY_ADMIN_PASSPHRASE=PASSPHRASE,
    )
    with serving("--workers", "1", env=env, cwd=tmp_path, log=tmp_path / "serve.log") as server:
        operator = open_keys(tmp_path / "data", PASSPHRASE, ORIGIN)
        signer = CoseSigner(fixed_key("ppk-port"))
        enrolled = operator.admin.sign_statement(enrolment(signer.public_key, "ppk"), "op", NOW_S)
        assert httpx.post(f"{server.url}/entries", content=enrolled, headers=COSE).is_success
        for cited in cited_statements(operator.admin, issued_at=NOW_S):
            assert httpx.post(f"{server.url}/entries", content=cited, headers=COSE).is_success
        registered = httpx.post(
            f"{server.url}/entries",
            content=signer.sign_statement(pact(), "ppk-port", NOW_S),
            headers=COSE,
        )
        assert registered.status_code == 201, registered.text
        index = int(registered.headers["x-registry-entry-index"])
        link = f"{server.url}/v/{index}#"

        qr = tmp_path / "qr.png"
        qr.write_bytes(httpx.get(f"{server.url}/entries/{index}/qr.png").content)
        (text,) = read_qr_image(qr)
        assert text.startswith(link), text
        certificate = httpx.get(f"{server.url}/entries/{index}/certificate.pdf")
        printed = PdfReader(io.BytesIO(certificate.content)).pages[0].extract_text()
        assert link in printed.replace("\n", ""), printed

        started = server.output()
        assert f"open {server.url}/ " in started
        assert f"origin (the name checkpoints and receipts are signed under): {ORIGIN}" in started
        assert f"database: {tmp_path / 'registry.sqlite3'}" in started
        assert f"operator keys: {tmp_path / 'data'}" in started
        assert "PUBLIC demo passphrase" not in started


def test_the_workers_count_a_clients_requests_together(tmp_path: Path) -> None:
    # Forty requests of one client on forty connections, spread by the kernel over both
    # workers: the rate lets five through in all, not five per worker.
    env = registry_env(
        REGISTRY_DATA_DIR=str(tmp_path / "data"),
        REGISTRY_DATABASE_URL=f"sqlite:///{tmp_path / 'registry.sqlite3'}",
        REGISTRY_ADMIN_PASSPHRASE=PASSPHRASE,
        REGISTRY_RATE_LIMITS="identity=5/3600",
    )
    with serving("--workers", str(WORKERS), env=env, cwd=tmp_path, log=tmp_path / "serve.log") as s:

        async def ask_all() -> list[httpx.Response]:
            async def one() -> httpx.Response:
                async with httpx.AsyncClient(base_url=s.url, timeout=30) as client:
                    return await client.get("/api/track-record", params={"nip": "1" * 18})

            return list(await asyncio.gather(*(one() for _ in range(40))))

        statuses = [r.status_code for r in asyncio.run(ask_all())]
    assert statuses.count(429) == 35, statuses
    assert (tmp_path / "data" / "rate-limits").stat().st_size > 2**21
