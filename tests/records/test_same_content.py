"""One entry per signed content, on every path into the sequencer, both backends.

Statements the sequencer verifies itself (handed over from another host
through the ``pending`` table, or by a worker that did not know the key),
statements in one batch, in one group, and after a restart (the in-memory
filter of seen contents is rebuilt from the store) all answer a second
signature of registered content with the entry already there.
"""

from __future__ import annotations

import asyncio

import pytest

from registry.config import Settings
from registry.records.errors import RegistrationRefused
from registry.records.operator import OperatorKeys
from registry.records.service import RegistryService
from registry.signing.cose import CoseSigner
from tests.api.helpers import NOW_S, enrolment, pact
from tests.factories import cited_statements, fixed_key, signed_again
from tests.records.test_registration import run

PPK_KEY = fixed_key("ppk-sama")
PPK = CoseSigner(PPK_KEY)


async def _enrolled(service: RegistryService, operator: OperatorKeys) -> None:
    enrol = operator.admin.sign_statement(enrolment(PPK.public_key, "ppk"), "op", NOW_S)
    await service.register(enrol)
    for cited in cited_statements(operator.admin, issued_at=NOW_S):  # what the pacts cite
        await service.register(cited)


def _pact(place: str = "Bandung") -> bytes:
    return PPK.sign_statement(pact(place=place), "ppk", NOW_S)


def test_the_sequencer_answers_a_second_signature_it_verifies_itself(
    settings: Settings,
    operator: OperatorKeys,
) -> None:
    async def scenario(service: RegistryService) -> None:
        await _enrolled(service, operator)
        first = await service.registrar.register(_pact())
        # No verified statement handed over: what the pending table's pump does.
        again = await service.registrar.register(signed_again(_pact(), PPK_KEY))
        assert (again.index, again.existed, again.receipt) == (first.index, True, first.receipt)
        assert service.size == first.index + 1

    run(settings, operator, scenario)


def test_two_signatures_in_one_batch_make_one_entry(
    settings: Settings,
    operator: OperatorKeys,
) -> None:
    async def scenario(service: RegistryService) -> None:
        await _enrolled(service, operator)
        signatures = [_pact(), *(signed_again(_pact(), PPK_KEY, b"%d" % i) for i in range(4))]
        results = await asyncio.gather(*(service.register(s) for s in signatures))
        assert len({r.index for r in results}) == 1
        assert sorted(r.existed for r in results) == [False, True, True, True, True]
        assert service.size == results[0].index + 1

    run(settings, operator, scenario)


def test_a_group_with_two_signatures_of_one_content_writes_one(
    settings: Settings,
    operator: OperatorKeys,
) -> None:
    async def scenario(service: RegistryService) -> None:
        enrol = operator.admin.sign_statement(enrolment(PPK.public_key, "ppk"), "op", NOW_S)
        cited = cited_statements(operator.admin, issued_at=NOW_S)
        group = [enrol, *cited, _pact(), signed_again(_pact(), PPK_KEY), _pact("Bogor")]
        results = await service.register_atomic(group)
        assert [r.index for r in results] == [1, 2, 3, 4, 4, 5]
        assert [r.existed for r in results] == [False, False, False, False, True, False]
        assert service.size == 6

    run(settings, operator, scenario)


def test_after_a_restart_a_second_signature_is_still_the_same_entry(
    settings: Settings,
    operator: OperatorKeys,
) -> None:
    async def first(service: RegistryService) -> int:
        await _enrolled(service, operator)
        return (await service.register(_pact())).index

    index = run(settings, operator, first)

    async def after_restart(service: RegistryService) -> None:
        # `run` registered its admin enrolment again: identical bytes, nothing appended.
        again = await service.register(signed_again(_pact(), PPK_KEY, b"after restart"))
        assert (again.index, again.existed) == (index, True)
        assert service.size == index + 1

    run(settings, operator, after_restart)


def test_a_forged_signature_over_registered_content_is_refused(
    settings: Settings,
    operator: OperatorKeys,
) -> None:
    async def scenario(service: RegistryService) -> None:
        await _enrolled(service, operator)
        await service.register(_pact())
        forged = bytearray(signed_again(_pact(), PPK_KEY))
        forged[-1] ^= 1
        with pytest.raises(RegistrationRefused) as refused:
            await service.registrar.register(bytes(forged))
        assert refused.value.code == "bad-signature"

    run(settings, operator, scenario)
