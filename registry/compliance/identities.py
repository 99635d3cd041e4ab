"""The identities behind subject commitments, as the compliance service reads and erases them.

:class:`IdentitySource` is what ``RegistryService.identities`` provides;
:class:`IdentityRead` what a signed read answers, and :class:`IdentityErased` what it
raises once the personal data were erased.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from registry.store.models import AccessRecord, IdentityRecord


class IdentitySource(Protocol):
    """The identities behind commitments (``RegistryService.identities``)."""

    async def read(self, commitment: bytes) -> IdentityRecord | None:
        """The identity behind ``commitment``, erased or not, if any."""
        ...

    async def erase(self, commitment: bytes, *, now_ms: int) -> bool:
        """Erase its personal data; False if unknown or erased already."""
        ...

    async def use_request(self, digest: bytes, *, now_ms: int, expires_at: int) -> bool:
        """Record a signed request as used; False if it was already."""
        ...

    async def of_nip(self, nip: str) -> list[IdentityRecord]:
        """The unerased identities kept for ``nip``."""
        ...

    async def record_access(self, record: AccessRecord) -> None:
        """Add a read of personal data to the access log."""
        ...


class IdentityErased(Exception):
    """The personal data behind a commitment were erased (at ``erased_at``, ms)."""

    def __init__(self, erased_at: int | None) -> None:
        super().__init__(f"identity erased at {erased_at}")
        self.erased_at = erased_at


@dataclass(frozen=True)
class IdentityRead:
    """Who a commitment names, and the standing recommendations that name them."""

    commitment: bytes
    nip: str | None
    name: str | None
    salt: bytes
    recommendations: list[int]
