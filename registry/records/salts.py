"""Stable salts for bulk imports: one NIP, one commitment, however often a file is imported.

A commitment ``SHA-256(salt || NIP)`` made with a fresh random salt differs at
every import, so the statement naming it differs too, and importing the same
file twice registered every recommendation twice.  A bulk import therefore
derives each person's salt from the NIP under a secret of this registry::

    salt = HMAC-SHA256(secret, "integrity-pact-registry import salt v1\\0" || NIP)[:16]

The secret is 32 random bytes made once, on the first import, and kept in the
registry's database (``registry_meta``), beside the identities table it
protects no less than that table does (whoever reads one reads the other), and
carried by every backup, so a restored registry and every process of a cluster
derive the same salts.  It never leaves the server: an institution importing
through ``POST /api/imports/...`` sends NIPs and gets statements to sign, never
salts.

What this costs, said plainly (docs/import.md): whoever holds the secret (the
operator) can recompute the commitment of a NIP they already know, also after
that person's identity was erased; erasure removes the stored NIP, name and
salt, as before, but no longer makes the link unrecoverable for the operator.
Outside the registry a commitment is as opaque as with a random salt: the
secret is 256 bits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable

from registry.records.personal import SALT_BYTES, commit_nip
from registry.store.models import IdentityRecord

META_NAME = "import-salt-secret"
"""The ``registry_meta`` row holding the secret (hex)."""
LABEL = b"integrity-pact-registry import salt v1\x00"


class StableSalts:
    """Salts and commitments derived from NIPs under one registry's secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the import salt secret must be at least 32 bytes")
        self._secret = secret

    def salt(self, nip: str) -> bytes:
        """The salt of ``nip``: the same at every call, for this registry."""
        return hmac.new(self._secret, LABEL + nip.encode(), hashlib.sha256).digest()[:SALT_BYTES]

    def identity(self, nip: str, name: str | None) -> IdentityRecord:
        """The identity to keep for ``nip`` (and ``name``), its commitment under its salt."""
        salt, commitment = commit_nip(nip, self.salt(nip))
        return IdentityRecord(commitment, salt, nip, name)


async def load_salts(
    get_meta: Callable[[str], Awaitable[str | None]],
    put_meta: Callable[[str, str], Awaitable[None]],
) -> StableSalts:
    """This registry's salts: the secret read from its metadata, made there on first use."""
    found = await get_meta(META_NAME)
    if found is None:
        await put_meta(META_NAME, secrets.token_bytes(32).hex())
        found = await get_meta(META_NAME)
        assert found is not None
    return StableSalts(bytes.fromhex(found))
