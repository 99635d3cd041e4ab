"""Writing one batch (group commit) and explaining why the database refused one.

``write_batch`` runs inside the caller's transaction; the fast path adds one
query (the log's size) to the inserts.  It is synchronous, so that one hand-off
runs a whole batch: in the SQLite writer thread, or through
``AsyncConnection.run_sync`` on PostgreSQL.  When the database refuses the batch
(a unique or foreign key constraint), the transaction is rolled back and
``explain_refusal`` looks, on a fresh connection, for the first rule broken,
so that the caller gets a domain error instead of a driver message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.store._leaf_tiles import pack_completed_tiles
from registry.store._rows import values_of
from registry.store.errors import (
    CheckpointConflict,
    DuplicateStatement,
    EntryAlreadyRevoked,
    KeyAlreadyEnrolled,
    KeyAlreadyRevoked,
    NotContiguous,
    StoreError,
    UnknownEntry,
    UnknownKey,
)
from registry.store.models import (
    CheckpointRecord,
    EntryRecord,
    KeyChange,
    KeyRevocationRecord,
    RevokedEntryRecord,
    SignerKeyRecord,
)
from registry.store.tables import CHECKPOINTS, ENTRIES, REVOKED_ENTRIES, SIGNER_KEYS

_ENTRY_COLUMNS = tuple(f.name for f in fields(EntryRecord))
# Built once from the table's own column names, never from input: values go as parameters.
_SQLITE_INSERT_ENTRY = (
    f"INSERT INTO {ENTRIES.name} ({', '.join(_ENTRY_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in _ENTRY_COLUMNS)})"
)


@dataclass(frozen=True)
class Batch:
    """Everything one group commit writes."""

    entries: Sequence[EntryRecord]
    checkpoint: CheckpointRecord
    key_changes: Sequence[KeyChange]
    revocations: Sequence[RevokedEntryRecord]

    @property
    def enrolments(self) -> list[SignerKeyRecord]:
        """The key enrolments among the key changes."""
        return [c for c in self.key_changes if isinstance(c, SignerKeyRecord)]


_LAST_INDEX = select(func.max(ENTRIES.c.idx))

BATCH_FENCE = "hashtextextended('registry/batch-writer:' || current_schema(), 0)"
"""The PostgreSQL advisory lock every batch transaction holds shared (per schema).

A sequencer killed while its COMMIT is on the wire loses its lock session at
once, but the server still finishes that commit; a new sequencer takes this
lock exclusively once (``Store.sequencer_lock``), which waits for such a
commit, so it never loads the log one batch short (and then fails every batch)."""
_HOLD_FENCE = text(f"SELECT pg_advisory_xact_lock_shared({BATCH_FENCE})")


def _size_after(last: int | None) -> int:
    """The log's size given its last index (entries are numbered from 0 without gaps)."""
    return 0 if last is None else int(last) + 1


async def log_size(connection: AsyncConnection) -> int:
    """Number of entries in the log (they are numbered from 0 without gaps)."""
    return _size_after((await connection.execute(_LAST_INDEX)).scalar_one())


def check_shape(batch: Batch) -> None:
    """Refuse a batch that is wrong in itself, before touching the database."""
    for previous, entry in zip(batch.entries, batch.entries[1:], strict=False):
        if entry.idx != previous.idx + 1:
            raise NotContiguous(f"batch entries jump from index {previous.idx} to {entry.idx}")
    seen: set[bytes] = set()
    contents: set[bytes] = set()
    for entry in batch.entries:
        if entry.statement_sha256 in seen or entry.content_sha256 in contents:
            raise DuplicateStatement(entry.statement_sha256, None)
        seen.add(entry.statement_sha256)
        if entry.content_sha256 is not None:
            contents.add(entry.content_sha256)
    if batch.entries and batch.checkpoint.size != batch.entries[-1].idx + 1:
        raise NotContiguous(
            f"checkpoint size {batch.checkpoint.size} does not match the batch,"
            f" which ends at index {batch.entries[-1].idx}"
        )


def write_batch(connection: Connection, batch: Batch) -> None:
    """Write the batch in the caller's transaction; raise to have it rolled back."""
    if connection.dialect.name == "postgresql":
        connection.execute(_HOLD_FENCE)
    size = _size_after(connection.execute(_LAST_INDEX).scalar_one())
    if batch.entries and batch.entries[0].idx != size:
        raise NotContiguous(
            f"batch starts at index {batch.entries[0].idx} but the log has {size} entries"
        )
    if not batch.entries and batch.checkpoint.size != size:
        raise NotContiguous(
            f"checkpoint size {batch.checkpoint.size} but the log has {size} entries"
        )
    if batch.entries and connection.dialect.name == "sqlite":
        # The hot path: straight to the driver (qmark), without per-row bind processing;
        # SQLAlchemy's executemany cost ~40 us a row more (docs/benchmarks.md).
        connection.exec_driver_sql(
            _SQLITE_INSERT_ENTRY,
            [tuple(getattr(e, name) for name in _ENTRY_COLUMNS) for e in batch.entries],
        )
    elif batch.entries:
        connection.execute(insert(ENTRIES), [values_of(e) for e in batch.entries])
    pack_completed_tiles(connection, size, batch.entries)
    connection.execute(insert(CHECKPOINTS).values(values_of(batch.checkpoint)))
    for change in batch.key_changes:
        if isinstance(change, SignerKeyRecord):
            connection.execute(insert(SIGNER_KEYS).values(values_of(change)))
        else:
            _revoke_key(connection, change)
    if batch.revocations:
        connection.execute(insert(REVOKED_ENTRIES), [values_of(r) for r in batch.revocations])


def write_batches(connection: Connection, batches: Sequence[Batch]) -> None:
    """Write several batches in the caller's transaction, in order, as :func:`write_batch`
    writes each, but with one statement for all their entries and one for all their
    checkpoints (on PostgreSQL each statement is a round trip)."""
    if len(batches) == 1:
        write_batch(connection, batches[0])
        return
    if connection.dialect.name == "postgresql":
        connection.execute(_HOLD_FENCE)
    size = end = _size_after(connection.execute(_LAST_INDEX).scalar_one())
    for batch in batches:
        if batch.entries and batch.entries[0].idx != end:
            raise NotContiguous(
                f"batch starts at index {batch.entries[0].idx} but the log has {end} entries"
            )
        end += len(batch.entries)
        if batch.checkpoint.size != end:
            raise NotContiguous(f"checkpoint size {batch.checkpoint.size} but the log has {end}")
    records = [e for batch in batches for e in batch.entries]
    if records and connection.dialect.name == "sqlite":
        connection.exec_driver_sql(
            _SQLITE_INSERT_ENTRY,
            [tuple(getattr(e, name) for name in _ENTRY_COLUMNS) for e in records],
        )
    elif records:
        connection.execute(insert(ENTRIES), [values_of(e) for e in records])
    pack_completed_tiles(connection, size, records)
    connection.execute(insert(CHECKPOINTS), [values_of(b.checkpoint) for b in batches])
    for batch in batches:
        for change in batch.key_changes:
            if isinstance(change, SignerKeyRecord):
                connection.execute(insert(SIGNER_KEYS).values(values_of(change)))
            else:
                _revoke_key(connection, change)
    revocations = [r for batch in batches for r in batch.revocations]
    if revocations:
        connection.execute(insert(REVOKED_ENTRIES), [values_of(r) for r in revocations])


def _revoke_key(connection: Connection, change: KeyRevocationRecord) -> None:
    result = connection.execute(
        update(SIGNER_KEYS)
        .where(SIGNER_KEYS.c.kid == change.kid, SIGNER_KEYS.c.revoked_at.is_(None))
        .values(revoked_at=change.revoked_at, revocation_idx=change.revocation_idx)
    )
    if result.rowcount == 1:
        return
    known = connection.execute(
        select(SIGNER_KEYS.c.revocation_idx).where(SIGNER_KEYS.c.kid == change.kid)
    )
    row = known.first()
    if row is None:
        raise UnknownKey(f"cannot revoke key {change.kid.hex()}: it is not enrolled")
    raise KeyAlreadyRevoked(f"key {change.kid.hex()} was already revoked by entry {row[0]}")


async def explain_refusal(connection: AsyncConnection, batch: Batch) -> StoreError | None:
    """Find which rule the refused batch broke, or ``None`` if none of the known ones."""
    checks = (
        _duplicate_statement,
        _taken_index,
        _existing_checkpoint,
        _enrolled_twice,
        _revoked_twice,
        _unknown_reference,
    )
    for check in checks:
        error = await check(connection, batch)
        if error is not None:
            return error
    return None


async def _duplicate_statement(connection: AsyncConnection, batch: Batch) -> StoreError | None:
    """An entry of the batch whose bytes, or whose signed content, the log already has."""
    hashes = [e.statement_sha256 for e in batch.entries]
    contents = [e.content_sha256 for e in batch.entries if e.content_sha256 is not None]
    if not hashes:
        return None
    query = select(ENTRIES.c.idx, ENTRIES.c.statement_sha256).where(
        ENTRIES.c.statement_sha256.in_(hashes) | ENTRIES.c.content_sha256.in_(contents)
    )
    row = (await connection.execute(query.order_by(ENTRIES.c.idx).limit(1))).first()
    return None if row is None else DuplicateStatement(row.statement_sha256, row.idx)


async def _taken_index(connection: AsyncConnection, batch: Batch) -> StoreError | None:
    if not batch.entries:
        return None
    size = await log_size(connection)
    if batch.entries[0].idx < size:
        return NotContiguous(
            f"batch starts at index {batch.entries[0].idx} but the log has {size} entries"
        )
    return None


async def _existing_checkpoint(connection: AsyncConnection, batch: Batch) -> StoreError | None:
    size = batch.checkpoint.size
    query = select(CHECKPOINTS.c.root).where(CHECKPOINTS.c.size == size)
    root = (await connection.execute(query)).scalar_one_or_none()
    return None if root is None else CheckpointConflict(size, root, batch.checkpoint.root)


async def _enrolled_twice(connection: AsyncConnection, batch: Batch) -> StoreError | None:
    kids = [k.kid for k in batch.enrolments]
    seen: set[bytes] = set()
    for kid in kids:
        if kid in seen:
            return KeyAlreadyEnrolled(f"key {kid.hex()} is enrolled twice in the same batch")
        seen.add(kid)
    if not kids:
        return None
    query = select(SIGNER_KEYS.c.kid, SIGNER_KEYS.c.enrolment_idx).where(
        SIGNER_KEYS.c.kid.in_(kids)
    )
    row = (await connection.execute(query.limit(1))).first()
    if row is None:
        return None
    return KeyAlreadyEnrolled(f"key {row.kid.hex()} is already enrolled by entry {row[1]}")


async def _revoked_twice(connection: AsyncConnection, batch: Batch) -> StoreError | None:
    idxs = [r.idx for r in batch.revocations]
    seen: set[int] = set()
    for idx in idxs:
        if idx in seen:
            return EntryAlreadyRevoked(f"entry {idx} is revoked twice in the same batch")
        seen.add(idx)
    if not idxs:
        return None
    query = select(REVOKED_ENTRIES.c.idx, REVOKED_ENTRIES.c.revocation_idx).where(
        REVOKED_ENTRIES.c.idx.in_(idxs)
    )
    row = (await connection.execute(query.limit(1))).first()
    if row is None:
        return None
    return EntryAlreadyRevoked(f"entry {row.idx} was already revoked by entry {row[1]}")


async def _unknown_reference(connection: AsyncConnection, batch: Batch) -> StoreError | None:
    """An enrolment or revocation citing an entry neither in the log nor in the batch."""
    cited = {k.enrolment_idx for k in batch.enrolments}
    cited |= {c.revocation_idx for c in batch.key_changes if isinstance(c, KeyRevocationRecord)}
    cited |= {r.idx for r in batch.revocations} | {r.revocation_idx for r in batch.revocations}
    size = await log_size(connection)
    in_batch = {e.idx for e in batch.entries}
    missing = sorted(i for i in cited if not (0 <= i < size or i in in_batch))
    if missing:
        return UnknownEntry(f"the batch refers to entry {missing[0]}, which is not in the log")
    return None
