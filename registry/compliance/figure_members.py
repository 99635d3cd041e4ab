"""Which of the national tally's members make a figure of today's tables, and where to look.

A figure of a table (``/api/compliance/{table}``, the row ``row``, the figure ``figure``)
lists the entries the tally counts under one or two member names (a member is ``(name,
entry)`` in :meth:`NationalTally._contribution
<registry.compliance.tally.NationalTally._contribution>`): the national ``recommendations``
figure under ``"recommendations"``, the instansi table's under ``("instansi", group,
"recommendations")``, a follow-up rate under the recommendations' and the followed-up
ones' together.  :func:`located` names them (:class:`Located`), with the entry types whose
entries may count there (a follow-up figure counts follow-ups, whatever recommendation
each answers) and the figure as the tally's row shows it (its count; its entries while
it lists them).  Which entry counts is never decided here: the pages
(:mod:`registry.compliance.figure_pages`) ask the tally's own contribution of each
scanned entry's unit.

A signers' row sums its key's lineage (the key and those it succeeded): its figure is
made of the members ``(("by_key", k, name), entry)`` of each key ``k`` of the lineage
(:meth:`KeyTable.lineage <registry.compliance.key_rows.KeyTable.lineage>`, the row's own).

The head-types table is read with the PPK keys in office ``on`` where a listing names another
day (stop 33): only its ``instansi_led`` figures and acting heads depend on it.  Those are
made of the enrolments of the keys in office (:attr:`Located.fixed`, from the tally's PPK
offices) and the members of the instansi table's ``recommendations`` figure of the instansi
they led that a recommendation names (:meth:`HeadTable.parts
<registry.compliance.head_rows.HeadTable.parts>`).

Figures not named here (the months' ``overdue_at_month_end``, the signers'
``followed_up_by_others``, the pact signers' table, the elections' pact signers) are left
to the index: :func:`located` answers None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry.compliance.dashboard import ACTING, LABELS, figure_of, row_of
from registry.compliance.filtering import FilterRefused
from registry.compliance.head_rows import LED
from registry.compliance.heads import ACTING_HEAD_TYPES
from registry.compliance.key_rows import KEYS
from registry.compliance.metrics import COUNTS, Figure
from registry.compliance.month_rows import NAMES as MONTH_NAMES
from registry.compliance.signer_rows import GROUPING as WITH_OVERDUE
from registry.compliance.signer_rows import PACT
from registry.compliance.tally import NationalTally
from registry.compliance.tally_counts import STEPS
from registry.compliance.today_tables import KEPT
from registry.i18n import Message
from registry.verify.trust import unb64url

FOLLOW_UPS = ("followed_up", "on_time", "on_time_attested", "late", "refused", "downgraded")
"""The figures whose entries are follow-ups (the one that decided each outcome)."""
TYPES: dict[str, str] = {
    "reports": "report",
    "recommendations": "recommendation",
    "pending": "recommendation",
    "overdue": "recommendation",
    **dict.fromkeys(FOLLOW_UPS, "follow-up"),
    "pacts": "pact",
    "declarations": "declaration",
    "enforcement_steps": "enforcement",
    **{"enforcement_" + s.replace("-", "_"): "enforcement" for s in STEPS},
}
"""The entry type (as ``search_records`` and ``entries.type`` name it) of each figure the
tally counts entries of."""
BOTH = {"follow_up_rate": ("recommendations", "followed_up"), "median_days": ("followed_up",)}
"""Figures made of other figures' entries (:func:`registry.compliance.groups.follow_up_figures`)."""
GROUPED = (*COUNTS, "reports", "pacts", "declarations", "enforcement_steps")
"""The figures a group's row counts entries of under its own grouping."""
GROUPING = {
    "instansi": "instansi",
    "provinces": "province",
    "head-types": "head_type",
    "months": "month",
    "elections": "election",
}
"""The tables whose rows are one group of a grouping, and the grouping's member name."""
PACT_SIGNERS = "pact_signers_"
"""The elections' figures of the recommendations to an election's pact signers (issued after
their first pact), ``pact_signers_`` + a follow-up figure: members ``(("pact_signers",
election, name), entry)`` (:meth:`ElectionTable.rec_members
<registry.compliance.election_rows.ElectionTable.rec_members>`)."""
KEY_FIGURES = (*COUNTS, "declarations", "follow_up_rate", "median_days")
"""The signers table's figures a key's group counts (:data:`registry.compliance.key_rows.NAMES`),
a row's the sum over the key's lineage (its predecessors'); its pacts and steps are always
listed, its ``followed_up_by_others`` is left to the index."""
PACT_SIGNER_FIGURES: dict[str, Callable[[bytes], tuple[Any, str]]] = {
    "pacts": lambda kid: ((WITH_OVERDUE, kid, PACT), "pact"),
    "overdue": lambda kid: ((KEYS, kid, "overdue"), "recommendation"),
}
"""The pact signers' figures of a key's row made of one member name, and its entry type: its
standing pacts, and its overdue recommendations (those addressed to the key itself, as its
signers' group counts them).  Its ``overdue_inherited`` (its instansi's, issued before its
term, addressed to other keys) is left to the index."""


@dataclass(frozen=True, slots=True)
class Located:
    """A figure as the tally shows it (``figure``: its value, count, entries while listed),
    and, for a figure whose entries it does not list, the member names that make it with
    the entry type each counts."""

    figure: Figure
    names: tuple[tuple[Any, str], ...]
    fixed: tuple[int, ...] = ()
    """Entries the figure counts known outright (the head types' enrolments of the keys in
    office), with those of ``names``."""

    @property
    def total(self) -> int:
        """How many entries the figure counts."""
        entries = self.figure["entries"]
        return int(self.figure["entries_total"]) if entries is None else len(entries)


def _names(table: str, figure: str) -> tuple[str, ...] | None:
    """The figures (of the row's group) whose entries make ``figure``; None: not one the
    tally counts as members."""
    if table == "months" and figure not in MONTH_NAMES:
        return None  # overdue at a month's end: a sum over earlier months' members
    if table != "national" and figure not in BOTH and figure not in GROUPED:
        return None  # the elections' pact signers' figures, the head types' instansi led
    parts = BOTH.get(figure, (figure,))
    return parts if all(p in TYPES for p in parts) else None


def located(
    tally: NationalTally, table: str, row_key: str | None, figure: str, on: str | None = None
) -> Located | None:
    """Figure ``figure`` of row ``row_key`` of today's ``table`` as the tally keeps it (the
    head-types table's with the PPK keys in office ``on``: default the tally's day).

    Raises :class:`FilterRefused` for a row or figure the table does not have (the
    index would say the same); None where the tally does not keep the table (inexact)
    or cannot name the figure's members (the index answers).
    """
    read = KEPT.get(table)
    if read is None:
        raise FilterRefused(
            Message("dashboard.unknown-table", {"table": table, "known": ", ".join(KEPT)})
        )
    if table == "head-types" and (row_key == ACTING or figure in LED):
        return _led(tally, row_key, figure, on)
    if table == "head-types" and on is not None:  # the keys in office that day
        read = _heads_on(on)
    rows = read(tally)
    if rows is None:
        return None
    row = row_of(rows, table, row_key)
    value = figure_of(row, table, figure)
    if value["entries"] is not None:
        return Located(value, ())
    if table == "elections" and figure.startswith(PACT_SIGNERS) and figure != PACT_SIGNERS:
        names = _names(table, figure.removeprefix(PACT_SIGNERS))  # the election's pact signers'
        group = ("pact_signers", row[LABELS[table]])
        return None if names is None else Located(value, _grouped(group, names))
    names = _names(table, "pacts" if figure == "pact_signers" else figure)
    if names is None:
        return None
    if table == "national":
        return Located(value, tuple((n, TYPES[n]) for n in names))
    if table == "signers" and figure in KEY_FIGURES:  # the row's lineage's members
        lineage = tally.by_key.lineage(unb64url(str(row["kid"])))
        return Located(value, tuple(((KEYS, k, n), TYPES[n]) for n in names for k in lineage))
    if table == "pact-signers-with-overdue" and figure in PACT_SIGNER_FIGURES:
        return Located(value, (PACT_SIGNER_FIGURES[figure](unb64url(str(row["kid"]))),))
    grouping = GROUPING.get(table)
    if grouping is None:
        return None
    return Located(value, _grouped((grouping, row[LABELS[table]]), names))


def _led(tally: NationalTally, row_key: str | None, figure: str, on: str | None) -> Located | None:
    """A figure of the instansi led (a row's, or the acting heads' row's) with the keys in
    office ``on``: its enrolments from the tally's PPK offices, and the recommendations of
    the instansi it counts as their instansi table's figure (members ``(("instansi", i,
    "recommendations"), entry)``), scanned (stop 33)."""
    found = tally.head_types_rows(on)
    if found is None:
        return None
    rows, acting = found
    row = acting if row_key == ACTING else row_of(rows, "head-types", row_key)
    value = figure_of(row, "head-types", figure)
    if value["entries"] is not None:
        return Located(value, ())
    types = ACTING_HEAD_TYPES if row_key == ACTING else frozenset({row["head_type"]})
    fixed, named = tally.head_table(on).parts(types, figure)
    names = tuple(n for i in named for n in _grouped(("instansi", i), ("recommendations",)))
    return Located(value, names, tuple(fixed))


def _heads_on(on: str) -> Callable[[NationalTally], list[dict[str, Any]] | None]:
    """The head-types rows of a tally with the PPK keys in office ``on`` (None: inexact).
    Only its ``instansi_led`` figures depend on ``on``, and those :func:`_names` leaves to
    the index: every figure it names is the same as that day's table's."""

    def read(tally: NationalTally) -> list[dict[str, Any]] | None:
        found = tally.head_types_rows(on)
        return None if found is None else found[0]

    return read


def _grouped(group: tuple[str, Any], names: tuple[str, ...]) -> tuple[tuple[Any, str], ...]:
    """The member names of figures ``names`` of ``group`` (a grouping and its value), each
    with its entry type."""
    return tuple(((*group, n), TYPES[n]) for n in names)
