"""Replacing the operator's keys: the log key (receipts, checkpoints) and the admin key.

A rotation is made as the operator makes it (``registry.records.rotation``, what
``registry rotate`` runs), on each backend; then the registry is opened again
from the data directory, as after a restart, and what it signed before and
after is checked with ``registry/verify`` given the published configuration.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.config import Settings, settings_environment
from registry.log.checkpoint import sign_checkpoint
from registry.log.receipt import issue_receipt
from registry.records.bootstrap import initialise
from registry.records.errors import RegistrationRefused
from registry.records.log_key_rotation import sign_rotation
from registry.records.operator import NEXT_LOG_KEY_FILE, OperatorKeys, next_key, open_keys
from registry.records.rotation import NotSequencing, rotate_admin_key, rotate_log_key
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from registry.verify.cbor import decode_deterministic
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.receipt import verify_receipt
from registry.verify.result import Reason
from registry.verify.trust import TrustedKeys
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import cited_statements, fixed_key

PPK = CoseSigner(fixed_key("ppk-rotation"))


async def _fill(settings: Settings) -> tuple[OperatorKeys, list[tuple[int, bytes, bytes]]]:
    """A registry with the admin, a PPK and two pacts; the pacts' (index, statement, receipt)."""
    keys, _ = await initialise(settings)
    service = await RegistryService.open(settings, keys)
    try:
        await service.register(
            keys.admin.sign_statement(enrolment(PPK.public_key, "ppk"), "op", NOW_S)
        )
        for cited in cited_statements(keys.admin, issued_at=NOW_S):  # what the pacts cite
            await service.register(cited)
        made = []
        for n in range(2):
            statement = PPK.sign_statement(pact(place=f"Kota {n}"), "ppk", NOW_S)
            registered = await service.register(statement)
            made.append((registered.index, statement, registered.receipt))
        return keys, made
    finally:
        await service.close()


async def _after(settings: Settings, statement: bytes | None = None) -> dict[str, Any]:
    """Open the registry again (a restart); register ``statement``; what it then serves."""
    keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
    service = await RegistryService.open(settings, keys)
    try:
        registered = None if statement is None else await service.register(statement)
        return {
            "keys": keys,
            "configuration": service.configuration(),
            "scitt_keys": decode_deterministic(service.scitt_keys(), "keys").unwrap(),
            "checkpoint": await service.checkpoint(),
            "size": service.size,
            "registered": registered,
            "receipts": [await service.receipt(i) for i in range(service.size)],
        }
    finally:
        await service.close()


def _trusted(configuration: dict[str, Any]) -> TrustedKeys:
    return TrustedKeys.build(configurations=[json.dumps(configuration).encode()])


def test_old_receipts_verify_after_a_log_key_rotation_and_new_ones_use_the_new_key(
    settings: Settings,
) -> None:
    old_keys, made = asyncio.run(_fill(settings))
    rotated = asyncio.run(rotate_log_key(settings, "kunci terjadwal"))
    (rotation_index,) = rotated.entries
    after = asyncio.run(_after(settings, PPK.sign_statement(pact(place="Baru"), "ppk", NOW_S)))
    trusted = _trusted(after["configuration"])
    old_entry, new_entry = after["configuration"]["keys"]
    assert (old_entry["kid"], new_entry["kid"]) == (old_keys.log.kid.hex(), rotated.new_kid.hex())
    assert (old_entry["valid_from_size"], old_entry["valid_until_size"]) == (0, rotation_index)
    assert (new_entry["valid_from_size"], new_entry["valid_until_size"]) == (
        rotation_index + 1,
        None,
    )
    assert (old_entry["current"], new_entry["current"]) == (False, True)
    assert new_entry["valid_from"] == old_entry["valid_until"] is not None
    assert after["keys"].log.kid == rotated.new_kid
    validity = trusted.log_validity
    for index, statement, receipt in made:
        verdict = verify_receipt(receipt, trusted.by_kid, statement, trusted.origin, validity)
        assert verdict.ok, verdict.explain()
        assert verdict.unwrap().kid == old_keys.log.kid
        assert after["receipts"][index] == receipt  # served as issued, checked by the server
    new_receipt = after["registered"].receipt
    new_info = verify_receipt(new_receipt, trusted.by_kid, None, trusted.origin, validity)
    assert new_info.unwrap().kid == rotated.new_kid
    latest = verify_checkpoint(
        after["checkpoint"], trusted.log_keys, origin=trusted.origin, validity=validity
    )
    assert latest.unwrap().size == after["size"]


def test_the_retired_log_key_signing_after_its_end_is_refused(settings: Settings) -> None:
    old_keys, made = asyncio.run(_fill(settings))
    rotated = asyncio.run(rotate_log_key(settings, "kunci terjadwal"))
    after = asyncio.run(_after(settings, PPK.sign_statement(pact(place="Baru"), "ppk", NOW_S)))
    trusted = _trusted(after["configuration"])
    size = after["size"]
    info = verify_receipt(after["registered"].receipt, trusted.by_kid).unwrap()
    # the retired key (perhaps stolen) signs the current tree: checkpoint and receipt
    forged_checkpoint = sign_checkpoint(old_keys.note, settings.origin, size, info.root)
    refused = verify_checkpoint(
        forged_checkpoint, trusted.log_keys, origin=trusted.origin, validity=trusted.log_validity
    )
    assert refused.reason == Reason.KEY_OUTSIDE_VALIDITY, refused.explain()
    assert refused.evidence["valid_sizes"] == f"0..{rotated.entries[0]}"
    forged_receipt = issue_receipt(
        old_keys.log,
        settings.origin,
        info.leaf_bytes,
        info.index,
        size,
        list(info.proof),
        info.root,
        NOW_S,
    )
    refused = verify_receipt(forged_receipt, trusted.by_kid, validity=trusted.log_validity)
    assert refused.reason == Reason.KEY_OUTSIDE_VALIDITY, refused.explain()
    # ... and the new key signing a tree from before the rotation is refused too
    early_index, _, early = made[0]
    early_info = verify_receipt(early, trusted.by_kid).unwrap()
    early_forged = sign_checkpoint(
        after["keys"].note, settings.origin, early_info.tree_size, early_info.root
    )
    refused = verify_checkpoint(
        early_forged, trusted.log_keys, origin=trusted.origin, validity=trusted.log_validity
    )
    assert refused.reason == Reason.KEY_OUTSIDE_VALIDITY
    assert early_index < rotated.entries[0]


def test_a_rotation_to_a_key_the_registry_does_not_hold_is_refused(settings: Settings) -> None:
    keys, _ = asyncio.run(_fill(settings))
    stranger = CoseSigner(fixed_key("log-key-nobody-holds"))

    async def attempt(previous: bytes) -> RegistrationRefused:
        service = await RegistryService.open(settings, keys)
        try:
            statement = sign_rotation(keys.admin, previous, stranger.public_key, "uji")
            with pytest.raises(RegistrationRefused) as refused:
                await service.register(statement)
            return refused.value
        finally:
            await service.close()

    assert asyncio.run(attempt(keys.log.public_key)).code == "log-key-not-held"
    assert asyncio.run(attempt(secrets.token_bytes(32))).code == "log-key-not-current"


def test_a_ppk_cannot_rotate_the_log_key(settings: Settings) -> None:
    keys, _ = asyncio.run(_fill(settings))

    async def attempt() -> str:
        service = await RegistryService.open(settings, keys)
        try:
            statement = sign_rotation(PPK, keys.log.public_key, PPK.public_key, "uji")
            with pytest.raises(RegistrationRefused) as refused:
                await service.register(statement)
            return refused.value.code
        finally:
            await service.close()

    assert asyncio.run(attempt()) == "wrong-role"


def test_the_retired_admin_key_can_no_longer_enrol_and_its_enrolments_stand(
    settings: Settings,
) -> None:
    old_keys, _ = asyncio.run(_fill(settings))
    rotated = asyncio.run(rotate_admin_key(settings, "kunci admin terjadwal"))
    assert len(rotated.entries) == 2
    newcomer = CoseSigner(fixed_key("ppk-after-admin-rotation"))

    async def check() -> None:
        keys = open_keys(settings.data_dir, settings.admin_passphrase, settings.origin)
        assert keys.admin.kid == rotated.new_kid
        service = await RegistryService.open(settings, keys)
        try:
            by_old = old_keys.admin.sign_statement(
                enrolment(newcomer.public_key, "ppk"), "op", NOW_S
            )
            with pytest.raises(RegistrationRefused) as refused:
                await service.register(by_old)
            assert refused.value.code == "revoked-key"
            # what the old key enrolled before stands: the PPK still signs
            ppk = await service.enrolled(PPK.kid)
            assert ppk is not None
            assert ppk.revoked_at is None
            await service.register(PPK.sign_statement(pact(place="Sesudah"), "ppk", NOW_S))
            by_new = keys.admin.sign_statement(enrolment(newcomer.public_key, "ppk"), "op", NOW_S)
            await service.register(by_new)
            admins = service.configuration()["admin_keys"]
            assert [a["kid"] for a in admins] == [old_keys.admin.kid.hex(), rotated.new_kid.hex()]
            assert admins[0]["revoked_at"] is not None
            assert admins[1]["revoked_at"] is None
        finally:
            await service.close()

    asyncio.run(check())


def test_registry_rotate_log_key_twice_from_the_command_line(settings: Settings) -> None:
    asyncio.run(_fill(settings))
    env = {**settings_environment(settings), "LANG": "C.UTF-8"}
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["rotate", "log-key", "--reason", "uji"], env=env)
        assert result.exit_code == 0, result.output
        assert "Log key replaced" in result.output
    after = asyncio.run(_after(settings))
    keys = after["configuration"]["keys"]
    assert [k["current"] for k in keys] == [False, False, True]
    assert keys[0]["valid_until_size"] + 1 == keys[1]["valid_from_size"]
    assert keys[1]["valid_until_size"] + 1 == keys[2]["valid_from_size"]
    assert [key[2].hex() for key in after["scitt_keys"]] == [k["kid"] for k in keys]
    trusted = _trusted(after["configuration"])
    for receipt in after["receipts"]:
        assert verify_receipt(receipt, trusted.by_kid, validity=trusted.log_validity).ok


def test_a_key_succession_is_derived_again_after_a_restart(settings: Settings) -> None:
    keys, _ = asyncio.run(_fill(settings))
    successor = CoseSigner(fixed_key("ppk-rotation-successor"))

    async def succeed() -> None:
        service = await RegistryService.open(settings, keys)
        try:
            payload = {
                "type": "key-succession",
                "kid": PPK.kid,
                "public_key": successor.public_key,
                "reason": "kunci baru",
            }
            await service.register(PPK.sign_statement(payload, "ppk", NOW_S + 60))
        finally:
            await service.close()

    async def reopened() -> tuple[Any, Any]:
        service = await RegistryService.open(settings, keys)
        try:
            return await service.enrolled(PPK.kid), await service.enrolled(successor.kid)
        finally:
            await service.close()

    asyncio.run(succeed())
    old, new = asyncio.run(reopened())
    assert old.revoked_at is not None
    assert new.revoked_at is None
    assert (new.name, new.instansi, new.role, new.term_end) == (
        old.name,
        old.instansi,
        "ppk",
        old.term_end,
    )
    assert new.enrolment_idx == old.revocation_idx


def test_a_log_key_rotation_cut_short_before_the_files_are_renamed_is_finished(
    settings: Settings,
) -> None:
    keys, made = asyncio.run(_fill(settings))
    folder, passphrase = settings.data_dir, settings.admin_passphrase
    following = CoseSigner(next_key(folder, NEXT_LOG_KEY_FILE, passphrase))

    async def announce_only() -> None:  # the rotation's commit, then the power goes
        waiting = open_keys(folder, passphrase, settings.origin)
        service = await RegistryService.open(settings, waiting)
        try:
            statement = sign_rotation(keys.admin, keys.log.public_key, following.public_key, "x")
            await service.register(statement)
        finally:
            await service.close()

    asyncio.run(announce_only())
    # a start in between signs with the announced key, found in log-next.key
    between = asyncio.run(_after(settings, PPK.sign_statement(pact(place="Antara"), "ppk", NOW_S)))
    trusted = _trusted(between["configuration"])
    info = verify_receipt(
        between["registered"].receipt, trusted.by_kid, validity=trusted.log_validity
    )
    assert info.unwrap().kid == following.kid
    rotated = asyncio.run(rotate_log_key(settings, "x"))
    assert rotated.entries == ()
    assert rotated.new_kid == following.kid
    after = asyncio.run(_after(settings))
    assert after["keys"].log.kid == following.kid
    assert after["keys"].standby is None
    assert after["receipts"][made[0][0]] == made[0][2]


def test_a_rotation_is_refused_while_a_registry_sequences(settings: Settings) -> None:
    keys, _ = asyncio.run(_fill(settings))

    async def attempt() -> None:
        running = await RegistryService.open(settings, keys)
        try:
            assert running.is_sequencer
            with pytest.raises(NotSequencing) as refused:
                await rotate_log_key(settings, "x")
            assert "stop every `registry serve`" in str(refused.value)
        finally:
            await running.close()

    asyncio.run(attempt())
    after = asyncio.run(_after(settings))
    assert len(after["configuration"]["keys"]) == 1, "nothing announced"
    assert after["keys"].log.kid == keys.log.kid


def test_registry_verify_refuses_what_the_retired_log_key_signs_after_its_end(
    settings: Settings, tmp_path: Path
) -> None:
    old_keys, made = asyncio.run(_fill(settings))
    asyncio.run(rotate_log_key(settings, "x"))
    after = asyncio.run(_after(settings, PPK.sign_statement(pact(place="Baru"), "ppk", NOW_S)))
    trust = tmp_path / "trust.json"
    trust.write_text(json.dumps(after["configuration"]))
    info = verify_receipt(after["registered"].receipt, _trusted(after["configuration"]).by_kid)
    latest = info.unwrap()
    forged = issue_receipt(
        old_keys.log,
        settings.origin,
        latest.leaf_bytes,
        latest.index,
        latest.tree_size,
        list(latest.proof),
        latest.root,
        NOW_S,
    )
    runner = CliRunner()
    for name, receipt, code in (("old", made[0][2], 0), ("forged", forged, 1)):
        path = tmp_path / f"{name}.cose"
        path.write_bytes(receipt)
        result = runner.invoke(main, ["verify", str(path), "--trust", str(trust)])
        assert result.exit_code == code, result.output
    assert "key-outside-validity" in result.output
