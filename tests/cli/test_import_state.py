"""The state file of a chunked import: resumed a line at a time, and a damaged one refused."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Sized
from pathlib import Path

import pytest
from click.testing import CliRunner

from registry.cli.import_state import (
    SHOWN_ERRORS,
    ImportState,
    NewestEntry,
    StateDamaged,
    error_data,
)
from registry.cli.imports import import_command
from registry.i18n import Message, render
from registry.records.bulk import RowError
from tests.cli import test_imports
from tests.cli.test_import_chunks import rows_file, run
from tests.cli.test_imports import log_size

cli_env = test_imports.cli_env
registry = test_imports.registry

DESCRIBE = {"version": 1, "file_sha256": "ab" * 32, "type": "recommendation", "now": 1}
REFUSED = Message("import.not-the-person", {})


def written(path: Path, chunks: int, rows: int, refused: int) -> Path:
    """A state file of ``chunks`` chunks, each of ``rows`` rows of which ``refused`` were."""
    state = ImportState(path, dict(DESCRIBE))
    state.open()
    for number in range(chunks):
        first = 2 + number * rows
        errors = [
            error_data(RowError.of(first + r, column, REFUSED))
            for r in range(refused)
            for column in ("nip", "nama")  # two errors of one row: one row refused
        ]
        registered = [[first + r, 10 + first + r, r % 2 == 0] for r in range(refused, rows)]
        state.add(
            number, {"rows": rows, "registered": registered, "identities": 1, "errors": errors}
        )
    state.close()
    return path


def resumed(path: Path) -> ImportState:
    state = ImportState(path, {**DESCRIBE, "now": 2})
    state.open()
    state.close()
    return state


def test_resuming_keeps_a_bit_per_chunk_and_counts_not_the_rows(tmp_path: Path) -> None:
    state = resumed(written(tmp_path / "f.import-state", chunks=400, rows=25, refused=5))
    assert state.resumed_from == 400
    assert all(n in state.done for n in range(400))
    assert 400 not in state.done
    assert (state.tally.rows, state.tally.refused) == (400 * 25, 400 * 5)
    assert state.tally.new + state.tally.existed == 400 * 20
    # what the state keeps: nothing per row, a bit per chunk, the first errors shown
    held = {
        f"{owner}.{name}": len(value)
        for owner, found in (("state", vars(state)), ("tally", vars(state.tally)))
        for name, value in found.items()
        if isinstance(value, Sized) and not isinstance(value, str | dict)
    }
    held |= {f"done.{k}": len(v) for k, v in vars(state.done).items() if isinstance(v, Sized)}
    assert held.pop("done.bits") <= 400 // 8 + 1
    assert held.pop("state.done") == 400  # its length, a count (not a container of 400)
    assert all(size <= SHOWN_ERRORS for size in held.values()), held


def test_resuming_reads_the_state_file_a_line_at_a_time(tmp_path: Path) -> None:
    path = written(tmp_path / "f.import-state", chunks=1500, rows=40, refused=2)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        state = ImportState(path, dict(DESCRIBE))
        state.open()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        state.close()
    assert state.resumed_from == 1500
    assert peak < size / 4, (peak, size)  # the whole file, read at once, is several times it


def test_a_torn_last_line_is_cut_off_and_its_chunk_sent_again(tmp_path: Path) -> None:
    path = written(tmp_path / "f.import-state", chunks=3, rows=2, refused=0)
    good = path.read_bytes()
    path.write_bytes(good + b'{"chunk": 3, "rows": 2, "regis')  # killed while writing it
    state = resumed(path)
    assert state.resumed_from == 3
    assert 3 not in state.done
    assert path.read_bytes() == good


def test_resuming_keeps_the_newest_entry_the_chunks_added(tmp_path: Path) -> None:
    path = written(tmp_path / "f.import-state", chunks=3, rows=2, refused=0)
    lines = path.read_bytes().splitlines(keepends=True)
    # chunks end out of order; the second found its newest row's entry in the log already
    for number, index, *what in ((1, 40), (2, 90, "content"), (3, 60)):
        chunk = json.loads(lines[number])
        chunk["newest"] = [index, f"{index:064x}", *what]
        lines[number] = json.dumps(chunk).encode() + b"\n"
    path.write_bytes(b"".join(lines))
    state = resumed(path)
    assert state.newest == NewestEntry(90, bytes.fromhex(f"{90:064x}"), of_content=True)
    state.start_over()
    assert (state.newest, len(state.done), state.tally.rows) == (None, 0, 0)
    assert path.read_bytes() == lines[0]  # the description kept: the same signing time
    state.close()


@pytest.mark.parametrize(
    ("mutation", "line"),
    [
        ("a_chunk_line_not_json", 3),
        ("a_chunk_line_without_its_number", 3),
        ("a_chunk_line_with_rows_not_a_number", 3),
        ("a_chunk_line_with_bad_errors", 3),
        ("a_chunk_line_with_a_newest_entry_not_a_hash", 3),
        ("a_chunk_line_with_a_negative_newest_entry", 3),
        ("a_chunk_line_with_a_newest_entry_of_unknown_kind", 3),
        ("a_chunk_line_with_a_newest_entry_not_a_list", 3),
        ("a_chunk_line_copied_twice", 6),
        ("the_description_not_json", 1),
    ],
)
def test_a_damaged_state_file_is_refused_and_left_as_it_is(
    tmp_path: Path, mutation: str, line: int
) -> None:
    path = written(tmp_path / "f.import-state", chunks=4, rows=2, refused=1)
    lines = path.read_bytes().splitlines(keepends=True)
    chunk = json.loads(lines[2])
    if mutation == "a_chunk_line_not_json":
        lines[2] = b'{"chunk": 1, "rows": 2, "regis\n'
    elif mutation == "a_chunk_line_without_its_number":
        lines[2] = json.dumps({k: v for k, v in chunk.items() if k != "chunk"}).encode() + b"\n"
    elif mutation == "a_chunk_line_with_rows_not_a_number":
        lines[2] = json.dumps({**chunk, "rows": "dua"}).encode() + b"\n"
    elif mutation == "a_chunk_line_with_bad_errors":
        lines[2] = json.dumps({**chunk, "errors": [[1]]}).encode() + b"\n"
    elif mutation == "a_chunk_line_with_a_newest_entry_not_a_hash":
        lines[2] = json.dumps({**chunk, "newest": [7, "ab"]}).encode() + b"\n"
    elif mutation == "a_chunk_line_with_a_negative_newest_entry":
        lines[2] = json.dumps({**chunk, "newest": [-1, "ab" * 32]}).encode() + b"\n"
    elif mutation == "a_chunk_line_with_a_newest_entry_of_unknown_kind":
        lines[2] = json.dumps({**chunk, "newest": [7, "ab" * 32, "name"]}).encode() + b"\n"
    elif mutation == "a_chunk_line_with_a_newest_entry_not_a_list":
        lines[2] = json.dumps({**chunk, "newest": 7}).encode() + b"\n"
    elif mutation == "a_chunk_line_copied_twice":
        lines.append(lines[2])
    else:
        lines[0] = b"\x00garbage\n"
    damaged = b"".join(lines)
    path.write_bytes(damaged)
    with pytest.raises(StateDamaged) as raised:
        resumed(path)
    assert raised.value.message.params["line"] == line
    assert path.read_bytes() == damaged  # nothing cut, nothing started over


def test_an_import_with_a_damaged_state_file_stops_and_sends_nothing(
    cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = rows_file(tmp_path)
    monkeypatch.setattr(ImportState, "finish", ImportState.close)  # the state file kept
    assert run(cli_env, path, "--chunk-size", "1").exit_code == 0
    monkeypatch.undo()
    state = path.with_name(path.name + ".import-state")
    lines = state.read_bytes().splitlines(keepends=True)
    assert len(lines) == 4  # the description and the three chunks
    lines[1] = b'{"chunk": 0, "rows": 1, "registered": [[2, \n'
    state.write_bytes(b"".join(lines))
    size = log_size(cli_env)
    english = run(cli_env, path, "--chunk-size", "1")
    assert english.exit_code != 0
    assert f"{state} cannot be read at line 2" in english.output
    key = path.parent / "kasn.key"
    command = [str(path), "--type", "recommendation", "--key", str(key), "--chunk-size", "1"]
    indonesian = CliRunner().invoke(import_command, command, env={**cli_env, "LC_ALL": "id_ID"})
    assert indonesian.exit_code != 0
    said = render(Message("import.state-damaged", {"path": str(state), "line": 2}), "id")
    assert said.split(";")[0] in indonesian.output
    assert "tidak dapat dibaca pada baris 2" in indonesian.output
    assert log_size(cli_env) == size  # nothing sent again
    restarted = run(cli_env, path, "--chunk-size", "1", "--restart")
    assert restarted.exit_code == 0, restarted.output
    assert "3 rows were already in the log" in restarted.output
    assert log_size(cli_env) == size
