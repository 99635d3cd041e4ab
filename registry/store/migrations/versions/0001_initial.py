"""The initial schema: entries, checkpoints, keys, revocations, identities, pending.

Revision ID: 0001
Revises:
Create Date: 2024-06-01

Written by hand so that it runs on SQLite and PostgreSQL alike; it imports
nothing from the registry (a migration must not change when the code does).
Names of constraints and indexes match registry/store/tables.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# 64-bit integer; INTEGER on SQLite so that an integer primary key is the rowid.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "entries",
        sa.Column("idx", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("leaf_hash", sa.LargeBinary, nullable=False),
        sa.Column("leaf", sa.LargeBinary, nullable=False),
        sa.Column("statement_sha256", sa.LargeBinary, nullable=False),
        sa.Column("registered_at", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("signer_kid", sa.LargeBinary, nullable=False),
        sa.Column("instansi", sa.String, nullable=True),
        sa.Column("statement", sa.LargeBinary, nullable=False),
        sa.Column("payload_json", sa.Text, nullable=False),
        sa.Column("receipt", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("statement_sha256", name="uq_entries_statement_sha256"),
    )
    op.create_index("ix_entries_idx_leaf_hash", "entries", ["idx", "leaf_hash"])
    op.create_index("ix_entries_registered_at", "entries", ["registered_at"])
    op.create_index("ix_entries_type", "entries", ["type"])
    op.create_index("ix_entries_signer_kid", "entries", ["signer_kid"])
    op.create_index("ix_entries_instansi", "entries", ["instansi"])

    op.create_table(
        "checkpoints",
        sa.Column("size", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "cosignatures",
        sa.Column("size", BIGINT, nullable=False, autoincrement=False),
        sa.Column("witness", sa.String, nullable=False),
        sa.Column("line", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("size", "witness", name="pk_cosignatures"),
        sa.ForeignKeyConstraint(["size"], ["checkpoints.size"], name="fk_cosignatures_size"),
    )

    op.create_table(
        "signer_keys",
        sa.Column("kid", sa.LargeBinary, primary_key=True),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("nip", sa.String, nullable=True),
        sa.Column("jabatan", sa.String, nullable=False),
        sa.Column("instansi", sa.String, nullable=False),
        sa.Column("decree_number", sa.String, nullable=False),
        sa.Column("decree_date", sa.String, nullable=False),
        sa.Column("term_start", sa.String, nullable=False),
        sa.Column("term_end", sa.String, nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_until", sa.BigInteger, nullable=False),
        sa.Column("enrolment_idx", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger, nullable=True),
        sa.Column("revocation_idx", sa.BigInteger, nullable=True),
        sa.ForeignKeyConstraint(
            ["enrolment_idx"], ["entries.idx"], name="fk_signer_keys_enrolment_idx"
        ),
        sa.ForeignKeyConstraint(
            ["revocation_idx"], ["entries.idx"], name="fk_signer_keys_revocation_idx"
        ),
    )
    op.create_index("ix_signer_keys_role", "signer_keys", ["role"])
    op.create_index("ix_signer_keys_instansi", "signer_keys", ["instansi"])

    op.create_table(
        "custodial_keys",
        sa.Column("kid", sa.LargeBinary, primary_key=True),
        sa.Column("encrypted_key", sa.LargeBinary, nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.BigInteger, nullable=True),
    )

    op.create_table(
        "revoked_entries",
        sa.Column("idx", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("revocation_idx", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["idx"], ["entries.idx"], name="fk_revoked_entries_idx"),
        sa.ForeignKeyConstraint(
            ["revocation_idx"], ["entries.idx"], name="fk_revoked_entries_revocation_idx"
        ),
    )

    op.create_table(
        "identities",
        sa.Column("commitment", sa.LargeBinary, primary_key=True),
        sa.Column("salt", sa.LargeBinary, nullable=True),
        sa.Column("nip", sa.String, nullable=True),
        sa.Column("name", sa.String, nullable=True),
        sa.Column("erased_at", sa.BigInteger, nullable=True),
    )

    op.create_table(
        "pending",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("statement", sa.LargeBinary, nullable=False),
        sa.Column("submitted_at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result_idx", sa.BigInteger, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'done', 'refused')", name="ck_pending_status"
        ),
    )
    op.create_index("ix_pending_status_id", "pending", ["status", "id"])


def downgrade() -> None:
    """Drop every table (and with them every record: only for tests and fresh installs)."""
    for table in (
        "pending",
        "identities",
        "revoked_entries",
        "custodial_keys",
        "signer_keys",
        "cosignatures",
        "checkpoints",
        "entries",
    ):
        op.drop_table(table)
