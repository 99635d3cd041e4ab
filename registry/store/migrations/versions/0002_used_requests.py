"""Signed requests already used, shared by every process of a registry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

The identity endpoints take a request signed by an enrolled key, good for
five minutes; each may be used once.  With several ``registry serve``
workers a replay guard in memory let a captured request be used once per
worker: the digests of used requests now live in the database, until they
expire.  Written by hand, importing nothing from the registry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``used_requests``."""
    op.create_table(
        "used_requests",
        sa.Column("digest", sa.LargeBinary, primary_key=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_used_requests_expires_at", "used_requests", ["expires_at"])


def downgrade() -> None:
    """Drop ``used_requests``."""
    op.drop_table("used_requests")
