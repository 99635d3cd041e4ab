"""The dashboard's JSON/CSV API: filtered compliance tables, the entries behind a figure,
profiles of a PPK key and an instansi (the record search: :mod:`registry.api.record_search`).

``GET /api/dashboard/{table}`` (``?election=&province=&instansi=&head_type=&since=&until=``,
``format=json|csv``), ``GET /api/dashboard/{table}/entries?row=&figure=``,
``GET /api/profiles/signers/{kid}`` and ``GET /api/profiles/instansi/{id}``.  The tables
are the compliance API's (registry/compliance/views.py) narrowed by the filter
(registry/compliance/dashboard.py); CSV is written for Excel in the Indonesian
locale (``;``, UTF-8 BOM, decimal comma).  Every answer names the checkpoint
(size and root) whose entries it counts.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Response, Router, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, QueryParameter

from registry.api.deps import Compliance, Records, Service
from registry.api.errors import invalid_parameter
from registry.api.linked import bounded
from registry.compliance import dashboard, filtering
from registry.compliance.browsing import RecordSearch
from registry.compliance.filtering import Filter, FilterRefused
from registry.compliance.metrics import Snapshot
from registry.compliance.recommendation_pages import Locate
from registry.compliance.service import ComplianceService, today
from registry.compliance.today_tables import TodayTables
from registry.i18n import Message
from registry.records.errors import NotFound
from registry.records.service import RegistryService
from registry.verify.trust import unb64url

Format = Annotated[str, QueryParameter(pattern="^(json|csv)$")]
Opt = FromQuery[str | None]
CSV_MEDIA_TYPE = "text/csv"
"""Sent as ``text/csv; charset=utf-8``: Litestar adds the charset to ``text/`` types."""


@dataclass(frozen=True)
class Counted:
    """A snapshot and the checkpoint (size, root) whose entries it counts."""

    snap: Snapshot
    size: int
    root: str | None

    def header(self) -> dict[str, Any]:
        """What every answer says about what it counts."""
        return {"as_of": self.snap.as_of, "checkpoint": {"size": self.size, "root": self.root}}


FilterQuery = NamedDependency[dict[str, str | None]]
"""The dashboard filter's query parameters as given (:func:`filter_of` checks them)."""


async def provide_filter_query(
    election: Opt = None,
    province: Opt = None,
    instansi: Opt = None,
    head_type: Opt = None,
    since: Opt = None,
    until: Opt = None,
) -> dict[str, str | None]:
    """The one place the filter's query parameters are declared, for every handler that
    takes a filter (a Litestar dependency: ``dependencies=FILTERED``, parameter ``asked``)."""
    return {
        "election": election,
        "province": province,
        "instansi": instansi,
        "head_type": head_type,
        "since": since,
        "until": until,
    }


FILTERED = {"asked": Provide(provide_filter_query)}
SCOPED = {"election", "head_type", "since", "until"}
"""The filter's parameters a scope's tally answers (beside an election, a head type or
``since``)."""


async def filter_of(compliance: ComplianceService, **raw: str | None) -> Filter:
    """The dashboard filter the query asks for, checked against the values the log names
    (:meth:`ComplianceService.filter_choices`: the tally's where the index is not held);
    raises :class:`FilterRefused`."""
    return filtering.checked(await compliance.filter_choices(), raw)


async def filtered(
    service: RegistryService, compliance: ComplianceService, records: Locate, flt: Filter
) -> Counted:
    """The filter's snapshot and the checkpoint it counts: today's by a province or an
    instansi from an index of just that scope's facts (:meth:`ComplianceService.filtered`,
    the search table's ``records.indexes`` finding them) where it can say, else
    :func:`counted` from the whole index."""
    snap = await compliance.filtered(flt, records.indexes)
    if snap is None:
        return await counted(service, compliance, flt)
    size = snap.index.size
    record = await service.checkpoint_at(size)
    root = None if record is None else base64.b64encode(record.root).decode()
    return Counted(snap, size, root)


async def counted(service: RegistryService, compliance: ComplianceService, flt: Filter) -> Counted:
    """The filter's snapshot, the log caught up, and the checkpoint it counts.

    The checkpoint is looked up for the size the index has read; if entries
    arrive meanwhile, again for the new size.  The snapshot is then made with no
    await before the caller computes its tables, so they count exactly the
    entries under that checkpoint.
    """
    await compliance.snapshot(flt.until)
    while True:
        size = compliance.index.size
        record = await service.checkpoint_at(size)
        if compliance.index.size == size:
            break
    snap = filtering.snapshot(compliance.index, flt, today())
    root = None if record is None else base64.b64encode(record.root).decode()
    return Counted(snap, size, root)


async def tallied(
    service: RegistryService,
    compliance: ComplianceService,
    asked: dict[str, str | None],
    names: tuple[str, ...],
) -> tuple[dict[str, Any], TodayTables, Filter] | None:
    """Today's tables ``names`` from the national tally when the query asks for no filter
    or only ``until`` today (:meth:`ComplianceService.today_tables`), a past day's from
    the tally saved for it when it asks only ``until`` that day
    (:meth:`ComplianceService.day_tables`: the same tables, every fact counted as of that
    day), or those of an election and/or a head type, with or without ``since``, as of
    today or another ``until``, from that scope's tally (today's, or one of that day
    alone: :meth:`ComplianceService.scoped_tables`), or ``since`` alone (with or without
    ``until``: the tally of every election's and head type's facts since it), with what the
    answer says it counts and the filter; None for another filter (a province, an
    instansi), or where no tally can answer (the caller reads the index, and refuses a bad
    filter)."""
    given = {name for name, value in asked.items() if value and value.strip()}
    scoped = bool(given & {"election", "head_type", "since"})
    if not given:
        flt, found = Filter(), await compliance.today_tables(names)
    elif given == {"until"} or (scoped and given <= SCOPED):
        try:
            flt = await filter_of(compliance, **asked)
        except FilterRefused:
            return None
        day = today()
        if scoped:  # an election and/or a head type (since, until): its own tally's
            found = await compliance.scoped_tables(flt, names)
        elif flt.until is None:  # pragma: no cover - given, and checked
            return None
        elif flt.until == day:  # today's: the tally's, as with no filter
            found = await compliance.today_tables(names)
        else:  # another day's: the tally saved for it, or today's moved to a later one
            found = await compliance.day_tables(flt.until, names)
    else:
        return None
    if found is None:
        return None
    return await checkpoint_header(service, found.day, found.size), found, flt


async def checkpoint_header(service: RegistryService, day: str, size: int) -> dict[str, Any]:
    """What an answer from the tally of ``day`` holding ``size`` entries says it counts."""
    record = await service.checkpoint_at(size)
    root = None if record is None else base64.b64encode(record.root).decode()
    return {"as_of": day, "checkpoint": {"size": size, "root": root}}


async def signer_profile(
    service: RegistryService, compliance: ComplianceService, records: RecordSearch, kid: bytes
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What a PPK key's page counts and the page (:func:`dashboard.signer_page`: None for a
    key that is no PPK's): today's from the national tally, what it only counts found
    through the record search (:meth:`ComplianceService.signer_page`), else from the index."""
    found = await compliance.signer_page(kid, records.indexes, records.signed_by)
    if found is not None:
        day, size, row = found
        return await checkpoint_header(service, day, size), row
    c = await counted(service, compliance, Filter())
    return c.header(), dashboard.signer_page(c.snap, kid)


async def instansi_profile(
    service: RegistryService, compliance: ComplianceService, records: RecordSearch, ident: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """What an instansi's page counts and the page (:func:`dashboard.instansi_page`: None
    for an id no instansi has): today's from the national tally and the log
    (:meth:`ComplianceService.instansi_page`) unless this worker holds the index already
    (no more memory, no read of the log), else from the index."""
    if not compliance.index_held:
        found = await compliance.instansi_page(ident, records.indexes)
        if found is not None:
            day, size, row = found
            return await checkpoint_header(service, day, size), row
    c = await counted(service, compliance, Filter())
    return c.header(), dashboard.instansi_page(c.snap, ident)


def kid_of(value: str) -> bytes:
    """A key id from a path (base64url or hex); 400 when it is not one."""
    try:
        kid = bytes.fromhex(value) if len(value) == 64 else unb64url(value)
    except ValueError:
        kid = b""
    if len(kid) != 32:
        raise invalid_parameter("parameter.kid")
    return kid


def csv_response(name: str, rows: list[dict[str, Any]]) -> Response[Any]:
    """``rows`` as a CSV download for Excel in the Indonesian locale."""
    body = dashboard.excel_csv(rows).encode("utf-8")
    return Response(
        body,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def tables(c: Counted, names: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """The tables ``names`` of one snapshot."""
    return {name: dashboard.table(c.snap, name) for name in names}


class DashboardApi(Controller):
    """The compliance tables narrowed by a filter, and the entries behind each figure."""

    path = "/dashboard"
    tags = ["dashboard"]

    @get(
        "/{table:str}",
        summary="A compliance table narrowed by the dashboard's filter",
        dependencies=FILTERED,
    )
    async def table(
        self,
        service: Service,
        compliance: Compliance,
        records: Records,
        table: FromPath[str],
        asked: FilterQuery,
        format: Format = "json",
    ) -> Response[Any]:
        if table not in dashboard.TABLES:
            dashboard.table(compliance.index.snapshot(today()), table)  # raises, naming them
        found = await tallied(service, compliance, asked, (table,))
        if found is not None:  # unfiltered, today's or a past day's: from a tally, linked
            header, kept, flt = found
            linked = None if flt.empty else flt.query()
            rows = [bounded(table, kept.day, row, filtered=linked) for row in kept.tables[table]]
            if format == "csv":
                return csv_response(table, rows)
            return Response({**header, "filter": flt.query(), "count": len(rows), "items": rows})
        flt = await filter_of(compliance, **asked)
        c = await filtered(service, compliance, records, flt)
        rows = dashboard.table(c.snap, table)
        if format == "csv":
            return csv_response(table, rows)
        return Response({**c.header(), "filter": flt.query(), "count": len(rows), "items": rows})


class ProfilesApi(Controller):
    """One PPK key's and one instansi's record, with their follow-up rate by month."""

    path = "/profiles"
    tags = ["dashboard"]

    @get("/signers/{kid:str}", summary="A PPK key: pacts, recommendations, steps, rate by month")
    async def signer(
        self, service: Service, compliance: Compliance, records: Records, kid: FromPath[str]
    ) -> Response[Any]:
        header, row = await signer_profile(service, compliance, records, kid_of(kid))
        if row is None:
            raise NotFound(Message("notfound.enrolled-key", {"kid": kid}))
        return Response({**header, **bounded("signers", header["as_of"], row, row["kid"])})

    @get("/instansi/{ident:str}", summary="An instansi: its PPKs over time, figures, rate by month")
    async def instansi(
        self, service: Service, compliance: Compliance, records: Records, ident: FromPath[str]
    ) -> Response[Any]:
        header, row = await instansi_profile(service, compliance, records, ident)
        if row is None:
            raise NotFound(Message("dashboard.notfound.instansi", {"id": ident}))
        return Response({**header, **bounded("instansi", header["as_of"], row)})


dashboard_router = Router(path="/api", route_handlers=[DashboardApi, ProfilesApi])
"""Everything above, mounted under ``/api``."""


def query(params: dict[str, str], lang: str, **more: Any) -> str:
    """``?``-query of ``params`` and ``more`` (those set), with the page language if not id."""
    items = {**params, **{k: str(v) for k, v in more.items() if v is not None}}
    if lang != "id":
        items["lang"] = lang
    return "?" + urlencode(items) if items else ""
