"""Remote signing with keys the registry holds for their owners, as Indonesia's BSrE does.

A custodial key is an Ed25519 key sealed under its owner's passphrase
(:func:`registry.signing.keys.seal_private_key`: scrypt, then AES-256-GCM);
the store only ever holds the sealed bytes.  To sign, the owner sends the
passphrase with the record: :meth:`CustodialSigning.sign_and_register`
validates the record, opens the key (scrypt, in a worker thread so the event
loop keeps serving), signs the record as a statement and registers it like
any other.  Wrong passphrases are held back as :mod:`registry.records.throttle`
says: the ``sign_max_failures``-th in a row *from one client* locks that client
(not the key) out for ``sign_lockout_seconds``, during which even the right
passphrase from it is refused; and once a key has had that many wrong
passphrases in a row from anywhere (counted in the store), attempts on it are
spaced :data:`SLOW_DOWN_MS` apart, so that a kid cannot be guessed at from many
addresses.  A client that made no mistake is never refused.

The passphrase is never stored, logged, nor put in an exception message.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, NoReturn

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.config import Settings
from registry.i18n import DEFAULT_LANGUAGE, Message
from registry.records.errors import KeyLockedError, NotFound, WrongPassphraseError
from registry.records.queued import Registered
from registry.records.schemas import record_payload
from registry.records.shared_table import SharedTable
from registry.records.text_form import parse_record_fields
from registry.records.throttle import QUEUE, ClientLockouts, next_turn_ms
from registry.signing.cose import CoseSigner
from registry.signing.keys import (
    KeyFileError,
    WrongPassphrase,
    generate_key,
    open_private_key,
    raw_public_key,
    seal_private_key,
)
from registry.store.errors import UnknownKey
from registry.store.migrate import upgrade
from registry.store.models import CustodialKeyRecord
from registry.store.repository import Store
from registry.verify.cose import key_id

log = logging.getLogger(__name__)

ATTEMPTS_FILE = "custodial-attempts"
"""Where the workers of a server count wrong passphrases together (in the data folder)."""

MIN_PASSPHRASE_LENGTH = 8
"""The shortest passphrase a key is put in custody under: it is all that guards the key."""

Register = Callable[[bytes], Awaitable[Registered]]
"""Registers a signed statement (:meth:`registry.records.service.RegistryService.register`)."""

Clock = Callable[[], int]
"""The time in integer milliseconds since the Unix epoch."""

Sleep = Callable[[float], Awaitable[None]]
"""Waits a number of seconds (:func:`asyncio.sleep`; tests pass one that moves their clock)."""

SLOW_DOWN_MS = 2_000
"""Once a key has had ``sign_max_failures`` wrong passphrases in a row from anywhere, the
least time between two attempts on it (per process)."""

NEVER = 2**31 - 1
"""A failure count the store never reaches (its column is 32-bit): the store counts, it no
longer locks keys."""


def wall_clock_ms() -> int:
    """The system clock in integer milliseconds since the Unix epoch."""
    return int(time.time() * 1000)


class ShortPassphrase(ValueError):
    """A passphrase too short to guard a custodial key; ``message`` says how long it must be."""

    def __init__(self) -> None:
        self.message = Message("custodial.short-passphrase", {"min": MIN_PASSPHRASE_LENGTH})
        super().__init__(self.message.render(DEFAULT_LANGUAGE))


def check_passphrase(passphrase: str) -> None:
    """Refuse, with :class:`ShortPassphrase` (a ``ValueError``), a passphrase too short."""
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise ShortPassphrase


class CustodialSigning:
    """Keys held for their owners: put them in custody, and sign with them on request.

    ``register`` may be left out where keys are only created (the command
    line); ``clock_ms`` times lockouts (tests move it).  Within one process,
    attempts on one key are taken one at a time, so parallel requests cannot
    try more passphrases than the lockout allows.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        register: Register | None = None,
        *,
        clock_ms: Clock = wall_clock_ms,
        sleep: Sleep = asyncio.sleep,
        slow_down_ms: int = SLOW_DOWN_MS,
        shared: SharedTable | None = None,
    ) -> None:
        self._store = store
        self._max_failures = settings.sign_max_failures
        self._lockout_seconds = settings.sign_lockout_seconds
        self._register = register
        self._clock_ms = clock_ms
        self._sleep = sleep
        self._slow_down_ms = slow_down_ms
        self._clients = ClientLockouts(
            self._max_failures, self._lockout_seconds * 1000, table=shared
        )
        self._turns = shared
        self._last_attempt: dict[bytes, int] = {}
        self._gates: dict[bytes, tuple[asyncio.Lock, int]] = {}

    @property
    def shared_counts(self) -> SharedTable | None:
        """The table wrong passphrases are counted in with other workers (None: this one's)."""
        return self._turns

    async def create(self, passphrase: str) -> tuple[bytes, bytes]:
        """Generate a key, keep it sealed under ``passphrase``; its ``(kid, raw public key)``.

        The private key leaves this call only sealed.  Raises
        :class:`ValueError` for a passphrase shorter than
        :data:`MIN_PASSPHRASE_LENGTH`.
        """
        return await self.import_key(generate_key(), passphrase)

    async def import_key(
        self, private_key: Ed25519PrivateKey, passphrase: str
    ) -> tuple[bytes, bytes]:
        """Keep an existing key (the demo's signers) sealed under ``passphrase``; ``(kid, public)``.

        A key already held under the same kid is replaced, its failure count
        and lock cleared.  Raises :class:`ValueError` for a short passphrase.
        """
        check_passphrase(passphrase)
        sealed = await asyncio.to_thread(seal_private_key, private_key, passphrase)
        public = raw_public_key(private_key)
        kid = key_id(public)
        await self._store.put_custodial_key(CustodialKeyRecord(kid=kid, encrypted_key=sealed))
        log.info("custodial key %s put in custody", kid.hex())
        return kid, public

    async def sign_and_register(
        self, kid: bytes, passphrase: str, record: dict[str, Any], client: str = ""
    ) -> Registered:
        """Sign ``record`` with the custodial key ``kid`` opened by ``passphrase``, and register it.

        ``record`` is a record as JSON gives it (binary fields as hex or
        base64url text).  In order, raises :class:`NotFound` for an unknown
        key, :class:`KeyLockedError` when ``client`` (the caller's address) is locked out
        of it,
        :class:`registry.records.schemas.RecordError` for a record that does
        not fit its schema (no attempt is counted), and
        :class:`WrongPassphraseError` (or :class:`KeyLockedError` for the
        wrong passphrase that locks the key) when the passphrase does not open
        it.  Then registration may refuse the statement
        (:class:`registry.records.errors.RegistrationRefused`).
        """
        if self._register is None:
            raise RuntimeError("this CustodialSigning was made without a register function")
        statement = await self.sign(kid, passphrase, record, client, _validated)
        registered = await self._register(statement)
        log.info("custodial key %s signed entry %d", kid.hex(), registered.index)
        return registered

    async def sign(
        self,
        kid: bytes,
        passphrase: str,
        payload: dict[str, Any],
        client: str = "",
        prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> bytes:
        """The statement of ``payload`` signed by custodial key ``kid``; nothing is registered.

        ``prepare`` (schema validation) turns the payload into what is signed once the key is
        known, before any attempt is counted; without it the payload is signed as given (an
        institution page's access statement).  Raises as :meth:`sign_and_register` does
        before registering.
        """
        self._refuse_if_locked(kid, client)
        async with self._gate(kid):
            held = await self._store.get_custodial_key(kid)
            if held is None:
                raise NotFound(Message("notfound.custodial-key", {"kid": kid.hex()}))
            self._refuse_if_locked(kid, client)
            if prepare is not None:
                payload = prepare(payload)
            await self._slow_down(held)
            key = await self._open(held, passphrase, client)
        return CoseSigner(key).sign_statement(payload, issuer=kid.hex())

    def _refuse_if_locked(self, kid: bytes, client: str) -> None:
        now = self._clock_ms()
        state = self._clients.state(kid, client)
        if state.locked_until is not None and state.is_locked(now):
            raise KeyLockedError(kid, state.locked_until, _seconds_until(state.locked_until, now))

    async def _slow_down(self, held: CustodialKeyRecord) -> None:
        """Space attempts on a key under attack: each takes the next turn (one per
        ``slow_down_ms``) and waits for it.  This process takes them one at a time (inside
        the key's gate); with a shared table, the turns are the server's, wherever taken."""
        now = self._clock_ms()
        turns = self._turns
        if turns is None:
            last = self._last_attempt.get(held.kid)
            turn = self._next_turn(held, last, now, 1)
            self._last_attempt[held.kid] = turn
        else:
            name = turns.name(b"turn", held.kid)
            with turns.locked():
                at, taken = turns.find(name)
                turn = self._next_turn(held, None if taken is None else taken[0], now, QUEUE)
                turns.put(name, turn, 0.0, now, at)
        if turn > now:
            await self._sleep((turn - now) / 1000)

    def _next_turn(self, held: CustodialKeyRecord, last: float | None, now: int, queue: int) -> int:
        return next_turn_ms(
            held.failed_attempts, self._max_failures, last, now, self._slow_down_ms, queue
        )

    async def _open(
        self, held: CustodialKeyRecord, passphrase: str, client: str
    ) -> Ed25519PrivateKey:
        try:
            # scrypt takes about a tenth of a second of CPU: keep it off the event loop.
            key = await asyncio.to_thread(open_private_key, held.encrypted_key, passphrase)
        except WrongPassphrase:
            await self._count_failure(held.kid, client)
        if key_id(raw_public_key(key)) != held.kid:
            raise KeyFileError(f"custodial key {held.kid.hex()} holds another key")
        self._clients.success(held.kid, client)
        self._last_attempt.pop(held.kid, None)
        if self._turns is not None:
            with self._turns.locked():
                self._turns.drop(self._turns.name(b"turn", held.kid))
        if held.failed_attempts or held.locked_until is not None:
            await self._store.reset_custodial_failures(held.kid)
        return key

    async def _count_failure(self, kid: bytes, client: str) -> NoReturn:
        now = self._clock_ms()
        try:
            # The store counts the key's wrong passphrases from anywhere (for the slow-down);
            # it never locks the key: a lockout is per client (ClientLockouts).
            await self._store.record_custodial_failure(
                kid, now_ms=now, max_failures=NEVER, lockout_ms=0
            )
        except UnknownKey:
            raise NotFound(Message("notfound.custodial-key", {"kid": kid.hex()})) from None
        updated = self._clients.failure(kid, client, now)
        if updated.locked_until is not None and updated.is_locked(now):
            log.warning(
                "a client is locked out of custodial key %s for %d s after %d wrong passphrases",
                kid.hex(),
                self._lockout_seconds,
                self._max_failures,
            )
            raise KeyLockedError(
                kid,
                updated.locked_until,
                _seconds_until(updated.locked_until, now),
                just_locked=True,
            )
        remaining = self._max_failures - updated.failures
        log.warning(
            "wrong passphrase for custodial key %s (attempts left: %d)", kid.hex(), remaining
        )
        raise WrongPassphraseError(kid, remaining, self._lockout_seconds)

    @asynccontextmanager
    async def _gate(self, kid: bytes) -> AsyncIterator[None]:
        lock, users = self._gates.get(kid, (asyncio.Lock(), 0))
        self._gates[kid] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._gates[kid]
            if users == 1:
                del self._gates[kid]
            else:
                self._gates[kid] = (lock, users - 1)


async def create_custodial_key(settings: Settings, passphrase: str) -> tuple[bytes, bytes]:
    """Put a new key in custody in the database of ``settings``; its ``(kid, raw public key)``.

    The database is brought to the current schema first (the command line
    may run before the server ever did).  Raises :class:`ValueError` for a
    short passphrase.
    """
    check_passphrase(passphrase)
    await upgrade(settings.database_url)
    async with Store.open(settings.database_url) as store:
        return await CustodialSigning(store, settings).create(passphrase)


def _validated(record: dict[str, Any]) -> dict[str, Any]:
    return record_payload(parse_record_fields(record))


def _seconds_until(until_ms: int, now_ms: int) -> int:
    return max(1, math.ceil((until_ms - now_ms) / 1000))
