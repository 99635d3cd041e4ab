"""Derived state saved, sealed, at start: restored only when the registry vouches for it.

Every start here saves its snapshots (``EVERY`` is 1), so the next start restores
who may sign and what no longer stands (and the sequencer's filter of signed
contents) from them and derives only the entries after them.  What a restart
holds must equal what a derivation from every entry gives; a snapshot edited
straight in the database (its bytes, its seal), or a
sealed snapshot of another log of the same operator, must not be restored: the
start derives everything again and the edit moves nothing.
"""

from __future__ import annotations

import asyncio
import zlib
from functools import partial
from typing import Any

import msgspec
import pytest
from sqlalchemy import delete, insert, select, update

from registry.config import Settings
from registry.records import saved_state
from registry.records.operator import OperatorKeys
from registry.records.seen import SeenStatements
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store.engine import create_engine
from registry.store.models import FactSegmentRecord
from registry.store.repository import Store
from registry.store.tables import ENTRIES, FACT_SEGMENTS, REVOKED_ENTRIES, SIGNER_KEYS
from tests.api.helpers import NOW_S, pact
from tests.api.test_registration import assert_problem
from tests.databases import copied
from tests.factories import fixed_key
from tests.records.test_tampering import (
    assert_degraded,
    edit,
    post,
    registered,
    revocation_of,
    running,
    two_ppks_and_pacts,
)


@pytest.fixture(autouse=True)
def every_start_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(saved_state, "EVERY", 1)


RESTORED_TO: list[int] = []


async def _held(settings: Settings, operator: OperatorKeys) -> tuple[list[Any], list[Any]]:
    service = await RegistryService.open(settings, operator)
    try:
        keys = sorted(await service.tables.directory.all(), key=lambda k: k.kid)
        RESTORED_TO.append(service.tables.restored_to)
        return keys, service.tables.revoked.all()
    finally:
        await service.close()


def held(settings: Settings, operator: OperatorKeys) -> tuple[list[Any], list[Any]]:
    """The keys and revoked entries a process holds once started."""
    return asyncio.run(_held(settings, operator))


def restored_to() -> int:
    """Entries the last :func:`held` start restored from the snapshot rather than derived."""
    return RESTORED_TO[-1]


async def _snapshot(
    settings: Settings, format: str = saved_state.FORMAT
) -> FactSegmentRecord | None:
    store = Store.open(settings.database_url)
    try:
        return await store.fact_segment(format, 0)
    finally:
        await store.close()


def snapshot(settings: Settings) -> FactSegmentRecord:
    found = asyncio.run(_snapshot(settings))
    assert found is not None, "a start that derived entries saved a snapshot"
    return found


def rewrite(settings: Settings, format: str, **values: Any) -> None:
    """Change the saved snapshot of ``format`` straight in the database."""
    edit(settings, update(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format == format).values(values))


def derived_from_every_entry(
    settings: Settings, operator: OperatorKeys
) -> tuple[list[Any], list[Any]]:
    """What a start holds with no snapshot to restore (it derives every entry)."""
    edit(settings, delete(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format == saved_state.FORMAT))
    return held(settings, operator)


def history(settings: Settings, operator: OperatorKeys) -> tuple[int, int]:
    """Two PPKs, their pacts, a revocation of the first pact (after a restart, so past the
    snapshot that start saved); the revoked entry's index and the revocation's.  Built once
    a session per backend, then copied (:func:`tests.databases.copied`)."""
    build = partial(_history, operator=operator)
    jabar, revocation = copied("saved-state-history", settings, build, operator.admin.kid)
    return jabar, revocation


def _history(settings: Settings, operator: OperatorKeys) -> tuple[int, int]:
    jabar, _ = two_ppks_and_pacts(settings, operator)
    with running(settings, operator) as registry:
        return jabar, registered(registry, "ppk-jabar", revocation_of(jabar))


def test_a_restart_restores_what_a_derivation_from_every_entry_gives(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, revocation = history(settings, operator)
    assert snapshot(settings).end_idx == revocation
    tail_derived = held(settings, operator)  # the revocation is past the snapshot
    assert restored_to() == revocation
    restored = held(settings, operator)  # now in it
    assert restored_to() == revocation + 1
    assert restored == tail_derived
    assert [r.idx for r in restored[1]] == [jabar]
    assert {k.role for k in restored[0]} == {"admin", "ppk"}
    assert restored == derived_from_every_entry(settings, operator)


def test_entries_after_the_snapshot_are_derived(settings: Settings, operator: OperatorKeys) -> None:
    history(settings, operator)
    with running(settings, operator) as registry:
        registry.enrol("ppk-jatim", "ppk", term_end="2099-12-31", province="Jawa Timur")
        kid = registry.signer("ppk-jatim").kid
    before = snapshot(settings).end_idx  # saved by that start, before the enrolment
    keys, revoked = held(settings, operator)
    assert restored_to() == before
    assert kid in {k.kid for k in keys}
    assert (keys, revoked) == derived_from_every_entry(settings, operator)
    assert restored_to() == 0


def _another_role(data: bytes) -> bytes:
    """The snapshot's bytes with every PPK made a recommender (the name its code stands for)."""
    rows, roles, instansi, revoked = saved_state.decode(data)
    roles = ["recommender" if role == "ppk" else role for role in roles]
    return zlib.compress(msgspec.msgpack.encode((rows, roles, instansi, revoked)), 6)


def test_a_snapshot_whose_bytes_were_edited_is_not_restored(
    settings: Settings, operator: OperatorKeys
) -> None:
    history(settings, operator)
    truth = held(settings, operator)
    edited = _another_role(snapshot(settings).data)
    rewrite(settings, saved_state.FORMAT, data=edited)
    assert held(settings, operator) == truth
    assert restored_to() == 0


def test_a_snapshot_whose_seal_was_edited_is_not_restored(
    settings: Settings, operator: OperatorKeys
) -> None:
    history(settings, operator)
    truth = held(settings, operator)
    rewrite(settings, saved_state.FORMAT, seal=bytes(32))
    assert held(settings, operator) == truth
    assert restored_to() == 0


def test_a_sealed_snapshot_of_another_tree_is_not_restored(
    settings: Settings, operator: OperatorKeys
) -> None:
    """Sealed by this operator's log key, but for another root (another log of the same
    operator, or this one before a rollback): its edited roles never count."""
    history(settings, operator)
    truth = held(settings, operator)
    saved = snapshot(settings)
    data, root = _another_role(saved.data), bytes(32)
    sealer = operator.log.sealer(saved_state.PURPOSE)
    seal = sealer.seal(saved_state.sealed_message(saved.format, saved.end_idx, root, data))
    rewrite(settings, saved_state.FORMAT, data=data, root=root, seal=seal)
    assert held(settings, operator) == truth
    assert restored_to() == 0


async def _formats(settings: Settings) -> list[str]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(FACT_SEGMENTS.c.format))
            return sorted(str(row[0]) for row in rows)
    finally:
        await engine.dispose()


def test_the_compliance_index_keeps_the_snapshot_when_it_drops_other_formats(
    settings: Settings, operator: OperatorKeys
) -> None:
    history(settings, operator)
    with running(settings, operator) as registry:
        response = registry.client.get("/api/compliance/national")
        assert response.status_code == 200, response.text
    assert saved_state.FORMAT in asyncio.run(_formats(settings))


# -- the sequencer's Bloom filter of signed contents ----------------------------------------


async def _seen(settings: Settings, operator: OperatorKeys) -> tuple[int, int, list[bytes]]:
    service = await RegistryService.open(settings, operator)
    try:
        assert service.is_sequencer
        return service.registrar.seen.state()
    finally:
        await service.close()


def seen(settings: Settings, operator: OperatorKeys) -> tuple[int, int, list[bytes]]:
    """The sequencer's filter once started."""
    return asyncio.run(_seen(settings, operator))


async def _contents(settings: Settings) -> list[bytes]:
    store = Store.open(settings.database_url)
    try:
        return await store.content_sha256s()
    finally:
        await store.close()


def test_a_restart_restores_the_filter_a_build_from_every_entry_gives(
    settings: Settings, operator: OperatorKeys
) -> None:
    history(settings, operator)
    restored = seen(settings, operator)
    assert asyncio.run(_snapshot(settings, saved_state.SEEN_FORMAT)) is not None
    filter_ = SeenStatements.restored(*restored)
    assert all(filter_.may_contain(d) for d in asyncio.run(_contents(settings)))
    edit(settings, delete(FACT_SEGMENTS).where(FACT_SEGMENTS.c.format == saved_state.SEEN_FORMAT))
    assert seen(settings, operator) == restored


def test_a_filter_snapshot_with_bits_cleared_in_the_database_is_not_restored(
    settings: Settings, operator: OperatorKeys
) -> None:
    """Cleared bits would answer "certainly new" for statements the log has."""
    history(settings, operator)
    truth = seen(settings, operator)
    empty = SeenStatements().state()
    data = zlib.compress(msgspec.msgpack.encode(empty), 1)
    rewrite(settings, saved_state.SEEN_FORMAT, data=data)
    assert seen(settings, operator) == truth


# -- the signer_keys and revoked_entries rows the snapshot covers --------------------------------


async def _started(settings: Settings, operator: OperatorKeys) -> tuple[int, list[dict[str, str]]]:
    service = await RegistryService.open(settings, operator)
    try:
        return service.tables.restored_to, service.tampering()[1]
    finally:
        await service.close()


def started(settings: Settings, operator: OperatorKeys) -> tuple[int, list[dict[str, str]]]:
    """Where a start restored the key directory to, and the edits it reported."""
    return asyncio.run(_started(settings, operator))


def covered_history(settings: Settings, operator: OperatorKeys) -> tuple[int, bytes]:
    """:func:`history`, then a start that saves a snapshot covering the revocation too;
    the revoked entry's index and the first PPK's kid (both below the snapshot's end)."""
    jabar, revocation = history(settings, operator)
    keys, _ = held(settings, operator)
    assert snapshot(settings).end_idx == revocation + 1
    ppk = min((k for k in keys if k.role == "ppk"), key=lambda k: k.enrolment_idx)
    return jabar, ppk.kid


def edited_then_restarted(
    settings: Settings, operator: OperatorKeys, *statements: Any
) -> list[dict[str, str]]:
    """The edits a start reports after ``statements`` edited the database; that start restored
    the key directory's snapshot (it derived only the entries after it)."""
    edit(settings, *statements)
    restored, findings = started(settings, operator)
    assert restored == snapshot(settings).end_idx
    return findings


@pytest.fixture
def rows_read(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The ranges of ``signer_keys`` rows each start read (to compare with what it derived)."""
    calls: list[tuple[int, int]] = []
    read = Store.key_changes_between

    async def counted(self: Store, start: int, end: int) -> Any:
        calls.append((start, end))
        return await read(self, start, end)

    monkeypatch.setattr(Store, "key_changes_between", counted)
    return calls


def test_a_restored_start_reads_no_signer_keys_row_the_snapshot_covers(
    settings: Settings, operator: OperatorKeys, rows_read: list[tuple[int, int]]
) -> None:
    covered_history(settings, operator)
    end = snapshot(settings).end_idx
    rows_read.clear()
    assert started(settings, operator) == (end, [])
    assert all(start >= end for start, _ in rows_read), rows_read


def edited_key_row(
    settings: Settings, operator: OperatorKeys, **values: Any
) -> tuple[list[dict[str, str]], bytes]:
    """The first PPK's covered ``signer_keys`` row edited to ``values``, then a restored
    start; what that start reported, and the kid."""
    _, kid = covered_history(settings, operator)
    truth = held(settings, operator)
    findings = edited_then_restarted(
        settings, operator, update(SIGNER_KEYS).where(SIGNER_KEYS.c.kid == kid).values(values)
    )
    assert held(settings, operator) == truth  # what the registry holds is the log's
    return findings, kid


@pytest.mark.parametrize(
    "values",
    [
        {"role": "recommender"},
        {"public_key": bytes(32)},
        {"term_end": "2000-01-01", "valid_until": 0},
        {"revoked_at": 1, "revocation_idx": 1},
    ],
    ids=["role", "public_key", "term", "revoked"],
)
def test_a_covered_signer_keys_row_edited_changes_no_registration(
    settings: Settings, operator: OperatorKeys, values: dict[str, Any]
) -> None:
    """The table is read for no decision: a PPK's row given another role, public key, an
    ended term or a revocation still signs as its enrolment entry says."""
    _, kid = edited_key_row(settings, operator, **values)
    with running(settings, operator) as registry:
        assert registry.signer("ppk-jabar").kid == kid
        registered(registry, "ppk-jabar", pact(place="Cirebon"))


def test_a_covered_signer_keys_row_deleted_changes_no_registration(
    settings: Settings, operator: OperatorKeys
) -> None:
    _, kid = covered_history(settings, operator)
    edited_then_restarted(settings, operator, delete(SIGNER_KEYS).where(SIGNER_KEYS.c.kid == kid))
    with running(settings, operator) as registry:
        registered(registry, "ppk-jabar", pact(place="Cirebon"))


def test_a_signer_keys_row_invented_below_the_snapshot_signs_nothing(
    settings: Settings, operator: OperatorKeys
) -> None:
    _, kid = covered_history(settings, operator)
    with running(settings, operator) as registry:
        stranger = registry.signer("stranger")
    row = asyncio.run(_row(settings, kid)) | {
        "kid": stranger.kid,
        "public_key": stranger.public_key,
    }
    edited_then_restarted(settings, operator, insert(SIGNER_KEYS).values(row))
    with running(settings, operator) as registry:
        assert_problem(post(registry, "stranger", pact(place="Depok")), 403, "unknown-key")


def test_an_enrolment_entry_edited_in_the_database_signs_nothing_and_says_why(
    settings: Settings, operator: OperatorKeys
) -> None:
    """The PPK's full record is read from its enrolment entry when it signs: that entry's
    statement edited in the database fails the check against the tree, with the evidence,
    and nothing is registered."""
    _, kid = covered_history(settings, operator)
    keys, _ = held(settings, operator)
    enrolment = next(k.enrolment_idx for k in keys if k.kid == kid)
    edit(
        settings,
        update(ENTRIES).where(ENTRIES.c.idx == enrolment).values(statement=b"\x00" * 64),
    )
    with running(settings, operator) as registry:
        before = registry.client.get("/checkpoint").text
        sent = post(registry, "ppk-jabar", pact(place="Cirebon"))
        refused = assert_problem(sent, 500, "tampered-entry")
        assert str(enrolment) in str(refused), refused
        assert_degraded(registry, index=str(enrolment), column="statement")
        assert registry.client.get("/checkpoint").text == before


def revoke_key(settings: Settings, operator: OperatorKeys, kid: bytes) -> str:
    """Revoke ``kid`` by an admin's key-revocation entry; that entry's index."""
    with running(settings, operator) as registry:
        revocation = {
            "type": "key-revocation",
            "kid": kid,
            "reason": "masa jabatan berakhir",
            "effective": "2024-09-01",
        }
        response = registry.post(operator.admin.sign_statement(revocation, "operator", NOW_S))
        assert response.status_code == 201, response.text
        return str(response.headers["x-registry-entry-index"])


def test_an_older_key_snapshot_put_back_does_not_make_a_revoked_key_valid_again(
    settings: Settings, operator: OperatorKeys
) -> None:
    """An old backup of the snapshot row (taken before the key was revoked) is true of the
    entries below its end; the revocation after it is derived again at every start."""
    _, kid = covered_history(settings, operator)
    old = snapshot(settings)
    revoke_key(settings, operator, kid)
    held(settings, operator)  # a start that saves a snapshot holding the revocation
    assert snapshot(settings).end_idx > old.end_idx
    rewrite(
        settings,
        saved_state.FORMAT,
        end_idx=old.end_idx,
        root=old.root,
        data=old.data,
        seal=old.seal,
    )
    keys, _ = held(settings, operator)
    assert restored_to() == old.end_idx
    assert next(k for k in keys if k.kid == kid).revoked_at is not None
    with running(settings, operator) as registry:
        assert_problem(post(registry, "ppk-jabar", pact(place="Bogor")), 403, "revoked-key")


def test_a_covered_revoked_entries_row_deleted_is_reported_by_a_restored_start(
    settings: Settings, operator: OperatorKeys
) -> None:
    jabar, _ = covered_history(settings, operator)
    findings = edited_then_restarted(
        settings, operator, delete(REVOKED_ENTRIES).where(REVOKED_ENTRIES.c.idx == jabar)
    )
    assert [(f["table"], f["index"], f["column"], f["stored"]) for f in findings] == [
        ("revoked_entries", str(jabar), "row", "missing")
    ]


def test_a_key_revoked_after_the_snapshot_stays_revoked_whatever_its_row_says(
    settings: Settings, operator: OperatorKeys
) -> None:
    """A covered key revoked by a later entry: the start that derives the revocation compares
    its row; once a snapshot covers it, the row is not read, and the key stays revoked."""
    _, kid = covered_history(settings, operator)
    revoked_by = revoke_key(settings, operator, kid)
    end = snapshot(settings).end_idx
    assert int(revoked_by) >= end
    assert started(settings, operator) == (end, [])
    erased = (
        update(SIGNER_KEYS)
        .where(SIGNER_KEYS.c.kid == kid)
        .values(revoked_at=None, revocation_idx=None)
    )
    assert edited_then_restarted(settings, operator, erased) == []
    assert snapshot(settings).end_idx == int(revoked_by) + 1
    with running(settings, operator) as registry:
        assert_problem(post(registry, "ppk-jabar", pact(place="Bogor")), 403, "revoked-key")


async def _row(settings: Settings, kid: bytes) -> dict[str, Any]:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            query = select(SIGNER_KEYS).where(SIGNER_KEYS.c.kid == kid)
            return dict((await connection.execute(query)).one()._mapping)
    finally:
        await engine.dispose()


def test_a_graceful_stop_saves_the_snapshots_so_the_next_start_derives_nothing_again(
    settings: Settings, operator: OperatorKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(saved_state, "SAVE_AT_STOP", 1)
    _, revocation = history(settings, operator)  # that run's stop saved past the revocation
    assert snapshot(settings).end_idx == revocation + 1
    filter_ = asyncio.run(_snapshot(settings, saved_state.SEEN_FORMAT))
    assert filter_ is not None
    assert filter_.end_idx == revocation + 1
    restored = held(settings, operator)
    assert restored_to() == revocation + 1
    assert restored == derived_from_every_entry(settings, operator)
    assert all(
        SeenStatements.restored(*seen(settings, operator)).may_contain(d)
        for d in asyncio.run(_contents(settings))
    )


def test_a_successor_restored_from_the_snapshot_is_read_as_its_predecessors_office(
    settings: Settings, operator: OperatorKeys
) -> None:
    """A key made by a key-succession entry: once a snapshot covers it, its full record is
    read from that entry and its predecessor's enrolment, as a start from entry 0 derives it."""
    two_ppks_and_pacts(settings, operator)
    successor = CoseSigner(fixed_key("ppk-jabar-new-key"))
    with running(settings, operator) as registry:
        old = registry.signer("ppk-jabar")
        payload = {
            "type": "key-succession",
            "kid": old.kid,
            "public_key": successor.public_key,
            "reason": "Kunci lama hilang bersama ponsel",
        }
        by = registered(registry, "ppk-jabar", payload)
    held(settings, operator)  # derives the succession, saves a snapshot covering it
    keys, revoked = held(settings, operator)
    assert restored_to() == by + 1
    new = next(k for k in keys if k.kid == successor.kid)
    before = next(k for k in keys if k.kid == old.kid)
    assert (new.role, new.name, new.instansi, new.enrolment_idx) == (
        before.role,
        before.name,
        before.instansi,
        by,
    )
    assert before.revocation_idx == by
    assert (keys, revoked) == derived_from_every_entry(settings, operator)
    with running(settings, operator) as registry:
        registry.signers["ppk-jabar-new-key"] = successor
        registered(registry, "ppk-jabar-new-key", pact(place="Sesudah"))
