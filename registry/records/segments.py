"""Where the compliance index's saved segments are kept, and what checks them.

:class:`SealedSegments` meets :class:`registry.compliance.saved.Segments`: the
rows of ``fact_segments``, the roots of this process's checked tree, and a
seal under a key derived from the log key (:mod:`registry.signing.seal`).
"""

from __future__ import annotations

from registry.log.state import LogState
from registry.log.tiled_store import TilesNeeded
from registry.records import saved_state
from registry.records.tree_tiles import TreeTiles
from registry.signing.seal import Sealer
from registry.store.models import FactSegmentRecord
from registry.store.repository import Store

PURPOSE = "compliance fact segments"
TALLY_KINDS = "compliance-tally-"
"""The saved national tally's format prefix (``registry.compliance.saved.TALLY``): it
names its own version, so it is kept when segments of another format are deleted."""


class SealedSegments:
    """Saved segments in ``store``, checked against ``state``'s tree, sealed by ``sealer``."""

    def __init__(self, store: Store, state: LogState, sealer: Sealer) -> None:
        self._store = store
        self._state = state
        self._sealer = sealer
        self._tiles = TreeTiles(store, state, lambda found: found)

    async def load(self, format: str, start: int) -> FactSegmentRecord | None:
        """The saved segment of ``format`` starting at entry ``start``, if any (unchecked).

        The leaf tile its end falls in is read (and checked) now, so that :meth:`root`
        can answer for it from memory.
        """
        record = await self._store.fact_segment(format, start)
        if record is not None:
            await self._tiles.ensure(lambda: self.root(record.end_idx, load=True))
        return record

    async def save(self, record: FactSegmentRecord) -> None:
        """Save ``record`` (replacing one of its format and start)."""
        await self._store.put_fact_segment(record)

    async def ends(self, prefix: str) -> dict[str, int]:
        """The format and end of each saved segment whose format starts with ``prefix``."""
        return await self._store.fact_segment_ends(prefix)

    async def forget(self, formats: list[str]) -> None:
        """Delete the saved segments of ``formats``."""
        await self._store.drop_fact_segments(formats)

    async def forget_except(self, format: str) -> int:
        """Delete the compliance segments of every other format (the key directory's
        snapshot, :mod:`registry.records.saved_state`, and the national tally are kept)."""
        return await self._store.drop_fact_segments_except(
            format, (*saved_state.KINDS, TALLY_KINDS)
        )

    def root(self, size: int, *, load: bool = False) -> bytes | None:
        """The root of the checked tree at ``size``; None past the latest checkpoint, or
        (unless ``load``) if the leaf tile of ``size`` left memory since :meth:`load`: the
        segment is then not trusted and its entries are read again, never a wrong root."""
        if size > self._state.committed_size:
            return None
        try:
            return self._state.tree.root(size)
        except TilesNeeded:
            if load:
                raise
            return None

    def seal(self, message: bytes) -> bytes:
        """The registry's seal of ``message``."""
        return self._sealer.seal(message)

    def opens(self, message: bytes, seal: bytes) -> bool:
        """Whether ``seal`` is the registry's seal of ``message``."""
        return self._sealer.opens(message, seal)
