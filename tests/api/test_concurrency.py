"""Fifty clients registering at once: every one gets a receipt, no entry lost or doubled."""

from __future__ import annotations

import asyncio

import httpx

from registry.verify.checkpoint import verify_checkpoint
from registry.verify.merkle import verify_consistency
from registry.verify.receipt import verify_receipt
from registry.verify.trust import unb64url
from tests.api.helpers import COSE, Registry, pact

CLIENTS = 50


def test_fifty_concurrent_registrations(registry: Registry) -> None:
    for n in range(CLIENTS):
        registry.enrol(f"ppk-{n}", instansi=f"Pemerintah Kabupaten {n}")
    statements = [
        registry.sign(f"ppk-{n}", pact(instansi=f"Pemerintah Kabupaten {n}"))
        for n in range(CLIENTS)
    ]
    registry.register_citations(statements[0])  # the template and election they cite
    size_before = registry.client.get("/health").json()["size"]

    async def register_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=registry.client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            return list(
                await asyncio.gather(
                    *(client.post("/entries", content=s, headers=COSE) for s in statements)
                )
            )

    with registry.client.portal() as portal:
        responses = portal.call(register_all)

    assert [r.status_code for r in responses] == [201] * CLIENTS
    indexes = sorted(int(r.headers["x-registry-entry-index"]) for r in responses)
    assert indexes == list(range(size_before, size_before + CLIENTS))

    trusted = registry.trusted()
    latest = verify_checkpoint(registry.client.get("/checkpoint").text, trusted.log_keys).unwrap()
    assert latest.size == size_before + CLIENTS
    batches = set()
    for statement, response in zip(statements, responses, strict=True):
        info = verify_receipt(response.content, trusted.by_kid, statement).unwrap()
        batches.add(info.tree_size)
        proof = registry.client.get(
            "/proofs/consistency", params={"old": info.tree_size, "new": latest.size}
        ).json()
        assert verify_consistency(
            info.tree_size,
            latest.size,
            info.root,
            latest.root,
            [unb64url(h) for h in proof["path"]],
        ).ok
        stored = registry.client.get(f"/entries/{info.index}/statement").content
        assert stored == statement
    # group commit: fifty registrations were written in fewer batches than fifty
    assert len(batches) < CLIENTS
