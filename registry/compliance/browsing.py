"""The record search and the home page's list without the compliance index.

:mod:`registry.compliance.finder` finds records in the compliance index, which
holds every fact of the log in memory (about 320 bytes an entry) and is
restored from the log on its first use after a start.  :class:`RecordSearch`
answers the same questions from the database:

* without criteria (the home page of every visitor), one page of the entries of
  the listed types, newest first, read through the index on ``entries.type``;
  the total is the log's size less the entries of every other type (few);
* with criteria, from ``search_records`` (one row per listed entry: type as
  listed, claimed day, instansi, own province, the key of its person and, for a
  PPK's enrolment only, the name's words), which it writes behind the log:
  whatever the table does not hold yet is read from the log, checked, in pages
  (:meth:`RecordSearch.catch_up`), the first time after a start for a log older
  than the table; the table's mark names the last entry it holds by its leaf
  hash, so a table of another log (a restore) is made again;
* the form's provinces and the suggestions' instansi and provinces, the few
  values of the table's indexed columns, read one index seek each.

What is shown of each record comes from its entry, read and checked against
the tree (``RegistryService.entries_at``: an edited entry raises
``TamperedEntry``), as are the enrolment a person's name and province come
from and the recommendation a follow-up answers; a row of ``search_records``
only says where to look.  A record whose checked entry does not match the
search (a row edited to claim it does) is not listed: an edit of the table can
hide a record or change the count, never show what the log does not say.

Memory: nothing per entry; what a record shows is read by
:class:`registry.compliance.found_records.FoundRecords`, which keeps the enrolments of
the last few thousand keys and recommendations it read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlencode

from registry.compliance.facts import FollowUp, Succession
from registry.compliance.facts import read_entry as fact_of
from registry.compliance.filtering import slug
from registry.compliance.finder import SUGGESTIONS, Found, Query, keeps, matches, words
from registry.compliance.found_records import FoundRecords
from registry.compliance.search_rows import LISTED_TYPES, MARK, SearchTable, mark_after, row_of
from registry.store.models import EntryRecord, SearchCriteria, SearchRecordRow
from registry.verify.trust import b64url

log = logging.getLogger(__name__)

PAGE = 1000
"""Entries read a query while the table catches up."""
WAIT_S = 5.0
"""How long a search waits for the table to catch up before it answers that it is behind
(the catch-up goes on: the first search after an upgrade of a large log)."""


class SearchBehind(Exception):
    """The search table is still being written (it holds ``held`` of ``size`` entries)."""

    def __init__(self, held: int, size: int) -> None:
        super().__init__(f"search_records holds {held:,} of {size:,} entries")
        self.held = held
        self.size = size


class CheckedLog(Protocol):
    """The log's checked reads (a ``RegistryService``)."""

    @property
    def size(self) -> int:
        """Entries in the log (under its latest checkpoint)."""
        ...

    async def entries(self, start: int, end: int) -> list[EntryRecord]:
        """Entries ``start <= idx < end`` in order, checked against the tree."""
        ...

    async def entries_at(self, idxs: Sequence[int]) -> list[EntryRecord]:
        """The entries at ``idxs`` (below the log's size) in that order, checked."""
        ...

    def enrolment_of(self, kid: bytes) -> int | None:
        """The entry that enrolled ``kid`` (its enrolment or succession), if any."""
        ...


class RecordSearch:
    """The record search of one process; see the module docstring."""

    def __init__(
        self,
        log: CheckedLog,
        table: SearchTable,
        other_types: Sequence[str],
        follow_up_days: int = 14,
    ) -> None:
        self._log = log
        self._table = table
        self._others = tuple(t for t in other_types if t not in LISTED_TYPES)
        self._days = follow_up_days
        self._lock = asyncio.Lock()
        self._found = FoundRecords(log, follow_up_days)
        self.caught_up = 0
        """Entries this process read into ``search_records`` (tests and benchmarks)."""
        self._behind: asyncio.Task[None] | None = None
        self.held = 0
        """Entries the table holds, as far as this process knows."""

    # -- the table, behind the log ------------------------------------------------------

    async def catch_up(self) -> None:
        """Write the rows of the entries the table does not hold yet (under the checkpoint)."""
        async with self._lock:
            size = self._log.size
            start = self.held = await self._held()
            while start < size:
                end = min(size, start + PAGE)
                records = await self._log.entries(start, end)
                if not records:  # pragma: no cover - the store returned nothing below the size
                    return
                rows = await self._rows(records)
                last = records[-1]
                await self._table.write_search_records(rows, MARK, mark_after(last))
                self.caught_up += len(records)
                start = self.held = last.idx + 1

    async def _held(self) -> int:
        """How many entries the table holds: its mark, if the entry it names is this log's
        (else the table is emptied: it was derived from another log)."""
        mark = await self._table.get_meta(MARK)
        if mark is None:
            return 0
        size, _, leaf = mark.partition(":")
        held = int(size) if size.isdigit() else -1
        if 0 < held <= self._log.size:
            last = await self._log.entries(held - 1, held)
            if last and last[0].leaf_hash.hex() == leaf:
                return held
        await self._table.clear_search_records()
        return 0

    async def _rows(self, records: Sequence[EntryRecord]) -> list[SearchRecordRow]:
        """The rows of a page of entries; the recommendations its follow-ups answer from
        earlier pages are read from the table in one query."""
        facts = [fact_of(r, self._days) for r in records if r.type in LISTED_TYPES]
        page = {f.idx for f in facts if f is not None}
        answered = {f.recommendation for f in facts if isinstance(f, FollowUp)} - page
        rows: dict[int, SearchRecordRow] = await self._table.search_records_at(sorted(answered))
        for fact in facts:
            known: dict[int, SearchRecordRow] = {}
            if isinstance(fact, Succession):
                enrolled = [r for r in rows.values() if r.kid == fact.old and r.type == "enrolment"]
                old = enrolled[-1] if enrolled else await self._table.search_enrolment_of(fact.old)
                if old is not None:
                    known[-1] = old
            if isinstance(fact, FollowUp) and fact.recommendation in rows:
                known[fact.recommendation] = rows[fact.recommendation]
            row = row_of(fact, known)
            if row is not None:
                rows[row.idx] = row
        return [row for idx, row in rows.items() if idx in page]

    # -- answers --------------------------------------------------------------------------

    async def provinces(self, *, wait: bool = True) -> list[str]:
        """Every province the log names (of an enrolment or a report), sorted.

        Without ``wait`` (the home page without criteria, which lists from the entries), the
        table as it stands answers and catches up in the background: a province named only
        by entries registered since it was last written shows once that is done, and the
        first visitor after many registrations does not wait for them.
        """
        if wait:
            await self.ready()
        else:
            self._behind_task()
        return await self._table.search_values("province")

    def _behind_task(self) -> asyncio.Task[None]:
        """The catch-up running in the background (started if none is)."""
        if self._behind is None or self._behind.done():
            self._behind = asyncio.get_running_loop().create_task(self._catch_up_behind())
        return self._behind

    async def ready(self) -> None:
        """The table caught up with the log, waiting up to :data:`WAIT_S` for it (the
        catch-up runs in the background, so a request that stops waiting stops nothing);
        :class:`SearchBehind` if it is not done by then, or if it failed."""
        task = self._behind_task()
        try:
            await asyncio.wait_for(asyncio.shield(task), WAIT_S)
        except TimeoutError:
            raise SearchBehind(self.held, self._log.size) from None
        if self.held < self._log.size and task.done():  # it failed (logged), or more arrived
            await self.catch_up()

    async def _catch_up_behind(self) -> None:
        try:
            await self.catch_up()
        except Exception:  # an edited entry (TamperedEntry, logged where found), a lost database
            log.exception("search: could not write search_records behind the log")

    async def close(self) -> None:
        """Stop a catch-up running in the background (at the app's stop)."""
        task, self._behind = self._behind, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def find(
        self,
        query: Query,
        offset: int,
        limit: int,
        count_cap: int | None = None,
        after: int | None = None,
    ) -> tuple[list[Found], int]:
        """One page of the records matching ``query``, newest first, and how many match (as
        :func:`registry.compliance.finder.find` answers from the index).  With ``count_cap``,
        a search with criteria counts its matches up to ``count_cap + 1`` only (a count
        above the cap means "more than the cap"); the list without criteria is counted
        exactly, from the few entries of other types.  With ``after`` (an entry index) the
        page starts after that entry in this order (at smaller indexes): a keyset page,
        read through the indexes from there whatever its depth; the count is still of
        every match."""
        size = self._log.size
        below = size if after is None else max(0, min(after, size))
        if not query.params():
            idxs, total = await self._table.newest_of_types(
                LISTED_TYPES, self._others, below, offset, limit
            )
            if below != size:
                _, total = await self._table.newest_of_types(LISTED_TYPES, self._others, size, 0, 0)
            return await self.found_at(idxs), total
        await self.ready()
        criteria = await self._criteria(query)
        if criteria is None:
            return [], 0
        idxs, total = await self._table.search_records(criteria, below, offset, limit, count_cap)
        if below != size:
            _, total = await self._table.search_records(criteria, size, 0, 0, count_cap)
        return [f for f in await self.found_at(idxs) if keeps(query, f)], total

    async def indexes(self, criteria: SearchCriteria, below: int) -> list[int]:
        """Every entry below ``below`` whose row matches ``criteria``, in log order, once the
        table has caught up (:class:`SearchBehind` as :meth:`find`).  Only where to look: the
        caller reads each entry, checked, and applies its criteria again."""
        await self.ready()
        # Nothing to count: the count stops at once (count_cap 0) instead of reading every
        # match a second time.
        idxs, _ = await self._table.search_records(criteria, below, 0, max(below, 1), 0)
        return idxs[::-1]

    async def indexes_after(
        self, criteria: SearchCriteria, after: int, below: int, limit: int
    ) -> list[int]:
        """The first ``limit`` entries after ``after`` and below ``below`` whose rows match
        ``criteria``, in log order (as :meth:`indexes`, a keyset page of them)."""
        await self.ready()
        return await self._table.search_records_after(criteria, after, below, limit)

    async def signed_by(self, kid: bytes, types: Sequence[str], below: int) -> list[int] | None:
        """The entries below ``below`` of ``types`` signed by ``kid``, in log order, where the
        search table's rows of the key and the ``entries`` table's signer column name the
        same ones; None where they do not (a row deleted, added or edited straight in the
        database), or while the table is behind: the caller's index answers.  Only where to
        look, as :meth:`indexes`."""
        rows: list[int] = []
        try:
            for type in types:
                rows += await self.indexes(SearchCriteria(type=type, kid=kid), below)
        except SearchBehind:
            return None
        signed = await self._table.entries_signed_by(kid, types, below)
        return signed if sorted(rows) == signed else None

    async def entries_of_type(self, type: str, after: int, upto: int) -> int:
        """How many log entries after ``after`` up to ``upto`` are of ``type``, as the
        ``entries`` table says (what the search's rows of a range are checked against)."""
        return await self._table.count_entries_of_type(type, after, upto)

    async def _criteria(self, query: Query) -> SearchCriteria | None:
        """What to ask the table for ``query`` (None: nothing can match)."""
        instansi = None
        if query.instansi is not None:
            known = await self._table.search_values("instansi")
            instansi = tuple(v for v in known if matches(query.instansi, v))
            if not instansi:
                return None
        return SearchCriteria(
            query.type,
            instansi,
            query.province,
            None if query.name is None else tuple(words(query.name)),
            query.claimed_since,
            query.claimed_until,
        )

    async def suggest(self, text: str) -> list[dict[str, str]]:
        """Up to :data:`SUGGESTIONS` PPKs, instansi and provinces whose name holds ``text``
        (as :func:`registry.compliance.finder.suggest`); a PPK's name is its checked
        enrolment's."""
        if len(text.strip()) < 2 or not words(text):
            return []
        await self.ready()
        out: list[dict[str, str]] = []
        seen: set[str] = set()
        for row in await self._table.search_ppks(words(text)):
            if row.kid is None or len(seen) >= SUGGESTIONS:
                continue
            key = await self._found.key(row.kid)
            if key is None or key.role != "ppk" or not matches(text, key.name):
                continue
            if key.name not in seen:
                seen.add(key.name)
                out.append(
                    {
                        "kind": "ppk",
                        "label": key.name,
                        "detail": key.instansi,
                        "url": f"/signers/{b64url(row.kid)}",
                    }
                )
        out.sort(key=lambda s: s["label"])
        for name in await self._table.search_values("instansi", named=True):
            if matches(text, name):
                out.append(
                    {
                        "kind": "instansi",
                        "label": name,
                        "detail": "",
                        "url": f"/instansi/{slug(name)}",
                    }
                )
        for name in await self._table.search_values("province"):
            if matches(text, name):
                out.append(
                    {"kind": "province", "label": name, "detail": "", "url": _dashboard(name)}
                )
        return out[:SUGGESTIONS]

    # -- records, from checked entries ---------------------------------------------------

    async def found_at(self, idxs: Sequence[int]) -> list[Found]:
        """The records at ``idxs`` (in that order), each from its checked entry; an entry
        of no listed record is left out (:class:`FoundRecords`)."""
        return await self._found.found_at(idxs)


def _dashboard(province: str) -> str:
    return "/dashboard?" + urlencode({"province": province})
