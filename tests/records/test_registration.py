"""The registrar without HTTP: all-or-nothing groups and recovery from a failed commit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest
from sqlalchemy import update

from registry.config import Settings
from registry.records.errors import BatchRefused, TamperedEntry, Unavailable
from registry.records.operator import OperatorKeys
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store.repository import Store
from registry.store.tables import ENTRIES
from registry.verify.receipt import verify_receipt
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import cited_statements, fixed_key
from tests.records.test_tampering import edit_async

T = TypeVar("T")


def run(
    settings: Settings,
    operator: OperatorKeys,
    scenario: Callable[[RegistryService], Coroutine[Any, Any, T]],
) -> T:
    async def main() -> T:
        service = await RegistryService.open(settings, operator)
        try:
            admin = {
                k: v
                for k, v in enrolment(
                    operator.admin.public_key,
                    "admin",
                    term_start="2000-01-01",
                    term_end="2099-12-31",
                ).items()
                if v is not None
            }
            await service.register(operator.admin.sign_statement(admin, "op", NOW_S))
            return await scenario(service)
        finally:
            await service.close()

    return asyncio.run(main())


def _group(operator: OperatorKeys, n: int) -> tuple[CoseSigner, list[bytes]]:
    ppk = CoseSigner(fixed_key("ppk-grup"))
    enrol = operator.admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
    pacts = [ppk.sign_statement(pact(place=f"Kota {i}"), "ppk", NOW_S) for i in range(n)]
    cited = cited_statements(operator.admin, issued_at=NOW_S)  # in the group, before the pacts
    return ppk, [enrol, *cited, *pacts]


def test_group_is_written_in_one_batch(settings: Settings, operator: OperatorKeys) -> None:
    _, statements = _group(operator, 20)

    async def scenario(service: RegistryService) -> None:
        results = await service.register_atomic(statements)
        assert [r.index for r in results] == list(range(1, 24))
        keys = {operator.log.kid: operator.log.public_key}
        sizes = {
            verify_receipt(r.receipt, keys, s).unwrap().tree_size
            for r, s in zip(results, statements, strict=True)
        }
        assert sizes == {24}
        again = await service.register_atomic(statements)
        assert all(r.existed for r in again)
        assert service.size == 24

    run(settings, operator, scenario)


def test_one_refusal_writes_nothing(settings: Settings, operator: OperatorKeys) -> None:
    _, statements = _group(operator, 5)
    stranger = CoseSigner(fixed_key("orang-asing")).sign_statement(pact(), "x", NOW_S)
    bad = [*statements[:3], stranger, *statements[3:]]

    async def scenario(service: RegistryService) -> None:
        checkpoint = await service.checkpoint()
        with pytest.raises(BatchRefused) as refused:
            await service.register_atomic(bad)
        assert [(p, r.code) for p, r in refused.value.refusals] == [(3, "unknown-key")]
        assert service.size == 1
        assert await service.checkpoint() == checkpoint
        assert await service.store.size() == 1
        # the registrar goes on: the good statements alone now register
        results = await service.register_atomic(statements)
        assert [r.index for r in results] == list(range(1, 9))

    run(settings, operator, scenario)


class _FailingOnce(Store):
    """A real store whose next batch write fails, as a full disk or lost connection would."""

    fail_next = False

    async def append_batch(self, *args: Any, **kwargs: Any) -> None:
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk full")
        await super().append_batch(*args, **kwargs)


def test_failed_commit_rolls_the_tree_back(settings: Settings, operator: OperatorKeys) -> None:
    _, statements = _group(operator, 3)

    async def scenario(service: RegistryService) -> None:
        await service.register(statements[0])
        root_before = service.state.tree.root()
        failing = _FailingOnce(service.store._engine)  # same database, failing writes
        service.registrar.store = failing
        failing.fail_next = True
        with pytest.raises(Unavailable, match="disk full"):
            await service.register(statements[1])
        assert service.size == 2
        assert service.state.tree.root() == root_before
        result = await service.register(statements[1])
        assert result.index == 2
        keys = {operator.log.kid: operator.log.public_key}
        assert verify_receipt(result.receipt, keys, statements[1]).ok

    run(settings, operator, scenario)


def test_failed_group_commit_is_reported_not_hung(
    settings: Settings, operator: OperatorKeys
) -> None:
    _, statements = _group(operator, 4)

    async def scenario(service: RegistryService) -> None:
        failing = _FailingOnce(service.store._engine)
        service.registrar.store = failing
        failing.fail_next = True
        with pytest.raises(Unavailable, match="disk full"):
            await asyncio.wait_for(service.register_atomic(statements), timeout=30)
        assert service.size == 1
        results = await service.register_atomic(statements)
        assert [r.index for r in results] == list(range(1, 8))

    run(settings, operator, scenario)


def test_recent_entries_are_read_back_from_memory(
    settings: Settings, operator: OperatorKeys
) -> None:
    """What was just registered (a signer's receipt, a QR check) is served without a query;
    an entry that has dropped out of memory is read from the database and kept again."""
    _, statements = _group(operator, 3)

    async def scenario(service: RegistryService) -> None:
        results = await service.register_atomic(statements)
        real_get_entry = service.store.get_entry

        async def no_query(idx: int) -> None:
            raise AssertionError(f"entry {idx} was read from the database")

        service.store.get_entry = no_query  # type: ignore[method-assign]
        for result, statement in zip(results, statements, strict=True):
            assert await service.statement(result.index) == statement
            assert await service.receipt(result.index) == result.receipt
        service.recent.clear()
        service.store.get_entry = real_get_entry  # type: ignore[method-assign]
        assert await service.statement(results[0].index) == statements[0]
        service.store.get_entry = no_query  # type: ignore[method-assign]
        assert await service.receipt(results[0].index) == results[0].receipt

    run(settings, operator, scenario)


def test_a_caller_that_goes_away_does_not_cancel_the_repeat_of_its_statement(
    settings: Settings, operator: OperatorKeys
) -> None:
    # A follower's hand-off connection dies while its statement waits in the queue; the same
    # statement, sent again through another worker, must get the entry, not an error
    # (seen as a 500 in the crash test before the registrar shielded its futures).
    _, statements = _group(operator, 1)

    async def scenario(service: RegistryService) -> None:
        *earlier, statement = statements
        for one in earlier:  # the enrolment, the template and the election
            await service.register(one)
        first = asyncio.create_task(service.register(statement))
        second = asyncio.create_task(service.register(statement))
        await asyncio.sleep(0)  # both are queued; the sequencer has not taken them yet
        first.cancel()
        result = await second
        assert result.index == 4
        with pytest.raises(asyncio.CancelledError):
            await first
        assert service.size == 5

    run(settings, operator, scenario)


class _HeldWrites(Store):
    """A real store whose first batch write waits until ``release`` is set, then fails
    if ``fail`` is set (as a full disk would)."""

    release: asyncio.Event
    fail = False
    writes = 0

    async def append_batch(self, *args: Any, **kwargs: Any) -> None:
        self.writes += 1
        if self.writes == 1:
            await asyncio.wait_for(self.release.wait(), timeout=30)
            if self.fail:
                raise OSError("disk full")
        await super().append_batch(*args, **kwargs)


async def _second_on_top_of_the_first(
    service: RegistryService, operator: OperatorKeys, fail: bool
) -> tuple[_HeldWrites, list[bytes], list[bytes], asyncio.Future[Any], asyncio.Future[Any]]:
    """Two groups registered (the second with pacts the first's enrolment lets in), the
    first's write held until ``release``: the second admitted meanwhile, if it can be."""
    _, statements = _group(operator, 4)
    held = _HeldWrites(service.store._engine)
    held.release, held.fail = asyncio.Event(), fail
    service.registrar.store = held
    first, second = statements[:-2], statements[-2:]
    one = asyncio.ensure_future(service.register_atomic(first))
    await asyncio.sleep(0.1)  # the first group is appended, its write held
    two = asyncio.ensure_future(service.register_atomic(second))
    for _ in range(300):
        if len(service.registrar.pipeline.unwritten) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(service.registrar.pipeline.unwritten) == 2  # the second is admitted
    return held, first, second, one, two


def test_a_group_is_admitted_while_the_one_before_it_is_written(
    settings: Settings, operator: OperatorKeys
) -> None:
    # a bulk import's next chunk is admitted on top of the chunk being written (the
    # sequencer does not wait for the disk between two chunks), then written after it
    async def scenario(service: RegistryService) -> None:
        held, first, second, one, two = await _second_on_top_of_the_first(
            service, operator, fail=False
        )
        assert held.writes == 1  # the first is still being written
        assert not one.done()
        held.release.set()
        ones, twos = await one, await two
        assert [r.index for r in ones + twos] == list(range(1, 1 + len(first) + len(second)))
        assert await service.store.size() == 1 + len(first) + len(second)

    run(settings, operator, scenario)


def test_a_group_admitted_on_a_write_that_fails_is_not_written_at_all(
    settings: Settings, operator: OperatorKeys
) -> None:
    # the chunk admitted on top of a chunk whose write fails is void: neither is written
    # (each stays atomic), both callers hear so, and both register when sent again
    async def scenario(service: RegistryService) -> None:
        held, first, second, one, two = await _second_on_top_of_the_first(
            service, operator, fail=True
        )
        held.release.set()
        with pytest.raises(Unavailable, match="disk full"):
            await one
        with pytest.raises(Unavailable):
            await two
        assert service.size == 1
        assert await service.store.size() == 1
        results = await service.register_atomic(first) + await service.register_atomic(second)
        assert [r.index for r in results] == list(range(1, 1 + len(first) + len(second)))
        assert not any(r.existed for r in results)

    run(settings, operator, scenario)


def test_a_group_citing_an_entry_edited_in_the_database_writes_nothing(
    settings: Settings, operator: OperatorKeys
) -> None:
    """A group holding a statement already in the log, whose row was edited in the database
    since: the group fails with the tamper evidence, and its new statements are not written
    (they used to be, while the caller heard the group had failed)."""
    ppk, statements = _group(operator, 2)
    new = ppk.sign_statement(pact(place="Kota Baru"), "ppk", NOW_S)

    async def scenario(service: RegistryService) -> None:
        first = await service.register_atomic(statements)
        edited = first[-1].index
        await edit_async(
            settings,
            update(ENTRIES).where(ENTRIES.c.idx == edited).values(statement=b"edited"),
        )
        size = service.size
        with pytest.raises(TamperedEntry) as tampered:
            await service.register_atomic([statements[-1], new])
        assert tampered.value.index == edited
        assert service.size == size
        assert await service.store.size() == size

    run(settings, operator, scenario)
