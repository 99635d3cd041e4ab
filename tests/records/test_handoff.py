"""The hand-off socket between followers and the sequencer: frames, trust, reconnection."""

from __future__ import annotations

import asyncio
import fcntl
import socket
import stat
import struct
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.config import Settings
from registry.i18n import Message, render
from registry.records import handoff, handoff_frames
from registry.records.errors import FieldError, RegistrationRefused, Unavailable
from registry.records.handed_statement import encode_read
from registry.records.handoff import (
    HandoffClient,
    HandoffError,
    HandoffServer,
    SequencerUnreachable,
    decode_answer,
    decode_request,
    encode_answer,
    encode_request,
    handoff_socket,
    remove_stale_socket,
)
from registry.records.operator import create_keys
from registry.records.queued import Registered
from registry.records.schemas import RecordError
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.verify.receipt import verify_receipt
from registry.verify.statement import Statement, verify_statement
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import HISTORY_HOURS, cited_statements, fixed_key


def _body(frame: bytes) -> bytes:
    return frame[4:]


@pytest.mark.parametrize(
    "outcome",
    [
        Registered(7, b"receipt-bytes", existed=False),
        Registered(2**40, b"", existed=True),
    ],
)
def test_a_registration_answer_round_trips(outcome: Registered) -> None:
    request_id, decoded = decode_answer(_body(encode_answer(42, outcome)))
    assert request_id == 42
    assert decoded == outcome


def test_a_refusal_answer_keeps_code_status_and_evidence() -> None:
    refused = RegistrationRefused(
        "wrong-role", "Wrong role", "a pact is signed by a PPK", 403, {"kid": "ab"}
    )
    _, decoded = decode_answer(_body(encode_answer(1, refused)))
    assert isinstance(decoded, RegistrationRefused)
    assert (decoded.code, decoded.title, decoded.detail, decoded.status, decoded.evidence) == (
        "wrong-role",
        "Wrong role",
        "a pact is signed by a PPK",
        403,
        {"kid": "ab"},
    )


def test_a_refusal_keeps_its_messages_across_the_socket_so_the_follower_can_translate() -> None:
    errors = [FieldError("date", "not-a-date", {"value": "'14-02-2024'"})]
    refused = RegistrationRefused(
        "schema-violation",
        Message("refusal.schema-violation.title"),
        RecordError(errors, "pact").message,
        422,
        errors=errors,
    )
    _, decoded = decode_answer(_body(encode_answer(1, refused)))
    assert isinstance(decoded, RegistrationRefused)
    assert decoded.errors == errors
    assert decoded.title_in("id") == "Data pernyataan tidak sesuai skemanya"
    assert decoded.detail_in("id") == (
        "pact: tanggal (date): harus berupa tanggal YYYY-MM-DD, misalnya 2024-02-14"
    )
    assert decoded.detail == "pact: date: must be a date written YYYY-MM-DD, e.g. 2024-02-14"


def test_a_refusal_from_an_older_process_keeps_its_english_words() -> None:
    old = '{"code": "wrong-role", "title": "Wrong role", "detail": "no", "status": 403}'
    decoded = RegistrationRefused.from_json(old)
    assert (decoded.code, decoded.title_in("id"), decoded.detail_in("id")) == (
        "wrong-role",
        "Wrong role",
        "no",
    )


def test_an_unavailable_answer_keeps_its_message_and_retry_after() -> None:
    busy = Unavailable(Message("unavailable.queue-full"), retry_after=7)
    _, decoded = decode_answer(_body(encode_answer(1, busy)))
    assert isinstance(decoded, Unavailable)
    assert decoded.retry_after == 7
    assert decoded.detail == "the registration queue is full"
    assert render(decoded.detail_text, "id") == "antrean pendaftaran penuh"


def test_an_unavailable_answer_carries_its_reason() -> None:
    _, decoded = decode_answer(_body(encode_answer(1, Unavailable("disk full"))))
    assert isinstance(decoded, Unavailable)
    assert "disk full" in str(decoded)


def test_a_truncated_answer_header_is_refused() -> None:
    with pytest.raises(HandoffError, match="shorter than its header"):
        decode_answer(b"\x00\x00\x01")


def test_an_answer_without_its_index_is_refused() -> None:
    with pytest.raises(HandoffError, match="no entry index"):
        decode_answer(b"\x00\x00\x00\x01\x00\x00\x00")


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(HandoffError, match="unknown answer outcome 9"):
        decode_answer(b"\x00\x00\x00\x01\x09")


@given(st.binary(max_size=64))
def test_any_answer_bytes_decode_or_raise_handoff_error(frame: bytes) -> None:
    try:
        request_id, outcome = decode_answer(frame)
    except HandoffError:
        return
    assert 0 <= request_id < 2**32
    assert isinstance(outcome, Registered | RegistrationRefused | Unavailable)


def _verified(place: str) -> Statement:
    signer = CoseSigner(fixed_key("ppk-serah"))
    statement = signer.sign_statement(pact(place=place), "ppk", NOW_S)
    return verify_statement(statement, {signer.kid: signer.public_key}).unwrap()


def test_a_request_carries_what_the_follower_read_and_the_sequencer_gets_it_back() -> None:
    verified = _verified("Cirebon")
    request_id, statement, key, read = decode_request(
        _body(encode_request(9, verified.raw, verified))
    )
    assert (request_id, statement, key) == (9, verified.raw, verified.public_key)
    assert read == verified


def test_a_request_of_an_unchecked_statement_carries_no_key_and_no_reading() -> None:
    verified = _verified("Indramayu")
    assert decode_request(_body(encode_request(3, verified.raw, None))) == (
        3,
        verified.raw,
        None,
        None,
    )


def test_a_reading_that_messagepack_would_change_is_not_sent() -> None:
    verified = _verified("Kuningan")
    changed = replace(verified, payload={**verified.payload, "amount": Decimal("1.5")})
    assert encode_read(changed) is None
    _, statement, key, read = decode_request(_body(encode_request(4, changed.raw, changed)))
    assert (statement, key, read) == (changed.raw, changed.public_key, None)  # read in full


def test_a_malformed_reading_is_ignored_and_the_statement_read_in_full() -> None:
    verified = _verified("Majalengka")
    garbage = b"\xc1not msgpack"
    header = struct.pack(">IB32s", 5, handoff_frames.READ, verified.public_key)
    frame = header + struct.pack(">I", len(garbage)) + garbage + verified.raw
    assert decode_request(frame) == (5, verified.raw, verified.public_key, None)


@pytest.mark.parametrize(
    "frame",
    [
        b"\x00\x00\x00\x01\x01" + bytes(32) + b"\x00\x00\x00\x00",  # a reading, no key
        b"\x00\x00\x00\x01\x01" + b"k" * 32 + b"\x00\x00",  # no length
        b"\x00\x00\x00\x01\x01" + b"k" * 32 + b"\x00\x00\x00\x09abc",  # runs past
        b"\x00\x00\x00",  # shorter than its header
    ],
)
def test_a_malformed_request_is_refused(frame: bytes) -> None:
    with pytest.raises(HandoffError):
        decode_request(frame)


def test_an_in_memory_log_has_no_socket(tmp_path: Path) -> None:
    settings = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url="sqlite+aiosqlite:///:memory:",
        data_dir=tmp_path,
    )
    assert handoff_socket(settings) is None


def test_two_logs_sharing_a_data_directory_get_two_sockets(tmp_path: Path) -> None:
    first = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/a.db",
        data_dir=tmp_path,
    )
    second = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/b.db",
        data_dir=tmp_path,
    )
    assert handoff_socket(first) != handoff_socket(second)


def test_a_data_directory_too_deep_for_a_socket_moves_it_to_a_private_directory(
    tmp_path: Path,
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    settings = Settings(
        max_statement_age_hours=HISTORY_HOURS,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/a.db",
        data_dir=deep,
    )
    path = handoff_socket(settings)
    assert path is not None
    assert len(str(path).encode()) <= 100
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


class _Log:
    """A sequencer and a follower on one SQLite file, with a PPK enrolled."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = Settings(
            max_statement_age_hours=HISTORY_HOURS,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/log.sqlite3",
            data_dir=tmp_path / "data",
            origin="test.example/pakta",
            admin_passphrase="uji-serah-terima",
        )
        self.ppk = CoseSigner(fixed_key("ppk-serah-terima"))

    async def open(self) -> tuple[RegistryService, RegistryService]:
        keys = create_keys(
            self.settings.data_dir, self.settings.admin_passphrase, self.settings.origin
        )
        sequencer = await RegistryService.open(self.settings, keys)
        follower = await RegistryService.open(self.settings, keys)
        admin = keys.admin
        boot = enrolment(admin.public_key, "admin", term_start="2000-01-01", term_end="2099-12-31")
        await sequencer.register(
            admin.sign_statement({k: v for k, v in boot.items() if v is not None}, "op", NOW_S)
        )
        await sequencer.register(
            admin.sign_statement(enrolment(self.ppk.public_key, "ppk"), "op", NOW_S)
        )
        for cited in cited_statements(admin, issued_at=NOW_S):  # what the pacts cite
            await sequencer.register(cited)
        await follower.refresh()
        return sequencer, follower

    def pact(self, place: str) -> bytes:
        return self.ppk.sign_statement(pact(place=place), "ppk", NOW_S)


def test_the_socket_is_private_to_the_registry_user(tmp_path: Path) -> None:
    log = _Log(tmp_path)

    async def scenario() -> None:
        sequencer, follower = await log.open()
        try:
            assert sequencer.handoff_path is not None
            mode = sequencer.handoff_path.stat().st_mode
            assert stat.S_ISSOCK(mode)
            assert stat.S_IMODE(mode) == 0o600
        finally:
            await follower.close()
            await sequencer.close()
        assert not sequencer.handoff_path.exists()

    asyncio.run(scenario())


def test_a_follower_refuses_a_bad_signature_without_the_sequencer(tmp_path: Path) -> None:
    log = _Log(tmp_path)

    async def scenario() -> None:
        sequencer, follower = await log.open()
        try:
            assert sequencer.handoff_server is not None
            await sequencer.handoff_server.close()  # nobody to hand over to
            statement = bytearray(log.pact("Garut"))
            statement[-1] ^= 1
            with pytest.raises(RegistrationRefused) as refused:
                await follower.register(bytes(statement))
            assert refused.value.code == "bad-signature"
        finally:
            await follower.close()
            await sequencer.close()

    asyncio.run(scenario())


def test_a_claim_of_a_check_with_another_key_is_verified_again(tmp_path: Path) -> None:
    """A request saying "checked with key K" for bytes whose kid is not K gets a full check."""
    log = _Log(tmp_path)

    async def scenario() -> None:
        sequencer, follower = await log.open()
        try:
            assert sequencer.handoff_path is not None
            client = HandoffClient(sequencer.handoff_path)
            stranger_key = CoseSigner(fixed_key("orang-asing"))
            stranger = stranger_key.sign_statement(pact(), "x", NOW_S)
            read = verify_statement(stranger, {stranger_key.kid: stranger_key.public_key}).unwrap()
            # claimed as checked with the PPK's key, with what was read of it or without
            claimed = replace(read, public_key=log.ppk.public_key, kid=log.ppk.kid)
            assert encode_read(claimed) is not None
            _, _, key, handed = decode_request(_body(encode_request(1, stranger, claimed)))
            assert key == log.ppk.public_key
            assert handed is None  # the bytes' kid is not that key's: read and checked in full
            with pytest.raises(RegistrationRefused) as refused:
                await client.register(stranger, claimed)
            assert refused.value.code == "unknown-key"
            cianjur = log.pact("Cianjur")
            verified = verify_statement(cianjur, {log.ppk.kid: log.ppk.public_key}).unwrap()
            registered = await client.register(cianjur, verified)
            keys = {sequencer.keys.log.kid: sequencer.keys.log.public_key}
            assert verify_receipt(registered.receipt, keys, log.pact("Cianjur")).ok
            await client.close()
        finally:
            await follower.close()
            await sequencer.close()

    asyncio.run(scenario())


def test_a_follower_reconnects_when_the_sequencer_socket_restarts(tmp_path: Path) -> None:
    log = _Log(tmp_path)

    async def scenario() -> None:
        sequencer, follower = await log.open()
        try:
            first = await follower.register(log.pact("Bogor"))
            assert sequencer.handoff_server is not None
            await sequencer.handoff_server.close()
            with pytest.raises(Unavailable, match="sequencer"):
                await follower.register(log.pact("Depok"))
            restarted = HandoffServer(sequencer.handoff_server.path, sequencer._submit_handed_off)
            await restarted.start()
            sequencer.handoff_server = restarted
            second = await follower.register(log.pact("Depok"))
            assert second.index == first.index + 1
            assert not second.existed
        finally:
            await follower.close()
            await sequencer.close()

    asyncio.run(scenario())


def _left_behind(path: Path) -> None:
    """A socket file with nobody listening, as a sequencer killed with SIGKILL leaves it."""
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(path))


def test_a_socket_left_by_a_dead_sequencer_is_removed_by_the_follower(tmp_path: Path) -> None:
    path = tmp_path / "sequencer.sock"
    _left_behind(path)

    async def scenario() -> None:
        client = HandoffClient(path)
        assert client.available
        with pytest.raises(SequencerUnreachable, match="no sequencer listens"):
            await client.register(b"statement", None)
        assert not path.exists()
        assert not client.available

    asyncio.run(scenario())


def test_a_socket_whose_sequencer_is_starting_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "sequencer.sock"
    _left_behind(path)
    starting = (tmp_path / "sequencer.sock.lock").open("w")  # a sequencer holds the lock...
    fcntl.flock(starting, fcntl.LOCK_EX)
    try:  # ...and has not listened yet
        assert not remove_stale_socket(path)
        assert path.exists()
    finally:
        starting.close()
    assert remove_stale_socket(path)


def test_a_second_server_on_a_live_socket_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "sequencer.sock"

    def never(statement: bytes, checked_with: bytes | None, read: object, reply: object) -> None:
        raise AssertionError("not called")

    async def scenario() -> None:
        live = HandoffServer(path, never)
        await live.start()
        try:
            assert not remove_stale_socket(path)
            with pytest.raises(Unavailable, match="another process serves"):
                await HandoffServer(path, never).start()
            assert path.exists()
        finally:
            await live.close()
        assert not path.exists()

    monkeypatch.setattr(handoff, "LOCK_WAIT_S", 0.05)
    asyncio.run(scenario())
