"""A bulk import's cryptography on every core: signing and verifying in worker processes.

(And the checking of a chunk's rows, :meth:`CryptoPool.call`: whatever of an
import needs no log is kept off the process that sequences it.)

One Ed25519 signature (and the deterministic CBOR under it) per row to sign,
one verification per row to register: the dear, independent part of an
import.  Python runs one core per process, so :class:`CryptoPool` cuts a
chunk into one slice per worker process (``concurrent.futures``) and puts the
answers back in order.  The sequencer then only admits and appends: it is
handed statements already verified (``Registrar.register_atomic(verified=...)``)
and checks that each key is still the one enrolled under its kid.

With ``workers=0`` (or one core) everything runs in the calling process, the
same functions, so tests and small imports need no processes.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.signing.cose import CoseSigner
from registry.verify.result import Verdict
from registry.verify.statement import Statement, verify_statement

T = TypeVar("T")
R = TypeVar("R")
SignJob = tuple[dict[str, Any], int]
"""A payload to sign, and the time (seconds) to sign it at."""


def sign_slice(private_key: bytes, issuer: str, jobs: Sequence[SignJob]) -> list[bytes]:
    """Each payload signed as a statement by the key with raw bytes ``private_key``."""
    signer = CoseSigner(Ed25519PrivateKey.from_private_bytes(private_key))
    return [signer.sign_statement(payload, issuer, at) for payload, at in jobs]


def verify_slice(
    keys: Mapping[bytes, bytes], statements: Sequence[bytes]
) -> list[Verdict[Statement]]:
    """Each statement verified against ``keys`` (kid to raw public key)."""
    return [verify_statement(s, keys.get) for s in statements]


def workers_for(cores: int | None = None) -> int:
    """Worker processes for this machine: one per core, none on a single core."""
    count = cores if cores is not None else (os.cpu_count() or 1)
    return count if count > 1 else 0


class CryptoPool:
    """Worker processes for signing and verifying slices of a chunk (``workers=0``: none)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers_for() if workers is None else workers
        self._executor: Executor | None = None

    def _pool(self) -> Executor | None:
        if self.workers and self._executor is None:
            # forkserver: never a fork of a process running an event loop and database threads
            context = multiprocessing.get_context("forkserver")
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._executor

    async def _spread(
        self, work: Callable[..., list[R]], items: Sequence[T], *args: Any
    ) -> list[R]:
        pool = self._pool()
        if pool is None or len(items) < 2:
            return work(*args, items)
        size = -(-len(items) // self.workers)
        slices = [items[i : i + size] for i in range(0, len(items), size)]
        loop = asyncio.get_running_loop()
        calls = [functools.partial(work, *args, part) for part in slices]
        done = await asyncio.gather(*(loop.run_in_executor(pool, call) for call in calls))
        return [answer for part in done for answer in part]

    async def call(self, work: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """``work(*args, **kwargs)`` in one worker process (here, without workers).

        For the rest of a chunk's work that needs no log: checking its rows
        (:func:`registry.records.bulk.validate_table`), which then overlaps the
        sequencer's registration of the chunk before it instead of competing
        with it for the sequencing process.  ``work`` and its arguments must pickle.
        """
        pool = self._pool()
        if pool is None:
            return work(*args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, functools.partial(work, *args, **kwargs))

    async def sign(self, private_key: bytes, issuer: str, jobs: Sequence[SignJob]) -> list[bytes]:
        """The statements of ``jobs``, in order, signed on every worker."""
        return await self._spread(sign_slice, jobs, private_key, issuer)

    async def verify(
        self, statements: Sequence[bytes], keys: Mapping[bytes, bytes]
    ) -> list[Verdict[Statement]]:
        """The verdicts on ``statements``, in order, verified on every worker."""
        return await self._spread(verify_slice, statements, dict(keys))

    def close(self) -> None:
        """Stop the worker processes."""
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
