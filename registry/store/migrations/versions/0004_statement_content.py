"""One entry per signed content: ``entries.content_sha256``, unique.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

The registry took identical statement bytes once, but anyone could re-encode a
registered statement (untag it, write its array another way, put something in
its unprotected header) or sign the same content again, and register it anew.
Each entry now records the SHA-256 of what its signature covers, the COSE
Sig_structure ``["Signature1", protected, h'', payload]`` (RFC 9052 §4.4), and
no two entries may share one.  Existing entries get theirs here; an entry whose
content an earlier entry already had (a replay registered before this) keeps
NULL, so the migration never fails on a log that was attacked, and those
entries stay findable (``WHERE content_sha256 IS NULL``).  Written by hand,
importing nothing from the registry: the COSE message is read with cbor2.
"""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

CHUNK = 10_000
COSE_SIGN1_TAG = 18


def content_sha256(statement: bytes) -> bytes | None:
    """SHA-256 of the statement's Sig_structure, or None if it is no COSE_Sign1 with a payload.

    cbor2 writes this array of text and byte strings in its one deterministic
    encoding, as the registry's verifier does.
    """
    try:
        item: Any = cbor2.loads(statement)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError):
        return None
    if isinstance(item, cbor2.CBORTag) and item.tag == COSE_SIGN1_TAG:
        item = item.value
    if not isinstance(item, list) or len(item) != 4:
        return None
    protected, _, payload, _ = item
    if not isinstance(protected, bytes) or not isinstance(payload, bytes):
        return None
    return hashlib.sha256(cbor2.dumps(["Signature1", protected, b"", payload])).digest()


def upgrade() -> None:
    """Add the column, fill it (the first entry of a content keeps it), make it unique."""
    op.add_column("entries", sa.Column("content_sha256", sa.LargeBinary, nullable=True))
    connection = op.get_bind()
    entries = sa.table(
        "entries", sa.column("idx"), sa.column("statement"), sa.column("content_sha256")
    )
    last = -1
    while True:
        rows = connection.execute(
            sa.select(entries.c.idx, entries.c.statement)
            .where(entries.c.idx > last)
            .order_by(entries.c.idx)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        updates = [{"i": idx, "c": content_sha256(bytes(statement))} for idx, statement in rows]
        if updates:
            connection.execute(
                entries.update()
                .where(entries.c.idx == sa.bindparam("i"))
                .values(content_sha256=sa.bindparam("c")),
                updates,
            )
        last = rows[-1][0]
    # Replays registered before: the first entry of each content keeps it, the later ones NULL.
    repeated = connection.execute(
        sa.select(entries.c.content_sha256, sa.func.min(entries.c.idx))
        .where(entries.c.content_sha256.is_not(None))
        .group_by(entries.c.content_sha256)
        .having(sa.func.count() > 1)
    ).all()
    for digest, first in repeated:
        connection.execute(
            entries.update()
            .where(entries.c.content_sha256 == digest, entries.c.idx != first)
            .values(content_sha256=None)
        )
    op.create_index("uq_entries_content_sha256", "entries", ["content_sha256"], unique=True)


def downgrade() -> None:
    """Drop the index and the column."""
    op.drop_index("uq_entries_content_sha256", table_name="entries")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("content_sha256")
