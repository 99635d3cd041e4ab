"""The compliance pages: ``/dashboard``, the entries behind a figure, ``/signers/{id}``,
``/instansi/{id}``, and the record browser on the home page.

Server-rendered like the verify pages (registry/api/rendering.py: Bahasa Indonesia
first, English with ``?lang=en`` or the browser's ``Accept-Language``), from
the same tables as the JSON API (registry/api/dashboard.py), so a figure on a
page is the API's figure.  Tables are read generically: every figure a row
carries is shown (and links to the entries it counts), so figures added to
the compliance tables appear without a change here.  A filter value that is
not valid answers 400 with the reason on the page, never an empty table.
The charts are drawn in the browser (``web/static/dashboard.js``) from the
JSON API.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from registry.api.cells import columns, tools
from registry.api.dashboard import (
    FILTERED,
    FilterQuery,
    filter_of,
    filtered,
    instansi_profile,
    kid_of,
    query,
    signer_profile,
    tallied,
)
from registry.api.deps import MAX_INTEGER, Compliance, Records, Service
from registry.api.errors import BadRequest, not_ready
from registry.api.figure_entries import described_page
from registry.api.rendering import page_language, render_page, strings
from registry.api.search import COUNT_CAP
from registry.compliance import dashboard, filtering
from registry.compliance.browsing import SearchBehind
from registry.compliance.filtering import Filter, FilterRefused
from registry.compliance.scoped_tallies import ScopeBeingMade
from registry.compliance.service import ComplianceService
from registry.i18n import Message
from registry.i18n import render as render_text
from registry.records.service import RegistryService

Opt = FromQuery[str | None]
PAGE_ROWS = 25
"""Rows of the instansi table on the dashboard (sorted by recommendations; CSV has all)."""
ENTRIES_PAGE = 100
DASHBOARD_TABLES = (
    "provinces",
    "head-types",
    "elections",
    "months",
    "instansi",
    "pact-signers-with-overdue",
)


def switch_link(request: Request[Any, Any, Any], lang: str) -> str:
    """The language switch: the same page and query in the other language."""
    other = "en" if lang == "id" else "id"
    items = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*items, ("lang", other)])


async def _page(
    request: Request[Any, Any, Any],
    service: RegistryService,
    template: str,
    lang: str,
    status: int,
    page: str,
    page_data: dict[str, Any] | None = None,
    **extra: Any,
) -> Response[str]:
    t = strings(lang)
    return render_page(
        request,
        service,
        template,
        lang,
        status,
        page=page,
        page_data=page_data,
        lang_switch=switch_link(request, lang),
        **tools(t, lang),
        **extra,
    )


def _refused(exc: FilterRefused | BadRequest, lang: str) -> str:
    if isinstance(exc, FilterRefused):
        return render_text(exc.message, lang)
    return render_text(exc.detail, lang)


def _filter_form(known: filtering.Choices, flt: Filter | None, raw: dict[str, Any]) -> Any:
    return {"choices": known, "given": {k: (v or "") for k, v in raw.items()}, "filter": flt}


def _shown(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How the dashboard shows table ``name`` of ``rows`` (the instansi: the first
    :data:`PAGE_ROWS` by recommendations)."""
    key = dashboard.LABELS[name]
    total = len(rows)
    if name == "instansi":
        rows = sorted(rows, key=lambda r: -(r["recommendations"]["value"] or 0))[:PAGE_ROWS]
    text, figs = columns(rows, key)
    return {"rows": rows, "key": key, "text": text, "figures": figs, "total": total}


def _row_name(compliance: ComplianceService, table: str, row: str | None) -> str | None:
    """A row as people name it: a PPK key's holder rather than its key id (as the index
    holds its enrolment, else the tally's PPK offices: a row of the tables is a PPK's)."""
    if not row or dashboard.LABELS.get(table) != "kid":
        return row
    try:
        kid, tally = kid_of(row), compliance.index.tally
    except BadRequest:
        return row
    key = compliance.index.keys.get(kid) or (tally and tally.offices.keys.get(kid))
    return key.name if key else row


class PagesController(Controller):
    """The dashboard, the entries behind a figure, the profiles of PPKs and instansi."""

    path = "/"
    include_in_schema = False

    @get("/dashboard", summary="Compliance for Bawaslu and the public", dependencies=FILTERED)
    async def dashboard_page(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        compliance: Compliance,
        records: Records,
        asked: FilterQuery,
        lang: Opt = None,
    ) -> Response[str]:
        """National figures, the tables by group and over time, the pact signers overdue."""
        chosen = page_language(request, lang)
        names = ("national", *DASHBOARD_TABLES)
        try:
            found = await tallied(service, compliance, asked, names)
        except ScopeBeingMade as exc:  # the filter's tally is being made: said, in a page
            response = await _page(
                request,
                service,
                "dashboard.html",
                chosen,
                HTTP_503_SERVICE_UNAVAILABLE,
                "dashboard",
                form=_filter_form(await compliance.filter_choices(), None, asked),
                error=render_text(not_ready(exc)[0], chosen),
            )
            response.headers["Retry-After"] = str(not_ready(exc)[1])
            return response
        if found is not None:  # unfiltered, today's or a past day's: from a tally
            header, kept, flt = found
            known, made = kept.choices, kept.tables
        else:
            try:
                flt = await filter_of(compliance, **asked)
            except FilterRefused as exc:
                return await _page(
                    request,
                    service,
                    "dashboard.html",
                    chosen,
                    HTTP_400_BAD_REQUEST,
                    "dashboard",
                    form=_filter_form(await compliance.filter_choices(), None, asked),
                    error=_refused(exc, chosen),
                )
            c = await filtered(service, compliance, records, flt)
            header, known = c.header(), await compliance.filter_choices()
            made = {name: dashboard.table(c.snap, name) for name in names}
        national = made["national"][0]
        tables = {name: _shown(name, made[name]) for name in DASHBOARD_TABLES}
        params = flt.query()
        return await _page(
            request,
            service,
            "dashboard.html",
            chosen,
            200,
            "dashboard",
            page_data={"query": params},
            form=_filter_form(known, flt, asked),
            error=None,
            counted=header,
            national=national,
            tables=tables,
            params=params,
            q=lambda **more: query(params, chosen, **more),
            csv=lambda table: f"/api/dashboard/{table}" + query(params, "id", format="csv"),
        )

    @get(
        "/dashboard/{table:str}/entries",
        summary="The entries one figure counts",
        dependencies=FILTERED,
    )
    async def figure_page(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        compliance: Compliance,
        records: Records,
        table: FromPath[str],
        figure: FromQuery[str],
        asked: FilterQuery,
        row: Opt = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        after: Annotated[int | None, QueryParameter(ge=0, le=MAX_INTEGER)] = None,
        lang: Opt = None,
    ) -> Response[str]:
        """Every entry a figure was computed from, linked to its verify page (paged; the
        Next link carries ``after``, the last entry shown: the same cost at any depth)."""
        chosen = page_language(request, lang)
        skip = 0 if after is not None else (page - 1) * ENTRIES_PAGE
        try:
            if skip > COUNT_CAP:  # every entry before the page would be walked
                raise FilterRefused(Message("browse.too-deep", {"page": page, "cap": COUNT_CAP}))
            found, items, header, flt_query = await described_page(
                service, compliance, records, asked, (table, row, figure), after,
                skip + ENTRIES_PAGE, skip,
            )  # fmt: skip
        except (FilterRefused, SearchBehind, ScopeBeingMade) as exc:  # the last two: 503
            if isinstance(exc, FilterRefused):
                waiting, why = None, _refused(exc, chosen)
            else:  # the filter's tally or the search table is being made
                waiting = not_ready(exc)
                why = render_text(waiting[0], chosen)
            refused = await _page(
                request,
                service,
                "entries.html",
                chosen,
                HTTP_400_BAD_REQUEST if isinstance(exc, FilterRefused) else 503,
                "entries",
                error=why,
                table=table,
                figure=figure,
                row=row,
            )
            if waiting is not None:  # as the API's 503 says it
                refused.headers["Retry-After"] = str(waiting[1])
            return refused
        params = {**flt_query, "figure": figure, **({"row": row} if row else {})}
        last = items[-1]["index"] if found.more and items else None
        return await _page(
            request,
            service,
            "entries.html",
            chosen,
            200,
            "entries",
            error=None,
            table=table,
            figure=figure,
            row=_row_name(compliance, table, row),
            counted=header,
            items=items,
            total=found.total,
            page_number=page,
            pages=max(1, -(-found.total // ENTRIES_PAGE)),
            q=lambda **more: query(params, chosen, **more),
            next_after=last,
            prev_ok=page > 1 and (page - 2) * ENTRIES_PAGE <= COUNT_CAP,
            csv=f"/api/dashboard/{table}/entries" + query(params, "id", format="csv"),
            filter_params=flt_query,
        )

    @get("/signers/{kid:str}", summary="A PPK's pacts, recommendations and follow-up record")
    async def signer_page(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        compliance: Compliance,
        records: Records,
        kid: FromPath[str],
        lang: Opt = None,
    ) -> Response[str]:
        """One PPK key: office, pacts and declarations, recommendations, steps, rate by month."""
        chosen = page_language(request, lang)
        try:
            key = kid_of(kid)
        except BadRequest:
            key = b""
        header, row = await signer_profile(service, compliance, records, key) if key else ({}, None)
        if row is None:
            return await _page(
                request,
                service,
                "profile_missing.html",
                chosen,
                HTTP_404_NOT_FOUND,
                "missing",
                what=kid,
            )
        _, figs = columns([row], "kid")
        return await _page(
            request,
            service,
            "signer.html",
            chosen,
            200,
            "signer",
            page_data={"profile": f"/api/profiles/signers/{row['kid']}"},
            counted=header,
            row=row,
            figures=figs,
            q=lambda **more: query({}, chosen, **more),
        )

    @get("/instansi/{ident:str}", summary="An instansi's PPKs over time and follow-up record")
    async def instansi_page(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        compliance: Compliance,
        records: Records,
        ident: FromPath[str],
        lang: Opt = None,
    ) -> Response[str]:
        """One instansi: its figures, its PPKs over time, recommendations, steps, rate by month."""
        chosen = page_language(request, lang)
        header, row = await instansi_profile(service, compliance, records, ident)
        if row is None:
            return await _page(
                request,
                service,
                "profile_missing.html",
                chosen,
                HTTP_404_NOT_FOUND,
                "missing",
                what=ident,
            )
        _, figs = columns([row], "instansi")
        return await _page(
            request,
            service,
            "instansi.html",
            chosen,
            200,
            "instansi",
            page_data={"profile": f"/api/profiles/instansi/{ident}"},
            counted=header,
            row=row,
            figures=figs,
            q=lambda **more: query({}, chosen, **more),
        )
