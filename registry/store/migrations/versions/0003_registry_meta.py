"""Facts about the registry itself, by name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

`registry serve --demo` records in ``registry_meta`` that a demo load began
(and for which ``now``) before its first entry, and that it finished after
its last: a load cut short is then found at the next start, which finishes it
instead of serving half a demo as if it were whole.  Written by hand,
importing nothing from the registry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``registry_meta``."""
    op.create_table(
        "registry_meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop ``registry_meta``."""
    op.drop_table("registry_meta")
