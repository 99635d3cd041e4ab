"""Derived state saved in sealed segments, so that a start does not rebuild it from every entry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

The compliance index was rebuilt from the whole log on the first figure after
every start (57 to 66 s at one million entries).  ``fact_segments`` keeps it in
segments of entries, each tagged with the tree's root at its end and sealed by
the registry (``registry/compliance/saved.py``); a segment whose seal or root
does not check out is rebuilt from the entries.  Written by hand, importing
nothing from the registry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``fact_segments``."""
    op.create_table(
        "fact_segments",
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("start_idx", sa.BigInteger, nullable=False),
        sa.Column("end_idx", sa.BigInteger, nullable=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("seal", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("format", "start_idx", name="pk_fact_segments"),
    )


def downgrade() -> None:
    """Drop ``fact_segments``."""
    op.drop_table("fact_segments")
