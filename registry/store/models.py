"""The plain records that go in and out of :class:`registry.store.Store`.

Frozen dataclasses, one per table row (field names are the column names), so
the log, records and compliance code never see a session or an ORM object.
Times are integer milliseconds since the Unix epoch (UTC); dates are ISO
``YYYY-MM-DD`` strings; hashes and key ids are raw bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple, TypedDict

PendingStatus = Literal["pending", "claimed", "done", "refused"]


@dataclass(frozen=True)
class EntryRecord:
    """One log entry: the statement as registered, its leaf, fields for search, and the
    receipt issued when it was registered (immutable, served as is).

    ``content_sha256`` is the SHA-256 of what the statement's signature covers (its COSE
    Sig_structure): one entry per signed content.  ``None`` only for an entry logged before
    that was enforced whose content an earlier entry already had (a replay; see
    docs/formats.md).
    """

    idx: int
    statement: bytes
    statement_sha256: bytes
    leaf: bytes
    leaf_hash: bytes
    registered_at: int
    type: str
    signer_kid: bytes
    instansi: str | None
    payload_json: str
    receipt: bytes
    content_sha256: bytes | None = None


@dataclass(frozen=True)
class CheckpointRecord:
    """A signed checkpoint (the C2SP signed note) for a tree of ``size`` leaves."""

    size: int
    root: bytes
    note: str
    created_at: int


@dataclass(frozen=True)
class CosignatureRecord:
    """A witness's C2SP tlog-cosignature line on the checkpoint of ``size``."""

    size: int
    witness: str
    line: str


@dataclass(frozen=True)
class SignerKeyRecord:
    """An enrolled key: who holds it, for which office, with which role and validity."""

    kid: bytes
    public_key: bytes
    role: str
    name: str
    nip: str | None
    jabatan: str
    instansi: str
    decree_number: str
    decree_date: str
    term_start: str
    term_end: str
    valid_from: int
    valid_until: int
    enrolment_idx: int
    revoked_at: int | None = None
    revocation_idx: int | None = None
    nip_commitment: bytes | None = None
    """SHA-256(salt || NIP) of the holder (the NIP is in the identities table), if enrolled so."""


@dataclass(frozen=True)
class KeyRevocationRecord:
    """Marks the enrolled key ``kid`` revoked at ``revoked_at`` by entry ``revocation_idx``."""

    kid: bytes
    revoked_at: int
    revocation_idx: int


#: A change to the enrolled keys made in the same transaction as a batch.
KeyChange = SignerKeyRecord | KeyRevocationRecord


@dataclass(frozen=True)
class RevokedEntryRecord:
    """Entry ``idx`` no longer stands, as entry ``revocation_idx`` says, for ``reason``."""

    idx: int
    revocation_idx: int
    reason: str


@dataclass(frozen=True)
class CustodialKeyRecord:
    """A key held for its owner, encrypted by the caller with the owner's passphrase.

    ``locked_until`` is set after too many wrong passphrases; the key may not be
    used before that time.
    """

    kid: bytes
    encrypted_key: bytes
    failed_attempts: int = 0
    locked_until: int | None = None

    def is_locked(self, now_ms: int) -> bool:
        """Whether the key is locked at ``now_ms``."""
        return self.locked_until is not None and now_ms < self.locked_until


@dataclass(frozen=True)
class AccessRecord:
    """One read of a person's identity: who (``kid``, ``role``), when (``at_ms``), ``what``
    was read (``track-record``, ``identity``), what was ``asked`` (the request's path and
    query), whose data (``subject``: the NIP or commitment hex), and the signed ``request``."""

    at_ms: int
    kid: bytes
    role: str
    what: str
    asked: str
    subject: str | None
    request: bytes
    id: int | None = None


@dataclass(frozen=True)
class IdentityRecord:
    """Personal data behind a commitment ``SHA-256(salt || NIP)`` written in the log.

    After erasure ``salt``, ``nip`` and ``name`` are ``None`` and ``erased_at``
    is set: the commitment in the log can no longer be linked to a person.
    """

    commitment: bytes
    salt: bytes | None
    nip: str | None
    name: str | None = None
    erased_at: int | None = None

    @property
    def erased(self) -> bool:
        """Whether the personal data were erased."""
        return self.erased_at is not None


@dataclass(frozen=True)
class PendingRecord:
    """A statement handed to the sequencer and, once finished, its outcome.

    ``status`` is ``pending`` (waiting), ``claimed`` (the sequencer took it),
    ``done`` (registered as entry ``result_idx``) or ``refused`` (``error`` says why).
    """

    id: int
    statement: bytes
    submitted_at: int
    status: PendingStatus
    result_idx: int | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        """Whether the sequencer has decided (done or refused)."""
        return self.status in ("done", "refused")


class SearchQuery(TypedDict, total=False):
    """The filters of :meth:`Store.search_entries`, as keyword arguments."""

    type: str | None
    signer_kid: bytes | None
    instansi: str | None
    since_ms: int | None
    until_ms: int | None


class SearchFilters(SearchQuery, total=False):
    """The filters and paging of :meth:`Store.search_entries`, as keyword arguments."""

    limit: int
    offset: int
    after: int | None
    count_cap: int | None
    newest_first: bool


class SearchPage(NamedTuple):
    """One page of search results and the number of entries matching in all.

    A named tuple, so ``records, total = await store.search_entries(...)`` works.
    """

    records: tuple[EntryRecord, ...]
    total: int


@dataclass(frozen=True)
class LogSnapshot:
    """What a process needs to bring its view of the log up to one committed checkpoint.

    Everything is bounded by ``latest`` (``None`` for an empty log): the
    checkpoints up to it, the leaf hashes below its size, the key changes made
    by entries below its size (a revocation made later is left out), and the
    newest entries' receipts and statements.  Entries and their checkpoint are
    committed in one transaction and never change, so the parts agree with
    each other however many batches are committed while they are read.
    """

    start: int
    """The first entry whose leaf hash and key changes the snapshot holds."""
    latest: CheckpointRecord | None
    checkpoints: tuple[CheckpointRecord, ...]
    leaf_hashes: bytes
    """The leaf hashes from ``start`` up to ``latest.size``, 32 bytes each."""
    key_changes: tuple[SignerKeyRecord, ...]
    leaves_from: int | None = None
    """Where ``leaf_hashes`` start when not at ``start`` (a tree restored up to there)."""

    @property
    def hashes_start(self) -> int:
        """The index of the first leaf hash in ``leaf_hashes``."""
        return self.start if self.leaves_from is None else self.leaves_from

    @property
    def size(self) -> int:
        """The log size the snapshot reaches."""
        return 0 if self.latest is None else self.latest.size


@dataclass(frozen=True)
class FactSegmentRecord:
    """A sealed segment of derived state (``fact_segments``): what entries
    ``start_idx <= idx < end_idx`` state, in a format the reader names."""

    format: str
    start_idx: int
    end_idx: int
    root: bytes
    """The tree's root at ``end_idx`` when the segment was made."""
    data: bytes
    seal: bytes
    """The registry's seal over all of the above (``registry/compliance/saved.py``)."""


@dataclass(frozen=True)
class ComplaintRecord:
    """A public complaint as held: its receipt ``number``, when it was filed (ms), its
    ``status`` (``pending``, ``receiving``, ``received``, ``rejected``), the report-to-be
    as JSON (``fields``: commitments, never the complainant's identity), and the decision:
    the log ``entry`` it became, or the ``reason`` it was rejected, when and by which key."""

    number: str
    filed_at: int
    status: str
    fields: str
    entry: int | None = None
    reason: str | None = None
    decided_at: int | None = None
    decided_by: bytes | None = None


@dataclass(frozen=True)
class SearchRecordRow:
    """One row of ``search_records``: what the record search finds entry ``idx`` by.

    ``province`` is the entry's own (an enrolment's, a report's), ``kid`` the key of
    its person (none for a report), ``name`` and ``name_words`` only for a PPK's
    enrolment (``name_words``: its words in lower case, space-separated).
    """

    idx: int
    type: str
    claimed: str
    instansi: str
    province: str | None
    kid: bytes | None
    name: str | None
    name_words: str | None


@dataclass(frozen=True)
class SearchCriteria:
    """What a record search asks ``search_records`` for; ``None`` keeps everything.

    ``instansi``: the instansi names that match (exactly); ``name_words``: words each of
    which must be part of a PPK's ``name_words``; ``kid``: the key of the record's person
    (a recommendation's addressed PPK).
    """

    type: str | None = None
    instansi: tuple[str, ...] | None = None
    province: str | None = None
    name_words: tuple[str, ...] | None = None
    claimed_since: str | None = None
    claimed_until: str | None = None
    kid: bytes | None = None
    kids: tuple[bytes, ...] | None = None
    """The keys of the records' persons, any of them (as ``kid``, for many keys)."""
