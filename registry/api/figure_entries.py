"""The entries behind a figure, paged, for the compliance and the dashboard APIs and pages.

Today's unfiltered question is answered from the national tally and the log
(:mod:`registry.compliance.figure_pages`) unless this worker holds the compliance index
already; otherwise, and where the tally cannot say, from the index's list
(:func:`registry.compliance.dashboard.figure_entries`), paged the same way: at most
``limit`` entries after entry ``after`` (docs/compliance.md, "The entries behind a figure,
paged by a cursor").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from registry.api.dashboard import checkpoint_header, filter_of, filtered
from registry.compliance import dashboard, figure_pages
from registry.compliance.figure_pages import EntriesPage
from registry.compliance.filtering import Filter
from registry.compliance.recommendation_pages import Locate
from registry.compliance.service import ComplianceService
from registry.records.service import RegistryService

LIMIT = figure_pages.LIMIT
"""Entries a page lists unless asked for fewer."""


async def today_page(
    compliance: ComplianceService,
    records: Locate,
    asked: dict[str, str | None],
    table: str,
    row: str | None,
    figure: str,
    after: int | None,
    limit: int,
    on: str | None = None,
) -> EntriesPage | None:
    """Today's page of an unfiltered question (``asked``: the dashboard filter, or ``as_of``)
    from the tally (the head-types table's of the keys in office ``on``); None where the
    caller answers from the index."""
    if any(v and v.strip() for v in asked.values()) or compliance.index_held:
        return None
    return await compliance.figure_entries(records, None, table, row, figure, after, limit, on)


async def _tallied_page(
    compliance: ComplianceService,
    records: Locate,
    flt: Filter,
    figure: tuple[str, str | None, str],
    after: int | None,
    limit: int,
    on: str | None = None,
) -> EntriesPage | None:
    """The page of a filtered question from a tally: ``until`` alone from that day's national
    tally (saved as it ended, or that day's own: stop 32), as ``/api/compliance/entries``
    answers ``as_of`` that day; an election and/or a head type from that scope's tally (the
    head-types table's of the keys in office ``on``); None where the caller answers from
    the index."""
    table, row, name = figure
    if flt.empty and flt.until is not None and not compliance.index_held:
        return await compliance.figure_entries(
            records, flt.until, table, row, name, after, limit, on
        )
    return await compliance.scoped_figure_entries(flt, records, table, row, name, after, limit, on)


def index_entries(
    day: str, size: int, indexes: Sequence[int], after: int | None, limit: int
) -> EntriesPage:
    """The page of the index's list ``indexes`` (every entry of the figure, ascending)."""
    entries, more = figure_pages.index_page(indexes, after, limit)
    return EntriesPage(day, len(indexes), entries, more, size)


def last_of(found: EntriesPage) -> int | None:
    """The page's ``next_after``: its last entry when more follow."""
    return found.entries[-1] if found.more and found.entries else None


def next_url(path: str, params: dict[str, Any], after: int, limit: int) -> str:
    """The next page of ``path`` asked with ``params`` (the default limit not repeated)."""
    query = {k: v for k, v in params.items() if v is not None and v != ""}
    query["after"] = after
    if limit != LIMIT:
        query["limit"] = limit
    return f"{path}?{urlencode(query)}"


async def described_page(
    service: RegistryService,
    compliance: ComplianceService,
    records: Locate,
    asked: dict[str, str | None],
    figure: tuple[str, str | None, str],
    after: int | None,
    limit: int,
    skip: int = 0,
    on: str | None = None,
) -> tuple[EntriesPage, list[dict[str, Any]], dict[str, Any], dict[str, str]]:
    """A page of the entries behind ``figure`` (table, row, figure; the first ``skip`` of
    ``limit`` after ``after`` left out), each described, what it counts (day, checkpoint)
    and the filter's query: today's unfiltered from the tally, each entry read checked;
    ``until`` alone from that day's national tally (stop 32); by an election and/or a head
    type (with ``since``, as of any ``until``) from that scope's tally
    (:meth:`ComplianceService.scoped_figure_entries`); by a province or an instansi (today
    or earlier) from that scope's facts (:func:`~registry.api.dashboard.filtered`); else
    from the index; the head-types table's with the PPK keys in office ``on`` (default the
    day's)."""
    table, row, name = figure
    flt = Filter()
    found = await today_page(compliance, records, asked, table, row, name, after, limit, on)
    if found is None:
        flt = await filter_of(compliance, **asked)
        found = await _tallied_page(compliance, records, flt, (table, row, name), after, limit, on)
    if found is not None:  # from a tally, each entry read checked
        found = replace(found, entries=found.entries[skip:])
        items = await figure_pages.rows(compliance.facts, found.entries)
        return found, items, await checkpoint_header(service, found.day, found.size), flt.query()
    c = await filtered(service, compliance, records, flt)
    indexes = dashboard.figure_entries(c.snap, table, row, name, on)
    found = index_entries(c.snap.as_of, c.size, indexes, after, limit)
    found = replace(found, entries=found.entries[skip:])
    items = [dashboard.describe(c.snap.index, i) for i in found.entries]
    return found, items, c.header(), flt.query()
