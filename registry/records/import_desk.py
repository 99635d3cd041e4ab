"""A bulk import's chunk registered by the sequencer, whichever process its request reached.

``POST /api/imports/register`` (``api/imports.py``) may land on any worker of
``registry serve``.  The chunk is registered in one transaction by the process
that sequences the log: here if this one does, else handed to it over the
hand-off socket (``handoff.py``, a ``CHUNK`` frame) with what the API checked
of the request (the rows, their type, the key that signed it), and answered
with the same answer.  So an import works when no HTTP worker sequences
(``REGISTRY_SEQUENCER=apart``), the people a chunk names are claimed in one
process (``import_chunks._Claims``), and the sequencer's worker pool checks
the signatures, as before.  A chunk is at most the API's body limit on either
side.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from registry.i18n import Message
from registry.records import import_wire as wire
from registry.records.attest import attest
from registry.records.bulk_crypto import CryptoPool
from registry.records.errors import Unavailable
from registry.records.import_chunks import SignedRow, register_chunk
from registry.records.salts import StableSalts, load_salts

if TYPE_CHECKING:
    from registry.records.service import RegistryService


class Desk:
    """What this process keeps for imports: the salts and the worker pool."""

    def __init__(self) -> None:
        self.salts: StableSalts | None = None
        self.pool: CryptoPool | None = None

    async def salts_of(self, service: RegistryService) -> StableSalts:
        """The registry's stable salts, read (or drawn) once."""
        if self.salts is None:
            self.salts = await load_salts(service.get_meta, service.put_meta)
        return self.salts

    def pool_for(self) -> CryptoPool:
        """The worker pool that checks and signs a chunk's rows, started once."""
        if self.pool is None:
            self.pool = CryptoPool()
        return self.pool


_DESKS: dict[int, Desk] = {}


def desk_of(service: RegistryService) -> Desk:
    """The import desk of ``service`` (one per service)."""
    return _DESKS.setdefault(id(service), Desk())


@dataclass(frozen=True)
class Chunk:
    """A chunk as the API accepted it: its type, its rows and who signed the request."""

    kind: str
    rows: Sequence[SignedRow]
    kid: bytes
    role: str

    def to_wire(self) -> bytes:
        """The chunk as handed over (CBOR)."""
        rows = [[r.row, r.statement, r.nip, r.name] for r in self.rows]
        return wire.dumps({"type": self.kind, "rows": rows, "kid": self.kid, "role": self.role})

    @classmethod
    def from_wire(cls, data: bytes) -> Chunk:
        """Read a chunk handed over; raises :class:`wire.WireError` if it is malformed."""
        body = wire.loads(data)
        kind, kid, role = body.get("type"), body.get("kid"), body.get("role")
        if not (isinstance(kind, str) and isinstance(kid, bytes) and isinstance(role, str)):
            raise wire.WireError("a handed chunk names its type, key and role")
        return cls(kind, signed_rows(body.get("rows")), kid, role)


def signed_rows(data: Any) -> list[SignedRow]:
    """The rows of a ``register`` body; raises :class:`wire.WireError` if one is malformed."""
    if not isinstance(data, list):
        raise wire.WireError("rows is a list")
    rows = []
    for item in data:
        if not (isinstance(item, list) and len(item) == 4):
            raise wire.WireError("a row is [number, statement, nip, name]")
        row, statement, nip, name = item
        if not (
            isinstance(row, int)
            and isinstance(statement, bytes)
            and (nip is None or isinstance(nip, str))
            and (name is None or isinstance(name, str))
        ):
            raise wire.WireError("a row is [number, statement, nip, name]")
        rows.append(SignedRow(row, statement, nip, name))
    return rows


async def register_signed(service: RegistryService, chunk: Chunk) -> dict[str, Any]:
    """Register ``chunk`` through the sequencer; the answer the API sends (see the module).

    Raises :class:`Unavailable` (retry) if no sequencer is reachable from here.
    """
    if service.is_sequencer:
        return await _register_here(service, chunk)
    client = service.handoff_client
    if client is None or not client.available:
        raise Unavailable(Message("unavailable.bulk-on-sequencer"), retry_after=1)
    # (a follower catches up when asked for an entry it has not read yet)
    return wire.loads(await client.register_chunk(chunk.to_wire()))


async def register_handed(service: RegistryService, data: bytes) -> bytes:
    """On the sequencer: register a chunk a follower handed over; the answer, as CBOR."""
    if not service.is_sequencer:  # (lost the lock meanwhile) the follower says retry
        raise Unavailable(Message("unavailable.bulk-on-sequencer"), retry_after=1)
    try:
        chunk = Chunk.from_wire(data)
    except wire.WireError as exc:
        raise Unavailable(Message("unavailable.not-written", {"error": str(exc)})) from exc
    return wire.dumps(await _register_here(service, chunk))


async def _register_here(service: RegistryService, chunk: Chunk) -> dict[str, Any]:
    kind, role = chunk.kind, chunk.role

    def attester(statements: Sequence[bytes]) -> list[bytes]:
        return attest(
            statements,
            service.keys.admin,
            "operator",
            source=f"registry import --server, key {chunk.kid.hex()}",
            reason=f"history loaded in bulk by a {role}: {len(statements)} rows of {kind}",
            now_s=int(time.time()),
            max_age_s=service.settings.max_statement_age_hours * 3600,
        )

    desk = desk_of(service)
    salts = await desk.salts_of(service)
    done = await register_chunk(service, chunk.rows, salts, desk.pool_for(), attester)
    return {
        "registered": [[row, r.index, r.existed] for row, r in done.registered],
        "refused": [[row, r.to_json()] for row, r in done.refused],
        "errors": wire.errors_data(done.errors),
        "identities": done.identities,
    }
