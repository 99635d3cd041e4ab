"""A follower parses the payload before handing it over; the sequencer does not check its
schema's rules again (per-statement work on the follower's core), and what does not parse
is still decided by the sequencer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from registry.records import service as service_module
from registry.records.errors import RegistrationRefused
from registry.records.schemas import Record
from registry.signing.cose import CoseSigner
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import fixed_key
from tests.records.test_cluster import _admin_enrolment, _pair, _settings


def test_a_payload_parsed_by_the_follower_is_not_parsed_again_and_a_bad_one_is_refused(
    make_database_url: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(make_database_url("sqlite"), tmp_path / "d", batch_wait_ms=2)
    converted: list[dict[str, Any]] = []
    original = service_module.convert_checked

    def counting(payload: dict[str, Any]) -> Record:
        converted.append(payload)
        return original(payload)

    monkeypatch.setattr(service_module, "convert_checked", counting)

    async def scenario() -> None:
        sequencer, follower = await _pair(settings)
        try:
            admin = sequencer.keys.admin
            await follower.register(_admin_enrolment(admin))
            ppk = CoseSigner(fixed_key("ppk-parsed"))
            await follower.register(
                admin.sign_statement(enrolment(ppk.public_key, "ppk"), "op", NOW_S)
            )
            await follower.refresh()  # (knows the PPK's key: verifies, and parses, ahead)
            converted.clear()
            good = await follower.register(ppk.sign_statement(pact(place="Bogor"), "ppk", NOW_S))
            assert good.index == 2
            assert [p["place"] for p in converted] == ["Bogor"]  # parsed on the follower
            converted.clear()
            bad = ppk.sign_statement(pact(place="Bogor", date="2024-02-30"), "ppk", NOW_S)
            with pytest.raises(RegistrationRefused, match="date"):
                await follower.register(bad)
            assert converted == []  # not flagged as parsed: the sequencer checked it all
            assert sequencer.size == 3
        finally:
            await follower.close()
            await sequencer.close()

    asyncio.run(scenario())
