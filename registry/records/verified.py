"""The one way stored entries reach an answer or a figure: checked against the log first.

Start-up checks the stored leaf hashes against the signed checkpoint (and the
pin), so the in-memory tree is the log the registry signed.  Everything else a
row of ``entries`` holds is a copy anyone with write access to the database
could edit behind the registry's back: the leaf bytes, the statement bytes, the
receipt, and the columns derived from them for search and views (``type``,
``signer_kid``, ``instansi``, ``registered_at``, ``payload_json``, the hashes).
:class:`EntryChecker` compares each of them with what the log vouches for
before it is used: the leaf hashes to the tree's leaf hash at its index, the
statement's SHA-256 is the one the leaf records, every derived column is what
the statement says, and the receipt verifies with the log's key for that leaf
under a root of this tree.  A difference raises :class:`TamperedEntry` (the
API answers ``500 tampered-entry`` with the evidence, never the edited bytes),
is logged once at ERROR, and is counted by :class:`TamperAlarm` for ``/health``.

:class:`VerifiedEntries` is the read side of the store for answers and figures:
the service, the registrar (existing entries, the policy's references) and,
through the service, compliance read entries through it and nothing else.

Costs (``bench/bench_verified_reads.py``): the leaf, statement and column checks
are a few SHA-256 and one CBOR decode, tens of microseconds an entry; the receipt
check is one Ed25519 verification, about ten times that, and is made only where
a receipt is served, once per entry kept in memory, never per request.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Unpack

from registry.log.state import LogState
from registry.log.tree import ProofRequestError
from registry.records.directory import KeyDirectory
from registry.records.entries import payload_json
from registry.records.errors import TamperedEntry
from registry.records.tree_tiles import TreeTiles
from registry.store.models import (
    CheckpointRecord,
    EntryRecord,
    SearchFilters,
    SearchPage,
    SearchQuery,
)
from registry.store.repository import Store
from registry.verify.cbor import decode
from registry.verify.checkpoint import verify_checkpoint
from registry.verify.cose import content_digest, parse_sign1
from registry.verify.leaf import Leaf, decode_leaf
from registry.verify.merkle import leaf_hash
from registry.verify.receipt import verify_receipt

log = logging.getLogger(__name__)

FINDINGS_SHOWN = 10
"""Findings ``/health`` lists (the count covers them all)."""


def digest(data: bytes | str) -> str:
    """``sha256:<hex>`` of bytes or UTF-8 text: how evidence names content, never showing it."""
    raw = data.encode() if isinstance(data, str) else data
    return "sha256:" + hashlib.sha256(raw).hexdigest()


class TamperAlarm:
    """What this process found edited behind the registry's back, each finding once.

    Every finding is logged at ERROR the first time it is seen (repeated reads
    of the same edited entry neither log nor count again); ``/health`` reports
    the count and the first findings, and its status is ``degraded`` while
    there is any.  Per process: each registry process counts what it found.
    """

    def __init__(self) -> None:
        self._found: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}

    def report(self, evidence: Mapping[str, str]) -> None:
        """Keep (and log, the first time) one finding, described by ``evidence``."""
        key = tuple(sorted(evidence.items()))
        if key in self._found:
            return
        self._found[key] = dict(evidence)
        words = ", ".join(f"{name}={value}" for name, value in evidence.items())
        log.error("TAMPERED: the database differs from the log the registry signed: %s", words)

    def tampered(self, error: TamperedEntry) -> TamperedEntry:
        """Keep the finding of ``error`` and return it, to raise."""
        self.report(error.evidence)
        return error

    @property
    def count(self) -> int:
        """How many different findings there are."""
        return len(self._found)

    def findings(self, limit: int = FINDINGS_SHOWN) -> list[dict[str, str]]:
        """The first ``limit`` findings, in the order they were found."""
        return [dict(f) for f in list(self._found.values())[:limit]]


@dataclass(frozen=True)
class StatementFacts:
    """What an entry's columns must hold, read from its statement's bytes."""

    type: str
    signer_kid: bytes
    payload: dict[str, Any]
    content_sha256: bytes


def read_statement(statement: bytes) -> StatementFacts | None:
    """The type, signer, payload and signed-content hash a logged statement states.

    As logged: entries from before the one-encoding rule parse too.  ``None``
    if the bytes are no statement at all (only edited bytes are, since the
    registry logs only statements it verified).
    """
    parsed = parse_sign1(statement, "signed statement", canonical=False)
    message = parsed.value
    if not parsed.ok or message is None or message.payload is None or message.kid is None:
        return None
    body = decode(message.payload, "payload")
    payload = body.value
    if not body.ok or not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return None
    return StatementFacts(payload["type"], message.kid, payload, content_digest(message))


def instansi_of(derived: StatementFacts, keys: KeyDirectory) -> str | None:
    """The instansi the registry filed an entry under (``Admission.instansi`` in the policy).

    A key revocation's is the revoked key's; a record naming its own instansi
    is filed under it; any other under its signer's.
    """
    payload = derived.payload
    if derived.type == "key-revocation":
        kid = payload.get("kid")
        return keys.instansi_of(kid) if isinstance(kid, bytes) else None
    own = payload.get("instansi")
    if isinstance(own, str) and own:
        return own
    return keys.instansi_of(derived.signer_kid)


class EntryChecker:
    """Checks stored entries against the in-memory tree, the key directory and the log key."""

    def __init__(self, state: LogState, directory: KeyDirectory, alarm: TamperAlarm) -> None:
        self.state = state
        self.directory = directory
        self.alarm = alarm

    def _tampered(self, index: int, what: str, expected: str, found: str) -> TamperedEntry:
        return self.alarm.tampered(TamperedEntry(index, what, expected, found))

    def with_directory(self, directory: KeyDirectory) -> EntryChecker:
        """This checker with other keys (the sequencer's, with those of batches being written)."""
        return EntryChecker(self.state, directory, self.alarm)

    def missing(self, index: int) -> TamperedEntry:
        """The error (kept) for entry ``index``, under the checkpoint, missing from the store."""
        return self._tampered(index, "row", "an entry", "no row")

    def _tree_leaf_hash(self, index: int) -> bytes:
        try:
            return self.state.tree.node(0, index)
        except ProofRequestError:
            raise self._tampered(
                index, "idx", f"an index below {self.state.size}", str(index)
            ) from None

    def leaf_bytes(self, index: int, leaf: bytes, stored_hash: bytes | None = None) -> None:
        """Entry ``index``'s leaf bytes (and stored leaf hash) hash to the tree's leaf hash."""
        expected = self._tree_leaf_hash(index)
        if stored_hash is not None and stored_hash != expected:
            raise self._tampered(index, "leaf_hash", expected.hex(), stored_hash.hex())
        found = leaf_hash(leaf)
        if found != expected:
            raise self._tampered(index, "leaf", expected.hex(), found.hex())

    def leaf(self, index: int, leaf: bytes, stored_hash: bytes | None = None) -> Leaf:
        """The leaf of entry ``index`` once its bytes (and stored hash) are the tree's."""
        self.leaf_bytes(index, leaf, stored_hash)
        decoded = decode_leaf(leaf)
        value = decoded.value
        if not decoded.ok or value is None or value.index != index:
            # Hashes to the tree's leaf, so the registry wrote these bytes: never reached.
            raise self._tampered(index, "leaf", f"leaf {index}", decoded.detail)
        return value

    def entry(self, record: EntryRecord, *, receipt: bool = True) -> EntryRecord:
        """``record`` once every copy it holds is what the log vouches for.

        With ``receipt=False`` the receipt is not checked, and the record comes
        back with an empty ``receipt`` so that it cannot be served unchecked.
        Raises :class:`TamperedEntry` naming the first copy that differs.
        """
        return self.read(record, receipt=receipt)[0]

    def read(
        self, record: EntryRecord, *, receipt: bool = True
    ) -> tuple[EntryRecord, StatementFacts]:
        """As :meth:`entry`, with what the (checked) statement states."""
        index = record.idx
        leaf = self.leaf(index, record.leaf, record.leaf_hash)
        self.statement(index, record.statement, leaf)
        if record.statement_sha256 != leaf.statement_sha256:
            raise self._tampered(
                index,
                "statement_sha256",
                leaf.statement_sha256.hex(),
                record.statement_sha256.hex(),
            )
        if record.registered_at != leaf.registered_at:
            raise self._tampered(
                index, "registered_at", str(leaf.registered_at), str(record.registered_at)
            )
        facts = self._columns(record)
        if receipt:
            self._receipt(index, record.receipt, record.statement, record.leaf)
            return record, facts
        return replace(record, receipt=b""), facts

    def statement(self, index: int, statement: bytes, leaf: Leaf) -> None:
        """Entry ``index``'s statement bytes are the ones its (checked) leaf records."""
        found = hashlib.sha256(statement).digest()
        if found != leaf.statement_sha256:
            raise self._tampered(index, "statement", leaf.statement_sha256.hex(), found.hex())

    def _columns(self, record: EntryRecord) -> StatementFacts:
        """The columns kept for search and views are the statement's own; what it states."""
        index = record.idx
        derived = read_statement(record.statement)
        if derived is None:  # pragma: no cover - the statement hashed to its leaf
            raise self._tampered(index, "statement", "a signed statement", "unreadable bytes")
        expected: list[tuple[str, str, str]] = [
            ("type", derived.type, record.type),
            ("signer_kid", derived.signer_kid.hex(), record.signer_kid.hex()),
            (
                "payload_json",
                digest(payload_json(derived.payload)),
                digest(record.payload_json),
            ),
            ("instansi", str(instansi_of(derived, self.directory)), str(record.instansi)),
        ]
        # NULL marks an entry that repeated an earlier one's content before one entry
        # per content was enforced (docs/formats.md); any other value must be its own.
        if record.content_sha256 is not None:
            expected.append(
                ("content_sha256", derived.content_sha256.hex(), record.content_sha256.hex())
            )
        for column, wanted, found in expected:
            if wanted != found:
                raise self._tampered(index, column, wanted, found)
        return derived

    def _receipt(self, index: int, receipt: bytes, statement: bytes, leaf: bytes | None) -> None:
        """The receipt is one the log's key signed for this entry's leaf under this tree."""
        keys = self.state.keys
        verdict = verify_receipt(
            receipt, keys.by_kid(), origin=self.state.origin, validity=keys.validity()
        )
        info = verdict.value
        if not verdict.ok or info is None:
            raise self._tampered(
                index, "receipt", "a receipt signed by the log's key", digest(receipt)
            )
        expected = self._tree_leaf_hash(index)
        if info.index != index or info.leaf_hash != expected:
            raise self._tampered(index, "receipt", expected.hex(), info.leaf_hash.hex())
        if leaf is not None and info.leaf_bytes != leaf:  # pragma: no cover - same hash
            raise self._tampered(index, "receipt", digest(leaf), digest(info.leaf_bytes))
        if info.tree_size > self.state.size or self.state.tree.root(info.tree_size) != info.root:
            raise self._tampered(
                index, "receipt", f"a root of this log at size {info.tree_size}", info.root.hex()
            )
        self.statement(index, statement, info.leaf)

    def served(self, index: int, receipt: bytes, statement: bytes) -> None:
        """Check a receipt and statement about to be kept in memory and served for ``index``.

        The receipt carries its leaf: it must verify with the log's key, its
        leaf hash to the tree's, and the statement hash to what the leaf records.
        """
        self._receipt(index, receipt, statement, None)

    def checkpoint(self, record: CheckpointRecord) -> CheckpointRecord:
        """``record`` once its note is signed by the log for this tree's root at its size."""
        keys, origin = self.state.keys, self.state.origin
        verdict = verify_checkpoint(
            record.note, keys.verifier_keys(origin), origin=origin, validity=keys.validity()
        )
        signed = verdict.value
        root = self.state.tree.root(record.size) if record.size <= self.state.size else b""
        if not verdict.ok or signed is None or (signed.size, signed.root) != (record.size, root):
            raise self.alarm.tampered(
                TamperedEntry(record.size, "checkpoint", root.hex(), digest(record.note))
            )
        return record


class VerifiedEntries:
    """Entries read from the store for an answer or a figure, each checked on the way out.

    Reads that serve a receipt check it too (:meth:`entry`); bulk reads (pages
    for search, compliance, the policy's references) do not, and their records
    carry no receipt.
    """

    def __init__(self, store: Store, checker: EntryChecker) -> None:
        self.store = store
        self.checker = checker
        self.tiles = TreeTiles(store, checker.state, checker.alarm.tampered)
        """Reads the leaf tiles the tree asks for, to check these entries and serve proofs."""

    def with_keys(self, directory: KeyDirectory) -> VerifiedEntries:
        """These reads, checking instansi against ``directory``'s keys."""
        return VerifiedEntries(self.store, self.checker.with_directory(directory))

    async def entry(self, index: int, *, receipt: bool = True) -> EntryRecord | None:
        """The entry at ``index``, checked; ``None`` if the store has none there (yet: an
        entry appended by the sequencer and not written).

        Raises :class:`TamperedEntry` if it differs from what the log vouches for, or if
        it is missing below the latest checkpoint (whose tree has its leaf).
        """
        record, read = await self.tiles.entry_and_tiles(index, receipt=receipt)
        if record is None:
            if index < self.checker.state.committed_size:
                raise self.checker.missing(index)
            return None
        leaves = self.tiles.receipt_leaves(index, record.receipt) if receipt else [index]
        return await self.tiles.ensure(
            lambda: self.checker.entry(record, receipt=receipt), leaves, read
        )

    async def entries(self, start: int, end: int) -> list[EntryRecord]:
        """The entries ``start <= idx < end`` on disk, in log order, checked (no receipts)."""
        return await self.checked(await self.store.get_entries(start, end))

    async def at(self, idxs: Sequence[int]) -> list[EntryRecord]:
        """The entries at ``idxs`` (each below the latest checkpoint) in that order, checked
        (no receipts); one missing from the store raises :class:`TamperedEntry`."""
        found = {r.idx: r for r in await self.store.entries_at(idxs)}
        for index in idxs:
            if index not in found:
                raise self.checker.missing(index)
        return await self.checked([found[index] for index in idxs])

    async def leaves(self, start: int, end: int) -> list[bytes]:
        """The leaf bytes of entries ``start <= idx < end`` (below the latest checkpoint),
        each hashed against the tree (what an entry bundle of the tiles serves)."""
        records = await self.store.get_entries(start, end)

        def check() -> None:
            for index, record in zip(range(start, end), records, strict=False):
                if record.idx != index:
                    raise self.checker.missing(index)
                self.checker.leaf_bytes(index, record.leaf)

        await self.tiles.ensure(check, [record.idx for record in records])
        if len(records) != end - start:
            raise self.checker.missing(start + len(records))
        return [record.leaf for record in records]

    async def checked(self, records: Sequence[EntryRecord]) -> list[EntryRecord]:
        """``records`` read from the store, checked (no receipts)."""
        return await self.tiles.ensure(
            lambda: [self.checker.entry(r, receipt=False) for r in records],
            [r.idx for r in records],
        )

    async def search(self, **filters: Unpack[SearchFilters]) -> SearchPage:
        """One page of :meth:`Store.search_entries`, every record on it checked (no receipts).

        Each record found is checked, so one whose search columns were edited
        to match is refused; the count and what an edit hides from the filters
        cannot be checked without reading every entry (``registry audit`` does).
        """
        page = await self.store.search_entries(**filters)
        return SearchPage(tuple(await self.checked(page.records)), page.total)

    async def pages(
        self, page_size: int, **filters: Unpack[SearchQuery]
    ) -> AsyncIterator[tuple[EntryRecord, ...]]:
        """Every entry matching ``filters``, checked, a page at a time in index order.

        Paged by index (``after``), not by ``offset``, and uncounted, so reading
        the last page costs what the first does however deep into the log it is.
        """
        after: int | None = None
        while True:
            page = await self.search(**filters, limit=page_size, after=after, count_cap=0)
            if page.records:
                yield page.records
            if len(page.records) < page_size:
                return
            after = page.records[-1].idx

    async def checkpoint_at(self, size: int) -> CheckpointRecord | None:
        """The checkpoint the registry signed for ``size``, checked against the tree."""
        record = await self.store.checkpoint_at(size)
        if record is None:
            return None
        return await self.tiles.ensure(lambda: self.checker.checkpoint(record))
