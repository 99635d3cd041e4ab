"""Who may sign and what no longer stands, derived from the log's own entries.

Each batch also writes two tables beside the log: ``signer_keys`` (every
enrolled key with its role, office, term and revocation) and
``revoked_entries``.  They are copies: an edit there (a PPK's key given the
recommender role, a revocation deleted or invented) used to change what the
registry let sign and what it showed revoked, while every check passed.  So a
process no longer reads them for any decision.  It derives the key directory
and the revoked entries from the entries that make them (enrolments, key
revocations, revocations), read by their ``type`` below a checkpoint already
checked against the tree, each entry's leaf hashed against the tree and its
statement against its leaf; and it then compares the tables with what it
derived, reporting each difference (one ERROR line with the evidence, counted
for ``/health``) without trusting either table.

A key-changing entry whose own bytes differ from what its leaf vouches for
refuses the start (:class:`LogContradiction`): who may sign cannot be known.
An entry whose ``type`` column was edited so that it is read here when it is
of another type is reported and derived as what its statement says.  An edit
of the ``type`` column that hides a key-changing entry from this read is not
seen here (that would mean reading every statement); a read of that entry
finds it (``registry.records.verified``), and so does ``registry audit``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from registry.i18n import Message
from registry.log.integrity import LogContradiction
from registry.log.state import LogState
from registry.records.directory import KeyDirectory, KeyFacts, Reader, RevokedEntries
from registry.records.errors import TamperedEntry
from registry.records.policy import key_change_of
from registry.records.schemas import (
    Enrolment,
    KeyRevocation,
    KeySuccession,
    RecordError,
    parse_record,
)
from registry.records.succession import succession_changes
from registry.records.verified import (
    EntryChecker,
    StatementFacts,
    TamperAlarm,
    VerifiedEntries,
    read_statement,
)
from registry.store.models import (
    EntryRecord,
    KeyChange,
    KeyRevocationRecord,
    RevokedEntryRecord,
    SignerKeyRecord,
)

DERIVING_TYPES = ("enrolment", "key-revocation", "revocation", "key-succession")
"""The statement types whose entries change the keys or what stands."""

KEY_COLUMNS = tuple(field.name for field in fields(SignerKeyRecord))
FACT_COLUMNS = tuple(field.name for field in fields(KeyFacts))

VOUCHED = frozenset({"idx", "leaf", "leaf_hash", "statement"})
"""What the log itself vouches for; an edit there leaves nothing to derive from."""


@dataclass
class DerivedTables:
    """The key directory and the revoked entries of one process, and its tamper alarm."""

    directory: KeyDirectory
    revoked: RevokedEntries
    alarm: TamperAlarm
    restored_to: int = 0
    """Entries below this were restored from a saved snapshot rather than derived at start
    (:mod:`registry.records.saved_state`)."""
    saved_to: int = 0
    """The end of the newest snapshot this process restored or saved (0: none)."""
    prepared: list[SignerKeyRecord] = field(default_factory=list)
    """The predecessors the next :meth:`derive` needs, read by :meth:`prepare`."""

    async def prepare(self, records: Sequence[EntryRecord]) -> None:
        """Read the full records of the keys the successions among ``records`` succeed
        (:func:`named_kids`), held for the next :meth:`derive` whatever is read meanwhile."""
        kids = named_kids(records)
        await self.directory.load(kids)
        self.prepared = [key for key in map(self.directory.held, kids) if key is not None]

    def derive(
        self,
        state: LogState,
        records: Sequence[EntryRecord],
        stored_keys: Sequence[SignerKeyRecord],
        stored_revoked: Sequence[RevokedEntryRecord],
    ) -> None:
        """Apply the key changes and revocations that ``records`` make, all or none.

        ``records`` are the entries of :data:`DERIVING_TYPES` that ``state``'s
        tree (already grown to hold them) covers from some index on, in log
        order; ``stored_keys`` and ``stored_revoked`` the rows the tables hold
        for the same entries, compared with what is derived.  Raises
        :class:`LogContradiction`, changing nothing, if a key-changing entry
        cannot be read from bytes its leaf vouches for.
        """
        staged = self.directory.overlay()
        staged.hold(self.prepared)
        checker = EntryChecker(state, staged, self.alarm)
        applied: list[KeyChange] = []
        revocations: list[RevokedEntryRecord] = []
        for record in records:
            for change in _changes_of(checker, record, staged, self.alarm):
                if isinstance(change, RevokedEntryRecord):
                    revocations.append(change)
                elif not _unknown_revoked(change, staged, self.alarm):
                    staged.apply(change)
                    applied.append(change)
        self._compare_keys(stored_keys, staged, {change.kid for change in applied})
        self._compare_revoked(stored_revoked, revocations)
        for change in applied:
            self.directory.apply(change)
        for revocation in revocations:
            self.revoked.add(revocation)

    def _compare_keys(
        self, stored: Sequence[SignerKeyRecord], derived: KeyDirectory, touched: set[bytes]
    ) -> None:
        rows = {row.kid: row for row in stored}
        for kid in sorted(set(rows) | touched):
            row, facts = rows.get(kid), derived.facts(kid)
            where = {"table": "signer_keys", "kid": kid.hex()}
            if row is None and facts is not None:
                self._differs(where, "row", "missing", f"enrolled by entry {facts.enrolment_idx}")
            elif row is not None and facts is None:
                self._differs(where, "row", f"enrolment_idx {row.enrolment_idx}", "no enrolment")
            elif row is not None and facts is not None:
                # every column when the full record is held (derived now), else the compact ones
                key: object = derived.held(kid) or facts
                for name in KEY_COLUMNS if key is not facts else FACT_COLUMNS:
                    stored_value, derived_value = getattr(row, name), getattr(key, name)
                    if stored_value != derived_value:
                        self._differs(where, name, _shown(stored_value), _shown(derived_value))

    def compare_revoked(
        self, stored: Sequence[RevokedEntryRecord], derived: Sequence[RevokedEntryRecord]
    ) -> None:
        """Report each difference between the ``revoked_entries`` rows and ``derived``
        (revocations restored from a trusted snapshot rather than derived now)."""
        self._compare_revoked(stored, derived)

    def _compare_revoked(
        self, stored: Sequence[RevokedEntryRecord], derived: Sequence[RevokedEntryRecord]
    ) -> None:
        rows = {row.idx: row for row in stored}
        made = {revocation.idx: revocation for revocation in derived}
        for idx in sorted(set(rows) | set(made)):
            row, revocation = rows.get(idx), made.get(idx)
            where = {"table": "revoked_entries", "index": str(idx)}
            if row is None and revocation is not None:
                by = f"revoked by entry {revocation.revocation_idx}"
                self._differs(where, "row", "missing", by)
            elif row is not None and revocation is None:
                by = f"revocation_idx {row.revocation_idx}"
                self._differs(where, "row", by, "no revocation entry")
            elif row is not None and revocation is not None:
                for name in ("revocation_idx", "reason"):
                    stored_value, derived_value = getattr(row, name), getattr(revocation, name)
                    if stored_value != derived_value:
                        self._differs(where, name, _shown(stored_value), _shown(derived_value))

    def _differs(self, where: Mapping[str, str], column: str, stored: str, derived: str) -> None:
        self.alarm.report({**where, "column": column, "stored": stored, "derived": derived})


def named_kids(records: Sequence[EntryRecord]) -> list[bytes]:
    """The predecessors the successions among ``records`` name, read from their statements
    unchecked (only to know which keys to :meth:`KeyDirectory.load` before deriving:
    :meth:`DerivedTables.derive` checks every entry it derives from)."""
    kids = []
    for record in records:
        facts = read_statement(record.statement)
        kid = None if facts is None else facts.payload.get("kid")
        if facts is not None and facts.type == "key-succession" and isinstance(kid, bytes):
            kids.append(kid)
    return kids


def enrolment_reader(reads: VerifiedEntries, keys: KeyDirectory) -> Reader:
    """Reads keys' full records from their enrolment (or succession) entries, in one query
    and one round of tiles, each checked against the tree as every read is (a
    :class:`TamperedEntry` with the evidence for one edited in the database), decoded as the
    start derives it."""

    async def read(
        wanted: list[tuple[bytes, int]],
    ) -> dict[bytes, SignerKeyRecord | TamperedEntry]:
        indexes = [index for _, index in wanted]
        records = {r.idx: r for r in await reads.store.entries_at(indexes)}
        checker = reads.checker

        def check() -> dict[bytes, tuple[EntryRecord, StatementFacts] | TamperedEntry]:
            out: dict[bytes, tuple[EntryRecord, StatementFacts] | TamperedEntry] = {}
            for kid, index in wanted:
                record = records.get(index)
                try:
                    if record is None:
                        raise checker.missing(index)
                    out[kid] = checker.read(record, receipt=False)
                except TamperedEntry as tampered:
                    out[kid] = tampered
            return out

        checked = await reads.tiles.ensure(check, indexes)
        successions = {
            kid: parsed
            for kid, found in checked.items()
            if not isinstance(found, TamperedEntry)
            and found[1].type == "key-succession"
            and isinstance(parsed := parse_record(found[1].payload, logged=True), KeySuccession)
        }
        await keys.load(parsed.kid for parsed in successions.values())
        keys_read: dict[bytes, SignerKeyRecord | TamperedEntry] = {}
        for kid, index in wanted:
            found = checked[kid]
            if isinstance(found, TamperedEntry):
                keys_read[kid] = found
                continue
            try:  # a succession whose predecessor's own entry was edited
                key = _enrolled(found, successions.get(kid), keys)
            except TamperedEntry as tampered:
                keys_read[kid] = tampered
                continue
            if key is None or key.kid != kid:
                shown = "no enrolment" if key is None else key.kid.hex()
                keys_read[kid] = checker.alarm.tampered(
                    TamperedEntry(index, "enrolment", kid.hex(), shown)
                )
            else:
                keys_read[kid] = key
        return keys_read

    return read


def _enrolled(
    found: tuple[EntryRecord, StatementFacts], succession: KeySuccession | None, keys: KeyDirectory
) -> SignerKeyRecord | None:
    """The key a checked enrolment (or succession, whose predecessor ``keys`` holds) makes."""
    record, facts = found
    if succession is not None:
        predecessor = keys.held(succession.kid)
        if predecessor is None:
            return None
        unrevoked = replace(predecessor, revoked_at=None, revocation_idx=None)
        return succession_changes(succession, unrevoked, record.idx, record.registered_at)[0]
    if facts.type != "enrolment":
        return None
    parsed = parse_record(facts.payload, logged=True)
    change = key_change_of(parsed, record.idx) if isinstance(parsed, Enrolment) else None
    return change if isinstance(change, SignerKeyRecord) else None


def _shown(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


def _changes_of(
    checker: EntryChecker, record: EntryRecord, keys: KeyDirectory, alarm: TamperAlarm
) -> tuple[KeyChange | RevokedEntryRecord, ...]:
    """What ``record`` changes (a succession: the successor's enrolment, the old key's end)."""
    change = _change_of(checker, record)
    if not isinstance(change, KeySuccession):
        return () if change is None else (change,)
    predecessor = keys.get(change.kid)
    if predecessor is None:  # its enrolment was hidden from the read by type
        alarm.report(
            {
                "table": "entries",
                "index": str(record.idx),
                "column": "type",
                "stored": "key-succession of a key no enrolment entry makes",
                "derived": f"the enrolment of {change.kid.hex()} is missing from the read by type",
            }
        )
        return ()
    return succession_changes(change, predecessor, record.idx, record.registered_at)


def _change_of(
    checker: EntryChecker, record: EntryRecord
) -> KeyChange | RevokedEntryRecord | KeySuccession | None:
    """What ``record`` changes, read from its statement once the leaf vouches for it."""
    index = record.idx
    try:
        facts: StatementFacts | None = checker.read(record, receipt=False)[1]
    except TamperedEntry as tampered:
        if tampered.what in VOUCHED:
            raise _refusal(tampered.evidence) from tampered
        # A column copied from the statement was edited (the alarm has it): the
        # statement, which the leaf vouches for, says what the entry is.
        facts = read_statement(record.statement)
    if facts is None:  # pragma: no cover - the statement hashed to its leaf
        raise _refusal({"index": str(index), "column": "statement", "expected": "a statement"})
    if facts.type == "revocation":
        entry, reason = facts.payload.get("entry"), facts.payload.get("reason")
        if not isinstance(entry, int) or not isinstance(reason, str):  # pragma: no cover
            raise _refusal({"index": str(index), "column": "payload", "expected": "a revocation"})
        return RevokedEntryRecord(entry, index, reason)
    if facts.type not in ("enrolment", "key-revocation", "key-succession"):
        return None
    try:
        parsed = parse_record(facts.payload, logged=True)
    except RecordError as exc:  # an entry this version of the registry cannot read
        raise _refusal(
            {"index": str(index), "column": "payload", "expected": facts.type, "found": str(exc)}
        ) from exc
    if isinstance(parsed, KeySuccession):
        return parsed
    if not isinstance(parsed, Enrolment | KeyRevocation):  # pragma: no cover - type checked
        return None
    return key_change_of(parsed, index)


def _unknown_revoked(change: KeyChange, keys: KeyDirectory, alarm: TamperAlarm) -> bool:
    """Whether ``change`` revokes a key no enrolment derived so far made (then reported)."""
    if not isinstance(change, KeyRevocationRecord) or change.kid in keys:
        return False
    alarm.report(
        {
            "table": "entries",
            "index": str(change.revocation_idx),
            "column": "type",
            "stored": "key-revocation of a key no enrolment entry makes",
            "derived": f"the enrolment of {change.kid.hex()} is missing from the read by type",
        }
    )
    return True


def _refusal(evidence: Mapping[str, str]) -> LogContradiction:
    shown = {"expected": "", "found": "", **evidence}
    return LogContradiction(Message("log.tampered-key-entry", shown), shown)
