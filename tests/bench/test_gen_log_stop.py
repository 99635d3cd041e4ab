"""bench/gen_log.py stops at one SIGINT after the chunk it registers, its log whole."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.records.operator import open_keys
from registry.records.service import RegistryService

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from gen_log import CHUNK, ORIGIN, PASSPHRASE, Interrupted, _start_worker, generate, settings_for


@pytest.fixture
def interruptible() -> Iterator[None]:
    """SIGINT as a Python started from a terminal has it (a KeyboardInterrupt), whatever the
    process running the tests was given (a test runner's worker may ignore it)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def test_a_sigint_stops_the_growth_after_the_chunk_being_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interruptible: None
) -> None:
    real = RegistryService.register_atomic
    calls: list[int] = []

    async def interrupted_in_the_first_chunk(self: RegistryService, *args: Any) -> Any:
        calls.append(len(args[0]))
        if len(calls) == 2:  # the authorities, then the first chunk of cycles
            signal.raise_signal(signal.SIGINT)  # as a Ctrl-C while it is being registered
        return await real(self, *args)

    monkeypatch.setattr(RegistryService, "register_atomic", interrupted_in_the_first_chunk)
    with pytest.raises(Interrupted, match="2,007 entries"):
        asyncio.run(generate(tmp_path, 3 * CHUNK, None, 1, demo=False))
    monkeypatch.undo()
    assert calls[1:] == [CHUNK]  # the chunk being registered ended; no other was sent
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back

    async def opened() -> tuple[int, Any]:
        settings = settings_for(tmp_path)
        service = await RegistryService.open(
            settings, open_keys(settings.data_dir, PASSPHRASE, ORIGIN)
        )
        try:
            return service.size, service.tampering()
        finally:
            await service.close()

    assert asyncio.run(opened()) == (7 + CHUNK, (0, []))


def test_a_signing_worker_leaves_a_sigint_to_the_main_process(tmp_path: Path) -> None:
    asyncio.run(generate(tmp_path, 0, None, 1, demo=False))
    before = signal.getsignal(signal.SIGINT)
    try:
        _start_worker(settings_for(tmp_path).data_dir)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
