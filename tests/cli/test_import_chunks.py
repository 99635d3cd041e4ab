"""`registry import` in chunks: idempotent, resumable, row by row, and through a running server."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update

from registry.cli import import_state, main
from registry.cli.import_http import ServerTarget
from registry.cli.import_run import LocalTarget
from registry.cli.import_state import state_path
from registry.cli.imports import import_command, sign_rows
from registry.config import Settings
from registry.records import import_chunks
from registry.records.bulk import validate_table
from registry.records.bulk_crypto import CryptoPool
from registry.records.import_chunks import SignedRow, prepared_rows, register_chunk, verify_chunk
from registry.records.operator import open_keys
from registry.records.salts import StableSalts
from registry.records.service import RegistryService
from registry.records.spreadsheet import read_table
from registry.signing.cose import CoseSigner
from registry.store.repository import Store
from registry.store.tables import ENTRIES
from tests.api.helpers import NOW_S, Registry
from tests.cli import test_imports
from tests.cli.servers import registry_env, serving, spawn, stop
from tests.cli.test_imports import (
    HEADER,
    csv_file,
    entry_types,
    log_size,
    recommendation_rows,
)
from tests.databases import backend_of, copy_database
from tests.records.test_tampering import edit

cli_env = test_imports.cli_env
registry = test_imports.registry
"""An initialised registry with a recommender and a PPK enrolled (the fixture of test_imports)."""


def contents(env: dict[str, str]) -> list[bytes]:
    """The signed-content hash of every entry, in log order."""

    async def read() -> list[bytes]:
        settings = Settings.from_env(env)
        keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        service = await RegistryService.open(settings, keys)
        try:
            return [r.content_sha256 or b"" for r in await service.entries(0, service.size)]
        finally:
            await service.close()

    return asyncio.run(read())


def run(env: dict[str, str], path: Path, *args: str) -> Any:
    key = path.parent / "kasn.key"
    command = [str(path), "--type", "recommendation", "--key", str(key), *args]
    return CliRunner().invoke(import_command, command, env=env)


def rows_file(tmp_path: Path, rows: list[list[str]] | None = None) -> Path:
    path = tmp_path / "rekomendasi.csv"
    path.write_bytes(csv_file([HEADER, *(rows or recommendation_rows())], sep=";"))
    return path


def test_importing_a_file_again_registers_nothing_new(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    path = rows_file(tmp_path)
    before = log_size(cli_env)
    first = run(cli_env, path, "--chunk-size", "2")
    assert first.exit_code == 0, first.output
    size = log_size(cli_env)
    assert size == before + 2 + 3  # an attestation per chunk (rows dated 2024), and the rows
    report = tmp_path / "again.csv"
    again = run(cli_env, path, "--chunk-size", "2", "--report", str(report))
    assert again.exit_code == 0, again.output
    assert "3 rows were already in the log" in again.output
    assert log_size(cli_env) == size
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert [line[3] for line in lines[1:]] == ["already in the log"] * 3
    assert not state_path(path).exists()


def test_a_chunk_whose_checks_end_last_is_still_logged_in_file_order(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks are prepared and checked against the log at once; the first chunk's check is
    # made the slowest, so without the chunks' turns the later ones would be logged first.
    path = rows_file(tmp_path)
    real = import_chunks._not_in_log
    calls: list[int] = []

    async def first_check_slowest(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(0.5)
        return await real(*args, **kwargs)

    monkeypatch.setattr(import_chunks, "_not_in_log", first_check_slowest)
    before = log_size(cli_env)
    report = tmp_path / "laporan.csv"
    done = run(cli_env, path, "--chunk-size", "1", "--report", str(report))
    assert done.exit_code == 0, done.output
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    # rows 2, 3, 4 of the file, each after its chunk's attestation, in the file's order
    assert [line[:3] for line in lines[1:]] == [
        ["2", "", str(before + 1)],
        ["3", "", str(before + 3)],
        ["4", "", str(before + 5)],
    ]
    assert entry_types(cli_env)[before:] == ["attestation", "recommendation"] * 3


def reported_entries(report: Path) -> list[list[str]]:
    """The report's row, column and entry of every line."""
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    return [line[:3] for line in lines[1:]]


def killed_at_the_second_chunk(
    env: dict[str, str], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Import ``path`` in chunks of one row, killed as the second chunk is written: nothing
    of it, nor after it, is in the log."""
    calls = []
    real = Store.append_batch

    async def killed(self: Store, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) >= 2:
            raise RuntimeError("killed")
        return await real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "append_batch", killed)
    assert run(env, path, "--chunk-size", "1").exit_code != 0
    monkeypatch.setattr(Store, "append_batch", real)


def backed_up(env: dict[str, str], make_database_url: Callable[[str], str]) -> str:
    """A copy of the registry's database, as an operator's backup."""
    url = env["REGISTRY_DATABASE_URL"]
    backup = make_database_url(backend_of(url))
    copy_database(url, backup)
    return backup


def restored(env: dict[str, str], backup: str) -> None:
    """The database put back from ``backup`` and accepted by the operator (`registry repin`)."""
    copy_database(backup, env["REGISTRY_DATABASE_URL"])
    repinned = CliRunner().invoke(main, ["repin", "--yes"], env=env)
    assert repinned.exit_code == 0, repinned.output


def first_row_imported_alone(env: dict[str, str], tmp_path: Path) -> Path:
    """A file of two rows whose first was imported by another file: the path of the two."""
    rows = recommendation_rows()[:2]
    first = tmp_path / "pertama.csv"
    first.write_bytes(csv_file([HEADER, rows[0]], sep=";"))
    assert run(env, first).exit_code == 0
    return rows_file(tmp_path, rows)


def killed_at_the_second_row(
    env: dict[str, str], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Import ``path`` (two rows) in chunks of one row, killed before the second is sent."""
    real = LocalTarget.register

    async def killed(self: LocalTarget, kind: Any, signed: Any, *more: Any) -> Any:
        if signed[0].row == 3:
            raise RuntimeError("killed")
        return await real(self, kind, signed, *more)

    monkeypatch.setattr(LocalTarget, "register", killed)
    assert run(env, path, "--chunk-size", "1").exit_code != 0
    monkeypatch.setattr(LocalTarget, "register", real)


def test_an_import_interrupted_before_a_chunk_resumes_there(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = rows_file(tmp_path)
    before = log_size(cli_env)
    killed_at_the_second_chunk(cli_env, path, monkeypatch)
    assert log_size(cli_env) == before + 2  # chunk 0 (its attestation and row), atomically
    assert state_path(path).exists()
    report = tmp_path / "laporan.csv"
    resumed = run(cli_env, path, "--chunk-size", "1", "--report", str(report))
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: 1 chunks were done by an earlier run" in resumed.output
    assert f"3 rows imported as entries {before + 1}..{before + 5}" in resumed.output
    types = entry_types(cli_env)
    assert types[before:] == ["attestation", "recommendation"] * 3
    found = contents(cli_env)
    assert len(set(found)) == len(found)  # no entry twice
    assert reported_entries(report) == [[str(2 + i), "", str(before + 2 * i + 1)] for i in range(3)]


def test_an_import_killed_after_a_chunk_committed_sends_it_again_as_existing(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = rows_file(tmp_path)
    real = import_state.ImportState.add

    def killed_before_recording_the_second(self: Any, chunk: int, line: Any) -> None:
        if chunk == 1:
            raise RuntimeError("killed")  # committed, but not recorded in the state file
        real(self, chunk, line)

    before = log_size(cli_env)
    monkeypatch.setattr(import_state.ImportState, "add", killed_before_recording_the_second)
    assert run(cli_env, path, "--chunk-size", "1").exit_code != 0
    monkeypatch.setattr(import_state.ImportState, "add", real)
    # chunks 0 and 1, each an attestation and a row; and chunk 2 if it was in flight then
    # (it is let end, and recorded)
    assert log_size(cli_env) in (before + 4, before + 6)
    resumed = run(cli_env, path, "--chunk-size", "1")
    assert resumed.exit_code == 0, resumed.output
    assert "1 rows were already in the log" in resumed.output
    assert log_size(cli_env) == before + 6  # chunk 1 not twice: only chunk 2 added
    found = contents(cli_env)
    assert len(set(found)) == len(found)


def test_an_import_resumed_on_a_database_restored_from_an_older_backup_imports_every_row(
    cli_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database_url: Callable[[str], str],
) -> None:
    # the state file says chunk 0 is done, but the database was put back to a copy taken
    # before the import (and the operator accepted it with `registry repin`): chunk 0's row
    # is not in the log, so skipping it would lose the row with the report calling it imported
    backup = backed_up(cli_env, make_database_url)
    path = rows_file(tmp_path)
    before = log_size(cli_env)
    killed_at_the_second_chunk(cli_env, path, monkeypatch)
    assert log_size(cli_env) == before + 2
    restored(cli_env, backup)
    assert log_size(cli_env) == before
    report = tmp_path / "laporan.csv"
    resumed = run(cli_env, path, "--chunk-size", "1", "--report", str(report))
    assert resumed.exit_code == 0, resumed.output
    assert f"no longer holds entry {before + 1}, which an earlier run" in resumed.output
    assert f"3 rows imported as entries {before + 1}..{before + 5}" in resumed.output
    assert entry_types(cli_env)[before:] == ["attestation", "recommendation"] * 3
    assert reported_entries(report) == [[str(2 + i), "", str(before + 2 * i + 1)] for i in range(3)]


def test_an_import_resumed_on_a_backup_older_than_the_rows_it_found_imports_them_again(
    cli_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_database_url: Callable[[str], str],
) -> None:
    # the first chunk's row was already in the log (another file had imported it), so that
    # run added nothing for it; the database is then put back to a copy taken before that
    # row: the resumed import must not skip the chunk and call its row "already there"
    backup = backed_up(cli_env, make_database_url)
    before = log_size(cli_env)
    path = first_row_imported_alone(cli_env, tmp_path)
    assert log_size(cli_env) == before + 2  # its attestation and the row
    killed_at_the_second_row(cli_env, path, monkeypatch)
    chunk = json.loads(state_path(path).read_text(encoding="utf-8").splitlines()[1])
    assert chunk["registered"] == [[2, before + 1, True]]
    assert chunk["newest"][0] == before + 1
    assert chunk["newest"][2] == "content"
    restored(cli_env, backup)
    assert log_size(cli_env) == before
    resumed = run(cli_env, path, "--chunk-size", "1")
    assert resumed.exit_code == 0, resumed.output
    assert f"no longer holds entry {before + 1}, which an earlier run" in resumed.output
    assert "2 rows imported as entries" in resumed.output
    assert "already in the log" not in resumed.output
    assert entry_types(cli_env)[before:] == ["attestation", "recommendation"] * 2


def test_a_resumed_import_whose_found_row_is_still_in_the_log_skips_its_chunk(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the other side of the check above: the entry found is still there, under another
    # statement than this import signed (the content check, not the statement's bytes)
    path = first_row_imported_alone(cli_env, tmp_path)
    size = log_size(cli_env)
    killed_at_the_second_row(cli_env, path, monkeypatch)
    resumed = run(cli_env, path, "--chunk-size", "1")
    assert resumed.exit_code == 0, resumed.output
    assert "no longer holds" not in resumed.output
    assert "resuming: 1 chunks were done by an earlier run" in resumed.output
    assert log_size(cli_env) == size + 2  # only the second row (and its attestation)


def test_a_state_file_naming_another_statement_as_its_newest_entry_starts_over(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the log holds an entry at the index the state file names, but not the statement this
    # import registered there (another log's state file, or another statement since): the
    # chunks it lists are sent again, and the rows the log does hold come back as existing
    path = rows_file(tmp_path)
    before = log_size(cli_env)
    killed_at_the_second_chunk(cli_env, path, monkeypatch)
    state = state_path(path)
    lines = state.read_text(encoding="utf-8").splitlines()
    chunk = json.loads(lines[1])
    assert chunk["newest"][0] == before + 1
    chunk["newest"][1] = hashlib.sha256(b"another statement").hexdigest()
    state.write_text("\n".join([lines[0], json.dumps(chunk)]) + "\n", encoding="utf-8")
    monkeypatch.setenv("LANG", "id_ID.UTF-8")
    resumed = run(cli_env, path, "--chunk-size", "1")
    assert resumed.exit_code == 0, resumed.output
    assert f"registri tidak lagi memuat entri {before + 1}" in resumed.output
    assert log_size(cli_env) == before + 6  # rows 3 and 4 added; row 2 found, not twice
    found = contents(cli_env)
    assert len(set(found)) == len(found)


def test_a_resumed_import_whose_newest_entry_was_edited_in_the_database_stops_saying_so(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the statement the state file names was edited straight in the database: the check reads
    # it through the registry's checked reads, which refuse it; the import stops with the
    # registry's message (not a traceback), sends nothing, and keeps its state file
    path = rows_file(tmp_path)
    before = log_size(cli_env)
    killed_at_the_second_chunk(cli_env, path, monkeypatch)
    settings = Settings.from_env(cli_env)
    edit(settings, update(ENTRIES).where(ENTRIES.c.idx == before + 1).values(statement=b"x"))
    resumed = run(cli_env, path, "--chunk-size", "1")
    assert resumed.exit_code != 0
    assert resumed.exception is None or isinstance(resumed.exception, SystemExit)
    assert f"copy of entry {before + 1} differs from what the log vouches for" in resumed.output
    assert state_path(path).exists()


def test_a_chunk_that_fails_while_the_next_is_in_flight_resumes_with_nothing_twice_or_lost(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chunks register several at once: chunk 1 fails (a lost connection) only after chunk 2,
    # in flight beside it, was registered; chunk 2 is recorded, and the resumed import
    # registers chunk 1 alone
    path = rows_file(tmp_path)
    real = LocalTarget.register
    later_done: list[asyncio.Event] = []

    async def failing_after_the_next(
        self: LocalTarget, kind: Any, rows: Any, ahead: Any, turn: Any = None
    ) -> Any:
        if not later_done:
            later_done.append(asyncio.Event())
        if rows[0].row == 3:  # chunk 1: handed over (its turn ends), then its answer is lost
            turn.done()
            await asyncio.wait_for(later_done[0].wait(), timeout=60)
            raise RuntimeError("connection lost")
        done = await real(self, kind, rows, ahead, turn)
        if rows[0].row == 4:  # chunk 2
            later_done[0].set()
        return done

    before = log_size(cli_env)
    monkeypatch.setattr(LocalTarget, "register", failing_after_the_next)
    failed = run(cli_env, path, "--chunk-size", "1")
    assert failed.exit_code != 0
    monkeypatch.setattr(LocalTarget, "register", real)
    assert log_size(cli_env) == before + 4  # chunks 0 and 2, each an attestation and a row
    report = tmp_path / "laporan.csv"
    resumed = run(cli_env, path, "--chunk-size", "1", "--report", str(report))
    assert resumed.exit_code == 0, resumed.output
    assert "resuming: 2 chunks were done by an earlier run" in resumed.output
    assert log_size(cli_env) == before + 6  # chunk 1 only
    found = contents(cli_env)
    assert len(set(found)) == len(found)  # no entry twice
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    # chunks 0 and 2 were in flight together: either may have been written first
    assert [line[:2] for line in lines[1:]] == [["2", ""], ["3", ""], ["4", ""]]
    entries = [int(line[2]) for line in lines[1:]]
    assert {entries[0], entries[2]} == {before + 1, before + 3}
    assert entries[1] == before + 5, "chunk 1 registered alone by the resumed import"
    assert [line[3] for line in lines[1:]] == ["imported"] * 3


def _one_row_refused(tmp_path: Path) -> Path:
    """Three rows, the second dated before the recommender's term (2024-01-01)."""
    rows = recommendation_rows()
    rows[1][8] = "2023-06-01"  # the registry refuses it
    return rows_file(tmp_path, rows)


def _reported_with_one_refused(output: str, report: Path, first: int, last: int) -> None:
    assert f"2 rows imported as entries {first}..{last}; 1 of 3 rows refused" in output
    lines = list(csv.reader(report.read_text(encoding="utf-8-sig").splitlines()))
    assert [line[:3] for line in lines[1:]] == [
        ["2", "", str(first)],
        ["3", "tanggal", ""],
        ["4", "", str(last)],
    ]
    assert "outside-term" in lines[2][3]


def test_a_row_the_registry_refuses_is_reported_and_the_others_in_its_chunk_stand(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    path = _one_row_refused(tmp_path)
    report = tmp_path / "laporan.csv"
    before = log_size(cli_env)
    result = run(cli_env, path, "--report", str(report))
    assert result.exit_code == 1
    # after the chunk's attestation
    _reported_with_one_refused(result.output, report, before + 1, before + 2)
    assert entry_types(cli_env)[before:] == ["attestation", "recommendation", "recommendation"]


@pytest.mark.parametrize("layout", ["apart", "worker"])
def test_a_server_imports_in_chunks_while_it_answers_reads(
    cli_env: dict[str, str], tmp_path: Path, layout: str
) -> None:
    # every chunk reaches a worker that does not sequence (apart) or either worker, and is
    # handed to the sequencer (registry/records/import_desk.py)
    path = rows_file(tmp_path)
    before = log_size(cli_env)
    env = _served_env(cli_env, REGISTRY_SEQUENCER=layout)
    with serving("--workers", "2", env=env, cwd=tmp_path, log=tmp_path / "serve.log") as server:
        command = [
            "import",
            str(path),
            "--type",
            "recommendation",
            "--key",
            str(tmp_path / "kasn.key"),
            "--server",
            server.url,
            "--chunk-size",
            "1",
        ]
        importing = spawn(command, env=env, cwd=tmp_path, log=tmp_path / "import.log")
        reads = []
        try:
            while importing.poll() is None:
                reads.append(httpx.get(f"{server.url}/checkpoint", timeout=30).status_code)
                time.sleep(0.05)
        finally:
            stop(importing)
        output = (tmp_path / "import.log").read_text()
        assert importing.returncode == 0, output
        assert "3 rows imported as entries" in output
        assert reads
        assert set(reads) == {200}
        health = httpx.get(f"{server.url}/health", timeout=30).json()
        assert health["size"] == before + 3  # (the server takes 2024 as recent: no attestation)
        again = spawn(command, env=env, cwd=tmp_path, log=tmp_path / "again.log")
        assert again.wait(timeout=120) == 0, (tmp_path / "again.log").read_text()
        assert "3 rows were already in the log" in (tmp_path / "again.log").read_text()
        assert httpx.get(f"{server.url}/health", timeout=30).json()["size"] == before + 3
        # what a resumed import asks first: does the log still hold the newest entry it added?
        newest = before + 2
        served = httpx.get(f"{server.url}/entries/{newest}/statement", timeout=30).content
        assert asyncio.run(_statement_at(server.url, newest)) == served
        assert asyncio.run(_statement_at(server.url, before + 3)) is None


def _served_env(cli_env: dict[str, str], **variables: str) -> dict[str, str]:
    env = registry_env(**{k: v for k, v in cli_env.items() if k.startswith("REGISTRY_")})
    return {**env, "REGISTRY_PASSPHRASE": cli_env["REGISTRY_PASSPHRASE"], **variables}


def test_a_chunk_through_a_worker_that_does_not_sequence_sets_its_refused_row_aside(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    path = _one_row_refused(tmp_path)
    report = tmp_path / "laporan.csv"
    before = log_size(cli_env)
    env = _served_env(cli_env, REGISTRY_SEQUENCER="apart")
    with serving("--workers", "2", env=env, cwd=tmp_path, log=tmp_path / "serve.log") as server:
        command = ["import", str(path), "--type", "recommendation", "--key"]
        command += [str(tmp_path / "kasn.key"), "--server", server.url, "--report", str(report)]
        importing = spawn(command, env=env, cwd=tmp_path, log=tmp_path / "import.log")
        try:
            code = importing.wait(timeout=120)
        finally:
            stop(importing)
        output = (tmp_path / "import.log").read_text()
        assert code == 1, output
        # (recent to the server: no attestation)
        _reported_with_one_refused(output, report, before, before + 1)
        assert httpx.get(f"{server.url}/health", timeout=30).json()["size"] == before + 2
    assert entry_types(cli_env)[before:] == ["recommendation", "recommendation"]


async def _statement_at(url: str, index: int) -> bytes | None:
    target = ServerTarget(url, CoseSigner(Ed25519PrivateKey.generate()))
    try:
        return await target.statement_at(index)
    finally:
        await target.close()


def test_a_server_refuses_an_import_signed_by_a_key_of_the_wrong_role(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    path = rows_file(tmp_path)
    before = log_size(cli_env)
    env = registry_env(**{k: v for k, v in cli_env.items() if k.startswith("REGISTRY_")})
    with serving("--workers", "1", env=env, cwd=tmp_path, log=tmp_path / "serve.log") as server:
        command = [str(path), "--type", "recommendation", "--key", str(tmp_path / "ppk.key")]
        result = CliRunner().invoke(import_command, [*command, "--server", server.url], env=env)
        assert result.exit_code == 1
        assert "the registry refused the import (HTTP 403)" in result.output
        assert httpx.get(f"{server.url}/health", timeout=30).json()["size"] == before


def test_the_import_api_refuses_an_unsigned_request_and_a_body_that_is_not_the_signed_one(
    settings: Settings,
) -> None:
    from litestar.testing import TestClient

    from registry.api.app import create_app
    from registry.compliance.access import sign_request
    from registry.records import import_wire
    from registry.records.operator import create_keys
    from tests.api.helpers import Registry

    operator = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    with TestClient(create_app(settings, operator)) as client:
        registry = Registry.bootstrapped(client, operator)
        term = {"term_start": "2024-01-01", "term_end": "2099-12-31"}
        registry.enrol("kasn", role="recommender", instansi="KemenPAN-RB/BKN", nip=None, **term)
        body = import_wire.dumps({"type": "follow-up", "header": ["rekomendasi"], "rows": []})
        path = f"/api/imports/prepare/{hashlib.sha256(body).hexdigest()}"
        unsigned = client.post(path, content=body)
        assert unsigned.status_code == 401
        signed = {"Authorization": sign_request(registry.signer("kasn"), "POST", path)}
        other = client.post(path, content=body + b"\x00", headers=signed)
        assert other.status_code == 400
        assert other.json()["type"].endswith("bad-import-body")
        wrong_role = client.post(path, content=body, headers=signed)  # kasn signs no follow-ups
        assert wrong_role.status_code == 403, wrong_role.json()


def _signed_chunk(registry: Registry, salts: StableSalts) -> list[SignedRow]:
    """The rows of ``recommendation_rows`` checked and signed by the recommender, as a chunk."""
    data = csv_file([HEADER, *recommendation_rows()])
    validated = validate_table(
        read_table("r.csv", data, "recommendation"),
        "recommendation",
        enrolled=registry.client.blocking_portal.call(registry.service.directory.all),
        nips=test_imports.nips_of(registry),
        salts=salts,
    )
    statements = sign_rows(validated.rows, registry.signer("kasn"), "kasn", issued_at=NOW_S)
    return [
        SignedRow(row, statement, nip, name)
        for (row, _, _, nip, name), statement in zip(
            prepared_rows(validated), statements, strict=True
        )
    ]


def _no_attestation(statements: Sequence[bytes]) -> list[bytes]:
    raise AssertionError("rows signed now need no attestation")


def _verified_ahead_then_registered(registry: Registry, meanwhile: Any = None) -> Any:
    """The chunk verified (verify_chunk), ``meanwhile`` run, then the chunk registered with
    those verdicts (register_chunk's ``ahead``); its outcome."""
    salts = StableSalts(b"k" * 32)
    rows = _signed_chunk(registry, salts)
    pool = CryptoPool(workers=0)

    async def work(service: RegistryService) -> Any:
        ahead = await verify_chunk(service, pool, rows)
        assert ahead[1] == {}  # every statement verified with the key enrolled then
        if meanwhile is not None:
            await meanwhile(service)
        return await register_chunk(service, rows, salts, pool, _no_attestation, ahead)

    return test_imports.on_app(registry, work)


def test_a_chunk_verified_ahead_registers_as_one_verified_when_registered(
    registry: Registry,
) -> None:
    # the local import verifies a chunk while the one before it registers (verify_chunk),
    # and hands the verdicts to register_chunk: the same entries as verifying there
    done = _verified_ahead_then_registered(registry)
    assert [(row, r.index, r.existed) for row, r in done.registered] == [
        (2, 4, False),
        (3, 5, False),
        (4, 6, False),
    ]
    assert done.refused == []
    assert done.identities == 3


def test_a_key_revoked_after_its_chunk_was_verified_ahead_refuses_every_row(
    registry: Registry,
) -> None:
    # verified ahead with the recommender's key, which is revoked before the chunk is
    # registered: the registrar checks the key in force when it admits, so nothing stands
    kid = registry.signer("kasn").kid
    revocation = {
        "type": "key-revocation",
        "kid": kid,
        "reason": "diganti",
        "effective": "2024-01-01",
    }
    before = registry.client.get("/health").json()["size"]

    async def revoke(service: RegistryService) -> None:
        await service.register(registry.operator.admin.sign_statement(revocation, "op", NOW_S))

    done = _verified_ahead_then_registered(registry, revoke)
    assert done.registered == []
    assert [(row, r.code) for row, r in done.refused] == [
        (2, "revoked-key"),
        (3, "revoked-key"),
        (4, "revoked-key"),
    ]
    assert done.identities == 0
    assert registry.client.get("/health").json()["size"] == before + 1  # the revocation alone
