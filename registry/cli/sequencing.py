"""`registry serve`'s sequencing process: it sequences the log and serves no HTTP.

With ``REGISTRY_SEQUENCER=apart`` ``registry serve`` starts this
process before its HTTP workers.  It opens the registry, takes the sequencer
lock, and runs what must be serial: the registrar's cycle, the hand-off
socket (statements and bulk import chunks from the workers), checkpoints and
witness rounds.  Every HTTP worker is then a follower: it checks signatures
and hands statements over, so no worker's HTTP shares a GIL with the
sequencer's cycle.  On two cores it measured slower than a sequencing worker
(every statement is handed over; docs/benchmarks.md, stop 31), so ``worker``
is the default.  The compliance tally is kept
by one of the workers (the keeper's lock; this process keeps none).

If this process dies, the workers' followers take the sequencer lock as
they do when a sequencing worker dies (``cluster.follow``): a statement
handed over and not answered is sent again by its worker, and registration
is idempotent, so none is lost or logged twice.  It stops when the server
stops (SIGTERM, SIGINT) or its parent is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import click

from registry.cli.words import say
from registry.config import Settings
from registry.records.operator import open_keys
from registry.records.service import RegistryService

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 600.0
"""How long `registry serve` waits for the sequencing process to load the log."""
STOP_TIMEOUT_S = 60.0
PARENT_CHECK_S = 1.0


def start_apart(settings: Settings) -> BaseProcess:
    """Start the sequencing process and wait until it sequences (or follows another).

    Raises :class:`click.ClickException` naming the reason if it cannot start.
    """
    # forked, as _initialise_apart is (no thread runs yet in `registry serve`)
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(
        target=_run, args=(settings, writer, os.getpid()), name="registry-sequencer"
    )
    process.start()
    writer.close()
    try:
        if not reader.poll(READY_TIMEOUT_S):
            stop_apart(process)
            raise click.ClickException(say("cli.serve.sequencer_failed", reason="timeout"))
        answer = reader.recv()
    except EOFError:
        process.join(STOP_TIMEOUT_S)
        reason = f"exit {process.exitcode}"
        raise click.ClickException(say("cli.serve.sequencer_failed", reason=reason)) from None
    finally:
        reader.close()
    if answer != "ready":
        stop_apart(process)
        raise click.ClickException(say("cli.serve.sequencer_failed", reason=str(answer)))
    return process


def stop_apart(process: BaseProcess) -> None:
    """Stop the sequencing process (it saves its state as it closes); kill it if it lingers."""
    if process.is_alive():
        process.terminate()  # SIGTERM: a graceful close
        process.join(STOP_TIMEOUT_S)
    if process.is_alive():
        process.kill()
        process.join(STOP_TIMEOUT_S)


def _run(settings: Settings, ready: Connection, parent: int) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(sequence(settings, ready, parent))


async def sequence(settings: Settings, ready: Connection | None, parent: int | None) -> None:
    """Open the registry, sequence it (or follow the process that does, and take over when
    it goes) until told to stop; say ``"ready"`` on ``ready`` once open (else the error)."""
    try:
        keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        service = await RegistryService.open(settings, keys)
    except Exception as exc:
        if ready is not None:
            ready.send(str(exc) or type(exc).__name__)
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    try:
        log.info("sequencing process %d: serves no HTTP", os.getpid())
        if ready is not None:
            ready.send("ready")
            ready.close()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PARENT_CHECK_S):
                    await stop.wait()
            if parent is not None and os.getppid() != parent:
                log.warning("the server that started this sequencer is gone: stopping")
                break
    finally:
        await service.close()


def main() -> None:
    """``python -m registry.cli.sequencing``: the sequencing process, settings from the
    environment, in the foreground (for a server started without ``registry serve``)."""
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(sequence(Settings.from_env(), None, None))


if __name__ == "__main__":
    main()
