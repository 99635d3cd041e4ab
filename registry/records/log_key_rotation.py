"""Replacing the log's key: the ``log-key-rotation`` entry, its rules, and the schedule read back.

The operator's admin key signs a ``log-key-rotation`` statement naming the
current log key (``previous_key``) and its successor (``public_key``).  It is
admitted only if ``previous_key`` is the log's current key, the successor was
never a log key of this log, and this registry holds the successor's private
key (else nothing could sign the next checkpoint).  Appended as entry ``r``,
it makes the successor sign every tree of ``r + 1`` entries and more
(:mod:`registry.log.log_keys`); receipts and checkpoints made before stay
valid, signed by the key valid for their size.

At start the schedule is derived from these entries, read by type below the
checked checkpoint, each checked against its leaf (as
:mod:`registry.records.derived` does for keys), never from a table.
"""

from __future__ import annotations

from registry.i18n import Message
from registry.log.integrity import LogContradiction
from registry.log.log_keys import LogKeyError, LogKeys
from registry.log.state import LogState
from registry.records.errors import TamperedEntry, refused
from registry.records.schemas import LogKeyRotation, RecordError, parse_record
from registry.records.tree_tiles import TreeTiles
from registry.records.verified import EntryChecker
from registry.signing.cose import CoseSigner
from registry.store.repository import Store

TYPE = "log-key-rotation"


def rotation_payload(previous: bytes, new: bytes, reason: str) -> dict[str, object]:
    """The payload of a ``log-key-rotation`` statement (the admin key signs it)."""
    return {"type": TYPE, "previous_key": previous, "public_key": new, "reason": reason}


def sign_rotation(admin: CoseSigner, previous: bytes, new: bytes, reason: str) -> bytes:
    """The admin's signed ``log-key-rotation`` statement from ``previous`` to ``new``."""
    return admin.sign_statement(rotation_payload(previous, new, reason), issuer="registry-operator")


def check_rotation(record: LogKeyRotation, keys: LogKeys, current: bytes) -> None:
    """Raise :class:`RegistrationRefused` unless the log may rotate from ``current`` (its key
    once the batches before are appended) to ``record.public_key``."""
    if record.previous_key != current:
        raise refused(
            "log-key-not-current",
            "refusal.log-key-not-current",
            409,
            {"previous_key": record.previous_key.hex(), "current": current.hex()},
        )
    if keys.used(record.public_key) or record.public_key == current:
        raise refused(
            "log-key-reused", "refusal.log-key-reused", 409, {"key": record.public_key.hex()}
        )
    if not keys.holds(record.public_key):
        raise refused(
            "log-key-not-held", "refusal.log-key-not-held", 422, {"key": record.public_key.hex()}
        )


def admitted_rotation(record: object, keys: LogKeys, current: bytes) -> bytes | None:
    """The new log key if ``record`` is a rotation that may be admitted (else raises), or None
    for any other record."""
    if not isinstance(record, LogKeyRotation):
        return None
    check_rotation(record, keys, current)
    return record.public_key


async def derive_log_keys(store: Store, state: LogState, checker: EntryChecker) -> None:
    """Apply the log's rotations (entries below ``state``'s checked size) to ``state.keys``.

    Raises :class:`LogContradiction` if a rotation's bytes differ from what its leaf
    vouches for, if the rotations do not chain, or if this data directory does not
    hold the key they make current.
    """
    records = await store.entries_of_types((TYPE,), 0, state.committed_size)
    try:
        await TreeTiles(store, state, checker.alarm.tampered).preload(r.idx for r in records)
    except TamperedEntry as exc:
        raise _refusal(str(exc.index), str(exc)) from exc
    rotations: list[tuple[int, int, LogKeyRotation]] = []
    for record in records:
        try:
            facts = checker.read(record, receipt=False)[1]
            parsed = parse_record(facts.payload)
        except (TamperedEntry, RecordError) as exc:
            raise _refusal(str(record.idx), str(exc)) from exc
        if facts.type == TYPE and isinstance(parsed, LogKeyRotation):
            rotations.append((record.idx, record.registered_at, parsed))
    if not rotations:
        return
    keys = state.keys
    keys.start_from(rotations[0][2].previous_key)
    try:
        for index, at_ms, rotation in rotations:
            keys.announce(rotation.previous_key, rotation.public_key, index + 1, at_ms)
        keys.check_held()
    except LogKeyError as exc:
        raise _refusal(str(rotations[-1][0]), str(exc)) from exc


def _refusal(index: str, detail: str) -> LogContradiction:
    evidence = {"index": index, "detail": detail}
    return LogContradiction(Message("log.log-key-schedule", evidence), evidence)
