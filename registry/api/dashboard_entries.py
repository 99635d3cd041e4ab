"""``GET /api/dashboard/{table}/entries``: the entries one figure of a dashboard table counts,
each described, paged by a cursor (:mod:`registry.api.figure_entries`).

Today's unfiltered question comes from the national tally and the log, each entry read
checked (:mod:`registry.compliance.figure_pages`); a filter, or a worker that holds the
compliance index already, answers from the index's list, paged the same way.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, Router, get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.api.compliance import on_day
from registry.api.dashboard import (
    FILTERED,
    FilterQuery,
    Format,
    Opt,
    csv_response,
)
from registry.api.deps import MAX_INTEGER, Compliance, Records, Service
from registry.api.figure_entries import LIMIT, described_page, last_of, next_url


class DashboardEntriesApi(Controller):
    """The entries behind a figure of a dashboard table."""

    path = "/dashboard"
    tags = ["dashboard"]

    @get(
        "/{table:str}/entries",
        summary="The log entries one figure of a table counts, paged",
        description=(
            "Each entry described (type, day, instansi, detail), in log order, `limit` a page"
            " (1 to 10,000, default 10,000) after entry `after` (the previous page's"
            " `next_after`; `next` is the next page's URL, null on the last; in CSV, a `Link`"
            ' header, rel="next"). `total` counts every entry of the figure. `on` (an ISO'
            " date; for the head-types table only, else 400) lists the figure with the PPK keys"
            " in office that day, as `/api/compliance/head-types?election=&on=` links it."
        ),
        dependencies=FILTERED,
    )
    async def entries(
        self,
        service: Service,
        compliance: Compliance,
        records: Records,
        table: FromPath[str],
        figure: FromQuery[str],
        asked: FilterQuery,
        row: Opt = None,
        format: Format = "json",
        after: Annotated[int | None, QueryParameter(ge=0, le=MAX_INTEGER)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=LIMIT)] = LIMIT,
        on: Opt = None,
    ) -> Response[Any]:
        when = on_day(table, on)
        found, items, header, chosen = await described_page(
            service, compliance, records, asked, (table, row, figure), after, limit, on=when
        )
        last = last_of(found)
        params = {**chosen, "on": when, "figure": figure, "row": row, "format": format}
        url = (
            None
            if last is None
            else next_url(f"/api/dashboard/{table}/entries", params, last, limit)
        )
        if format == "csv":
            response = csv_response(f"{table}-{figure}", items)
            if url is not None:
                response.headers["Link"] = f'<{url}>; rel="next"'
            return response
        return Response({**header, "filter": chosen, "total": found.total, "limit": limit,
                         "after": after, "count": len(items), "next_after": last, "next": url,
                         "items": items})  # fmt: skip


dashboard_entries_router = Router(path="/api", route_handlers=[DashboardEntriesApi])
"""The entries behind a dashboard figure, mounted under ``/api``."""
