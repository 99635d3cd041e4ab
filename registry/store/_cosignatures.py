"""Witnesses' cosignatures on the log's checkpoints (``cosignatures``): one per witness and size.

Mixed into :class:`registry.store.Store`.  A witness is named by its signer id
``<key name>+<key id hex>`` (one per key), and its line is kept only after the
sequencer verified it (``registry.log.cosigning``); the first line a witness
gave for a size is the one kept.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.store._rows import from_row, values_of
from registry.store.errors import UnknownCheckpoint
from registry.store.models import CheckpointRecord, CosignatureRecord
from registry.store.tables import CHECKPOINTS, COSIGNATURES


class CosignaturesMixin:
    """Keep and read the witnesses' cosignatures."""

    _engine: AsyncEngine

    async def add_cosignature(self, cosignature: CosignatureRecord) -> bool:
        """Keep a witness's cosignature; ``False`` if that witness already cosigned that size.

        The first cosignature of a witness for a size is kept.  Raises
        :class:`UnknownCheckpoint` if no checkpoint has that size.
        """
        try:
            async with self._engine.begin() as connection:
                await connection.execute(insert(COSIGNATURES).values(values_of(cosignature)))
        except IntegrityError:
            async with self._engine.connect() as connection:
                query = select(CHECKPOINTS.c.size).where(CHECKPOINTS.c.size == cosignature.size)
                known = (await connection.execute(query)).first()
            if known is None:
                raise UnknownCheckpoint(
                    f"no checkpoint of size {cosignature.size} to cosign"
                ) from None
            return False
        return True

    async def cosignatures(self, size: int) -> list[CosignatureRecord]:
        """The cosignatures on the checkpoint of ``size``, by witness name."""
        query = (
            select(COSIGNATURES).where(COSIGNATURES.c.size == size).order_by(COSIGNATURES.c.witness)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [from_row(CosignatureRecord, row) for row in rows]

    async def cosignatures_from(
        self, size: int, witnesses: Sequence[str]
    ) -> list[CosignatureRecord]:
        """The cosignatures by ``witnesses`` on checkpoints of ``size`` or more, by size."""
        if not witnesses:
            return []
        query = (
            select(COSIGNATURES)
            .where(COSIGNATURES.c.size >= size, COSIGNATURES.c.witness.in_(list(witnesses)))
            .order_by(COSIGNATURES.c.size, COSIGNATURES.c.witness)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [from_row(CosignatureRecord, row) for row in rows]

    async def cosigned_size(
        self, witnesses: Sequence[str], count: int, *, above: int | None = None
    ) -> int | None:
        """A checkpoint size cosigned by at least ``count`` of ``witnesses``, or ``None``.

        The largest such size; with ``above``, the smallest larger than ``above``
        (the first checkpoint witnessed that covers entry ``above``).
        """
        if not witnesses or count < 1:
            return None
        query = (
            select(COSIGNATURES.c.size)
            .where(COSIGNATURES.c.witness.in_(list(witnesses)))
            .group_by(COSIGNATURES.c.size)
            .having(func.count() >= count)
        )
        if above is None:
            query = query.order_by(COSIGNATURES.c.size.desc())
        else:
            query = query.where(COSIGNATURES.c.size > above).order_by(COSIGNATURES.c.size)
        async with self._engine.connect() as connection:
            found = (await connection.execute(query.limit(1))).scalar_one_or_none()
        return None if found is None else int(found)

    async def checkpoint_with_cosignatures(
        self, size: int, witnesses: Sequence[str]
    ) -> tuple[CheckpointRecord, list[CosignatureRecord]] | None:
        """The checkpoint of ``size`` and the cosignatures ``witnesses`` made on it, if any."""
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(select(CHECKPOINTS).where(CHECKPOINTS.c.size == size))
            ).first()
        if row is None:
            return None
        lines = [c for c in await self.cosignatures(size) if c.witness in set(witnesses)]
        return from_row(CheckpointRecord, row), lines
