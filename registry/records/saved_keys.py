"""The key directory and revoked entries saved, sealed, so a start does not derive them from 0.

Who may sign and what no longer stands are derived at start from the log's own
entries (:mod:`registry.records.derived`): every enrolment, key revocation,
succession and revocation read, its leaf hashed against the checked tree and
its statement parsed (about 1 ms each; a log that enrols every ASN has one
enrolment per 14 entries: minutes at ten million).  Instead, what was derived
is saved as one **snapshot** (a row of ``fact_segments`` of format
:data:`FORMAT`, from entry 0 to its end), and a start restores the snapshot it
can trust and derives only the entries after its end.

A snapshot is trusted only if all of this holds, otherwise the start derives
everything from entry 0 (and says why in a warning):

- its **format** is this code's (the records' fields and the codec);
- its **seal** (:mod:`registry.signing.seal`, for :data:`PURPOSE`: a key
  derived from the log key, which lives in the data directory, never in the
  database) covers its format, end, root and the SHA-256 of its bytes: an edit
  made straight in the database (a key given another role, a revocation
  dropped) is not restored;
- its **root** is the root, at its end, of the tree this process has just
  checked against the log's signed checkpoint: a snapshot of another log, or of
  this log before a rollback, is not this log's.  An older snapshot of this
  very log put back in place of the newest is harmless: it is true of the
  entries below its end, and the rest are derived.

The tables beside the log (``signer_keys``, ``revoked_entries``) are still
compared with what the process holds, as before, for every row.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import struct
import zlib

import msgspec

from registry.log.state import LogState
from registry.records.directory import KeyDirectory, RevokedEntries
from registry.signing.seal import Sealer
from registry.store.models import FactSegmentRecord, RevokedEntryRecord, SignerKeyRecord
from registry.store.repository import Store

log = logging.getLogger(__name__)

PURPOSE = "key directory snapshot"
CODEC = "msgpack-zlib-v1"
EVERY = 16_384
"""A start that derived at least this many entries past the snapshot saves a new one."""


def _format() -> str:
    shape = [
        (cls.__qualname__, [(f.name, str(f.type)) for f in dataclasses.fields(cls)])
        for cls in (SignerKeyRecord, RevokedEntryRecord)
    ]
    return "keys-" + hashlib.sha256(repr((CODEC, shape)).encode()).hexdigest()[:40]


FORMAT = _format()
"""Changes whenever a field of the records or the codec does: older snapshots are not read."""

_DECODER = msgspec.msgpack.Decoder(tuple[list[SignerKeyRecord], list[RevokedEntryRecord]])


def encode(keys: list[SignerKeyRecord], revoked: list[RevokedEntryRecord]) -> bytes:
    """The bytes of a snapshot of ``keys`` and ``revoked``."""
    return zlib.compress(msgspec.msgpack.encode((keys, revoked)), 6)


def decode(data: bytes) -> tuple[list[SignerKeyRecord], list[RevokedEntryRecord]]:
    """The keys and revocations of a snapshot's bytes (``ValueError`` if they are not one)."""
    keys, revoked = _DECODER.decode(zlib.decompress(data))
    return keys, revoked


def sealed_message(format: str, end: int, root: bytes, data: bytes) -> bytes:
    """What a snapshot's seal covers: its format, end, root and the SHA-256 of its bytes."""
    head = b"key-directory\n" + format.encode() + b"\n" + struct.pack(">Q", end)
    return head + root + hashlib.sha256(data).digest()


@dataclasses.dataclass(frozen=True)
class Restored:
    """A trusted snapshot: the keys and revocations derived from entries below ``end``."""

    end: int
    keys: list[SignerKeyRecord]
    revoked: list[RevokedEntryRecord]


def _root(state: LogState, size: int) -> bytes | None:
    return None if size > state.committed_size else state.tree.root(size)


async def restore(store: Store, state: LogState, sealer: Sealer) -> Restored | None:
    """The saved snapshot if it checks out against ``state``'s checked tree (see the module)."""
    record = await store.fact_segment(FORMAT, 0)
    if record is None:
        return None
    message = sealed_message(record.format, record.end_idx, record.root, record.data)
    problem = None
    if not sealer.opens(message, record.seal):
        problem = "its seal does not open: it was not saved as it is by this registry"
    elif _root(state, record.end_idx) != record.root:
        problem = (
            f"it was made for a tree of root {record.root.hex()} at size {record.end_idx},"
            " not the checked log's"
        )
    else:
        try:
            keys, revoked = decode(record.data)
        except (ValueError, zlib.error, msgspec.DecodeError) as exc:
            problem = f"its bytes do not decode ({exc})"
    if problem is not None:
        log.warning(
            "key directory: saved snapshot of entries below %d not used, %s;"
            " every key-changing entry is read from the log again",
            record.end_idx,
            problem,
        )
        return None
    return Restored(record.end_idx, keys, revoked)


async def save(
    store: Store, state: LogState, sealer: Sealer, directory: KeyDirectory, revoked: RevokedEntries
) -> bool:
    """Save what ``directory`` and ``revoked`` hold, as derived from every entry of the
    checked tree (call it right after deriving them, before any batch); whether it was."""
    end = state.committed_size
    root = _root(state, end)
    if root is None or end == 0:  # pragma: no cover - the checked tree reaches its size
        return False
    keys = sorted(directory.all(), key=lambda k: (k.enrolment_idx, k.kid))
    data = encode(keys, revoked.all())
    seal = sealer.seal(sealed_message(FORMAT, end, root, data))
    try:
        await store.put_fact_segment(FactSegmentRecord(FORMAT, 0, end, root, data, seal))
    except Exception:
        log.exception("key directory: could not save the snapshot at %d entries", end)
        return False
    return True
