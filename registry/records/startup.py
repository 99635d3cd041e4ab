"""Loading the log at start, checked, and keeping the pin while sequencing.

A process loads the log from one bounded read (:meth:`Store.read_log`), so a
batch committed meanwhile by another process cannot make the parts disagree,
and checks what it loaded before it serves anything: the latest stored
checkpoint must be signed by the log's key and match the stored tree, and the
tree must extend the checkpoint pinned in the data directory
(:mod:`registry.log.pin`).  Otherwise it refuses to start with
:class:`LogContradiction`, whose message names both sizes and roots and what
the operator can do.

The process that sequences checks the pin again when it takes over (another
process of the host may have moved it), and from then on pins every
checkpoint it signs once its batch is committed and before anyone sees it.

Who may sign and what no longer stands are derived, with the tree, from the
log's own entries (:mod:`registry.records.derived`), never read from the
tables the database keeps beside them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from registry.config import Settings
from registry.i18n import Message
from registry.log.integrity import LogContradiction, check_pinned, check_stored_checkpoint
from registry.log.pin import CheckpointPin, pin_path
from registry.log.state import LogState
from registry.log.tree import MerkleTree
from registry.records import saved_state, tree_snapshot
from registry.records.derived import DERIVING_TYPES, DerivedTables, enrolment_reader
from registry.records.directory import KeyDirectory, RevokedEntries
from registry.records.log_key_rotation import derive_log_keys
from registry.records.operator import OperatorKeys
from registry.records.tree_tiles import TreeTiles
from registry.records.verified import EntryChecker, TamperAlarm, VerifiedEntries
from registry.signing.seal import Sealer
from registry.store.engine import in_memory
from registry.store.errors import DamagedLog
from registry.store.migrate import upgrade
from registry.store.models import CheckpointRecord, LogSnapshot
from registry.store.repository import Store
from registry.verify.checkpoint import Checkpoint, verify_checkpoint
from registry.verify.note import VerifierKey

log = logging.getLogger(__name__)


def checkpoint_pin(settings: Settings, keys: OperatorKeys) -> CheckpointPin | None:
    """The pin of ``settings``' log; None for an in-memory database (it dies with its process)."""
    if in_memory(settings.database_url):
        return None
    also = () if keys.standby is None else (keys.standby[1].verifier_key,)
    return CheckpointPin(
        pin_path(settings.data_dir, settings.origin), log_verifier(keys), settings.origin, also
    )


def log_verifier(keys: OperatorKeys) -> VerifierKey:
    """The note verifier key the log's checkpoints are signed with."""
    return keys.note.verifier_key


def latest_signer(keys: OperatorKeys, snapshot: LogSnapshot) -> VerifierKey:
    """The key the stored latest checkpoint must be signed with: the log key, or the one a
    rotation cut short (committed, its key files not yet renamed) moved to."""
    if keys.standby is not None and snapshot.latest is not None:
        following = keys.standby[1].verifier_key
        if verify_checkpoint(snapshot.latest.note, [following]).ok:
            return following
    return log_verifier(keys)


async def load_log(
    store: Store, settings: Settings, keys: OperatorKeys, pin: CheckpointPin | None
) -> tuple[LogState, DerivedTables]:
    """The log as stored, checked against its own latest checkpoint and against the pin,
    and the keys and revocations derived from its entries.

    Raises :class:`LogContradiction` when they disagree, or when an entry that
    enrols or revokes a key differs from what its leaf vouches for.
    """
    # The pin is read before the database: a sequencer pins a checkpoint only after
    # its batch is committed, so a pin read first never runs ahead of an intact store.
    pinned = None if pin is None else pin.read()
    state, tables = await _restore_and_check(store, settings, keys)
    tiles = TreeTiles(store, state, tables.alarm.tampered)
    if pin is not None and pinned is not None:
        await tiles.ensure(lambda: check_pinned(state.tree, pinned, str(pin.path)))
    if keys.standby is not None:
        state.keys.hold(*keys.standby)
    await derive_log_keys(store, state, EntryChecker(state, tables.directory, tables.alarm))
    await tables.directory.pin_roles("admin")
    return state, tables


async def _restore_and_check(
    store: Store, settings: Settings, keys: OperatorKeys
) -> tuple[LogState, DerivedTables]:
    """The log read and checked as :func:`extend_restoring` does, its tree's levels 8 and up
    restored from their saved snapshot (:mod:`registry.records.tree_snapshot`) if there is
    one, so that only the leaf hashes after it are read; the root they give is checked
    against the signed checkpoint as ever.  A start refused with the snapshot is made
    again without it (and says so); one that read many leaf hashes saves a new one."""
    sealer = keys.log.sealer(saved_state.PURPOSE)
    tree_sealer = keys.log.sealer(tree_snapshot.PURPOSE)
    restored = await tree_snapshot.restore(store, tree_sealer)
    snapshot = await read_checked_log(
        store, None if restored is None else restored.size, keys=False
    )
    if restored is not None and snapshot.size < restored.size:
        tree_snapshot.not_used(restored.size, "it ends past the log's latest checkpoint")
        restored, snapshot = None, await read_checked_log(store, keys=False)
    while True:
        state = LogState(settings.origin, keys.log, keys.note, restored)
        tables = DerivedTables(KeyDirectory(), RevokedEntries(), TamperAlarm())
        reads = VerifiedEntries(store, EntryChecker(state, tables.directory, tables.alarm))
        tables.directory.reader = enrolment_reader(reads, tables.directory)
        signer = latest_signer(keys, snapshot)
        try:
            await extend_restoring(store, state, snapshot, signer, tables, sealer)
            break
        except LogContradiction as refused:
            if restored is None:
                raise
            tree_snapshot.not_used(restored.size, f"the start with them was refused ({refused})")
            restored, snapshot = None, await read_checked_log(store, keys=False)
    if state.committed_size - snapshot.hashes_start >= tree_snapshot.EVERY:
        await tree_snapshot.save(store, state.tree, state.committed_size, tree_sealer)
    return state, tables


async def read_checked_log(
    store: Store, leaves_from: int | None = None, *, keys: bool = True
) -> LogSnapshot:
    """:meth:`Store.read_log` from the start (its leaf hashes from ``leaves_from``, its key
    changes too unless ``keys`` is False); a store whose leaves do not reach its latest
    checkpoint (rows deleted) raises :class:`LogContradiction` saying so."""
    try:
        return await store.read_log(leaves_from=leaves_from, keys=keys)
    except DamagedLog as exc:
        evidence = {"detail": str(exc)}
        raise LogContradiction(Message("audit.start-damaged", evidence), evidence) from exc


def extend_checked(
    state: LogState,
    snapshot: LogSnapshot,
    log_key: VerifierKey,
    also: Callable[[], None] | None = None,
) -> None:
    """Extend ``state`` with ``snapshot`` once its latest checkpoint checks out against the tree
    (and ``also()``, run on the grown tree, does not raise; if either does, nothing changes)."""

    def check(tree: MerkleTree, latest: CheckpointRecord) -> None:
        check_stored_checkpoint(tree, latest, log_key, state.origin)
        if also is not None:
            also()

    state.extend(snapshot, check)


async def extend_derived(
    store: Store,
    state: LogState,
    snapshot: LogSnapshot,
    log_key: VerifierKey,
    tables: DerivedTables,
) -> None:
    """Extend ``state`` with ``snapshot`` (checked as :func:`extend_checked` does), and
    ``tables`` with the keys and revocations its new entries make, all or nothing.

    Reads the new entries of the types that change them (by the ``type`` index,
    below the snapshot's checkpoint, so nothing committed meanwhile is read) and
    the table rows to compare them with.
    """
    start, size = snapshot.start, snapshot.size
    if size <= start:
        extend_checked(state, snapshot, log_key)
        return
    records = await store.entries_of_types(DERIVING_TYPES, start, size)
    stored_revoked = await store.revoked_entries_between(start, size)
    await tables.prepare(records)

    def derive() -> None:
        tables.derive(state, records, snapshot.key_changes, stored_revoked)

    extend_checked(state, snapshot, log_key, derive)


async def extend_restoring(
    store: Store,
    state: LogState,
    snapshot: LogSnapshot,
    log_key: VerifierKey,
    tables: DerivedTables,
    sealer: Sealer,
) -> None:
    """At start, on an empty ``state``: as :func:`extend_derived`, but the keys and
    revocations of the entries below a trusted saved snapshot are restored from it
    (:mod:`registry.records.saved_state`) rather than derived; a start that derived many
    entries past it saves a new one.  ``snapshot`` holds no key changes (read here).

    The ``signer_keys`` rows the snapshot covers are not read: no decision or answer reads
    that table (a key's full record is read from its enrolment entry), so only the rows of
    entries derived now are compared, for the tamper alarm.
    The tree is checked first (the snapshot's root is checked against it); if the
    derivation then refuses, the start is refused, as before.
    """
    start, size = snapshot.start, snapshot.size
    if size <= start or start != 0:
        changes = await store.key_changes_between(start, size)
        snapshot = replace(snapshot, key_changes=tuple(changes))
        await extend_derived(store, state, snapshot, log_key, tables)
        return
    extend_checked(state, snapshot, log_key)
    restored = await saved_state.restore(store, state, sealer)
    if restored is not None:
        tables.directory.restore(restored.rows, restored.roles, restored.instansi)
        for revocation in restored.revoked:
            tables.revoked.add(revocation)
        stored = await store.revoked_entries_between(0, restored.end)
        tables.compare_revoked(stored, restored.revoked)
        start = tables.restored_to = tables.saved_to = restored.end
        log.info("key directory: entries below %d restored from the saved snapshot", start)
    records = await store.entries_of_types(DERIVING_TYPES, start, size)
    stored_keys = await store.key_changes_between(start, size)
    stored_revoked = await store.revoked_entries_between(start, size)
    await tables.prepare(records)
    await TreeTiles(store, state, tables.alarm.tampered).ensure(
        lambda: tables.derive(state, records, stored_keys, stored_revoked),
        [record.idx for record in records],
    )
    if size - start >= saved_state.EVERY and await saved_state.save(
        store, state, sealer, tables.directory, tables.revoked
    ):
        tables.saved_to = size


class Pinning:
    """On the sequencer: the pin checked at take-over, then moved on after every commit."""

    def __init__(self, pin: CheckpointPin, state: LogState) -> None:
        self.pin = pin
        self.state = state

    def take_over(self) -> None:
        """Check the caught-up log against the pin and pin its latest checkpoint.

        Raises :class:`LogContradiction` (and pins nothing) if the log does not
        extend the pinned checkpoint.  Run with the sequencer lock held, before
        the first batch.
        """
        pinned = self.pin.read()
        if pinned is not None:
            check_pinned(self.state.tree, pinned, str(self.pin.path))
        latest = self.state.latest
        if latest is not None and (pinned is None or pinned.size < latest.size):
            self.pin.write(latest.note)
            pinned = Checkpoint(self.state.origin, latest.size, latest.root)
        self.state.pinned = pinned

    def write(self, checkpoint: CheckpointRecord) -> bool:
        """Pin ``checkpoint``, whose batch is committed, before anyone sees it; whether it
        was written.  Run in the thread that committed the batch (``Store.append_batch``'s
        ``then``); call :meth:`written` after, on the event loop.

        Never raises: the batch is on disk whatever happens here.  If the file
        cannot be written the error is logged and the pin stays behind (it
        then guards less, never wrongly).
        """
        try:
            self.pin.write(checkpoint.note)
        except Exception:
            log.exception("could not pin checkpoint %d in %s", checkpoint.size, self.pin.path)
            return False
        return True

    def written(self, checkpoint: CheckpointRecord) -> None:
        """Record that ``checkpoint`` is pinned (:meth:`write` said so)."""
        self.state.pinned = Checkpoint(self.state.origin, checkpoint.size, checkpoint.root)


class RegistryRunning(Exception):
    """A registry process holds the sequencer lock of the database (stop it first)."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message.render("en"))


@dataclass
class PinReview:
    """The pinned checkpoint beside the database's latest, for the operator to decide on."""

    pin: CheckpointPin
    pinned: Checkpoint | None
    pin_problem: str | None
    """Why the pin file does not verify, if it is there but does not."""
    database: CheckpointRecord | None
    """The database's latest checkpoint, checked against its stored tree."""
    contradiction: LogContradiction | None
    """How the database contradicts the pin; None if it extends it (or nothing is pinned)."""

    def accept_database(self) -> None:
        """Pin the database's latest checkpoint (or nothing, for an empty database), in
        both slots of the pin: it may be behind the pinned one (``CheckpointPin.reset``)."""
        self.pin.reset(None if self.database is None else self.database.note)


@asynccontextmanager
async def pin_review(settings: Settings, keys: OperatorKeys) -> AsyncIterator[PinReview]:
    """Compare the pin with the database, holding the sequencer lock so nothing moves.

    Raises :class:`RegistryRunning` if a registry process holds the lock,
    :class:`LogContradiction` if the database contradicts its own latest
    checkpoint (no pin can fix that), ``ValueError`` for an in-memory database.
    """
    pin = checkpoint_pin(settings, keys)
    if pin is None:
        raise ValueError("an in-memory database has no pinned checkpoint")
    await upgrade(settings.database_url)
    async with Store.open(settings.database_url) as store, store.sequencer_lock() as held:
        if not held:
            raise RegistryRunning(Message("log.repin-running", {}))
        state = LogState(settings.origin, keys.log, keys.note)
        extend_checked(state, await read_checked_log(store), log_verifier(keys))
        pinned, problem, contradiction = None, None, None
        try:
            pinned = pin.read()
        except LogContradiction as unreadable:
            problem = unreadable.evidence.get("detail", str(unreadable))
        if pinned is not None:
            try:
                await TreeTiles(store, state, lambda found: found).ensure(
                    lambda: check_pinned(state.tree, pinned, str(pin.path))
                )
            except LogContradiction as exc:
                contradiction = exc
        yield PinReview(pin, pinned, problem, state.latest, contradiction)
