"""Compliance JSON/CSV API: the ``/api/compliance/...`` tables (each also ``?format=csv``).

The track record and the identities (signed requests only) are in :mod:`registry.api.personal`.
Every handler is a call to the process's
:class:`~registry.compliance.service.ComplianceService` (made at start-up,
given by dependency injection) and a table.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Response, Router, get
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.api.deps import MAX_INTEGER, Compliance, Records
from registry.api.errors import invalid_parameter
from registry.api.linked import bounded, csv_table, entries_url, today_table
from registry.api.search import COUNT_CAP
from registry.compliance import dashboard, figure_pages, head_rows, recommendation_pages
from registry.compliance.metrics import Snapshot
from registry.i18n import Message
from registry.records.errors import NotFound
from registry.verify.trust import unb64url

Format = Annotated[str, QueryParameter(pattern="^(json|csv)$")]
AsOf = Annotated[
    str | None,
    QueryParameter(description="ISO date (WIB): count statements issued on or before it"),
]


def _day(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise invalid_parameter("parameter.not-an-iso-date", name=name, value=repr(value)) from None


def on_day(table: str, on: str | None) -> str | None:
    """The ``on`` day of a figure's listing (the head-types table's keys in office that day);
    refused for another table, or not a day (400)."""
    when = _day("on", on)
    if when is not None and table != "head-types":
        raise invalid_parameter("parameter.on-head-types-only", on=when, table=table)
    return when


def _kid(value: str) -> bytes:
    try:
        kid = bytes.fromhex(value) if len(value) == 64 else unb64url(value)
    except ValueError:
        kid = b""
    if len(kid) != 32:
        raise invalid_parameter("parameter.kid")
    return kid


def _next_url(asked: dict[str, str | None], limit: int, after: int) -> str:
    """The recommendations list's next page: the same question, after entry ``after``."""
    query = {k: v for k, v in asked.items() if v is not None}
    return f"/api/compliance/recommendations?{urlencode({**query, 'limit': limit, 'after': after})}"


def _bounded_heads(
    day: str, row: dict[str, Any], election: str | None, on: str, key: str | None = None
) -> dict[str, Any]:
    """A head-types row (of the keys in office ``on``) with each figure past the bound
    linked: to the unfiltered table's listing of ``day``, or, for one election's own
    figures (:data:`~registry.compliance.head_rows.OWN`), to the dashboard's listing under
    that election ``until`` ``day`` (today's: its scope's tally); each with ``on`` where it
    is another day."""
    other = None if on == day else on
    out = bounded("head-types", day, row, key, on=other)
    if election is None:
        return out
    flt = {"election": election, "until": day, **({} if other is None else {"on": other})}
    own = bounded("head-types", day, row, key, filtered=flt)
    return {**out, **{name: own[name] for name in head_rows.OWN if name in own}}


async def _snapshot(compliance: Compliance, as_of: str | None) -> Snapshot:
    return await compliance.snapshot(_day("as_of", as_of))


def _table(
    name: str,
    snap: Snapshot,
    rows: list[dict[str, Any]],
    format: str,
    linked: bool = True,
    **extra: Any,
) -> Response[Any]:
    if linked and name in dashboard.TABLES:
        rows = [bounded(name, snap.as_of, row) for row in rows]
    if format == "csv":
        return csv_table(name, rows)
    return Response({"as_of": snap.as_of, **extra, "count": len(rows), "items": rows})


class ComplianceController(Controller):
    """Follow-up figures per PPK key, instansi, province, head type, election, month."""

    path = "/compliance"
    tags = ["compliance"]

    @get("/national", summary="National totals (comparable with DOMAIN.md)")
    async def national(
        self, compliance: Compliance, as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        day, row = await compliance.national(_day("as_of", as_of))
        if format == "csv":
            return csv_table("national", [bounded("national", day, row)])
        return Response({"as_of": day, **bounded("national", day, row)})

    @get("/signers", summary="Every PPK key's follow-up record")
    async def signers(
        self,
        compliance: Compliance,
        as_of: AsOf = None,
        instansi: FromQuery[str | None] = None,
        province: FromQuery[str | None] = None,
        head_type: FromQuery[str | None] = None,
        limit: Annotated[int | None, QueryParameter(ge=1, le=MAX_INTEGER)] = None,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_INTEGER)] = 0,
        format: Format = "json",
    ) -> Response[Any]:
        day, rows = await compliance.signers(_day("as_of", as_of), instansi, province, head_type)
        page = [bounded("signers", day, row) for row in rows[offset:][:limit]]
        if format == "csv":
            return csv_table("signers", page)
        return Response({"as_of": day, "total": len(rows), "offset": offset, "count": len(page),
                         "items": page})  # fmt: skip

    @get("/signers/{kid:str}", summary="One key's record with its recommendations")
    async def signer(
        self, compliance: Compliance, records: Records, kid: FromPath[str], as_of: AsOf = None
    ) -> Response[Any]:
        day, row = await compliance.signer(
            _kid(kid), _day("as_of", as_of), records.signed_by, records.indexes
        )
        if row is None:
            raise NotFound(Message("notfound.enrolled-key", {"kid": kid}))
        return Response({"as_of": day, **bounded("signers", day, row, kid)})

    @get("/instansi", summary="Per instansi")
    async def instansi(
        self,
        compliance: Compliance,
        as_of: AsOf = None,
        province: FromQuery[str | None] = None,
        name: FromQuery[str | None] = None,
        format: Format = "json",
    ) -> Response[Any]:
        day, rows = await compliance.instansi(_day("as_of", as_of), province, name)
        return today_table("instansi", day, rows, format)

    @get("/provinces", summary="Per province of the addressed PPK")
    async def provinces(
        self, compliance: Compliance, as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        return today_table("provinces", *await compliance.provinces(_day("as_of", as_of)), format)

    @get("/head-types", summary="Definitive vs acting (Pj, Plt, Pjs) heads")
    async def head_types(
        self,
        compliance: Compliance,
        as_of: AsOf = None,
        on: FromQuery[str | None] = None,
        election: FromQuery[str | None] = None,
        format: Format = "json",
    ) -> Response[Any]:
        day, (rows, acting) = await compliance.head_types(
            _day("as_of", as_of), _day("on", on), election
        )
        when = _day("on", on) or day
        rows = [_bounded_heads(day, row, election, when) for row in rows]
        acting = _bounded_heads(day, acting, election, when, dashboard.ACTING)
        if format == "csv":
            return csv_table("head-types", rows)
        return Response({"as_of": day, "on": when, "acting": acting, "count": len(rows),
                         "items": rows})  # fmt: skip

    @get("/elections", summary="Per election")
    async def elections(
        self, compliance: Compliance, as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        return today_table("elections", *await compliance.elections(_day("as_of", as_of)), format)

    @get("/months", summary="Per month of issue")
    async def months(
        self, compliance: Compliance, as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        return today_table("months", *await compliance.months(_day("as_of", as_of)), format)

    @get("/pact-signers-with-overdue", summary="PPKs who signed a pact yet have overdue ones")
    async def pact_signers_with_overdue(
        self, compliance: Compliance, as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        day, rows = await compliance.pact_signers_with_overdue(_day("as_of", as_of))
        return today_table("pact-signers-with-overdue", day, rows, format)

    @get(
        "/recommendations",
        summary="Every recommendation and what became of it, paged",
        description=(
            "In log order, `limit` (1 to 1000, default 100) a page after entry `after` (the"
            " previous page's `next_after`; none: from the start). `total` counts the whole"
            " list, `count` this page; `next` is the next page's URL (null on the last)."
            " `format=csv` gives the same page as CSV, the next page's URL in a `Link` header"
            ' (rel="next").'
        ),
    )
    async def recommendations(
        self,
        compliance: Compliance,
        records: Records,
        as_of: AsOf = None,
        ppk: FromQuery[str | None] = None,
        instansi: FromQuery[str | None] = None,
        status: Annotated[
            str | None, QueryParameter(pattern="^(followed-up|overdue|pending)$")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=recommendation_pages.MOST)] = (
            recommendation_pages.LIMIT
        ),
        after: Annotated[
            int | None,
            QueryParameter(
                ge=0, le=MAX_INTEGER, description="The previous page's next_after (an entry index)"
            ),
        ] = None,
        format: Format = "json",
    ) -> Response[Any]:
        kid, day = _kid(ppk) if ppk else None, _day("as_of", as_of)
        # Today's without the index, if it can; from the index where this worker holds it
        # already (for another day...): no more memory, and no read of the log.
        found = None
        if not compliance.index_held:
            found = await compliance.recommendations(
                records, day, kid, instansi, status, after, limit
            )
        if found is None:
            snap = await _snapshot(compliance, as_of)
            found = recommendation_pages.index_page(snap, kid, instansi, status, after, limit)
        last = found.items[-1]["index"] if found.more else None
        asked = {"as_of": as_of, "ppk": ppk, "instansi": instansi, "status": status}
        if format == "csv":  # the same page: a whole list of millions is no download
            response = csv_table("recommendations", found.items)
            if last is not None:
                url = _next_url({**asked, "format": "csv"}, limit, last)
                response.headers["Link"] = f'<{url}>; rel="next"'
            return response
        return Response(
            {
                "as_of": found.day,
                "total": found.total,
                "limit": limit,
                "after": after,
                "count": len(found.items),
                "next_after": last,
                "next": None if last is None else _next_url(asked, limit, last),
                "items": found.items,
            }
        )

    @get(
        "/entries",
        summary="The log entries one figure counts, paged (for figures too large to list inline)",
        description=(
            "A figure of more than 10,000 entries gives `entries_total` and `entries_url` (this"
            " listing) instead of `entries`. `table` is one of national, provinces, head-types,"
            " instansi, elections, months, pact-signers-with-overdue, signers; `row` names the"
            " row (its province, head type, instansi, election, month or base64url kid; none"
            " for national). Log indexes, ascending, `limit` a page (1 to 10,000, default"
            " 10,000) after entry `after` (the previous page's `next_after`; `next` is the next"
            " page's URL, null on the last). `page` numbers pages from the first, at most"
            f" {COUNT_CAP} entries deep (deeper: 400, use `after`). `on` (an ISO date; for"
            " table=head-types only, else 400) lists the figure of the head-types table with"
            " the PPK keys in office that day, as `/api/compliance/head-types?on=` links it"
            " (default: `as_of`)."
        ),
    )
    async def entries(
        self,
        compliance: Compliance,
        records: Records,
        table: FromQuery[str],
        figure: FromQuery[str],
        as_of: AsOf = None,
        row: FromQuery[str | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=MAX_INTEGER)] = 1,
        after: Annotated[
            int | None,
            QueryParameter(
                ge=0, le=MAX_INTEGER, description="The previous page's next_after (an entry index)"
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=figure_pages.LIMIT)] = figure_pages.LIMIT,
        on: Annotated[
            str | None,
            QueryParameter(description="ISO date: head-types only, the PPK keys in office then"),
        ] = None,
    ) -> Response[Any]:
        day, when = _day("as_of", as_of), on_day(table, on)
        skip = 0 if after is not None else (page - 1) * limit
        if skip > COUNT_CAP:  # every entry before the page would be walked
            raise invalid_parameter(
                "parameter.page-too-deep", page=page, skip=skip, cap=COUNT_CAP, hint="<next_after>"
            )
        # Today's without the index where the tally can say; from the index where this
        # worker holds it already (no more memory, no read of the log), or another day.
        found = None
        if not compliance.index_held:
            found = await compliance.figure_entries(
                records, day, table, row, figure, after, skip + limit, when
            )
        if found is None:
            snap = await _snapshot(compliance, as_of)
            indexes = dashboard.figure_entries(snap, table, row, figure, when)
            found = figure_pages.EntriesPage(
                snap.as_of,
                len(indexes),
                *figure_pages.index_page(indexes, after, skip + limit),
                snap.index.size,
            )
        entries = found.entries[skip:]
        last = entries[-1] if found.more and entries else None
        return Response(
            {
                "as_of": found.day,
                "table": table,
                "row": row,
                "figure": figure,
                **({"on": when or found.day} if table == "head-types" else {}),
                "total": found.total,
                "limit": limit,
                "page": None if after is not None else page,
                "pages": max(1, -(-found.total // limit)),
                "after": after,
                "count": len(entries),
                "entries": entries,
                "next_after": last,
                "next": None
                if last is None
                else entries_url(
                    table, found.day, figure, row, after=last, limit=_given(limit), on=when
                ),
            }
        )


def _given(limit: int) -> int | None:
    """``limit`` as a link gives it (the default: not at all)."""
    return None if limit == figure_pages.LIMIT else limit


compliance_router = Router(path="/api", route_handlers=[ComplianceController])
"""The compliance tables, mounted under ``/api``."""
