"""Public complaints held until an institution receives or rejects them.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05

A complaint filed by anyone (SIAPNET, docs/complaints.md) waits in
``complaints``, never in the log, until Bawaslu or the recommending authority
signs it as received (it becomes a ``report`` entry) or rejects it with a
reason.  It holds the report-to-be with commitments only: the complainant's
identity is a salted commitment (its data, if any, in ``identities``).
Written by hand, importing nothing from the registry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``complaints``."""
    op.create_table(
        "complaints",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("filed_at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("entry", sa.BigInteger, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("decided_at", sa.BigInteger, nullable=True),
        sa.Column("decided_by", sa.LargeBinary, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'receiving', 'received', 'rejected')",
            name="ck_complaints_status",
        ),
    )
    op.create_index("ix_complaints_status_filed", "complaints", ["status", "filed_at"])


def downgrade() -> None:
    """Drop ``complaints``."""
    op.drop_table("complaints")
