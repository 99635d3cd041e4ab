"""Patterns, enforcement on ASN, the retaliation watch, the maturity index, and the vocabulary.

``/api/compliance/categories``, ``/asn-blocks``, ``/retaliation-watch``,
``/maturity`` (each also ``?format=csv``) and ``/api/vocabulary``; the
definitions are in docs/compliance.md, the code in registry/compliance/.
"""

from __future__ import annotations

from typing import Annotated, Any, get_args

from litestar import Controller, Response, Router, get
from litestar.params import FromQuery, QueryParameter

from registry.api.compliance import AsOf, Format, _snapshot, _table
from registry.api.deps import Compliance
from registry.compliance import maturity, patterns
from registry.compliance.metrics import SANCTION_LEVELS
from registry.records.schemas import HeadType
from registry.records.vocabulary import CATEGORIES, CODES, vocabulary


class PatternsController(Controller):
    """Violations per category, blocks of recommended ASN, transfers to watch, maturity."""

    path = "/compliance"
    tags = ["compliance"]

    @get("/categories", summary="Per violation category (the published vocabulary)")
    async def categories(
        self, compliance: Compliance, as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        snap = await _snapshot(compliance, as_of)
        labels = {c.code: c for c in CATEGORIES}
        rows = patterns.categories(snap, CODES)
        for row in rows:
            label = labels.get(row["category"])
            row["label_id"], row["label_en"] = (label.id, label.en) if label else (None, None)
        return _table("categories", snap, rows, format)

    @get("/asn-blocks", summary="SAPK/SIASN blocks of recommended ASN, per commitment")
    async def asn_blocks(
        self, compliance: Compliance, as_of: AsOf = None, format: Format = "json"
    ) -> Response[Any]:
        snap = await _snapshot(compliance, as_of)
        return _table("asn-blocks", snap, patterns.asn_blocks(snap), format)

    @get("/retaliation-watch", summary="Transfers of ASN tied to a case, near an election")
    async def retaliation_watch(
        self,
        compliance: Compliance,
        as_of: AsOf = None,
        window: Annotated[int | None, QueryParameter(ge=0, le=366)] = None,
        format: Format = "json",
    ) -> Response[Any]:
        snap = await _snapshot(compliance, as_of)
        days = patterns.window_days(window)
        rows = patterns.retaliation_watch(snap, days)
        return _table("retaliation-watch", snap, rows, format, window=days)

    @get("/maturity", summary="Maturity index per instansi and election")
    async def maturity(
        self,
        compliance: Compliance,
        as_of: AsOf = None,
        election: FromQuery[str | None] = None,
        instansi: FromQuery[str | None] = None,
        format: Format = "json",
    ) -> Response[Any]:
        snap = await _snapshot(compliance, as_of)
        rows = maturity.maturity(snap, election, instansi)
        return _table("maturity", snap, rows, format)


class VocabularyController(Controller):
    """The published codes: violation categories, sanctions, head types."""

    path = "/vocabulary"
    tags = ["compliance"]

    @get("/", summary="Violation categories, sanction levels and head types")
    async def vocabulary(self) -> dict[str, Any]:
        return {
            "violation_categories": vocabulary(),
            "sanctions": list(SANCTION_LEVELS),
            "head_types": list(get_args(HeadType)),
        }


patterns_router = Router(path="/api", route_handlers=[PatternsController, VocabularyController])
"""Everything above, mounted under ``/api``."""
