"""The registry and its witnesses over HTTP: cosigned checkpoints, a witness down, a split view.

Each witness is `registry witness`'s app served by uvicorn on a free port
(tests/witnesses.py), with a key and a folder of its own; the registry's
sequencer reaches it over real TCP, as it would another institution's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from registry.api.app import create_app
from registry.config import Settings, WitnessSetting
from registry.log.cosigning import CONFLICT, Cosigning, WitnessPeer, request_cosignature
from registry.records import views
from registry.records.operator import OperatorKeys
from registry.signing.note import NoteSigner
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.note import parse_note
from registry.verify.qr import verify_offline
from registry.verify.result import Reason
from registry.verify.split import compare_checkpoints
from registry.verify.trust import TrustedKeys
from tests.api.helpers import Registry, pact
from tests.factories import fixed_key
from tests.threaded_server import ThreadedServer
from tests.waiting import wait_until
from tests.witnesses import LiveWitness, live_witness, unused_url

DEADLINE_S = 30.0


def setting(url: str, key: str) -> WitnessSetting:
    peer = WitnessPeer.parse(url, key)
    return WitnessSetting(peer.url, str(peer.key), peer.name)


@contextmanager
def registry_with(
    settings: Settings,
    operator: OperatorKeys,
    witnesses: list[WitnessSetting],
    quorum: int | None = None,
    *,
    bootstrap: bool = True,
) -> Iterator[Registry]:
    """A registry (admin enrolled) that submits its checkpoints to ``witnesses``."""
    configured = dataclasses.replace(settings, witnesses=tuple(witnesses), witness_quorum=quorum)
    configured.data_dir.mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(configured, operator)) as client:
        yield Registry.bootstrapped(client, operator) if bootstrap else Registry(client, operator)


@pytest.fixture
def two_witnesses(tmp_path: Path, operator: OperatorKeys) -> Iterator[list[LiveWitness]]:
    follows = [(operator.note.name, operator.note.verifier_key_string)]
    with ExitStack() as stack:
        yield [
            stack.enter_context(live_witness(tmp_path / "w", f"saksi{i}.example/w", follows))
            for i in (1, 2)
        ]


def text(registry: Registry, path: str) -> httpx.Response:
    response: httpx.Response = registry.client.get(path)
    return response


def witnessed_at(registry: Registry, size: int) -> str:
    """Wait until ``/checkpoint/witnessed`` is of ``size``; its note."""
    found: dict[str, str] = {}

    def reached() -> bool:
        answer = text(registry, "/checkpoint/witnessed")
        if answer.status_code == 200 and answer.text.split("\n")[1] == str(size):
            found["note"] = answer.text
            return True
        return False

    wait_until(reached, f"a checkpoint of size {size} witnessed", timeout=DEADLINE_S)
    return found["note"]


def register_pacts(registry: Registry, count: int, place: str = "Bandung") -> None:
    registry.enrol("ppk-jabar")
    for i in range(count):
        answer = registry.post(registry.sign("ppk-jabar", pact(place=f"{place} {i}")))
        assert answer.status_code == 201, answer.text


def test_checkpoints_are_cosigned_by_the_witnesses_and_served(
    settings: Settings, operator: OperatorKeys, two_witnesses: list[LiveWitness]
) -> None:
    witnesses = [setting(w.url, str(w.key)) for w in two_witnesses]
    with registry_with(settings, operator, witnesses, quorum=2) as registry:
        register_pacts(registry, 3)
        size = registry.service.size
        note = witnessed_at(registry, size)
        trusted = registry.trusted()
        assert [str(k) for k in trusted.witness_keys] == [str(w.key) for w in two_witnesses]
        assert trusted.witnesses_required == 2
        verdict = verify_checkpoint(note, trusted.log_keys, trusted.witness_keys, 2, trusted.origin)
        assert verdict.ok, verdict.explain()
        # The latest checkpoint is served with the cosignatures it has, the witnesses
        # keep what they cosigned, and the configuration names them.
        latest = text(registry, "/checkpoint").text
        assert len(parse_note(latest).unwrap().signatures) == 3
        for witness in two_witnesses:
            kept = witness.latest(operator.note.name)
            assert kept is not None
            assert parse_note(kept).unwrap().text == parse_note(latest).unwrap().text
        configuration = text(registry, "/.well-known/transparency-configuration").json()
        assert [w["url"] for w in configuration["witnesses"]] == [w.url for w in two_witnesses]


def test_one_witness_down_registration_goes_on_and_verifiers_say_not_yet_witnessed(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    follows = [(operator.note.name, operator.note.verifier_key_string)]
    with live_witness(tmp_path / "w", "saksi1.example/w", follows) as up:
        down = live_down_key(tmp_path)
        witnesses = [setting(up.url, str(up.key)), setting(unused_url(), down)]
        with registry_with(settings, operator, witnesses, quorum=2) as registry:
            register_pacts(registry, 4)
            size = registry.service.size

            def cosigned_by_the_one_up() -> bool:
                return len(parse_note(text(registry, "/checkpoint").text).unwrap().signatures) == 2

            wait_until(cosigned_by_the_one_up, "the latest checkpoint cosigned", timeout=DEADLINE_S)
            missing = text(registry, "/checkpoint/witnessed")
            assert missing.status_code == 404
            assert "not yet witnessed" in missing.json()["detail"]
            trusted = registry.trusted()
            latest = text(registry, "/checkpoint").text
            verdict = verify_checkpoint(
                latest, trusted.log_keys, trusted.witness_keys, 2, trusted.origin
            )
            assert verdict.reason == Reason.NOT_WITNESSED, verdict.explain()
            assert verdict.value is not None
            assert verdict.value.size == size
            assert "1 of the 2" in verdict.detail


def live_down_key(tmp_path: Path) -> str:
    return NoteSigner(fixed_key("saksi-mati"), "saksi2.example/w").cosignature_verifier_key_string


def test_a_forged_registry_with_the_same_key_is_exposed_by_the_cosignatures(
    settings: Settings, operator: OperatorKeys, tmp_path: Path, two_witnesses: list[LiveWitness]
) -> None:
    # The honest registry shows its log to witness 1; a second one holding the same key
    # (a stolen key, a restored copy run in secret) shows another log to witness 2.
    honest_witness, fooled_witness = two_witnesses
    forged_settings = dataclasses.replace(
        settings,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'forged.sqlite3'}",
        data_dir=tmp_path / "forged-data",
    )
    with (
        registry_with(
            settings, operator, [setting(honest_witness.url, str(honest_witness.key))], quorum=1
        ) as honest,
        registry_with(
            forged_settings,
            operator,
            [setting(fooled_witness.url, str(fooled_witness.key))],
            quorum=1,
        ) as forged,
    ):
        register_pacts(honest, 2, place="Bandung")
        register_pacts(forged, 2, place="Garut")
        size = honest.service.size
        assert forged.service.size == size
        seen_by_1 = witnessed_at(honest, size)
        seen_by_2 = witnessed_at(forged, size)
    trusted = TrustedKeys.build(
        [str(honest_witness.key), str(fooled_witness.key)],
        [text_of_configuration(operator, settings)],
    )
    split = compare_checkpoints(seen_by_1, seen_by_2, trusted.log_keys, trusted.witness_keys)
    assert split.reason == Reason.INCONSISTENT, split.explain()
    assert "split view" in split.detail
    assert split.evidence["first_witnesses"].startswith("saksi1.example/w+")
    assert split.evidence["second_witnesses"].startswith("saksi2.example/w+")
    # Shown the other checkpoint of its size, witness 1 refuses (409) and keeps the evidence.
    answer = _ask(honest_witness, seen_by_2, known=size)
    assert answer.outcome == CONFLICT
    [alarm] = honest_witness.evidence.alarms()
    assert alarm["kind"] == "split-view"
    assert honest_witness.latest(operator.note.name) is not None


def test_a_registry_rolled_back_behind_its_witness_is_refused_and_alarms(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    follows = [(operator.note.name, operator.note.verifier_key_string)]
    with live_witness(tmp_path / "w", "saksi1.example/w", follows) as witness:
        witnesses = [setting(witness.url, str(witness.key))]
        with registry_with(settings, operator, witnesses, quorum=1) as registry:
            register_pacts(registry, 4)
            witnessed_at(registry, registry.service.size)
        # The same keys over an older, smaller log (a backup restored without its pin).
        restored = dataclasses.replace(
            settings,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}",
            data_dir=tmp_path / "restored-data",
        )
        with registry_with(restored, operator, witnesses, quorum=1) as older:
            register_pacts(older, 1)

            def alarmed() -> bool:
                return any(a["kind"] == "rollback" for a in witness.evidence.alarms())

            wait_until(alarmed, "the witness keeps the rollback's evidence", timeout=DEADLINE_S)
            assert text(older, "/checkpoint/witnessed").status_code == 404


def text_of_configuration(operator: OperatorKeys, settings: Settings) -> bytes:
    return json.dumps(views.configuration(settings, operator)).encode()


def _ask(witness: LiveWitness, note: str, known: int) -> Cosigning:
    peer = WitnessPeer(witness.url, witness.key)

    async def run() -> Cosigning:
        async with httpx.AsyncClient() as client:
            return await request_cosignature(client, peer, note, known, lambda old: [])

    return asyncio.run(run())


def test_offline_qr_carries_the_cosignatures_once_witnessed_and_not_before(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    follows = [(operator.note.name, operator.note.verifier_key_string)]
    with live_witness(tmp_path / "w", "saksi1.example/w", follows) as witness:
        down = setting(unused_url(), live_down_key(tmp_path))
        with registry_with(
            settings, operator, [setting(witness.url, str(witness.key)), down], quorum=2
        ) as registry:
            register_pacts(registry, 1)
            index = registry.service.size - 1
            trusted = registry.trusted()
            # Quorum 2 with one witness down: nothing is witnessed, the QR says so and is
            # not served as immutable (it will change once witnessed).
            answer = text(registry, f"/entries/{index}/qr-offline.txt")
            assert answer.headers["cache-control"] == "no-cache"
            assert answer.headers["x-registry-offline-witnesses"] == "0"
            verdict = verify_offline_text(answer.text, trusted)
            assert verdict.reason == Reason.NOT_WITNESSED
            assert verdict.value is not None
            assert verdict.value.index == index
        # The same registry restarted with that one witness as its quorum.
        with registry_with(
            settings, operator, [setting(witness.url, str(witness.key))], 1, bootstrap=False
        ) as registry:
            witnessed_at(registry, registry.service.size)
            answer = text(registry, f"/entries/{index}/qr-offline.txt")
            assert answer.headers["cache-control"].endswith("immutable")
            assert answer.headers["x-registry-offline-witnesses"] == "1"
            record = verify_offline_text(answer.text, registry.trusted()).unwrap()
            assert record.witnesses == (f"{witness.key.name}+{witness.key.key_id_hex}",)
            assert record.witnessed_size is not None
            assert record.witnessed_size > index
            pdf = registry.client.get(f"/entries/{index}/certificate.pdf")
            assert pdf.headers["cache-control"].endswith("immutable")


def verify_offline_text(text_: str, trusted: TrustedKeys) -> Any:
    return verify_offline(
        text_, trusted.by_kid, trusted.origin, trusted.witness_keys, trusted.witnesses_required
    )


class Hanging:
    """An ASGI app that accepts every request and answers none until released: a witness that
    hangs (then a 503, so that its server can stop)."""

    def __init__(self) -> None:
        self.requests = 0
        self.released = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.requests += 1
        while not self.released.is_set():
            await asyncio.sleep(0.05)
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_a_witness_that_hangs_never_holds_a_registration_up(
    settings: Settings, operator: OperatorKeys
) -> None:
    hanging = Hanging()
    server = ThreadedServer("a hanging witness")
    server.start(hanging)
    try:
        key = NoteSigner(fixed_key("saksi-macet"), "saksi-macet.example/w")
        witnesses = [setting(server.url, key.cosignature_verifier_key_string)]
        with registry_with(settings, operator, witnesses, quorum=1) as registry:
            wait_until(lambda: hanging.requests > 0, "the witness is asked", timeout=DEADLINE_S)
            register_pacts(registry, 3)  # each answered 201 while the witness still hangs
            assert registry.service.size == 7  # with the template and election they cite
            assert text(registry, "/checkpoint/witnessed").status_code == 404
    finally:
        hanging.released.set()
        server.stop()
