"""`registry import --server URL`: the chunks of a file sent to a running registry.

Each chunk goes to ``POST /api/imports/prepare/{sha256}`` then, signed here,
to ``/register/{sha256}`` (:mod:`registry.api.imports`), each request signed
with the importing key.  A 503 (another process of the registry answered, one
that does not sequence the log; or the registry is busy) is sent again on a
new connection after its ``Retry-After``, a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from registry.cli.import_run import IN_FLIGHT, Ahead, Prepared, PreparedRow, RegisteredChunk
from registry.compliance.access import sign_request
from registry.i18n import Message
from registry.records import import_wire as wire
from registry.records.errors import RegistrationRefused
from registry.records.import_chunks import SignedRow, Turn
from registry.records.spreadsheet import ImportType, Table
from registry.signing.cose import CoseSigner

ATTEMPTS = 20
TIMEOUT_S = 600.0


class ServerRefused(Exception):
    """The registry refused a request as a whole (its problem's title and detail)."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text}")
        self.status = status
        self.message = Message("import.server-refused", {"status": status, "detail": text})


class ServerTarget:
    """A running registry at ``url``, asked with requests signed by ``signer``."""

    def __init__(self, url: str, signer: CoseSigner) -> None:
        self.url = url.rstrip("/")
        self.signer = signer
        # Connections for each kind of request: chunks are prepared one at a time while up
        # to IN_FLIGHT register.  Registering needs the sequencing process, so a connection
        # is kept once it reaches it; any process prepares, and a 503 to a registration
        # must not close the connection of a prepare (or another registration) in flight.
        lanes = {"prepare": 1, "register": IN_FLIGHT}
        self._clients = {what: [self._connect() for _ in range(n)] for what, n in lanes.items()}
        self._idle: dict[str, asyncio.Queue[int]] = {}
        for what, n in lanes.items():
            self._idle[what] = asyncio.Queue()
            for lane in range(n):
                self._idle[what].put_nowait(lane)

    def _connect(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=1)
        return httpx.AsyncClient(base_url=self.url, timeout=TIMEOUT_S, limits=limits)

    async def close(self) -> None:
        """Close the connections."""
        for clients in self._clients.values():
            for client in clients:
                await client.aclose()

    @contextlib.asynccontextmanager
    async def _lane(self, what: str) -> AsyncIterator[int]:
        """One of the idle connections for ``what``, given back when the block ends."""
        lane = await self._idle[what].get()
        try:
            yield lane
        finally:
            self._idle[what].put_nowait(lane)

    async def _post(self, what: str, value: dict[str, Any]) -> dict[str, Any]:
        async with self._lane(what) as lane:
            return await self._post_on(what, lane, value)

    async def _post_on(self, what: str, lane: int, value: dict[str, Any]) -> dict[str, Any]:
        body = wire.dumps(value)
        path = f"/api/imports/{what}/{hashlib.sha256(body).hexdigest()}"
        for _attempt in range(ATTEMPTS):
            headers = {
                "Authorization": sign_request(self.signer, "POST", path),
                "Content-Type": wire.MEDIA_TYPE,
                "Accept": wire.MEDIA_TYPE,
            }
            try:
                answer = await self._clients[what][lane].post(path, content=body, headers=headers)
            except httpx.TransportError:
                await self._reconnect(what, lane, 1.0)
                continue
            if answer.status_code == 503:  # not the sequencer, or busy: another connection
                wait_s = float(answer.headers.get("Retry-After", "1") or 1)
                await self._reconnect(what, lane, wait_s)
                continue
            if answer.status_code != 200:
                raise ServerRefused(answer.status_code, _problem(answer))
            try:
                return wire.loads(answer.content)
            except wire.WireError as exc:
                raise ServerRefused(answer.status_code, str(exc)) from exc
        raise ServerRefused(503, f"no answer after {ATTEMPTS} attempts")

    async def _reconnect(self, what: str, lane: int, wait_s: float) -> None:
        await self._clients[what][lane].aclose()
        await asyncio.sleep(min(wait_s, 5.0))
        self._clients[what][lane] = self._connect()

    async def prepare(self, table: Table, kind: ImportType) -> Prepared:
        """See :class:`registry.cli.import_run.Target`."""
        answer = await self._post("prepare", wire.table_data(table, kind))
        rows = [PreparedRow(*item) for item in answer.get("rows", [])]
        return Prepared(rows, wire.errors_of(answer.get("errors")))

    def verify_ahead(self, rows: Sequence[SignedRow]) -> Ahead | None:
        """See :class:`registry.cli.import_run.Target`: the registry verifies what it is sent."""
        return None

    async def statement_at(self, index: int) -> bytes | None:
        """See :class:`registry.cli.import_run.Target`: the statement as the registry serves it
        (``GET /entries/{index}/statement``)."""
        async with self._lane("prepare") as lane:
            answer = await self._clients["prepare"][lane].get(f"/entries/{index}/statement")
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise ServerRefused(answer.status_code, _problem(answer))
        return answer.content

    async def register(
        self,
        kind: ImportType,
        rows: Sequence[SignedRow],
        ahead: Ahead | None = None,
        turn: Turn | None = None,
    ) -> RegisteredChunk:
        """See :class:`registry.cli.import_run.Target`.  ``turn`` is not kept: the registry
        logs chunks in the order their requests reach its sequencer."""
        sent = [[r.row, r.statement, r.nip, r.name] for r in rows]
        answer = await self._post("register", {"type": kind, "rows": sent})
        registered = [(int(r), int(i), bool(e)) for r, i, e in answer.get("registered", [])]
        refused = [(int(r), RegistrationRefused.from_json(j)) for r, j in answer.get("refused", [])]
        errors = wire.errors_of(answer.get("errors"))
        return RegisteredChunk(registered, refused, errors, int(answer.get("identities", 0)))


def _problem(answer: httpx.Response) -> str:
    try:
        data = answer.json()
    except ValueError:
        return answer.text[:500]
    if isinstance(data, dict):
        return f"{data.get('title', '')}: {data.get('detail', '')}".strip(": ")
    return answer.text[:500]
