"""State derived from the whole log, saved sealed, so a start does not derive it from entry 0.

Two things a process used to derive from every entry at each start are saved
as one **snapshot** each (a row of ``fact_segments``, from entry 0 to its end):

- the **key directory and revoked entries** (:mod:`registry.records.derived`):
  every enrolment, key revocation, succession and revocation read, its leaf
  hashed against the checked tree and its statement parsed (about 1 ms each; a
  log that enrols every ASN has one enrolment per 14 entries: minutes at ten
  million);
- the sequencer's **Bloom filter of signed contents**
  (:mod:`registry.records.seen`): every entry's ``content_sha256`` read and
  added (about 12 µs each: two minutes at ten million).

A start restores the snapshot it can trust and derives only the entries after
its end; one that derived at least :data:`EVERY` entries saves a new one.  A
snapshot is trusted only if all of this holds, otherwise the start derives
everything from entry 0 (and says why in a warning):

- its **format** is this code's (the records' fields, the filter's shape and
  the codec);
- its **seal** (:mod:`registry.signing.seal`, for :data:`PURPOSE`: a key
  derived from the log key, which lives in the data directory, never in the
  database) covers its format, end, root and the SHA-256 of its bytes: an edit
  made straight in the database (a key given another role, a revocation
  dropped, bits of the filter cleared) is not restored;
- its **root** is the root, at its end, of the tree this process has just
  checked against the log's signed checkpoint: a snapshot of another log, or of
  this log before a rollback, is not this log's.  An older snapshot of this
  very log put back in place of the newest is harmless: it is true of the
  entries below its end, and the rest are derived.

The snapshot holds each key as its compact row (:mod:`registry.records.directory`):
a key's full record is read from its enrolment entry when asked for, never from
the snapshot or the ``signer_keys`` table.  That table is compared only with the
keys a start derives (those of entries after the snapshot): no decision or
answer reads it, so the rows the snapshot covers are not read at all (an edit
there changes nothing the registry says; ``docs/scaling.md``).  The
``revoked_entries`` rows are still compared, every row.  A sequencer that stops
gracefully saves both snapshots again (:func:`save_at_stop`), so a start after a
long run derives only what a crash left after them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import struct
import zlib

import msgspec

from registry.log.state import LogState
from registry.records.directory import ROW, KeyDirectory, RevokedEntries
from registry.records.seen import BITS_PER_ENTRY, FIRST_CAPACITY, SeenStatements
from registry.records.tree_tiles import TreeTiles
from registry.signing.seal import Sealer
from registry.store.models import FactSegmentRecord, RevokedEntryRecord, SignerKeyRecord
from registry.store.repository import Store

log = logging.getLogger(__name__)

PURPOSE = "derived state snapshot"
CODEC = "msgpack-zlib-v1"
EVERY = 16_384
"""A start that derived at least this many entries past the snapshot saves a new one."""
SAVE_AT_STOP = 16_384
"""A sequencer that stops gracefully saves a snapshot this many entries past the last one or
more (:func:`save_at_stop`): the next start then derives only what a crash left after it."""


def _format(kind: str, shape: object) -> str:
    return f"{kind}-" + hashlib.sha256(repr((CODEC, shape)).encode()).hexdigest()[:40]


FORMAT = _format(
    "keys",
    [
        (cls.__qualname__, [(f.name, str(f.type)) for f in dataclasses.fields(cls)])
        for cls in (SignerKeyRecord, RevokedEntryRecord)
    ]
    + [("sorted compact rows, roles, instansi, revoked", ROW.format)],
)
"""Changes whenever a field of the records, the compact row or the codec does: older
snapshots are not read."""
KINDS = ("keys-", "seen-", "tree-")
"""How the formats of these snapshots start (the compliance index keeps them)."""
SEEN_FORMAT = _format("seen", (BITS_PER_ENTRY, FIRST_CAPACITY, "capacity, count, arrays"))
"""The Bloom filter's snapshot format (its bits per entry, first capacity and layout)."""

_DECODER = msgspec.msgpack.Decoder(tuple[bytes, list[str], list[str], list[RevokedEntryRecord]])


def encode(directory: KeyDirectory, revoked: list[RevokedEntryRecord]) -> bytes:
    """The bytes of a snapshot of ``directory``'s compact rows (sorted, in one ``bytes``),
    the role and instansi names their codes stand for, and ``revoked``."""
    rows = directory.sorted_rows()
    names = (directory.roles.names, directory.instansi.names)
    return zlib.compress(msgspec.msgpack.encode((rows, *names, revoked)), 6)


def decode(data: bytes) -> tuple[bytes, list[str], list[str], list[RevokedEntryRecord]]:
    """The sorted rows, role and instansi names and revocations of a snapshot's bytes
    (``ValueError`` if they are not one).  The rows stay one ``bytes``: no object a key."""
    rows, roles, instansi, revoked = _DECODER.decode(zlib.decompress(data))
    if len(rows) % ROW.size:
        raise ValueError("a snapshot holds whole rows")
    return rows, roles, instansi, revoked


def sealed_message(format: str, end: int, root: bytes, data: bytes) -> bytes:
    """What a snapshot's seal covers: its format, end, root and the SHA-256 of its bytes."""
    head = b"derived-state\n" + format.encode() + b"\n" + struct.pack(">Q", end)
    return head + root + hashlib.sha256(data).digest()


@dataclasses.dataclass(frozen=True)
class Restored:
    """A trusted snapshot: the keys and revocations derived from entries below ``end``."""

    end: int
    rows: bytes
    """Every key enrolled below ``end``, as it stood at ``end``: compact rows
    (:data:`registry.records.directory.ROW`) sorted by kid."""
    roles: list[str]
    instansi: list[str]
    revoked: list[RevokedEntryRecord]


def _root(state: LogState, size: int) -> bytes | None:
    return None if size > state.committed_size else state.tree.root(size)


async def _restore(
    store: Store, state: LogState, sealer: Sealer, format: str, what: str
) -> FactSegmentRecord | None:
    """The saved snapshot of ``format`` if its seal opens and its root is the checked tree's."""
    record = await store.fact_segment(format, 0)
    if record is None:
        return None
    message = sealed_message(record.format, record.end_idx, record.root, record.data)
    problem = None
    if not sealer.opens(message, record.seal):
        problem = "its seal does not open: it was not saved as it is by this registry"
    elif (
        await TreeTiles(store, state, lambda found: found).ensure(
            lambda: _root(state, record.end_idx)
        )
        != record.root
    ):
        problem = (
            f"it was made for a tree of root {record.root.hex()} at size {record.end_idx},"
            " not the checked log's"
        )
    if problem is None:
        return record
    _not_used(what, record.end_idx, problem)
    return None


def _not_used(what: str, end: int, problem: str) -> None:
    log.warning(
        "%s: saved snapshot of entries below %d not used, %s; it is derived from every entry",
        what,
        end,
        problem,
    )


async def _save(store: Store, state: LogState, sealer: Sealer, format: str, data: bytes) -> bool:
    """Save ``data`` as the snapshot of ``format`` at the checked tree's size; whether it was."""
    end = state.committed_size
    root = _root(state, end)
    if root is None or end == 0:  # pragma: no cover - the checked tree reaches its size
        return False
    seal = sealer.seal(sealed_message(format, end, root, data))
    try:
        await store.put_fact_segment(FactSegmentRecord(format, 0, end, root, data, seal))
    except Exception:
        log.exception("could not save the snapshot %s at %d entries", format, end)
        return False
    return True


async def restore(store: Store, state: LogState, sealer: Sealer) -> Restored | None:
    """The key directory's snapshot if it checks out against ``state``'s checked tree."""
    record = await _restore(store, state, sealer, FORMAT, "key directory")
    if record is None:
        return None
    try:
        rows, roles, instansi, revoked = decode(record.data)
    except (ValueError, zlib.error, msgspec.DecodeError) as exc:
        _not_used("key directory", record.end_idx, f"its bytes do not decode ({exc})")
        return None
    return Restored(record.end_idx, rows, roles, instansi, revoked)


async def save(
    store: Store, state: LogState, sealer: Sealer, directory: KeyDirectory, revoked: RevokedEntries
) -> bool:
    """Save what ``directory`` and ``revoked`` hold, as derived from every entry of the
    checked tree (call it right after deriving them, before any batch, or once the last
    batch is written and applied); whether it was."""
    data = encode(directory, revoked.all())
    return await _save(store, state, sealer, FORMAT, data)


async def save_at_stop(
    store: Store,
    state: LogState,
    sealer: Sealer,
    tables: tuple[KeyDirectory, RevokedEntries, int],
    seen: SeenStatements,
) -> None:
    """On a sequencer that stopped (its last batch written and applied): save the key
    directory's snapshot (``tables``: the directory, the revoked entries and the end of
    the snapshot restored or saved at start) and the filter's, each if the log grew by
    :data:`SAVE_AT_STOP` entries or more since; so a start after a long run does not
    derive everything registered during it (about 1 ms a key, 12 µs an entry)."""
    directory, revoked, saved_to = tables
    end = state.committed_size
    if end - saved_to >= SAVE_AT_STOP:
        await save(store, state, sealer, directory, revoked)
    if end - seen.saved_to >= SAVE_AT_STOP:
        await _save(store, state, sealer, SEEN_FORMAT, _seen_bytes(seen))


def _seen_bytes(seen: SeenStatements) -> bytes:
    capacity, count, arrays = seen.state()
    return zlib.compress(msgspec.msgpack.encode((capacity, count, arrays)), 1)


_SEEN_DECODER = msgspec.msgpack.Decoder(tuple[int, int, list[bytes]])


async def load_seen(store: Store, state: LogState, sealer: Sealer | None) -> SeenStatements:
    """The Bloom filter of every entry's signed content: restored from its snapshot and
    the entries after it added, or built from every entry (and saved, if it was long)."""
    record = None if sealer is None else await _restore(store, state, sealer, SEEN_FORMAT, "seen")
    start, seen = 0, None
    if record is not None:
        try:
            capacity, count, arrays = _SEEN_DECODER.decode(zlib.decompress(record.data))
            seen = SeenStatements.restored(capacity, count, arrays)
            start = record.end_idx
        except (ValueError, zlib.error, msgspec.DecodeError) as exc:
            _not_used("seen", record.end_idx, f"its bytes do not decode ({exc})")
    if seen is None:
        seen = SeenStatements()
    seen.saved_to = start
    added = await store.content_sha256s(start)
    for digest in added:
        seen.add(digest)
    end = state.committed_size
    if sealer is not None and end - start >= EVERY:
        saved = await _save(store, state, sealer, SEEN_FORMAT, _seen_bytes(seen))
        seen.saved_to = end if saved else start
    return seen
