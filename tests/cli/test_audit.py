"""`registry audit`: the database edited behind the registry's back, each edit named by its index.

Each test fills a registry (admin at 0, a PPK's enrolment at 1, pacts from 2 on)
on SQLite and on PostgreSQL, edits its database the way someone with write
access could (a byte of a statement, a row deleted, two rows swapped, the tail
rewritten as a freshly signed fork), and runs `registry audit` as an operator
would.  The fork is also shown to the real witness over HTTP, which refuses it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Executable, delete, select, update

from registry.api.app import create_app
from registry.cli import main
from registry.config import Settings, WitnessSetting, settings_environment
from registry.log.cosigning import CONFLICT
from registry.log.integrity import LogContradiction
from registry.log.pin import pin_path
from registry.records.operator import OperatorKeys
from registry.records.service import RegistryService
from registry.store.engine import create_engine
from registry.store.tables import CHECKPOINTS, COSIGNATURES, ENTRIES
from tests.api.helpers import pact
from tests.api.test_witnessing import _ask, registry_with, setting, witnessed_at
from tests.records.test_tampering import edit, edit_async
from tests.threaded_server import ThreadedServer
from tests.waiting import wait_until
from tests.witnesses import live_witness

PACTS = 5
SIZE = 4 + PACTS
"""Two enrolments, the template and election the pacts cite, the pacts."""


def fill(settings: Settings, operator: OperatorKeys) -> None:
    with registry_with(settings, operator, []) as registry:
        registry.enrol("ppk-jabar")
        for n in range(PACTS):
            answer = registry.post(registry.sign("ppk-jabar", pact(place=f"Bandung {n}")))
            assert answer.status_code == 201, answer.text


def audit(settings: Settings, *args: str, lang: str = "C.UTF-8") -> Result:
    env = {**settings_environment(settings), "LANG": lang}
    return CliRunner().invoke(main, ["audit", *args], env=env)


def failed_at(result: Result, index: int, problem: str) -> None:
    assert result.exit_code == 1, result.output
    assert f"audit failed at index {index}: {problem}" in result.output, result.output


@pytest.fixture
def filled(settings: Settings, operator: OperatorKeys) -> Settings:
    fill(settings, operator)
    return settings


def test_an_untouched_database_audits_clean_with_a_rate(filled: Settings) -> None:
    result = audit(filled)
    assert result.exit_code == 0, result.output
    assert f"audit clean: {SIZE} entries, {SIZE} statement signatures, {SIZE} receipts" in (
        result.output
    )
    assert "entries/s" in result.output


def test_the_report_is_in_bahasa_indonesia_when_asked(filled: Settings) -> None:
    edit(filled, update(ENTRIES).where(ENTRIES.c.idx == 3).values(statement=b"\x00"))
    result = audit(filled, lang="id_ID.UTF-8")
    assert result.exit_code == 1
    assert "Galat:" in result.output
    assert "audit gagal pada indeks 3: pernyataan bukan yang dicatat daunnya" in result.output


async def _flip_a_byte(settings: Settings, index: int) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            statement = (
                await connection.execute(select(ENTRIES.c.statement).where(ENTRIES.c.idx == index))
            ).scalar_one()
    finally:
        await engine.dispose()
    changed = bytearray(statement)
    changed[-10] ^= 0x01
    await edit_async(
        settings, update(ENTRIES).where(ENTRIES.c.idx == index).values(statement=bytes(changed))
    )


def test_a_byte_changed_in_a_statement_is_named_by_its_index(filled: Settings) -> None:
    asyncio.run(_flip_a_byte(filled, 4))
    failed_at(audit(filled), 4, "the statement is not the one its leaf records")


def test_a_deleted_row_is_named_by_its_index(filled: Settings) -> None:
    edit(filled, delete(ENTRIES).where(ENTRIES.c.idx == 3))
    failed_at(audit(filled), 3, "an entry is missing")


def test_a_deleted_last_row_is_caught_by_its_checkpoint(filled: Settings) -> None:
    edit(filled, delete(ENTRIES).where(ENTRIES.c.idx == SIZE - 1))
    failed_at(audit(filled), SIZE - 1, "a signed checkpoint covers entries")


def test_two_swapped_rows_are_named_by_the_first(filled: Settings) -> None:
    edit(
        filled,
        update(ENTRIES).where(ENTRIES.c.idx == 2).values(idx=-1),
        update(ENTRIES).where(ENTRIES.c.idx == 5).values(idx=2),
        update(ENTRIES).where(ENTRIES.c.idx == -1).values(idx=5),
    )
    failed_at(audit(filled), 2, "the leaf belongs to another index")


def test_a_stored_leaf_hash_edited_is_named(filled: Settings) -> None:
    edit(filled, update(ENTRIES).where(ENTRIES.c.idx == 6).values(leaf_hash=bytes(32)))
    failed_at(audit(filled), 6, "the stored leaf hash is wrong")


def test_a_type_column_edited_to_hide_an_enrolment_is_named(filled: Settings) -> None:
    edit(filled, update(ENTRIES).where(ENTRIES.c.idx == 1).values(type="pact"))
    result = audit(filled)
    failed_at(result, 1, "a stored column is not what the statement says")
    assert "column=type, stored=pact, derived=enrolment" in result.output


def test_a_receipt_edited_is_named(filled: Settings) -> None:
    asyncio.run(_swap_receipts(filled, 3, 5))
    failed_at(audit(filled), 3, "the stored receipt is not the log's for this entry")


async def _swap_receipts(settings: Settings, first: int, second: int) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            query = select(ENTRIES.c.idx, ENTRIES.c.receipt).where(
                ENTRIES.c.idx.in_([first, second])
            )
            receipts = {row[0]: row[1] for row in (await connection.execute(query)).all()}
    finally:
        await engine.dispose()
    await edit_async(
        settings,
        update(ENTRIES).where(ENTRIES.c.idx == first).values(receipt=receipts[second]),
        update(ENTRIES).where(ENTRIES.c.idx == second).values(receipt=receipts[first]),
    )


def test_a_checkpoint_not_signed_by_the_log_key_is_caught(filled: Settings) -> None:
    edit(
        filled,
        update(CHECKPOINTS).where(CHECKPOINTS.c.size == SIZE).values(note="forged\n"),
    )
    result = audit(filled)
    assert result.exit_code == 1
    assert "audit failed at index -: a checkpoint's signature or a witness's" in result.output


def fork_tail(
    settings: Settings, operator: OperatorKeys, at: int, witnesses: list[WitnessSetting]
) -> None:
    """Rewrite the log from entry ``at`` on with other pacts, freshly signed by the log's key.

    What someone holding the database and the data directory could do: cut the
    tail, drop the pin, and let the registry sign the new tail (a fork).
    """
    edit(
        settings,
        delete(COSIGNATURES).where(COSIGNATURES.c.size > at),
        delete(CHECKPOINTS).where(CHECKPOINTS.c.size > at),
        delete(ENTRIES).where(ENTRIES.c.idx >= at),
    )
    pin_path(settings.data_dir, settings.origin).unlink()
    with registry_with(settings, operator, witnesses, bootstrap=False) as forged:
        for n in range(SIZE - at):
            answer = forged.post(forged.sign("ppk-jabar", pact(place=f"Garut {n}")))
            assert answer.status_code == 201, answer.text


def test_a_forked_tail_is_named_by_its_first_index_and_refused_by_the_witness(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    follows = [(operator.note.name, operator.note.verifier_key_string)]
    state = tmp_path / "audit-state.json"
    with live_witness(tmp_path / "w", "saksi1.example/w", follows) as witness:
        witnesses = [setting(witness.url, str(witness.key))]
        with registry_with(settings, operator, witnesses, quorum=1) as registry:
            registry.enrol("ppk-jabar")
            for n in range(PACTS):
                answer = registry.post(registry.sign("ppk-jabar", pact(place=f"Bandung {n}")))
                assert answer.status_code == 201, answer.text
            witnessed_at(registry, SIZE)
        honest = witness.latest(settings.origin)
        assert honest is not None
        first = audit(settings, "--state", str(state))
        assert first.exit_code == 0, first.output

        fork_tail(settings, operator, 4, witnesses)

        # Submitted by the forged registry over HTTP, the fork's first checkpoint is refused.
        def refused() -> bool:
            return any(a["kind"] == "rollback" for a in witness.evidence.alarms())

        wait_until(refused, "the witness refuses the forked checkpoint and keeps the evidence")
        # Shown the fork's checkpoint of the size it cosigned, it refuses it as a split view.
        forged = asyncio.run(_checkpoint_note(settings, SIZE))
        assert forged != honest
        assert _ask(witness, forged, known=SIZE).outcome == CONFLICT
        assert any(a["kind"] == "split-view" for a in witness.evidence.alarms())
        assert witness.latest(settings.origin) == honest
    # The fork is consistent in itself: only what was seen before contradicts it.
    assert audit(settings).exit_code == 0
    failed_at(audit(settings, "--state", str(state)), 4, "the tree contradicts a signed checkpoint")
    witnessed = tmp_path / "witnessed.checkpoint"
    witnessed.write_text(honest)
    result = audit(settings, "--checkpoint", str(witnessed))
    failed_at(result, 0, "the tree contradicts a signed checkpoint")
    assert f"from 0 to {SIZE - 1} differs" in result.output


async def _checkpoint_note(settings: Settings, size: int) -> str:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            query = select(CHECKPOINTS.c.note).where(CHECKPOINTS.c.size == size)
            note: str = (await connection.execute(query)).scalar_one()
            return note
    finally:
        await engine.dispose()


@contextmanager
def served(settings: Settings, operator: OperatorKeys) -> Iterator[str]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    server = ThreadedServer("registry")
    server.start(create_app(settings, operator))
    try:
        yield server.url
    finally:
        server.stop()


def test_a_server_and_its_mirror_audit_clean_and_a_mirror_edited_is_named(
    filled: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    key = operator.note.verifier_key_string
    folder = tmp_path / "mirror"
    with served(filled, operator) as url:
        result = audit(filled, url)
        assert result.exit_code == 0, result.output
        assert f"audit clean: {SIZE} entries" in result.output
        mirrored = CliRunner().invoke(main, ["mirror", url, str(folder)])
        assert mirrored.exit_code == 0, mirrored.output
    result = audit(filled, str(folder), "--key", key)
    assert result.exit_code == 0, result.output
    bundle = folder / "tile" / "entries" / f"000.p/{SIZE}"
    statements = folder / "statements" / f"000.p/{SIZE}"
    assert bundle.exists()
    assert statements.exists()
    tile = folder / "tile" / "0" / f"000.p/{SIZE}"
    original = tile.read_bytes()
    tile.write_bytes(original[:64] + bytes(32) + original[96:])
    failed_at(audit(filled, str(folder), "--key", key), 2, "the stored leaf hash is wrong")
    tile.write_bytes(original)
    data = bytearray(statements.read_bytes())
    data[-5] ^= 0x01
    statements.write_bytes(bytes(data))
    failed_at(audit(filled, str(folder), "--key", key), SIZE - 1, "the statement is not the one")


def test_a_server_serving_an_edited_database_is_named_at_the_entry_it_refuses(
    filled: Settings, operator: OperatorKeys
) -> None:
    asyncio.run(_flip_a_byte(filled, 5))
    with served(filled, operator) as url:
        failed_at(audit(filled, url), 5, "the entry cannot be read")


def test_a_database_rolled_back_against_its_pin_is_named(
    settings: Settings, operator: OperatorKeys
) -> None:
    fill(settings, operator)
    edit(
        settings,
        delete(CHECKPOINTS).where(CHECKPOINTS.c.size == SIZE),
        delete(ENTRIES).where(ENTRIES.c.idx == SIZE - 1),
    )
    result = audit(settings)
    failed_at(result, SIZE - 1, "a signed checkpoint covers entries")
    assert "checkpoint-" in result.output  # the pin file is named as the source


def test_another_database_file_is_audited_with_the_given_key(
    filled: Settings, operator: OperatorKeys
) -> None:
    if not filled.database_url.startswith("sqlite"):
        pytest.skip("a database file is SQLite's")
    path = filled.database_url.split("///", 1)[1]
    other = dataclasses.replace(filled, data_dir=filled.data_dir / "elsewhere")
    result = audit(other, path, "--key", operator.note.verifier_key_string)
    assert result.exit_code == 0, result.output


async def _open(settings: Settings, operator: OperatorKeys) -> None:
    service = await RegistryService.open(settings, operator)
    await service.close()


@pytest.mark.parametrize(
    "mutation",
    [
        [delete(ENTRIES).where(ENTRIES.c.idx == 3)],
        [
            update(ENTRIES).where(ENTRIES.c.idx == 2).values(idx=-1),
            update(ENTRIES).where(ENTRIES.c.idx == 5).values(idx=2),
            update(ENTRIES).where(ENTRIES.c.idx == -1).values(idx=5),
        ],
        [delete(ENTRIES).where(ENTRIES.c.idx == SIZE - 1)],
    ],
    ids=["deleted-row", "swapped-rows", "deleted-last-row"],
)
def test_the_server_refuses_to_start_on_a_store_that_contradicts_its_checkpoint(
    filled: Settings, operator: OperatorKeys, mutation: list[Executable]
) -> None:
    edit(filled, *mutation)
    with pytest.raises(LogContradiction):
        asyncio.run(_open(filled, operator))


def test_a_start_on_a_store_with_a_deleted_row_says_so_and_names_audit(filled: Settings) -> None:
    edit(filled, delete(ENTRIES).where(ENTRIES.c.idx == 3))
    env = {**settings_environment(filled), "LANG": "C.UTF-8"}
    result = CliRunner().invoke(main, ["init"], env=env)
    assert result.exit_code == 1, result.output
    assert "rows were deleted or moved behind the registry's back" in result.output
    assert "registry audit" in result.output
    assert result.exc_info is not None
    assert result.exc_info[0] is SystemExit


def test_a_cosignature_edited_in_the_database_is_caught(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    follows = [(operator.note.name, operator.note.verifier_key_string)]
    with live_witness(tmp_path / "w", "saksi1.example/w", follows) as witness:
        witnesses = [setting(witness.url, str(witness.key))]
        with registry_with(settings, operator, witnesses, quorum=1) as registry:
            registry.enrol("ppk-jabar")
            answer = registry.post(registry.sign("ppk-jabar", pact(place="Bandung")))
            assert answer.status_code == 201, answer.text
            # the log ends with the pact (after what it cites, however many entries that is)
            size = int(answer.headers["location"].rsplit("/", 1)[1]) + 1
            witnessed_at(registry, size)
    configured = dataclasses.replace(settings, witnesses=tuple(witnesses), witness_quorum=1)
    clean = audit(configured)
    assert clean.exit_code == 0, clean.output
    line = asyncio.run(_cosignature_line(settings, size))
    forged = line[:-10] + ("A" if line[-10] != "A" else "B") + line[-9:]
    edit(settings, update(COSIGNATURES).where(COSIGNATURES.c.size == size).values(line=forged))
    result = audit(configured)
    assert result.exit_code == 1
    assert "a checkpoint's signature or a witness's cosignature on it does not verify" in (
        result.output
    )


async def _cosignature_line(settings: Settings, size: int) -> str:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            query = select(COSIGNATURES.c.line).where(COSIGNATURES.c.size == size)
            line: str = (await connection.execute(query)).scalar_one()
            return line
    finally:
        await engine.dispose()


def test_a_database_file_that_does_not_exist_is_not_created(
    settings: Settings, tmp_path: Path
) -> None:
    typo = tmp_path / "registri.sqlite3"
    result = audit(settings, str(typo), "--key", "example.org/log+01234567+AAAA")
    assert result.exit_code == 1
    assert f"cannot read {typo}: {typo} does not exist" in result.output
    assert not typo.exists()
