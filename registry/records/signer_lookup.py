"""The enrolment of a key, read from a registry's database, for `registry sign` to name a signer.

A pact, declaration or follow-up names its signer (name, jabatan, instansi) as
the signing key's enrolment does; `registry sign` fills that in from the
registry's database (``REGISTRY_DATABASE_URL``) when the record file names
none, as the portal does for the keys it holds.  The database's copy of the
keys is a convenience here, not trusted: registration checks the names against
the enrolment the log vouches for, and refuses others (``signer-mismatch``).
"""

from __future__ import annotations

from registry.store.migrate import upgrade
from registry.store.models import SignerKeyRecord
from registry.store.repository import Store


async def enrolled_key(database_url: str, kid: bytes) -> SignerKeyRecord | None:
    """The enrolment of ``kid`` in the registry database at ``database_url``, if it has one
    (the database brought up to date first, as every command that opens it does)."""
    await upgrade(database_url)
    async with Store.open(database_url) as store:
        keys = await store.list_signer_keys()
    return next((key for key in keys if key.kid == kid), None)
