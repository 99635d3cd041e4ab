"""The registry's reads: entries, receipts and statements, keys, and an entry's view.

:class:`RegistryReads` serves the newest entries' receipts and statements from memory
(checked once, when they enter the cache) and reads the rest through
:class:`~registry.records.verified.VerifiedEntries`, which checks each against the log;
the keys from the key directory derived from the log.  Past the log's end, a follower
first catches up (:meth:`~registry.records.proofs.LogProofs.refresh`).
:class:`~registry.records.service.RegistryService` is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.config import Settings
from registry.i18n import Message
from registry.log.state import LogState
from registry.records import views
from registry.records.derived import DerivedTables
from registry.records.enrolment_view import enrolment_status, pact_status, timing
from registry.records.errors import NotFound
from registry.records.operator import OperatorKeys
from registry.records.proofs import LogProofs
from registry.records.recent import RecentEntries
from registry.records.verified import VerifiedEntries
from registry.store.models import EntryRecord, RevokedEntryRecord, SignerKeyRecord
from registry.store.repository import Store
from registry.verify.cose import parse_sign1


class RegistryReads(LogProofs):
    """Entries, receipts, keys and entry views, with the log's proofs (:class:`LogProofs`)."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        keys: OperatorKeys,
        state: LogState,
        tables: DerivedTables,
        reads: VerifiedEntries,
    ) -> None:
        super().__init__(settings, store, keys, state, reads)
        self.tables = tables
        """Who may sign and what no longer stands, derived from the log, and what was
        found edited behind the registry's back."""
        self.directory = tables.directory
        self.recent = RecentEntries()
        """The newest entries' receipts and statements, checked, served from memory."""
        self._recent = self.recent.checked
        """(The hot reads look there directly: entry index -> (receipt, statement).)"""
        self.is_sequencer = False
        """Whether this process sequences (else a read past the log's end catches up first)."""

    @property
    def recent_limit(self) -> int:
        """How many of the newest entries' receipts and statements are kept in memory."""
        return self.recent.limit

    def remember_entry(self, idx: int, receipt: bytes, statement: bytes) -> None:
        """Keep entry ``idx``'s receipt and statement in memory (the newest
        ``recent_limit`` are kept): both are immutable once committed.

        Only for bytes this process made or checked: they are served as they are.
        """
        self.recent.remember(idx, receipt, statement)

    async def _check_index(self, idx: int) -> None:
        if idx >= self.size and not self.is_sequencer:
            await self.refresh()  # registered through another process a moment ago?
        if not 0 <= idx < self.size:
            raise NotFound(Message("notfound.entry-of", {"index": idx, "size": self.size}))

    async def entry(self, idx: int) -> EntryRecord:
        """The entry at ``idx``, every copy it holds (receipt too) checked against the log.

        Raises :class:`TamperedEntry` if one differs.
        """
        record = await self._read(idx, receipt=True)
        self.remember_entry(idx, record.receipt, record.statement)
        return record

    async def _read(self, idx: int, *, receipt: bool) -> EntryRecord:
        await self._check_index(idx)
        record = await self.reads.entry(idx, receipt=receipt)
        if record is None:  # pragma: no cover - below the checkpoint, a missing row raises
            raise NotFound(Message("notfound.entry", {"index": idx}))
        return record

    async def receipt(self, idx: int) -> bytes:
        """The receipt issued when entry ``idx`` was registered (immutable)."""
        # The hot read: a recent entry under the latest checkpoint is answered from memory
        # without another coroutine (a follower may hold entries not yet under it).
        cached = self._recent.get(idx)
        if cached is not None and idx < self.size:
            return cached[0]
        return (await self._receipt_and_statement(idx))[0]

    async def statement(self, idx: int) -> bytes:
        """The signed statement bytes of entry ``idx``, exactly as registered."""
        cached = self._recent.get(idx)
        if cached is not None and idx < self.size:
            return cached[1]
        return (await self._receipt_and_statement(idx))[1]

    async def _receipt_and_statement(self, idx: int) -> tuple[bytes, bytes]:
        await self._check_index(idx)
        cached = self._recent.get(idx)
        if cached is not None:
            return cached
        record = await self.entry(idx)
        return record.receipt, record.statement

    async def entries(self, start: int, end: int) -> list[EntryRecord]:
        """The entries ``start <= idx < end`` on disk, in log order, checked against the log.

        Their ``receipt`` is empty (not checked here: :meth:`receipt` serves receipts).
        Raises :class:`TamperedEntry` if one differs from what the log vouches for.
        """
        return await self.reads.entries(start, end)

    async def entries_at(self, idxs: Sequence[int]) -> list[EntryRecord]:
        """The entries at ``idxs`` (each below the log's size) in that order, checked
        against the log as :meth:`entries` (receipts empty)."""
        return await self.reads.at([i for i in idxs if 0 <= i < self.size])

    async def search(
        self,
        *,
        type: str | None = None,
        signer_kid: bytes | None = None,
        instansi: str | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        limit: int = 50,
        offset: int = 0,
        after: int | None = None,
        count_cap: int | None = None,
    ) -> tuple[list[EntryRecord], int]:
        """One page of the entries matching every filter given (oldest first), and how many match.

        ``since_ms`` is inclusive and ``until_ms`` exclusive (registration time);
        ``after`` and ``count_cap`` as :meth:`Store.search_entries`.
        Each entry is checked against the log (receipts empty), as :meth:`entries`.
        """
        page = await self.reads.search(
            type=type,
            signer_kid=signer_kid,
            instansi=instansi,
            since_ms=since_ms,
            until_ms=until_ms,
            limit=limit,
            offset=offset,
            after=after,
            count_cap=count_cap,
        )
        return list(page.records), page.total

    async def latest_entries(self, limit: int) -> list[EntryRecord]:
        """The newest ``limit`` entries under the latest checkpoint, newest first."""
        page = await self.reads.search(limit=limit, newest_first=True)
        return [record for record in page.records if record.idx < self.size]

    def revocation_of(self, idx: int) -> RevokedEntryRecord | None:
        """Why entry ``idx`` no longer stands (derived from the log), or ``None``."""
        return self.tables.revoked.of(idx)

    def tampering(self) -> tuple[int, list[dict[str, str]]]:
        """How many edits behind the registry's back this process found, and the first ones."""
        alarm = self.tables.alarm
        return alarm.count, alarm.findings()

    def signer(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid`` (revoked ones too), if any, among the keys held: one
        :meth:`enrolled` or :meth:`load_signer_of` read (else :class:`KeyNotLoaded`)."""
        return self.directory.get(kid)

    def enrolment_of(self, kid: bytes) -> int | None:
        """The entry that enrolled ``kid`` (its enrolment or succession), if any: the key
        directory's compact row, no read."""
        facts = self.directory.facts(kid)
        return None if facts is None else facts.enrolment_idx

    def key_entries(self, kid: bytes) -> tuple[int, int | None] | None:
        """The entries that enrolled ``kid`` and ended it (None while it stands), if it is
        enrolled: the key directory's compact row, no read."""
        facts = self.directory.facts(kid)
        return None if facts is None else (facts.enrolment_idx, facts.revocation_idx)

    def revoked_by(self, idx: int) -> int | None:
        """The revocation entry that revoked entry ``idx``, if one did (derived)."""
        found = self.tables.revoked.of(idx)
        return None if found is None else found.revocation_idx

    async def enrolled(self, kid: bytes) -> SignerKeyRecord | None:
        """The enrolment of ``kid`` (revoked ones too), if any, read from its enrolment entry
        unless held (:class:`TamperedEntry` if that entry was edited)."""
        await self.directory.load([kid])
        return self.directory.get(kid)

    async def load_signer_of(self, signed: bytes) -> None:
        """Read the key that signed the COSE_Sign1 ``signed`` (a request, an access
        statement), so that :meth:`signer` answers for it; nothing for bytes of no kid."""
        parsed = parse_sign1(signed, canonical=False)
        if parsed.ok and parsed.value is not None and parsed.value.kid is not None:
            await self.directory.load([parsed.value.kid])

    async def signers(self) -> list[SignerKeyRecord]:
        """Every enrolled key (revoked ones too): one entry read a key not held."""
        return await self.directory.all()

    async def signers_with_role(self, role: str) -> list[SignerKeyRecord]:
        """Every enrolled key of ``role`` (revoked ones too), found by the compact rows."""
        return await self.directory.of_role(role)

    def configuration(self) -> dict[str, Any]:
        """The ``/.well-known/transparency-configuration`` document."""
        admins = sorted(
            self.directory.held_of_role("admin"),
            key=lambda key: key.enrolment_idx,
        )
        return views.configuration(self.settings, self.keys, self.state.keys, admins)

    def scitt_keys(self) -> bytes:
        """``/.well-known/scitt-keys``: the log's keys, past and current (a COSE_KeySet)."""
        return views.scitt_keys(self.state.keys)

    def scitt_key(self, kid: bytes) -> bytes | None:
        """The log key of ``kid`` as a COSE_Key, if the log ever had one."""
        return views.scitt_key(self.state.keys, kid)

    async def entry_view(self, idx: int) -> dict[str, Any]:
        """The JSON view of an entry: type, payload, signer, leaf, proof, checkpoint, status.

        Its copies are checked against the log; the view carries no receipt, so the
        receipt's check is left to :meth:`receipt`.
        """
        record = await self._read(idx, receipt=False)
        view = views.entry_view(
            record,
            await self.enrolled(record.signer_kid),
            await self.inclusion_proof(idx),
            await self.checkpoint(),
            self.revocation_of(idx),
        )
        max_age_s = self.settings.max_statement_age_hours * 3600
        view["timing"] = await timing(self.reads, record, self.tables.revoked, max_age_s)
        if record.type == "enrolment":  # its evidence, and whether a second institution confirmed
            view["enrolment"] = await enrolment_status(self.reads, record, self.tables.revoked)
        elif record.type == "pact":  # the versions a key signed for one election
            view["pact"] = await pact_status(self.reads, record, self.tables.revoked)
        return view
