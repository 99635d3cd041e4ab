"""CustodialSigning on a real store (SQLite and PostgreSQL), with a fake registrar and clock."""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from registry.config import Settings
from registry.records import custodial as custodial_module
from registry.records.custodial import ATTEMPTS_FILE, MIN_PASSPHRASE_LENGTH, CustodialSigning
from registry.records.errors import KeyLockedError, NotFound, WrongPassphraseError
from registry.records.queued import Registered
from registry.records.schemas import RecordError
from registry.records.shared_table import SharedTable
from registry.signing.keys import open_private_key, public_key_of_sealed, raw_private_key
from registry.store import Store, upgrade
from registry.verify.cose import key_id
from registry.verify.statement import verify_statement
from tests.factories import HISTORY_HOURS, TEMPLATE_SHA256, fixed_key, pact_payload

PASSPHRASE = "kata-sandi-PPK-Jabar-2024"
WRONG = "kata-sandi-yang-salah"
MAX_FAILURES = 3
LOCKOUT_S = 900
T0_MS = 1_727_395_200_000


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now_ms: int = T0_MS

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, seconds: float) -> None:
        self.now_ms += int(seconds * 1000)


@dataclass
class FakeRegistrar:
    """Takes every statement, as entries 0, 1, 2..."""

    statements: list[bytes] = field(default_factory=list)

    async def __call__(self, statement: bytes) -> Registered:
        self.statements.append(statement)
        return Registered(len(self.statements) - 1, b"receipt", existed=False)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    await upgrade(database_url)
    store = Store.open(database_url)
    yield store
    await store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registrar() -> FakeRegistrar:
    return FakeRegistrar()


@pytest.fixture
def signing(store: Store, registrar: FakeRegistrar, clock: Clock) -> CustodialSigning:
    settings = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        sign_max_failures=MAX_FAILURES,
        sign_lockout_seconds=LOCKOUT_S,
    )
    return CustodialSigning(store, settings, registrar, clock_ms=clock)


@pytest.fixture
async def kid(signing: CustodialSigning) -> bytes:
    kid, _ = await signing.import_key(fixed_key("ppk-custodial"), PASSPHRASE)
    return kid


def json_pact(encode: str = "hex") -> dict[str, Any]:
    """A pact as JSON carries it: the template hash as text."""
    text = (
        TEMPLATE_SHA256.hex()
        if encode == "hex"
        else base64.urlsafe_b64encode(TEMPLATE_SHA256).rstrip(b"=").decode()
    )
    return pact_payload(template=text)


async def attempts(store: Store, kid: bytes) -> tuple[int, int | None]:
    held = await store.get_custodial_key(kid)
    assert held is not None
    return held.failed_attempts, held.locked_until


async def test_create_keeps_only_the_sealed_key(signing: CustodialSigning, store: Store) -> None:
    kid, public = await signing.create(PASSPHRASE)
    assert kid == key_id(public)
    held = await store.get_custodial_key(kid)
    assert held is not None
    assert (held.failed_attempts, held.locked_until) == (0, None)
    assert public_key_of_sealed(held.encrypted_key) == public
    private = raw_private_key(open_private_key(held.encrypted_key, PASSPHRASE))
    for form in (private, private.hex().encode(), base64.b64encode(private).rstrip(b"=")):
        assert form not in held.encrypted_key
    assert base64.urlsafe_b64encode(private).rstrip(b"=") not in held.encrypted_key
    assert PASSPHRASE.encode() not in held.encrypted_key


async def test_create_refuses_a_short_passphrase(signing: CustodialSigning) -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_PASSPHRASE_LENGTH} characters"):
        await signing.create("pendek")


@pytest.mark.parametrize("encode", ["hex", "base64url"])
async def test_signs_the_validated_record_with_the_custodial_key(
    signing: CustodialSigning, registrar: FakeRegistrar, kid: bytes, encode: str
) -> None:
    registered = await signing.sign_and_register(kid, PASSPHRASE, json_pact(encode))
    assert registered.index == 0
    [statement] = registrar.statements
    public = fixed_key("ppk-custodial").public_key().public_bytes_raw()
    verified = verify_statement(statement, {kid: public}).unwrap()
    assert verified.payload["template"] == TEMPLATE_SHA256
    assert verified.payload["place"] == "Bandung"
    assert verified.issuer == kid.hex()


async def test_wrong_passphrase_counts_down_the_attempts(
    signing: CustodialSigning, registrar: FakeRegistrar, store: Store, kid: bytes
) -> None:
    for remaining in range(MAX_FAILURES - 1, 0, -1):
        with pytest.raises(WrongPassphraseError, match=f"{remaining} more wrong") as caught:
            await signing.sign_and_register(kid, WRONG, json_pact())
        assert caught.value.attempts_remaining == remaining
    assert await attempts(store, kid) == (MAX_FAILURES - 1, None)
    assert registrar.statements == []


async def test_too_many_wrong_passphrases_lock_the_key_until_the_lockout_passes(
    signing: CustodialSigning, registrar: FakeRegistrar, store: Store, clock: Clock, kid: bytes
) -> None:
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(WrongPassphraseError):
            await signing.sign_and_register(kid, WRONG, json_pact())
    with pytest.raises(KeyLockedError, match="one wrong passphrase too many") as caught:
        await signing.sign_and_register(kid, WRONG, json_pact())
    assert caught.value.just_locked
    assert caught.value.retry_after == LOCKOUT_S
    assert caught.value.locked_until == T0_MS + LOCKOUT_S * 1000

    clock.advance(LOCKOUT_S - 0.5)
    with pytest.raises(KeyLockedError, match="even the right one is refused") as caught:
        await signing.sign_and_register(kid, PASSPHRASE, json_pact())
    assert not caught.value.just_locked
    assert caught.value.retry_after == 1
    assert registrar.statements == []

    clock.advance(0.5)
    assert (await signing.sign_and_register(kid, PASSPHRASE, json_pact())).index == 0
    assert await attempts(store, kid) == (0, None)


async def test_a_success_resets_the_failure_count(
    signing: CustodialSigning, store: Store, kid: bytes
) -> None:
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(WrongPassphraseError):
            await signing.sign_and_register(kid, WRONG, json_pact())
    await signing.sign_and_register(kid, PASSPHRASE, json_pact())
    assert await attempts(store, kid) == (0, None)
    with pytest.raises(WrongPassphraseError) as caught:
        await signing.sign_and_register(kid, WRONG, json_pact())
    assert caught.value.attempts_remaining == MAX_FAILURES - 1


async def test_unknown_kid_is_not_found(signing: CustodialSigning) -> None:
    with pytest.raises(NotFound, match="custodial key 00"):
        await signing.sign_and_register(bytes(32), PASSPHRASE, json_pact())


async def test_a_record_off_its_schema_costs_no_attempt_and_signs_nothing(
    signing: CustodialSigning, registrar: FakeRegistrar, store: Store, kid: bytes
) -> None:
    with pytest.raises(RecordError, match="pact"):
        await signing.sign_and_register(kid, WRONG, json_pact() | {"mood": "happy"})
    with pytest.raises(RecordError, match="template"):
        await signing.sign_and_register(kid, WRONG, json_pact() | {"template": 42})
    assert await attempts(store, kid) == (0, None)
    assert registrar.statements == []


async def test_parallel_guesses_cannot_outrun_the_lockout(
    signing: CustodialSigning, kid: bytes
) -> None:
    results = await asyncio.gather(
        *(signing.sign_and_register(kid, WRONG, json_pact()) for _ in range(2 * MAX_FAILURES)),
        return_exceptions=True,
    )
    wrong = [r for r in results if isinstance(r, WrongPassphraseError)]
    locked = [r for r in results if isinstance(r, KeyLockedError)]
    assert len(wrong) == MAX_FAILURES - 1
    assert [r.just_locked for r in locked] == [True] + [False] * MAX_FAILURES


async def test_scrypt_runs_off_the_event_loop_thread(
    signing: CustodialSigning, kid: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []

    def recording(data: bytes, passphrase: str) -> Any:
        threads.append(threading.get_ident())
        return open_private_key(data, passphrase)

    monkeypatch.setattr(custodial_module, "open_private_key", recording)
    await signing.sign_and_register(kid, PASSPHRASE, json_pact())
    assert threads
    assert threading.get_ident() not in threads


async def test_the_passphrase_is_never_logged(
    signing: CustodialSigning, clock: Clock, kid: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await signing.sign_and_register(kid, PASSPHRASE, json_pact())
    for _ in range(MAX_FAILURES):
        with pytest.raises((WrongPassphraseError, KeyLockedError)):
            await signing.sign_and_register(kid, WRONG, json_pact())
    with pytest.raises(KeyLockedError):
        await signing.sign_and_register(kid, PASSPHRASE, json_pact())
    assert "wrong passphrase for custodial key" in caplog.text
    assert "locked" in caplog.text
    assert PASSPHRASE not in caplog.text
    assert WRONG not in caplog.text


# -- per client and per key: nobody can lock the owner out, nobody can guess from everywhere --


@dataclass
class FakeSleep:
    """Sleeps by moving the test's clock, and remembers how long each wait was."""

    clock: Clock
    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


SLOW_MS = 2_000


@pytest.fixture
def sleep(clock: Clock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture(params=["per-process", "shared"])
def counts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SharedTable | None]:
    """Where wrong passphrases are counted: in the signer's process, or in a table shared
    by a server's workers (the same rules either way)."""
    if request.param == "per-process":
        yield None
        return
    table = SharedTable(tmp_path / ATTEMPTS_FILE)
    yield table
    table.close()


def worker(
    store: Store,
    registrar: FakeRegistrar,
    clock: Clock,
    sleep: Callable[[float], Awaitable[None]],
    counts: SharedTable | None,
) -> CustodialSigning:
    """One worker's custodial signer."""
    settings = Settings(sign_max_failures=MAX_FAILURES, sign_lockout_seconds=LOCKOUT_S)
    return CustodialSigning(
        store,
        settings,
        registrar,
        clock_ms=clock,
        sleep=sleep,
        slow_down_ms=SLOW_MS,
        shared=counts,
    )


@pytest.fixture
def throttled(
    store: Store,
    registrar: FakeRegistrar,
    clock: Clock,
    sleep: FakeSleep,
    counts: SharedTable | None,
) -> CustodialSigning:
    return worker(store, registrar, clock, sleep, counts)


async def test_an_attacker_locked_out_leaves_the_owner_able_to_sign(
    throttled: CustodialSigning, registrar: FakeRegistrar
) -> None:
    kid, _ = await throttled.import_key(fixed_key("ppk-custodial"), PASSPHRASE)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(WrongPassphraseError):
            await throttled.sign_and_register(kid, WRONG, json_pact(), "203.0.113.9")
    with pytest.raises(KeyLockedError, match="locked out") as caught:
        await throttled.sign_and_register(kid, WRONG, json_pact(), "203.0.113.9")
    assert caught.value.just_locked
    with pytest.raises(KeyLockedError):
        await throttled.sign_and_register(kid, PASSPHRASE, json_pact(), "203.0.113.9")

    registered = await throttled.sign_and_register(kid, PASSPHRASE, json_pact(), "198.51.100.7")
    assert registered.index == 0
    assert len(registrar.statements) == 1


async def test_a_kid_guessed_at_from_many_addresses_is_slowed_but_the_owner_gets_through(
    throttled: CustodialSigning,
    registrar: FakeRegistrar,
    store: Store,
    sleep: FakeSleep,
    clock: Clock,
) -> None:
    kid, _ = await throttled.import_key(fixed_key("ppk-custodial"), PASSPHRASE)
    guesses = 4 * MAX_FAILURES
    started = clock.now_ms
    for n in range(guesses):
        # Each address stops one short of its own lockout.
        with pytest.raises(WrongPassphraseError):
            await throttled.sign_and_register(kid, WRONG, json_pact(), f"10.0.{n // 2}.{n % 2}")
    assert await attempts(store, kid) == (guesses, None)
    # From the key's MAX_FAILURES-th wrong passphrase on, each attempt waited its turn.
    assert len(sleep.waits) == guesses - MAX_FAILURES
    assert clock.now_ms - started >= (guesses - MAX_FAILURES) * SLOW_MS

    registered = await throttled.sign_and_register(kid, PASSPHRASE, json_pact(), "192.0.2.1")
    assert registered.index == 0
    assert await attempts(store, kid) == (0, None)
    waits = len(sleep.waits)
    await throttled.sign_and_register(kid, PASSPHRASE, json_pact(), "192.0.2.1")
    assert len(sleep.waits) == waits, "a key opened is no longer slowed"


async def test_wrong_passphrases_below_the_limit_are_not_slowed(
    throttled: CustodialSigning, sleep: FakeSleep
) -> None:
    kid, _ = await throttled.import_key(fixed_key("ppk-custodial"), PASSPHRASE)
    for n in range(MAX_FAILURES - 1):
        with pytest.raises(WrongPassphraseError):
            await throttled.sign_and_register(kid, WRONG, json_pact(), f"10.1.0.{n}")
    await throttled.sign_and_register(kid, PASSPHRASE, json_pact(), "10.1.0.99")
    assert sleep.waits == []


# -- a server's workers count together ---------------------------------------------------------


@pytest.fixture
def workers(
    store: Store, registrar: FakeRegistrar, clock: Clock, sleep: FakeSleep, tmp_path: Path
) -> Iterator[list[CustodialSigning]]:
    """Two workers of one server: one store, one table of counts (each its own file handle)."""
    tables = [SharedTable(tmp_path / ATTEMPTS_FILE) for _ in range(2)]
    yield [worker(store, registrar, clock, sleep, table) for table in tables]
    for table in tables:
        table.close()


async def test_an_address_guessing_through_two_workers_is_locked_out_once(
    workers: list[CustodialSigning],
) -> None:
    # Its connections land on either worker: the lockout counts them together, so it gets
    # MAX_FAILURES guesses in all, not MAX_FAILURES per worker.
    kid, _ = await workers[0].import_key(fixed_key("ppk-custodial"), PASSPHRASE)
    for n in range(MAX_FAILURES - 1):
        with pytest.raises(WrongPassphraseError):
            await workers[n % 2].sign_and_register(kid, WRONG, json_pact(), "203.0.113.9")
    with pytest.raises(KeyLockedError, match="locked out") as caught:
        await workers[(MAX_FAILURES - 1) % 2].sign_and_register(
            kid, WRONG, json_pact(), "203.0.113.9"
        )
    assert caught.value.just_locked
    for each in workers:  # even the right passphrase waits out the lockout, on either worker
        with pytest.raises(KeyLockedError):
            await each.sign_and_register(kid, PASSPHRASE, json_pact(), "203.0.113.9")
    registered = await workers[1].sign_and_register(kid, PASSPHRASE, json_pact(), "192.0.2.1")
    assert registered.index == 0


async def test_guesses_from_everywhere_through_two_workers_take_turns_on_the_key(
    workers: list[CustodialSigning], store: Store, sleep: FakeSleep, clock: Clock
) -> None:
    # Guesses from many addresses spread over both workers: one turn per SLOW_MS for the
    # key, whichever worker takes it (with counts per worker, each would have its own turns).
    kid, _ = await workers[0].import_key(fixed_key("ppk-custodial"), PASSPHRASE)
    guesses = 4 * MAX_FAILURES
    started = clock.now_ms
    for n in range(guesses):
        with pytest.raises(WrongPassphraseError):
            await workers[n % 2].sign_and_register(
                kid, WRONG, json_pact(), f"10.0.{n // 2}.{n % 2}"
            )
    assert await attempts(store, kid) == (guesses, None)
    assert len(sleep.waits) == guesses - MAX_FAILURES
    assert clock.now_ms - started >= (guesses - MAX_FAILURES) * SLOW_MS
    # the owner opens the key on one worker: neither slows it any more
    await workers[0].sign_and_register(kid, PASSPHRASE, json_pact(), "192.0.2.1")
    waits = len(sleep.waits)
    await workers[1].sign_and_register(kid, PASSPHRASE, json_pact(), "192.0.2.1")
    assert len(sleep.waits) == waits


async def test_two_workers_guessed_at_once_space_their_turns(
    store: Store, registrar: FakeRegistrar, clock: Clock, tmp_path: Path
) -> None:
    # Both workers take a guess at the same moment on a key under attack (the clock stands
    # still while they wait): the second waits for the turn after the first's, not for one
    # of its own.
    waited: list[float] = []

    async def no_time(seconds: float) -> None:
        waited.append(seconds)

    tables = [SharedTable(tmp_path / ATTEMPTS_FILE) for _ in range(2)]
    both = [worker(store, registrar, clock, no_time, table) for table in tables]
    kid, _ = await both[0].import_key(fixed_key("ppk-custodial"), PASSPHRASE)
    for n in range(MAX_FAILURES):
        with pytest.raises(WrongPassphraseError):
            await both[0].sign_and_register(kid, WRONG, json_pact(), f"10.2.0.{n}")
    waited.clear()
    guesses = (
        w.sign_and_register(kid, WRONG, json_pact(), f"10.3.0.{n}") for n, w in enumerate(both)
    )
    results = await asyncio.gather(*guesses, return_exceptions=True)
    assert all(isinstance(r, WrongPassphraseError) for r in results), results
    assert sorted(waited) == [SLOW_MS / 1000, 2 * SLOW_MS / 1000]
    for table in tables:
        table.close()
