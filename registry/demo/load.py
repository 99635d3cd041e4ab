"""Loading the demo data (:func:`registry.demo.build_demo`) into a new registry."""

from __future__ import annotations

from collections.abc import Callable

from registry.config import Settings
from registry.demo.assembly import build_demo
from registry.demo.signers import DEMO_PASSPHRASE
from registry.records.bootstrap import operator_keys, register_all
from registry.records.service import RegistryService

DEMO_CUSTODIAL_PPKS = 12
"""How many demo PPKs get a custodial key (scrypt makes each take ~0.1 s)."""


class DemoError(Exception):
    """The demo data cannot be loaded into this registry."""


async def load_demo(
    settings: Settings, *, only_if_empty: bool, progress: Callable[[int], None] | None = None
) -> str:
    """Register the demo data (registry/demo/) and keep its identities and a few custodial keys.

    The demo refers to earlier entries by log index, so it goes into a new log:
    one that is empty or holds only the admin's enrolment made by `registry init`.
    Returns a line saying what was loaded.
    """
    keys, _ = operator_keys(settings)
    service = await RegistryService.open(settings, keys)
    try:
        size = service.size
        if size > 1:
            if only_if_empty:
                return f"the registry already holds {size} entries; no demo data loaded"
            raise DemoError(f"demo data go into a new registry; this one holds {size} entries")
        demo = build_demo(keys.admin, recommending_authority=settings.recommending_authority)
        statements = demo.statements[size:]
        done, refused = await register_all(service, statements, progress)
        if refused:
            position, reason = refused[0]
            raise DemoError(
                f"{len(refused)} demo statements were refused; the first, "
                f"#{position + size}: {reason}"
            )
        await service.identities.keep(demo.identities)
        custodial = service.custodial_signing()
        ppks = [s for s in demo.signers if s.role == "ppk"][:DEMO_CUSTODIAL_PPKS]
        for signer in ppks:
            await custodial.import_key(signer.private_key, DEMO_PASSPHRASE)
        return (
            f"demo: {done} statements registered ({demo.expected['reports']} reports, "
            f"{demo.expected['recommendations']} recommendations, "
            f"{demo.expected['follow_ups_sanctioned']} followed up); {len(ppks)} PPKs can sign "
            f"remotely with the demo passphrase {DEMO_PASSPHRASE!r}"
        )
    finally:
        await service.close()
