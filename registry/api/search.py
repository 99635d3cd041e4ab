"""Search the log: GET /api/entries?type=&signer=&instansi=&since=&until= (paged, JSON or CSV).

Pages are read by index: ``after=<index>`` (the previous page's ``next_after``)
costs the same at any depth of the log, where ``offset`` walks every entry it
skips.  ``total`` is exact up to :data:`COUNT_CAP` matches; past it the response
says ``total_exact: false`` and ``total`` is a lower bound, so a filter matching
millions of entries does not count them one by one on every page.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter

from registry.api.deps import MAX_INTEGER, Service
from registry.api.errors import invalid_parameter
from registry.compliance.export import safe_cell
from registry.records.schemas import RECORD_TYPES
from registry.records.views import search_item
from registry.verify.trust import unb64url


def _instant_ms(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise invalid_parameter("parameter.not-an-instant", name=name, value=repr(value)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def _kid(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        kid = bytes.fromhex(value) if len(value) == 64 else unb64url(value)
    except ValueError:
        kid = b""
    if len(kid) != 32:
        raise invalid_parameter("parameter.signer")
    return kid


COUNT_CAP = 10_000
"""Matches counted exactly per search; past this ``total`` is a lower bound."""

CSV_COLUMNS = ("index", "type", "signer", "instansi", "registered_at")


def _csv(items: list[dict[str, Any]]) -> str:
    """The results as CSV: their fields, and the payload as JSON in the last column.

    No cell starts a spreadsheet formula (:func:`~registry.compliance.export.safe_cell`).
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*CSV_COLUMNS, "payload"])
    for item in items:
        payload = json.dumps(item["payload"], ensure_ascii=False)
        writer.writerow([*(safe_cell(item[c]) for c in CSV_COLUMNS), safe_cell(payload)])
    return out.getvalue()


class SearchController(Controller):
    """Find entries by type, signer, instansi and registration time."""

    path = "/api/entries"
    tags = ["search"]

    @get("/", summary="Search entries (paged); format=csv for a CSV export")
    async def search(
        self,
        service: Service,
        type: FromQuery[str | None] = None,
        signer: FromQuery[str | None] = None,
        instansi: FromQuery[str | None] = None,
        since: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=MAX_INTEGER)] = 0,
        after: Annotated[
            int | None,
            QueryParameter(
                ge=-1,
                le=MAX_INTEGER,
                description="Only entries with a larger index (the previous page's next_after)",
            ),
        ] = None,
        format: Annotated[str, QueryParameter(pattern="^(json|csv)$")] = "json",
    ) -> Response[Any]:
        if offset > COUNT_CAP:  # the database would walk every entry it skips
            raise invalid_parameter(
                "parameter.offset-too-deep", offset=offset, cap=COUNT_CAP, hint="<next_after>"
            )
        if type is not None and type not in RECORD_TYPES:
            raise invalid_parameter(
                "parameter.unknown-type", type=repr(type), known=", ".join(RECORD_TYPES)
            )
        records, total = await service.search(
            type=type,
            signer_kid=_kid(signer),
            instansi=instansi,
            since_ms=_instant_ms("since", since),
            until_ms=_instant_ms("until", until),
            limit=limit,
            offset=offset,
            after=after,
            count_cap=COUNT_CAP,
        )
        items = [search_item(r) for r in records]
        if format == "csv":
            return Response(
                _csv(items),
                media_type="text/csv",
                headers={"Content-Disposition": 'attachment; filename="entries.csv"'},
            )
        exact = total <= COUNT_CAP
        return Response(
            {
                "total": total,
                "total_exact": exact,
                "limit": limit,
                "offset": offset,
                "after": after,
                "next_after": records[-1].idx if len(records) == limit else None,
                "items": items,
            }
        )
