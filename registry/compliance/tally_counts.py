"""The counts of a national tally, and the rows they give: how a unit's members change them.

:class:`Counts` holds the national figures (:data:`NAMES`), the per-instansi,
per-province and per-election ones, and the PPK offices; a unit's contribution
(computed by :class:`registry.compliance.tally.NationalTally`, which decides
what a fact touches) is applied to them member by member (``Counts._apply``),
and the tables are read off them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from registry.compliance.election_rows import ElectionTable
from registry.compliance.facts import Fact, Rec
from registry.compliance.filtering import Choices
from registry.compliance.groups import (
    GroupFigures,
    Offices,
    Row,
    follow_up_figures,
    instansi_rows,
    median,
)
from registry.compliance.head_rows import HeadTable
from registry.compliance.kept import Members
from registry.compliance.key_rows import KEYS, KeyTable
from registry.compliance.metrics import COUNTS, DAYS, Figure
from registry.compliance.month_rows import MonthTable
from registry.compliance.provinces import Provinces
from registry.compliance.signer_rows import GROUPING, PactSigners
from registry.compliance.vocabulary import Vocabulary

BOUND = 10_000
"""The most entries a figure lists inline (and a tally keeps per figure)."""
STEPS = ("early-warning", "warning", "reprimand", "block", "unblock")
SIGNER = "_signer"
"""The pseudo-figure a standing pact's signer is counted under (for ``pact_signers``)."""
NAMES = (
    "reports",
    *COUNTS,
    "pacts",
    "declarations",
    *("enforcement_" + step.replace("-", "_") for step in STEPS),
)
"""The figures a tally counts entries of."""
Member = tuple[Any, Any]
"""``(figure, value)``: a national figure's name, or ``("instansi", group, figure)``
(:mod:`registry.compliance.groups`), and the entry (or days, or signer) it counts."""
Read = Callable[[int], "Fact | None"]
"""The fact of entry ``idx`` (None: the entry has none), from the index or read from the log."""


class Counts:
    """The national row as counts as of ``day``, and the same members per instansi,
    province and election."""

    def __init__(self, day: str, bound: int, group_bound: int) -> None:
        self.day = day
        self.bound = bound
        self.instansi = GroupFigures(group_bound)
        """Today's per-instansi figures (the same members, under each unit's instansi)."""
        self.offices = Offices()
        """The PPK keys, for the instansi table's PPK columns."""
        self.provinces = Provinces(group_bound)
        """Today's per-province figures (the same members, under each unit's province)."""
        self.elections = ElectionTable(group_bound)
        """Today's per-election figures (the same members, under each unit's election)."""
        self.months = MonthTable(group_bound)
        """Today's per-month figures (the same members, under each one's month)."""
        self.with_overdue = PactSigners(group_bound)
        """Today's pact signers with overdue recommendations (their members per key)."""
        self.vocabulary = Vocabulary()
        """The values the dashboard's filter may take."""
        self.by_key = KeyTable(group_bound)
        """Today's signers table (its members per key: :mod:`registry.compliance.key_rows`)."""
        self.figures = {name: Members() for name in NAMES}
        self.days: Counter[int] = Counter()
        self.signers: Counter[bytes] = Counter()
        self.revoked: dict[int, str] = {}
        """Revoked entry -> the day of the (first) revocation naming it."""
        self.deadlines: dict[int, str] = {}
        """Pending recommendations' deadlines (to turn them overdue on a later day)."""

    def _apply(self, old: list[Member], new: list[Member], read: Read) -> None:
        # a unit counts in a figure at most once (members() lists distinct pairs)
        if old == new:
            return
        for name, value in old:
            if (name, value) not in new:
                self._remove(name, value)
        for name, value in new:
            if (name, value) not in old:
                rec = read(value) if name == "pending" else None
                self._add(name, value, rec.deadline if isinstance(rec, Rec) else None)

    def _grouping(self, name: tuple[str, Any, str]) -> GroupFigures | PactSigners | KeyTable:
        if name[0] == GROUPING:
            return self.with_overdue
        if name[0] == KEYS:
            return self.by_key
        if name[0] == "month":
            return self.months.figures
        if name[0] in ("election", "pact_signers"):
            return self.elections.grouping(name[0])
        if name[0] == "head_type":
            return self.provinces.head_types
        return self.instansi if name[0] == "instansi" else self.provinces.figures

    def _add(self, name: Any, value: Any, deadline: str | None = None) -> None:
        if isinstance(name, tuple):
            self._grouping(name).add(name[1], name[2], value)
        elif name == DAYS:
            self.days[value] += 1
        elif name == SIGNER:
            self.signers[value] += 1
        else:
            self.figures[name].add(value, self.bound)
            if deadline is not None:
                self.deadlines[value] = deadline

    def _remove(self, name: Any, value: Any) -> None:
        if isinstance(name, tuple):
            self._grouping(name).remove(name[1], name[2], value)
            return
        counter = self.days if name == DAYS else self.signers if name == SIGNER else None
        if counter is not None:
            counter[value] -= 1
            if counter[value] <= 0:
                del counter[value]
            return
        self.figures[name].remove(value)
        if name == "pending":
            self.deadlines.pop(value, None)

    def _due(self, idx: int) -> None:
        """Pending recommendation ``idx`` is overdue from now on, in every grouping."""
        self.months.due(idx, self.deadlines[idx])
        self._remove("pending", idx)
        self._add("overdue", idx)
        self.instansi.due(idx)
        self.provinces.figures.due(idx)
        self.provinces.head_types.due(idx)
        self.with_overdue.due(idx)
        self.by_key.figures.due(idx)
        self.elections.due(idx)

    def median(self) -> float | int | None:
        """The median of the followed-up recommendations' days (as ``statistics.median``)."""
        return median(self.days)

    def instansi_rows(self, province: str | None = None, name: str | None = None) -> list[Row]:
        """The instansi table as :func:`registry.compliance.views.instansi` gives it, except
        that a figure of more than the group bound's entries has ``entries`` None."""
        return instansi_rows(self.instansi, self.kept_offices(), self.day, province, name)

    def provinces_rows(self) -> list[Row] | None:
        """The provinces table as :func:`registry.compliance.views.provinces` gives it,
        except that a figure of more than the group bound's entries has ``entries`` None;
        None unless :attr:`Provinces.exact <registry.compliance.provinces.Provinces.exact>`."""
        return self.provinces.rows() if self.provinces.exact else None

    def elections_rows(self) -> list[Row] | None:
        """The elections table as :func:`registry.compliance.views.elections` gives it,
        except that a figure of more than the group bound's entries has ``entries`` None;
        None unless :attr:`ElectionTable.exact
        <registry.compliance.election_rows.ElectionTable.exact>`."""
        return self.elections.rows() if self.elections.exact else None

    def kept_offices(self) -> Offices:
        """The PPK offices its instansi and head-types tables count (here every one)."""
        return self.offices

    def head_types_rows(
        self, on: str | None = None, named: Counts | None = None, election: str | None = None
    ) -> tuple[list[Row], Row] | None:
        """The head-types table and the acting heads' row as :func:`registry.compliance.heads.table`
        gives them (today, every election, the keys in office ``on``: default today), except
        that a figure of more than the group bound's entries has ``entries`` None; None unless
        the provinces are exact (the same keys group both: :mod:`registry.compliance.head_rows`).

        With ``named`` (the tally of one ``election``'s facts, of the same day and entries),
        the instansi named by a standing recommendation are those its instansi table counts,
        as ``heads.table(..., election)`` takes only that election's recommendations for them
        (every other figure is of every election's, as there)."""
        if not self.provinces.exact:
            return None
        table = self.head_table(on, named)
        rows = table.rows([row for row, _ in self.provinces.head_types.rows("head_type")])
        return rows, {**table.acting(), "election": election}

    def head_table(self, on: str | None = None, named: Counts | None = None) -> HeadTable:
        """The PPK keys in office ``on`` (default today) and the instansi a standing
        recommendation names (``named``'s instansi table, default this tally's), as
        :meth:`head_types_rows` counts them."""
        groups = (named or self).instansi.groups
        recs = {name: g.figures["recommendations"] for name, g in groups.items()}
        return HeadTable(self.kept_offices(), self.day, recs, self.instansi.bound, on)

    def pact_signers_rows(self) -> list[Row] | None:
        """The pact signers with overdue recommendations as
        :func:`registry.compliance.views.pact_signers_with_overdue` gives them, except that a
        figure of more than the group bound's entries has ``entries`` None; None unless
        :attr:`PactSigners.exact <registry.compliance.signer_rows.PactSigners.exact>`."""
        if not self.with_overdue.exact:
            return None
        return self.with_overdue.rows(self.offices, self.day, self.elections.figures.signed)

    @property
    def keys_exact(self) -> bool:
        """Whether what the tally keeps per key can be trusted: no key enrolled twice
        (:attr:`KeyTable.exact <registry.compliance.key_rows.KeyTable.exact>`, and the
        provinces, read off the same keys' enrolments, exact)."""
        return self.by_key.exact and self.provinces.exact

    def signers_rows(
        self, instansi: str | None = None, province: str | None = None, head_type: str | None = None
    ) -> list[Row] | None:
        """The signers table as :func:`registry.compliance.views.signers` gives it (optionally
        of one instansi, province or head type), except that a figure of more than the group
        bound's entries has ``entries`` None; None unless :attr:`KeyTable.exact
        <registry.compliance.key_rows.KeyTable.exact>` and the provinces are exact (the same
        keys' enrolments)."""
        if not self.keys_exact:
            return None
        return self.by_key.rows(
            self.offices, self.day, self.with_overdue, instansi, province, head_type
        )

    def choices(self) -> Choices:
        """The dashboard filter's choices, as :func:`registry.compliance.filtering.choices`
        reads them off the index (:mod:`registry.compliance.vocabulary`)."""
        return self.vocabulary.choices(self.elections.records, self.revoked)

    def months_rows(self) -> list[Row]:
        """The months table as :func:`registry.compliance.views.months` gives it, except that
        a figure of more than the group bound's entries has ``entries`` None."""
        return self.months.rows()

    def row(self) -> dict[str, Figure]:
        """The national row, as :func:`registry.compliance.views.national` gives it, except
        that a figure whose entries this tally does not keep has ``entries`` None and
        ``entries_total``."""
        f = self.figures
        row = {"reports": f["reports"].figure(), **follow_up_figures(f, self.days)}
        row["pacts"] = f["pacts"].figure()
        row["pact_signers"] = f["pacts"].figure(len(self.signers))
        row["declarations"] = f["declarations"].figure()
        for step in STEPS:
            name = "enforcement_" + step.replace("-", "_")
            row[name] = f[name].figure()
        return row
