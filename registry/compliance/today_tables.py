"""Today's unfiltered dashboard tables read off the national tally, and the filter's choices.

The dashboard (``/dashboard``, ``/api/dashboard/{table}``) with no filter shows today's
national row and its tables by province, head type, election, month and instansi, and
the pact signers with overdue recommendations (``/api/dashboard/signers``: every PPK
key's record): each is one the national tally keeps (:mod:`registry.compliance.tally`),
so a worker serving them holds no index.  A table the tally keeps inexact answers None,
and the caller computes every table from the index instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from registry.compliance.filtering import Choices, slug
from registry.compliance.tally import NationalTally

Rows = list[dict[str, Any]]


def _head_types(tally: NationalTally) -> Rows | None:
    found = tally.head_types_rows()
    return None if found is None else found[0]


def _instansi(tally: NationalTally) -> Rows:
    rows = tally.instansi_rows()
    for row in rows:
        row["id"] = slug(str(row["instansi"]))
    return rows


KEPT: dict[str, Callable[[NationalTally], Rows | None]] = {
    "national": lambda tally: [tally.row()],
    "provinces": NationalTally.provinces_rows,
    "head-types": _head_types,
    "instansi": _instansi,
    "elections": NationalTally.elections_rows,
    "months": NationalTally.months_rows,
    "pact-signers-with-overdue": NationalTally.pact_signers_rows,
    "signers": lambda tally: tally.signers_rows(),  # a scoped tally's own (scoped_tally)
}
"""The dashboard's tables (:data:`registry.compliance.dashboard.TABLES`) the tally keeps, as
:func:`registry.compliance.dashboard.table` gives them unfiltered, except that a figure
whose entries the tally does not keep has ``entries`` None (and ``entries_total``)."""


@dataclass(frozen=True)
class TodayTables:
    """Today's tables from the tally: the day, the entries they count (``0 .. size - 1``),
    the tables by name and the filter's choices."""

    day: str
    size: int
    tables: dict[str, Rows]
    choices: Choices


def tables_of(tally: NationalTally, names: Iterable[str]) -> TodayTables | None:
    """The tables ``names`` of ``tally`` (None if one is not kept, or not exact)."""
    tables = {}
    for name in names:
        read = KEPT.get(name)
        rows = None if read is None else read(tally)
        if rows is None:
            return None
        tables[name] = rows
    return TodayTables(tally.day, tally.size, tables, tally.choices())
