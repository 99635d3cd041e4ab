"""Reads of personal data are recorded; enrolments name their holder by a NIP commitment.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

A NIP written into an enrolment was public and permanent.  Enrolments now carry
``nip_commitment`` = SHA-256(salt || NIP), the NIP and salt kept in
``identities`` (erasable), as reports do; ``signer_keys`` gets that column, and
``identities.nip`` an index, so that a person is found by NIP (a track record,
an import's ``ppk_nip``) through their identities.  ``access_log`` records every
read of a person's identity: who (kid, role), when, what was asked, whose data
(``subject``), and the signed request itself.  Written by hand, importing
nothing from the registry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``signer_keys.nip_commitment``, index ``identities.nip``, create ``access_log``."""
    with op.batch_alter_table("signer_keys") as batch:
        batch.add_column(sa.Column("nip_commitment", sa.LargeBinary, nullable=True))
    op.create_index("ix_signer_keys_nip_commitment", "signer_keys", ["nip_commitment"])
    op.create_index("ix_identities_nip", "identities", ["nip"])
    op.create_table(
        "access_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("kid", sa.LargeBinary, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("what", sa.String, nullable=False),
        sa.Column("asked", sa.Text, nullable=False),
        sa.Column("subject", sa.String, nullable=True),
        sa.Column("request", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_access_log_at_ms", "access_log", ["at_ms"])
    op.create_index("ix_access_log_kid", "access_log", ["kid"])
    op.create_index("ix_access_log_subject", "access_log", ["subject"])


def downgrade() -> None:
    """Drop ``access_log``, the index and the column."""
    op.drop_table("access_log")
    op.drop_index("ix_identities_nip", "identities")
    op.drop_index("ix_signer_keys_nip_commitment", "signer_keys")
    with op.batch_alter_table("signer_keys") as batch:
        batch.drop_column("nip_commitment")
