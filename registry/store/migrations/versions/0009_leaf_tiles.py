"""Each complete leaf tile's 256 leaf hashes packed in one row, so a cold tile is one row read.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

The bounded tree (``registry/log/tiled_store.py``) keeps only levels 8 and up;
a proof in a tile not in memory read its 256 leaf hashes from ``entries`` (a
range of 256 index rows).  ``leaf_tiles`` holds them as one 8,192-byte value
per complete tile, written by the batch that completes it (and, for the tiles
of a log older than this table, by the first process that reads them).  It is
derived: every read hashes the tile up and compares it with the tree's level-8
node, and a missing row is read from ``entries`` again.

A table left by a newer schema (a restore of a backup made before this table
existed, into a schema that had it) is dropped first: its rows may be of the
log that was replaced.  Written by hand, importing nothing from the registry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None

# The tile number is the rowid on SQLite (rows stored in tile order), as ``entries.idx`` is.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``leaf_tiles`` (dropping one left behind by a restore)."""
    op.execute("DROP TABLE IF EXISTS leaf_tiles")
    op.create_table(
        "leaf_tiles",
        sa.Column("tile", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("hashes", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    """Drop ``leaf_tiles``."""
    op.drop_table("leaf_tiles")
