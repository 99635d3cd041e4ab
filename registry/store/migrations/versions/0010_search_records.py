"""What the record search finds each entry by, so that a search never holds the log in memory.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

``search_records`` has one row per entry of a type the home page's search lists
(``registry/compliance/browsing.py``): its type as listed, claimed day, instansi,
own province, the key of its person and, for a PPK's enrolment only, the name and
its words.  It is derived: written behind the log (and, for a log older than this
table, by the first process that searches), and every record found is read again
from its entry, checked against the tree, before it is shown.

A table left by a newer schema (a restore of a backup made before this table
existed, into a schema that had it) is dropped first: its rows may be of the
log that was replaced.  Written by hand, importing nothing from the registry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

# The entry index is the rowid on SQLite (rows stored in log order), as ``entries.idx`` is.
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``search_records`` and its indexes (dropping one left behind by a restore)."""
    op.execute("DROP TABLE IF EXISTS search_records")
    op.create_table(
        "search_records",
        sa.Column("idx", BIGINT, primary_key=True, autoincrement=False),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("claimed", sa.String, nullable=False),
        sa.Column("instansi", sa.String, nullable=False),
        sa.Column("province", sa.String, nullable=True),
        sa.Column("kid", sa.LargeBinary, nullable=True),
        sa.Column("name", sa.String, nullable=True),
        sa.Column("name_words", sa.String, nullable=True),
    )
    op.create_index("ix_search_records_type_idx", "search_records", ["type", "idx"])
    op.create_index("ix_search_records_instansi_idx", "search_records", ["instansi", "idx"])
    op.create_index("ix_search_records_province_idx", "search_records", ["province", "idx"])
    op.create_index("ix_search_records_kid_idx", "search_records", ["kid", "idx"])
    op.create_index("ix_search_records_name_words", "search_records", ["name_words"])


def downgrade() -> None:
    """Drop ``search_records``."""
    op.drop_table("search_records")
