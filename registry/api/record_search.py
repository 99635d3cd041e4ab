"""The record search's API and the home page's browser, answered without the compliance
index (:mod:`registry.compliance.browsing`): ``GET /api/records`` (search, paged) and
``GET /api/suggest?q=``; :func:`browse` gives the home page its form and one page of
results.  Every record shown is read from its checked entry.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, Router, get
from litestar.params import FromQuery, QueryParameter

from registry.api.dashboard import Format, Opt, csv_response, query
from registry.api.deps import MAX_INTEGER, Records
from registry.api.errors import invalid_parameter, not_ready
from registry.api.search import COUNT_CAP
from registry.compliance import finder
from registry.compliance.browsing import RecordSearch, SearchBehind
from registry.compliance.filtering import FilterRefused
from registry.i18n import Message
from registry.i18n import render as render_text

BROWSE_PAGE = 20
"""Records per page of the home page's browser."""


def counted_exactly(query: finder.Query, total: int) -> bool:
    """Whether ``total`` is every match of ``query`` (a search with criteria stops counting
    past :data:`COUNT_CAP`; the list without criteria is always counted)."""
    return not query.params() or total <= COUNT_CAP


async def query_of(records: RecordSearch, **raw: str | None) -> finder.Query:
    """The record search the query asks for (raises :class:`FilterRefused`); a province
    must be one the log names (without criteria, the search table is not waited for)."""
    return finder.checked_query(await records.provinces(wait=any(raw.values())), raw)


class RecordsApi(Controller):
    """Find records by part of a PPK's name or instansi, region, type and claimed date."""

    path = "/"
    tags = ["search"]

    @get("/records", summary="Search records (paged): name, instansi, province, type, claimed date")
    async def records(
        self,
        records: Records,
        name: Opt = None,
        instansi: Opt = None,
        province: Opt = None,
        type: Opt = None,
        claimed_since: Opt = None,
        claimed_until: Opt = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 50,
        offset: Annotated[
            int,
            QueryParameter(ge=0, le=MAX_INTEGER, description=f"At most {COUNT_CAP}; deeper: after"),
        ] = 0,
        after: Annotated[
            int | None,
            QueryParameter(
                ge=0,
                le=MAX_INTEGER,
                description="Only records after this entry (newest first: smaller indexes);"
                " the previous page's next_after",
            ),
        ] = None,
        format: Format = "json",
    ) -> Response[Any]:
        if offset > COUNT_CAP:  # the database would walk every row it skips
            raise invalid_parameter(
                "parameter.offset-too-deep", offset=offset, cap=COUNT_CAP, hint="<next_after>"
            )
        query = await query_of(
            records,
            name=name,
            instansi=instansi,
            province=province,
            type=type,
            claimed_since=claimed_since,
            claimed_until=claimed_until,
        )
        found, total = await records.find(query, offset, limit, COUNT_CAP, after)
        page = [f.to_dict() for f in found]
        if format == "csv":
            return csv_response("records", page)
        return Response(
            {
                "query": query.params(),
                "total": total,
                "total_exact": counted_exactly(query, total),
                "limit": limit,
                "offset": offset,
                "after": after,
                "next_after": page[-1]["index"] if len(page) == limit else None,
                "items": page,
            }
        )

    @get("/suggest", summary="Suggestions as one types: PPKs, instansi, provinces")
    async def suggest(self, records: Records, q: FromQuery[str] = "") -> Response[Any]:
        return Response({"q": q, "items": await records.suggest(q)})


record_search_router = Router(path="/api", route_handlers=[RecordsApi])
"""The record search, mounted under ``/api``."""


async def browse(
    records: RecordSearch,
    raw: dict[str, str | None],
    page: int,
    lang: str,
    after: int | None = None,
) -> dict[str, Any]:
    """The home page's record browser: the search form, one page of results, or the reason
    the search was refused.  Answered without the compliance index
    (:mod:`registry.compliance.browsing`): every record shown is read from its checked entry.

    Page ``page`` is read by its offset up to :data:`COUNT_CAP` records deep; its Next link
    carries ``after`` (the last record shown) too, and a page given ``after`` is read from
    there whatever its depth (``page`` then only numbers it).  A page past the cap without
    ``after`` is refused with the way on (400)."""
    form: dict[str, Any] = {
        "given": {k: (v or "") for k, v in raw.items()},
        "provinces": [],
        "types": finder.TYPES,
    }
    try:
        form["provinces"] = await records.provinces(wait=any(raw.values()))  # see query_of
        q = finder.checked_query(form["provinces"], raw)
        offset = 0 if after is not None else (page - 1) * BROWSE_PAGE
        if offset > COUNT_CAP:
            raise FilterRefused(Message("browse.too-deep", {"page": page, "cap": COUNT_CAP}))
        found, total = await records.find(q, offset, BROWSE_PAGE, COUNT_CAP, after)
    except (FilterRefused, SearchBehind) as exc:
        if isinstance(exc, FilterRefused):
            waiting, why, status = None, exc.message, 400
        else:  # the search table is being written
            waiting = not_ready(exc)
            why, status = waiting[0], 503
        return {
            "form": form,
            "error": render_text(why, lang),
            "status": status,
            "retry_after": None if waiting is None else waiting[1],
            "items": [],
            "total": 0,
            "exact": True,
            "page": page,
            "pages": 1,
            "pages_label": "1",
            "link": lambda **more: "",
        }
    params = q.params()
    exact = counted_exactly(q, total)
    pages = max(1, -(-total // BROWSE_PAGE))
    more = not exact and len(found) == BROWSE_PAGE  # counted up to the cap: there may be more
    if not exact:
        pages = max(pages, page + 1 if more else page)
    # the next page after the last record shown: the same cost at any depth
    last = found[-1].index if found and page < pages else None
    return {
        "form": form,
        "error": None,
        "items": [f.to_dict() for f in found],
        "total": total if exact else COUNT_CAP,
        "exact": exact,
        "page": page,
        "pages": pages,
        "pages_label": f"{pages}+" if more else str(pages),
        "link": lambda **more: query(params, lang, **more),
        "next": None if last is None else query(params, lang, page=page + 1, after=last),
        "prev": (
            query(params, lang, page=page - 1)
            if page > 1 and (page - 2) * BROWSE_PAGE <= COUNT_CAP
            else None
        ),
        "csv": "/api/records" + query(params, "id", format="csv", limit=1000),
    }
