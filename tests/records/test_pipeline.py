"""Pipelined commit: the next batch is admitted while the one before it is being written.

A store whose writes wait on a gate holds a batch "being written", so each
test can act while it is in flight: repeat its statements, use the key it
enrols, read the log, or make the write fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from registry.config import Settings
from registry.records.errors import NotFound, Unavailable
from registry.records.operator import create_keys
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.store.models import CheckpointRecord, EntryRecord
from registry.verify.receipt import verify_receipt
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import HISTORY_HOURS, cited_statements, fixed_key
from tests.waiting import until


class GatedWrites:
    """Wraps ``store.append_batch``: each write waits for :meth:`open`, or fails when told.

    Also counts the batches the sequencer has admitted (``processed``), so a
    test can wait until a statement sent during a write was dealt with.
    """

    def __init__(self, service: RegistryService) -> None:
        self._write = service.store.append_batch
        self._write_several = service.store.append_batches
        self.gate = asyncio.Event()
        self.gate.set()
        self.started = asyncio.Event()
        self.fail_next = False
        self.written: list[list[int]] = []
        """The entry indexes of each transaction (several batches' in one, in order)."""
        self.processed = 0
        service.store.append_batch = self  # type: ignore[method-assign]
        service.store.append_batches = self.several  # type: ignore[method-assign]
        registrar = service.registrar
        process = registrar._process

        async def counted(batch: Any, atomic: bool = False) -> None:
            try:
                await process(batch, atomic)
            finally:
                self.processed += 1

        registrar._process = counted  # type: ignore[method-assign]

    async def __call__(
        self, records: Sequence[EntryRecord], checkpoint: CheckpointRecord, **kwargs: Any
    ) -> None:
        self.started.set()
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk unplugged")
        await self._write(records, checkpoint, **kwargs)
        self.written.append([r.idx for r in records])

    async def several(self, batches: Sequence[Any], **kwargs: Any) -> None:
        self.started.set()
        await self.gate.wait()
        await self._write_several(batches, **kwargs)
        self.written.append([r.idx for records, *_ in batches for r in records])

    def hold(self) -> None:
        self.gate.clear()
        self.started.clear()

    def open(self) -> None:
        self.gate.set()


async def _service(tmp_path: Path) -> tuple[RegistryService, CoseSigner]:
    settings = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/log.sqlite3",
        data_dir=tmp_path / "data",
        origin="test.example/pipa",
        admin_passphrase="uji-pipa",
        batch_wait_ms=0,
    )
    keys = create_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    service = await RegistryService.open(settings, keys)
    admin = keys.admin
    boot = enrolment(admin.public_key, "admin", term_start="2000-01-01", term_end="2099-12-31")
    await service.register(
        admin.sign_statement({k: v for k, v in boot.items() if v is not None}, "op", NOW_S)
    )
    for cited in cited_statements(admin, issued_at=NOW_S):  # what the pacts cite: entries 1, 2
        await service.register(cited)
    return service, admin


def _pact(signer: CoseSigner, place: str) -> bytes:
    return signer.sign_statement(pact(place=place), "ppk", NOW_S)


async def _enrol(service: RegistryService, admin: CoseSigner, label: str) -> CoseSigner:
    ppk = CoseSigner(fixed_key(label))
    await service.register(admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S))
    return ppk


def test_a_repeat_during_the_write_gets_the_same_entry(tmp_path: Path) -> None:
    async def scenario() -> None:
        service, admin = await _service(tmp_path)
        try:
            ppk = await _enrol(service, admin, "ppk-ulang")
            writes = GatedWrites(service)
            writes.hold()
            statement = _pact(ppk, "Sumedang")
            first = asyncio.ensure_future(service.register(statement))
            await writes.started.wait()  # the first copy is being written
            again = asyncio.ensure_future(service.register(statement))
            # the repeat is admitted against the unwritten batch
            await until(lambda: writes.processed == 2, "the repeat admitted")
            assert not first.done()
            assert not again.done()
            writes.open()
            one, two = await first, await again
            assert (one.existed, two.existed) == (False, True)
            assert two.index == one.index
            assert two.receipt == one.receipt
            assert writes.written == [[one.index]]
        finally:
            await service.close()

    asyncio.run(scenario())


def test_a_key_enrolled_in_the_batch_being_written_signs_in_the_next(tmp_path: Path) -> None:
    async def scenario() -> None:
        service, admin = await _service(tmp_path)
        try:
            writes = GatedWrites(service)
            writes.hold()
            ppk = CoseSigner(fixed_key("ppk-berikut"))
            enrol = asyncio.ensure_future(
                service.register(
                    admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
                )
            )
            await writes.started.wait()
            signed = asyncio.ensure_future(service.register(_pact(ppk, "Subang")))
            await until(lambda: writes.processed == 2, "the pact admitted during the write")
            assert service.state.size == service.size + 2  # appended behind the enrolment
            assert not signed.done()
            writes.open()
            enrolled, registered = await enrol, await signed
            assert registered.index == enrolled.index + 1
            assert writes.written == [[enrolled.index], [registered.index]]
            keys = {service.keys.log.kid: service.keys.log.public_key}
            assert verify_receipt(registered.receipt, keys, _pact(ppk, "Subang")).ok
        finally:
            await service.close()

    asyncio.run(scenario())


def test_entries_being_written_are_not_shown(tmp_path: Path) -> None:
    async def scenario() -> None:
        service, admin = await _service(tmp_path)
        try:
            ppk = await _enrol(service, admin, "ppk-tampil")
            before = service.size
            checkpoint = await service.checkpoint()
            writes = GatedWrites(service)
            writes.hold()
            pending = asyncio.ensure_future(service.register(_pact(ppk, "Garut")))
            await writes.started.wait()
            assert service.state.size == before + 1  # in the sequencer's tree...
            assert service.size == before  # ...but not in the log anyone sees
            assert await service.checkpoint() == checkpoint
            with pytest.raises(NotFound):
                await service.receipt(before)
            with pytest.raises(NotFound):
                await service.inclusion_proof(0, before + 1)
            writes.open()
            assert (await pending).index == before
            assert service.size == before + 1
        finally:
            await service.close()

    asyncio.run(scenario())


def test_a_failed_write_voids_the_batch_admitted_on_top_of_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        service, admin = await _service(tmp_path)
        try:
            ppk = await _enrol(service, admin, "ppk-gagal")
            size = service.size
            writes = GatedWrites(service)
            writes.hold()
            writes.fail_next = True
            doomed = asyncio.ensure_future(service.register(_pact(ppk, "Cirebon")))
            await writes.started.wait()
            on_top = asyncio.ensure_future(service.register(_pact(ppk, "Kuningan")))
            await until(lambda: service.state.size == size + 2, "appended above the doomed batch")
            writes.open()
            for future in (doomed, on_top):
                with pytest.raises(Unavailable):
                    await future
            assert service.state.size == service.size == size
            # the log goes on where it was, with no gap, and both can be sent again
            again = await asyncio.gather(
                service.register(_pact(ppk, "Cirebon")), service.register(_pact(ppk, "Kuningan"))
            )
            assert sorted(r.index for r in again) == [size, size + 1]
            keys = {service.keys.log.kid: service.keys.log.public_key}
            for result, place in zip(again, ("Cirebon", "Kuningan"), strict=True):
                assert verify_receipt(result.receipt, keys, _pact(ppk, place)).ok
            assert await service.store.leaf_hashes() == b"".join(
                service.state.tree.node(0, i) for i in range(size + 2)
            )
        finally:
            await service.close()

    asyncio.run(scenario())


def test_batches_admitted_during_a_write_are_written_together_and_pinned_once(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        service, admin = await _service(tmp_path)
        try:
            ppk = await _enrol(service, admin, "ppk-bersama")
            writes = GatedWrites(service)
            pins: list[int] = []
            assert service.registrar.pin is not None
            pin_write = service.registrar.pin.write

            def counted(checkpoint: CheckpointRecord) -> bool:
                pins.append(checkpoint.size)
                return pin_write(checkpoint)

            service.registrar.pin.write = counted  # type: ignore[method-assign]
            writes.hold()
            first = asyncio.ensure_future(service.register(_pact(ppk, "Bekasi")))
            await writes.started.wait()
            # two batches, each admitted (and its checkpoint signed) while the first is held
            second = asyncio.ensure_future(service.register(_pact(ppk, "Bogor")))
            await until(lambda: writes.processed == 2, "the second admitted")
            third = asyncio.ensure_future(service.register(_pact(ppk, "Depok")))
            await until(lambda: writes.processed == 3, "the third admitted")
            assert not second.done()
            assert not third.done()
            writes.open()
            one, two, three = await first, await second, await third
            assert writes.written == [[one.index], [two.index, three.index]]  # one transaction
            assert pins == [one.index + 1, three.index + 1]  # the last covers the one before
            assert service.state.pinned is not None
            assert service.state.pinned.size == service.size == three.index + 1
            keys = {service.keys.log.kid: service.keys.log.public_key}
            for result, place in ((two, "Bogor"), (three, "Depok")):
                # each receipt is over its own batch's checkpoint, both now in the database
                assert verify_receipt(result.receipt, keys, _pact(ppk, place)).ok
            assert await service.store.checkpoint_at(two.index + 1) is not None
            assert await service.store.checkpoint_at(three.index + 1) is not None
        finally:
            await service.close()

    asyncio.run(scenario())
