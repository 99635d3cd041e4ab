"""The database tables, as SQLModel classes.

Queries in this package use SQLAlchemy Core on the tables (``ENTRIES`` and the
other ``Table`` constants below) and return the plain dataclasses of
``registry.store.models``; no ORM object leaves ``registry.store``.

The schema is created by the Alembic migrations in ``migrations/versions``,
written by hand; ``tests/store/test_migrations.py`` checks that they and these
classes describe the same schema.  Every constraint and index is named here so
that the migrations can name them identically.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

# A 64-bit integer; on SQLite plain INTEGER, so that an integer primary key is
# the rowid (the table is stored in key order and autoincrement works).
BIGINT = BigInteger().with_variant(Integer(), "sqlite")


class Entry(SQLModel, table=True):
    """One log entry: the signed statement as registered and its leaf."""

    __tablename__ = "entries"
    __table_args__ = (
        # Covering index: rebuilding the tree at start reads only this index.
        Index("ix_entries_idx_leaf_hash", "idx", "leaf_hash"),
        # Identical statement bytes register once.
        UniqueConstraint("statement_sha256", name="uq_entries_statement_sha256"),
        # And so does what a signature covers, however the statement is signed or encoded
        # (NULL only for an entry that repeated an earlier one's before this was enforced).
        Index("uq_entries_content_sha256", "content_sha256", unique=True),
    )

    idx: int = Field(sa_column=Column("idx", BIGINT, primary_key=True, autoincrement=False))
    leaf_hash: bytes = Field(sa_column=Column("leaf_hash", LargeBinary, nullable=False))
    leaf: bytes = Field(sa_column=Column("leaf", LargeBinary, nullable=False))
    statement_sha256: bytes = Field(
        sa_column=Column("statement_sha256", LargeBinary, nullable=False)
    )
    content_sha256: bytes | None = Field(
        default=None, sa_column=Column("content_sha256", LargeBinary, nullable=True)
    )
    registered_at: int = Field(
        sa_column=Column("registered_at", BigInteger, nullable=False, index=True)
    )
    type: str = Field(sa_column=Column("type", String, nullable=False, index=True))
    signer_kid: bytes = Field(
        sa_column=Column("signer_kid", LargeBinary, nullable=False, index=True)
    )
    instansi: str | None = Field(
        default=None, sa_column=Column("instansi", String, nullable=True, index=True)
    )
    statement: bytes = Field(sa_column=Column("statement", LargeBinary, nullable=False))
    payload_json: str = Field(sa_column=Column("payload_json", Text, nullable=False))
    receipt: bytes = Field(sa_column=Column("receipt", LargeBinary, nullable=False))


class Checkpoint(SQLModel, table=True):
    """A signed checkpoint; the primary key on size forbids two roots for one size."""

    __tablename__ = "checkpoints"

    size: int = Field(sa_column=Column("size", BIGINT, primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column("root", LargeBinary, nullable=False))
    note: str = Field(sa_column=Column("note", Text, nullable=False))
    created_at: int = Field(sa_column=Column("created_at", BigInteger, nullable=False))


class Cosignature(SQLModel, table=True):
    """A witness's cosignature line on a checkpoint (one per witness and size)."""

    __tablename__ = "cosignatures"
    __table_args__ = (PrimaryKeyConstraint("size", "witness", name="pk_cosignatures"),)

    size: int = Field(
        sa_column=Column(
            "size",
            BIGINT,
            ForeignKey("checkpoints.size", name="fk_cosignatures_size"),
            nullable=False,
            autoincrement=False,
        )
    )
    witness: str = Field(sa_column=Column("witness", String, nullable=False))
    line: str = Field(sa_column=Column("line", Text, nullable=False))


class SignerKey(SQLModel, table=True):
    """An enrolled signing key and the office it was enrolled for."""

    __tablename__ = "signer_keys"

    kid: bytes = Field(sa_column=Column("kid", LargeBinary, primary_key=True))
    public_key: bytes = Field(sa_column=Column("public_key", LargeBinary, nullable=False))
    role: str = Field(sa_column=Column("role", String, nullable=False, index=True))
    name: str = Field(sa_column=Column("name", String, nullable=False))
    nip: str | None = Field(default=None, sa_column=Column("nip", String, nullable=True))
    jabatan: str = Field(sa_column=Column("jabatan", String, nullable=False))
    instansi: str = Field(sa_column=Column("instansi", String, nullable=False, index=True))
    decree_number: str = Field(sa_column=Column("decree_number", String, nullable=False))
    decree_date: str = Field(sa_column=Column("decree_date", String, nullable=False))
    term_start: str = Field(sa_column=Column("term_start", String, nullable=False))
    term_end: str = Field(sa_column=Column("term_end", String, nullable=False))
    valid_from: int = Field(sa_column=Column("valid_from", BigInteger, nullable=False))
    valid_until: int = Field(sa_column=Column("valid_until", BigInteger, nullable=False))
    enrolment_idx: int = Field(
        sa_column=Column(
            "enrolment_idx",
            BigInteger,
            ForeignKey("entries.idx", name="fk_signer_keys_enrolment_idx"),
            nullable=False,
        )
    )
    revoked_at: int | None = Field(
        default=None, sa_column=Column("revoked_at", BigInteger, nullable=True)
    )
    revocation_idx: int | None = Field(
        default=None,
        sa_column=Column(
            "revocation_idx",
            BigInteger,
            ForeignKey("entries.idx", name="fk_signer_keys_revocation_idx"),
            nullable=True,
        ),
    )
    nip_commitment: bytes | None = Field(
        default=None, sa_column=Column("nip_commitment", LargeBinary, nullable=True, index=True)
    )


class CustodialKey(SQLModel, table=True):
    """A private key held for someone without a key file, encrypted with their passphrase."""

    __tablename__ = "custodial_keys"

    kid: bytes = Field(sa_column=Column("kid", LargeBinary, primary_key=True))
    encrypted_key: bytes = Field(sa_column=Column("encrypted_key", LargeBinary, nullable=False))
    failed_attempts: int = Field(
        default=0,
        sa_column=Column("failed_attempts", Integer, nullable=False, server_default="0"),
    )
    locked_until: int | None = Field(
        default=None, sa_column=Column("locked_until", BigInteger, nullable=True)
    )


class RevokedEntry(SQLModel, table=True):
    """An entry that no longer stands, and the revocation entry that says so."""

    __tablename__ = "revoked_entries"

    idx: int = Field(
        sa_column=Column(
            "idx",
            BIGINT,
            ForeignKey("entries.idx", name="fk_revoked_entries_idx"),
            primary_key=True,
            autoincrement=False,
        )
    )
    revocation_idx: int = Field(
        sa_column=Column(
            "revocation_idx",
            BigInteger,
            ForeignKey("entries.idx", name="fk_revoked_entries_revocation_idx"),
            nullable=False,
        )
    )
    reason: str = Field(sa_column=Column("reason", Text, nullable=False))


class Identity(SQLModel, table=True):
    """Personal data kept out of the log, behind its salted commitment; erasable."""

    __tablename__ = "identities"

    commitment: bytes = Field(sa_column=Column("commitment", LargeBinary, primary_key=True))
    salt: bytes | None = Field(default=None, sa_column=Column("salt", LargeBinary, nullable=True))
    nip: str | None = Field(
        default=None, sa_column=Column("nip", String, nullable=True, index=True)
    )
    name: str | None = Field(default=None, sa_column=Column("name", String, nullable=True))
    erased_at: int | None = Field(
        default=None, sa_column=Column("erased_at", BigInteger, nullable=True)
    )


class Pending(SQLModel, table=True):
    """A statement handed from an API process to the sequencer, and its outcome."""

    __tablename__ = "pending"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'claimed', 'done', 'refused')", name="ck_pending_status"
        ),
        Index("ix_pending_status_id", "status", "id"),
    )

    id: int | None = Field(
        default=None, sa_column=Column("id", BIGINT, primary_key=True, autoincrement=True)
    )
    statement: bytes = Field(sa_column=Column("statement", LargeBinary, nullable=False))
    submitted_at: int = Field(sa_column=Column("submitted_at", BigInteger, nullable=False))
    status: str = Field(sa_column=Column("status", String(16), nullable=False))
    result_idx: int | None = Field(
        default=None, sa_column=Column("result_idx", BigInteger, nullable=True)
    )
    error: str | None = Field(default=None, sa_column=Column("error", Text, nullable=True))


class UsedRequest(SQLModel, table=True):
    """A signed request already used (its SHA-256), kept until it could no longer be replayed."""

    __tablename__ = "used_requests"

    digest: bytes = Field(sa_column=Column("digest", LargeBinary, primary_key=True))
    expires_at: int = Field(sa_column=Column("expires_at", BigInteger, nullable=False, index=True))


class AccessLog(SQLModel, table=True):
    """A read of a person's identity: who asked (kid, role), when, what, and their signed request.

    Kept beside the log, not in it (it names who was looked up); an operator
    shows a person the reads of their own data (``registry access-log``).
    """

    __tablename__ = "access_log"

    id: int | None = Field(
        default=None, sa_column=Column("id", BIGINT, primary_key=True, autoincrement=True)
    )
    at_ms: int = Field(sa_column=Column("at_ms", BigInteger, nullable=False, index=True))
    kid: bytes = Field(sa_column=Column("kid", LargeBinary, nullable=False, index=True))
    role: str = Field(sa_column=Column("role", String, nullable=False))
    what: str = Field(sa_column=Column("what", String, nullable=False))
    asked: str = Field(sa_column=Column("asked", Text, nullable=False))
    subject: str | None = Field(
        default=None, sa_column=Column("subject", String, nullable=True, index=True)
    )
    request: bytes = Field(sa_column=Column("request", LargeBinary, nullable=False))


class RegistryMeta(SQLModel, table=True):
    """Facts about the registry itself, by name (for example how far the demo load got)."""

    __tablename__ = "registry_meta"

    name: str = Field(sa_column=Column("name", String(64), primary_key=True))
    value: str = Field(sa_column=Column("value", Text, nullable=False))


class FactSegment(SQLModel, table=True):
    """Derived state a process would otherwise rebuild from every entry at start: one
    segment of it (entries ``start_idx <= idx < end_idx``), sealed by the registry and tagged
    with the tree's root at ``end_idx`` (``registry/compliance/saved.py``)."""

    __tablename__ = "fact_segments"
    __table_args__ = (PrimaryKeyConstraint("format", "start_idx", name="pk_fact_segments"),)

    format: str = Field(sa_column=Column("format", String(64), nullable=False))
    start_idx: int = Field(sa_column=Column("start_idx", BigInteger, nullable=False))
    end_idx: int = Field(sa_column=Column("end_idx", BigInteger, nullable=False))
    root: bytes = Field(sa_column=Column("root", LargeBinary, nullable=False))
    data: bytes = Field(sa_column=Column("data", LargeBinary, nullable=False))
    seal: bytes = Field(sa_column=Column("seal", LargeBinary, nullable=False))


class Complaint(SQLModel, table=True):
    """A public complaint (SIAPNET) held until Bawaslu or the recommending authority signs it
    as received (then it is the ``report`` at ``entry``) or rejects it (``reason``); never
    public while held.  ``fields`` is the report-to-be as JSON, commitments only."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'receiving', 'received', 'rejected')",
            name="ck_complaints_status",
        ),
        Index("ix_complaints_status_filed", "status", "filed_at"),
    )

    number: str = Field(sa_column=Column("number", String(32), primary_key=True))
    filed_at: int = Field(sa_column=Column("filed_at", BigInteger, nullable=False))
    status: str = Field(sa_column=Column("status", String(16), nullable=False))
    fields: str = Field(sa_column=Column("fields", Text, nullable=False))
    entry: int | None = Field(default=None, sa_column=Column("entry", BigInteger, nullable=True))
    reason: str | None = Field(default=None, sa_column=Column("reason", Text, nullable=True))
    decided_at: int | None = Field(
        default=None, sa_column=Column("decided_at", BigInteger, nullable=True)
    )
    decided_by: bytes | None = Field(
        default=None, sa_column=Column("decided_by", LargeBinary, nullable=True)
    )


class LeafTile(SQLModel, table=True):
    """The 256 leaf hashes of complete leaf tile ``tile`` (entries ``256 * tile`` to
    ``256 * tile + 255``), packed: 8,192 bytes.  Derived from ``entries`` and checked against
    the tree's level-8 node whenever read (``registry/records/tree_tiles.py``)."""

    __tablename__ = "leaf_tiles"

    tile: int = Field(sa_column=Column("tile", BIGINT, primary_key=True, autoincrement=False))
    hashes: bytes = Field(sa_column=Column("hashes", LargeBinary, nullable=False))


class SearchRecord(SQLModel, table=True):
    """What the record search (``registry/compliance/browsing.py``) finds one entry by: its
    type as the search lists it, claimed day, instansi, own province (enrolments, reports),
    the key of its person, and, for a PPK's enrolment only, the name and its words (an
    ASN's name is never written here).  Derived from the log, written behind it; every
    record found is read again from its checked entry before it is shown."""

    __tablename__ = "search_records"
    __table_args__ = (
        Index("ix_search_records_type_idx", "type", "idx"),
        Index("ix_search_records_instansi_idx", "instansi", "idx"),
        Index("ix_search_records_province_idx", "province", "idx"),
        Index("ix_search_records_kid_idx", "kid", "idx"),
        Index("ix_search_records_name_words", "name_words"),
    )

    idx: int = Field(sa_column=Column("idx", BIGINT, primary_key=True, autoincrement=False))
    type: str = Field(sa_column=Column("type", String, nullable=False))
    claimed: str = Field(sa_column=Column("claimed", String, nullable=False))
    instansi: str = Field(sa_column=Column("instansi", String, nullable=False))
    province: str | None = Field(default=None, sa_column=Column("province", String, nullable=True))
    kid: bytes | None = Field(default=None, sa_column=Column("kid", LargeBinary, nullable=True))
    name: str | None = Field(default=None, sa_column=Column("name", String, nullable=True))
    name_words: str | None = Field(
        default=None, sa_column=Column("name_words", String, nullable=True)
    )


METADATA = SQLModel.metadata


def _table(name: str) -> Table:
    return METADATA.tables[name]


ENTRIES = _table("entries")
CHECKPOINTS = _table("checkpoints")
COSIGNATURES = _table("cosignatures")
SIGNER_KEYS = _table("signer_keys")
CUSTODIAL_KEYS = _table("custodial_keys")
REVOKED_ENTRIES = _table("revoked_entries")
IDENTITIES = _table("identities")
PENDING = _table("pending")
USED_REQUESTS = _table("used_requests")
REGISTRY_META = _table("registry_meta")
ACCESS_LOG = _table("access_log")
FACT_SEGMENTS = _table("fact_segments")
COMPLAINTS = _table("complaints")
LEAF_TILES = _table("leaf_tiles")
SEARCH_RECORDS = _table("search_records")
