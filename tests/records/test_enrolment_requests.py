"""EnrolmentRequests on a real store: the pending queue is bounded, approvals and rejections."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from registry.records.enrolment_requests import EnrolmentRequests
from registry.records.errors import NotFound, RegistrationRefused
from registry.signing.cose import CoseSigner
from registry.store import Store, upgrade
from tests.api.test_enrolment_requests import request_payload
from tests.factories import fixed_key


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    await upgrade(database_url)
    store = Store.open(database_url)
    yield store
    await store.close()


def statement(label: str, **changes: str) -> bytes:
    key = fixed_key(label)
    signer = CoseSigner(key)
    payload = request_payload(key.public_key().public_bytes_raw(), **changes)
    return signer.sign_statement(payload, signer.kid.hex())


async def test_a_full_queue_refuses_new_keys_but_lets_a_pending_one_ask_again(
    store: Store,
) -> None:
    requests = EnrolmentRequests(store, max_pending=2)
    await requests.submit(statement("a"))
    await requests.submit(statement("b"))
    with pytest.raises(RegistrationRefused) as refused:
        await requests.submit(statement("c"))
    assert refused.value.code == "too-many-enrolment-requests"
    again = await requests.submit(statement("a", jabatan="Bupati Garut"))
    assert again.fields["jabatan"] == "Bupati Garut"
    await requests.reject(again.id)
    assert (await requests.submit(statement("c"))).fields["name"] == "Hendra Gunawan"


async def test_an_approved_request_leaves_the_queue_and_cannot_be_rejected(store: Store) -> None:
    requests = EnrolmentRequests(store, max_pending=1)
    first = await requests.submit(statement("a"))
    await requests.approved(first.id, 9)
    assert (await requests.get(first.id)).enrolment == 9
    await requests.submit(statement("b"))  # the approved one no longer counts as pending
    with pytest.raises(NotFound):
        await requests.reject(first.id)
    payload = (await requests.get(first.id)).enrolment_payload()
    assert payload["type"] == "enrolment"
    assert payload["public_key"] == fixed_key("a").public_key().public_bytes_raw()
