"""Where `registry audit` reads a log from: a database, a server, or a folder of mirrored tiles.

Each source gives the signed checkpoints it holds and the entries in order,
in chunks: the index the source numbers an entry with, its leaf bytes, its
signed statement bytes, and (from a database) the stored copy of its leaf hash.
Nothing here checks anything: :class:`registry.verify.audit.Auditor` does.

A server is read through its public contract: ``/checkpoint``, the C2SP
tlog-tiles entry bundles (``/tile/entries/<N>``, the leaves) and
``/entries/<i>/statement``.  A folder is what :func:`mirror` writes:

- ``checkpoint``: the checkpoint note the mirror stopped at;
- ``tile/entries/<N>[.p/<W>]`` and ``tile/<L>/<N>[.p/<W>]``: the C2SP tiles,
  with the same paths as the server's;
- ``statements/<N>[.p/<W>]``: the signed statements of the entries of bundle
  ``N``, each behind its 4-byte big-endian length (a statement may reach 64 KiB,
  one more than an entry bundle's 2-byte length holds).

A mirror is made incrementally: full tiles and bundles never change, so those
already in the folder are not fetched again.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from registry.log.checkpoint import add_cosignatures
from registry.log.tiles import (
    TILE_WIDTH,
    EntryBundle,
    Tile,
    encode_index,
    parse_entry_bundle,
    split_tile,
    tiles_for,
)
from registry.store.repository import Store
from registry.verify.audit import AuditFailure, Auditor, AuditReport, Finding
from registry.verify.checkpoint import parse_checkpoint
from registry.verify.note import parse_note

CHUNK = 2048
"""Entries read from a database at once."""
FETCHES = 16
"""Statements fetched from a server at once."""
TIMEOUT_S = 30.0
"""Seconds a server may take to answer one request."""


class SourceError(Exception):
    """A source that cannot be read (a server that does not answer, a folder that is not a mirror).

    ``index`` is the entry being read when it happened, if any.
    """

    def __init__(self, detail: str, index: int | None = None) -> None:
        self.detail = detail
        self.index = index
        super().__init__(detail)


@dataclass(frozen=True)
class AuditEntry:
    """One entry as the source holds it."""

    index: int
    leaf: bytes
    statement: bytes
    leaf_hash: bytes | None = None
    """The stored copy of the leaf hash: a database's column, a server's or a mirror's
    level-0 tile (``tile/0/<N>``)."""
    receipt: bytes | None = None
    """The receipt issued at registration (databases keep it); ``None`` elsewhere."""
    columns: Mapping[str, object] | None = None
    """A database's copies of what the statement and leaf say (for search and views)."""


def checkpoint_size(note: str) -> int:
    """The tree size a checkpoint note names (unverified: the auditor verifies it)."""
    parsed = parse_note(note)
    if not parsed.ok or parsed.value is None:
        raise SourceError(f"not a signed note: {parsed.detail}")
    checkpoint = parse_checkpoint(parsed.value.text)
    if not checkpoint.ok or checkpoint.value is None:
        raise SourceError(f"not a checkpoint: {checkpoint.detail}")
    return checkpoint.value.size


class DatabaseSource:
    """A registry's database: every stored checkpoint and every row of ``entries``."""

    def __init__(
        self, store: Store, name: str, *, receipts: bool = True, witnesses: Sequence[str] = ()
    ) -> None:
        self.store = store
        self.name = name
        self.receipts = receipts
        self.witnesses = list(witnesses)

    async def checkpoints(self) -> list[str]:
        """Every checkpoint note the database holds, smallest first, with the cosignatures
        it keeps from ``witnesses`` (their ``<name>+<key id>``) merged in."""
        lines: dict[int, list[str]] = {}
        for cosignature in await self.store.cosignatures_from(0, self.witnesses):
            lines.setdefault(cosignature.size, []).append(cosignature.line)
        return [
            add_cosignatures(record.note, lines[record.size])
            if record.size in lines
            else record.note
            for record in await self.store.checkpoints()
        ]

    async def entries(self) -> AsyncIterator[list[AuditEntry]]:
        """The rows of ``entries`` by index, in chunks (a deleted row is simply absent)."""
        bound = max(await self.store.size(), 0)
        start = 0
        while True:
            rows = await self.store.get_entries(start, start + CHUNK)
            if not rows and start >= bound:
                return
            if rows:
                yield [
                    AuditEntry(
                        r.idx,
                        r.leaf,
                        r.statement,
                        r.leaf_hash,
                        r.receipt if self.receipts else None,
                        {
                            "statement_sha256": r.statement_sha256,
                            "registered_at": r.registered_at,
                            "type": r.type,
                            "signer_kid": r.signer_kid,
                        },
                    )
                    for r in rows
                ]
            start += CHUNK


class ServerSource:
    """A registry over HTTP, read through its public contract."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self.name = self.url
        self.note: str | None = None

    async def get(self, path: str, index: int | None = None, accept: str | None = None) -> bytes:
        """The body of ``GET path``; :class:`SourceError` unless it is a 200."""
        headers = {"accept": accept} if accept else None
        try:
            response = await self.client.get(self.url + path, headers=headers)
        except httpx.HTTPError as exc:
            raise SourceError(f"GET {path}: {exc}", index) from exc
        if response.status_code != 200:
            title = response.text[:300].replace("\n", " ")
            raise SourceError(f"GET {path}: HTTP {response.status_code} {title}", index)
        return response.content

    async def checkpoints(self) -> list[str]:
        """The server's latest checkpoint (with its cosignatures)."""
        self.note = (await self.get("/checkpoint")).decode("utf-8", "replace")
        return [self.note]

    async def entries(self) -> AsyncIterator[list[AuditEntry]]:
        """The entries up to the size of the checkpoint read by :meth:`checkpoints`."""
        size = checkpoint_size(self.note) if self.note is not None else 0
        for start in range(0, size, TILE_WIDTH):
            width = min(TILE_WIDTH, size - start)
            yield await self.bundle(start // TILE_WIDTH, width)

    async def bundle(self, number: int, width: int, first: int = 0) -> list[AuditEntry]:
        """The entries of bundle ``number``, ``width`` of them: leaves and statements
        (only those from index ``first`` on)."""
        bundle = EntryBundle(number, width)
        start = number * TILE_WIDTH
        try:
            leaves = parse_entry_bundle(await self.get("/" + bundle.path, start), width)
        except ValueError as exc:
            raise SourceError(f"{bundle.path}: {exc}", start) from exc
        skipped = max(0, min(width, first - start))
        statements = [b""] * skipped + await self.statements(start + skipped, width - skipped)
        tile = Tile(0, number, width)
        try:
            hashes = split_tile(await self.get("/" + tile.path, start), tile)
        except ValueError as exc:
            raise SourceError(f"{tile.path}: {exc}", start) from exc
        return [
            AuditEntry(start + i, leaf, statement, hashed)
            for i, (leaf, statement, hashed) in enumerate(
                zip(leaves, statements, hashes, strict=True)
            )
            if start + i >= first
        ]

    async def statements(self, start: int, count: int) -> list[bytes]:
        """The signed statements of entries ``start`` to ``start + count - 1``."""
        limit = asyncio.Semaphore(FETCHES)

        async def one(index: int) -> bytes:
            async with limit:
                return await self.get(f"/entries/{index}/statement", index)

        return list(await asyncio.gather(*(one(start + i) for i in range(count))))


class FolderSource:
    """A folder :func:`mirror` wrote."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = str(folder)
        self.note: str | None = None

    def read(self, relative: str, index: int | None = None) -> bytes:
        """The bytes of a file of the mirror; :class:`SourceError` if it is missing."""
        try:
            return (self.folder / relative).read_bytes()
        except OSError as exc:
            raise SourceError(f"{relative}: {exc.strerror}", index) from exc

    async def checkpoints(self) -> list[str]:
        """The checkpoint the mirror stopped at."""
        self.note = self.read("checkpoint").decode("utf-8", "replace")
        return [self.note]

    async def entries(self) -> AsyncIterator[list[AuditEntry]]:
        """The mirrored entries up to the mirrored checkpoint's size."""
        size = checkpoint_size(self.note) if self.note is not None else 0
        for start in range(0, size, TILE_WIDTH):
            width = min(TILE_WIDTH, size - start)
            bundle = EntryBundle(start // TILE_WIDTH, width)
            tile = Tile(0, bundle.index, width)
            try:
                leaves = parse_entry_bundle(self.read(bundle.path, start), width)
                statements = parse_statements(self.read(statements_path(bundle), start), width)
                hashes = split_tile(self.read(tile.path, start), tile)
            except ValueError as exc:
                raise SourceError(f"{bundle.path}: {exc}", start) from exc
            yield [
                AuditEntry(start + i, leaf, statement, hashed)
                for i, (leaf, statement, hashed) in enumerate(
                    zip(leaves, statements, hashes, strict=True)
                )
            ]


def statements_path(bundle: EntryBundle) -> str:
    """Where the mirror keeps the statements of ``bundle``."""
    suffix = f".p/{bundle.width}" if bundle.is_partial else ""
    return f"statements/{encode_index(bundle.index)}{suffix}"


def encode_statements(statements: Sequence[bytes]) -> bytes:
    """Statements, each behind its 4-byte big-endian length."""
    return b"".join(len(s).to_bytes(4, "big") + s for s in statements)


def parse_statements(data: bytes, count: int) -> list[bytes]:
    """Split :func:`encode_statements`' bytes; ``ValueError`` unless exactly ``count`` fit."""
    statements: list[bytes] = []
    offset = 0
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        if offset + 4 + length > len(data):
            raise ValueError(f"statement {len(statements)} is cut short")
        statements.append(data[offset + 4 : offset + 4 + length])
        offset += 4 + length
    if len(statements) != count:
        raise ValueError(f"{len(statements)} statements, expected {count}")
    return statements


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file beside it, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


async def mirror(source: ServerSource, folder: Path) -> tuple[int, int]:
    """Copy the server's latest checkpoint, its tiles, leaves and statements into ``folder``.

    Full tiles and bundles already in the folder are kept (they never change);
    the checkpoint is written last, so the folder never names entries it lacks.
    Returns the size mirrored and the number of files written.
    """
    note = (await source.checkpoints())[0]
    size = checkpoint_size(note)
    written = 0
    for start in range(0, size, TILE_WIDTH):
        width = min(TILE_WIDTH, size - start)
        bundle = EntryBundle(start // TILE_WIDTH, width)
        leaves_file, statements_file = folder / bundle.path, folder / statements_path(bundle)
        if not bundle.is_partial and leaves_file.exists() and statements_file.exists():
            continue
        entries = await source.bundle(bundle.index, width)
        write_file(statements_file, encode_statements([e.statement for e in entries]))
        write_file(leaves_file, await source.get("/" + bundle.path, start))
        written += 2
    for tile in tiles_for(0, size):
        path = folder / tile.path
        if tile.is_partial or not path.exists():
            write_file(path, await source.get("/" + tile.path))
            written += 1
    write_file(folder / "checkpoint", note.encode())
    return size, written + 1


async def audit(
    source: DatabaseSource | ServerSource | FolderSource,
    auditor: Auditor,
    seen: Sequence[tuple[str, str]] = (),
) -> AuditReport:
    """Audit ``source`` with ``auditor``; ``seen`` are (note, where) checkpoints from elsewhere.

    Raises :class:`AuditFailure` at the first thing wrong (a source that cannot
    be read at an entry is one: the finding names that entry).
    """
    for note, where in seen:
        auditor.add_checkpoint(note, where, independent=True)
    try:
        for note in await source.checkpoints():
            auditor.add_checkpoint(note, source.name, independent=False)
        async for chunk in source.entries():
            for entry in chunk:
                hashed = auditor.add_entry(
                    entry.index, entry.leaf, entry.statement, entry.receipt, entry.columns
                )
                if entry.leaf_hash is not None:
                    auditor.leaf_hash_differs(entry.index, entry.leaf_hash, hashed)
    except SourceError as exc:
        raise AuditFailure(Finding(exc.index, "unreadable", exc.detail)) from exc
    return auditor.finish()


async def audit_location(
    kind: str,
    location: str,
    auditor: Auditor,
    seen: Sequence[tuple[str, str]] = (),
    *,
    receipts: bool = True,
    witnesses: Sequence[str] = (),
) -> AuditReport:
    """:func:`audit` ``location``: a server URL, a mirror folder or a database URL (``kind``)."""
    if kind == "folder":
        return await audit(FolderSource(Path(location)), auditor, seen)
    if kind == "server":
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            return await audit(ServerSource(client, location), auditor, seen)
    async with Store.open(location) as store:
        source = DatabaseSource(store, location, receipts=receipts, witnesses=witnesses)
        return await audit(source, auditor, seen)
