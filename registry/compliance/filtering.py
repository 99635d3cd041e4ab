"""What the dashboard narrows its tables to: a checked filter and the snapshot it keeps.

A :class:`Filter` (election, province, instansi, head type, date range) is
checked against what the log holds (:func:`check_filter`: an unknown value is
refused with a message, never answered with an empty table), then applied by
:class:`FilteredSnapshot`, a :class:`~registry.compliance.metrics.Snapshot`
whose facts are only those the filter keeps.  The tables themselves are the
compliance API's own (:mod:`registry.compliance.views`), so whatever figures
they gain show up here too, and with an empty filter every figure is the
API's.

How a fact is placed (the same rules as the API's tables):

* a recommendation by its ``election`` field (else, logged before elections
  were records, the election of its day: :mod:`registry.compliance.elections`),
  the province and head type of the PPK key it is addressed to, the instansi
  it names, its issued-at day;
* a report by its ``election`` (else the election of its day) and its own
  province and instansi;
* a pact or declaration by its ``election``, its instansi and its signer's
  enrolment (province, head type);
* an enforcement step by the recommendations it cites (else the election of
  its day), its instansi and the enrolment of the PPK key it targets.

The date range keeps facts issued from ``since`` to ``until`` (WIB days); the
outcomes are counted as of ``until`` (default: today), as ``?as_of=`` does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING

from registry.compliance.elections import Calendar
from registry.compliance.elections import order as election_order
from registry.compliance.facts import Key, Rec, Report, Signed, Step
from registry.compliance.metrics import Outcome, Snapshot
from registry.i18n import Message

if TYPE_CHECKING:
    from registry.compliance.index import ComplianceIndex


class FilterRefused(ValueError):
    """A filter value the dashboard cannot use; :attr:`message` says which and why."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Filter:
    """What the dashboard narrows to; ``None`` keeps everything."""

    election: str | None = None
    province: str | None = None
    instansi: str | None = None
    head_type: str | None = None
    since: str | None = None
    until: str | None = None

    def query(self) -> dict[str, str]:
        """The filter as query parameters (those that are set)."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    @property
    def empty(self) -> bool:
        """Whether it keeps everything but the date it counts as of."""
        return not any((self.election, self.province, self.instansi, self.head_type, self.since))


def slug(name: str) -> str:
    """An instansi's id in page addresses: its name in lower case, runs of other chars ``-``."""
    return re.sub(r"[^0-9a-z]+", "-", name.casefold()).strip("-")


@dataclass(frozen=True)
class Choices:
    """The values a filter may take, read from the log."""

    elections: list[str]
    provinces: list[str]
    instansi: list[str]
    head_types: list[str]


def choices(index: ComplianceIndex) -> Choices:
    """Every election, province, instansi and head type the log names (sorted)."""
    elections = {r.election for r in index.recs.values() if r.election}
    elections |= {r.election for r in index.reports.values() if r.election}
    elections |= {s.election for s in index.signed.values() if s.election}
    provinces = {k.province for k in index.keys.values() if k.province}
    provinces |= {r.province for r in index.reports.values() if r.province}
    instansi = {k.instansi for k in index.keys.values() if k.role == "ppk"}
    instansi |= {r.instansi for r in index.recs.values()}
    instansi |= {s.instansi for s in index.signed.values()}
    heads = {k.head_type for k in index.keys.values() if k.head_type}
    return choices_of(index.calendar(), elections, provinces, instansi, heads)


def choices_of(
    known: Calendar, elections: set[str], provinces: set[str], instansi: set[str], heads: set[str]
) -> Choices:
    """The choices of the named values (and the calendar's elections), sorted: elections in
    the calendar's order, the rest by name."""
    order = election_order(known)
    return Choices(
        sorted(
            elections | {name for name, _ in known}, key=lambda e: (order.get(e, len(order)), e)
        ),
        sorted(provinces),
        sorted(instansi),
        sorted(heads),
    )


def field(name: str) -> Message:
    """The name of a filter or search field, in the reader's words."""
    return Message(f"dashboard.field.{name}")


def iso_day(name: str, value: str | None) -> str | None:
    """``value`` checked as an ISO day (``None`` stays ``None``); :class:`FilterRefused` else."""
    if value is None:
        return None
    refused = FilterRefused(
        Message("dashboard.filter.not-a-day", {"name": field(name), "value": value})
    )
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise refused
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise refused from None


def check_filter(index: ComplianceIndex, raw: dict[str, str | None]) -> Filter:
    """:func:`checked` against the values ``index`` names."""
    return checked(choices(index), raw)


def checked(known: Choices, raw: dict[str, str | None]) -> Filter:
    """The filter ``raw`` asks for, each value checked against ``known`` (the log's);
    :class:`FilterRefused` otherwise.

    Empty values mean "all".  An election, province, instansi or head type the
    log does not name is refused (with the known values where they are few),
    as are days that are not ISO dates and a range that ends before it starts.
    """
    given = {k: (v.strip() if v else None) or None for k, v in raw.items()}
    lists = {
        "election": known.elections,
        "province": known.provinces,
        "instansi": known.instansi,
        "head_type": known.head_types,
    }
    for name, allowed in lists.items():
        value = given.get(name)
        if value is not None and value not in allowed:
            if len(allowed) <= 40:
                raise FilterRefused(
                    Message(
                        "dashboard.filter.unknown",
                        {"name": field(name), "value": value, "known": ", ".join(allowed)},
                    )
                )
            raise FilterRefused(
                Message("dashboard.filter.unknown-instansi", {"name": field(name), "value": value})
            )
    since = iso_day("since", given.get("since"))
    until = iso_day("until", given.get("until"))
    if since and until and since > until:
        raise FilterRefused(Message("dashboard.filter.range", {"since": since, "until": until}))
    return Filter(
        given.get("election"),
        given.get("province"),
        given.get("instansi"),
        given.get("head_type"),
        since,
        until,
    )


class FilteredSnapshot(Snapshot):
    """A snapshot whose facts are only those ``flt`` keeps (see the module docstring)."""

    def __init__(self, index: ComplianceIndex, as_of: str, flt: Filter) -> None:
        super().__init__(index, as_of)
        self.filter = flt

    def _key_keeps(self, kid: bytes) -> bool:
        f = self.filter
        if f.province is None and f.head_type is None:
            return True
        key = self.index.keys.get(kid)
        if key is None:
            return False
        return (f.province is None or key.province == f.province) and (
            f.head_type is None or key.head_type == f.head_type
        )

    def _day_keeps(self, day: str) -> bool:
        return self.filter.since is None or day >= self.filter.since

    def keeps_rec(self, rec: Rec) -> bool:
        """Whether the filter keeps recommendation ``rec``."""
        f = self.filter
        return (
            (f.election is None or (rec.election or self.election_of(rec.day)) == f.election)
            and (f.instansi is None or rec.instansi == f.instansi)
            and self._day_keeps(rec.day)
            and self._key_keeps(rec.ppk_kid)
        )

    def _keeps_report(self, r: Report) -> bool:
        f = self.filter
        return (
            (f.election is None or (r.election or self.election_of(r.day)) == f.election)
            and (f.instansi is None or r.instansi == f.instansi)
            and (f.province is None or r.province == f.province)
            and f.head_type is None
            and self._day_keeps(r.day)
        )

    def _keeps_signed(self, s: Signed) -> bool:
        f = self.filter
        return (
            (f.election is None or s.election == f.election)
            and (f.instansi is None or s.instansi == f.instansi)
            and self._day_keeps(s.day)
            and self._key_keeps(s.signer)
        )

    def _keeps_step(self, s: Step) -> bool:
        f = self.filter
        if f.election is not None:
            cited = [self.index.recs[i] for i in s.cites if i in self.index.recs]
            elections = {r.election or self.election_of(r.day) for r in cited}
            if cited and f.election not in elections:
                return False
            if not cited and self.election_of(s.day) != f.election:
                return False
        return (
            (f.instansi is None or s.instansi == f.instansi)
            and self._day_keeps(s.day)
            and self._key_keeps(s.ppk_kid)
        )

    @cached_property
    def outcomes(self) -> dict[int, Outcome]:
        """The standing recommendations the filter keeps, with their outcomes."""
        return {i: o for i, o in super().outcomes.items() if self.keeps_rec(o.rec)}

    @cached_property
    def reports(self) -> list[Report]:
        """The standing reports the filter keeps."""
        return [r for r in super().reports if self._keeps_report(r)]

    @cached_property
    def pacts(self) -> list[Signed]:
        """The standing pacts the filter keeps."""
        return [s for s in super().pacts if self._keeps_signed(s)]

    @cached_property
    def declarations(self) -> list[Signed]:
        """The standing declarations the filter keeps."""
        return [s for s in super().declarations if self._keeps_signed(s)]

    @cached_property
    def steps(self) -> list[Step]:
        """The standing enforcement steps the filter keeps."""
        return [s for s in super().steps if self._keeps_step(s)]

    @cached_property
    def ppks(self) -> list[Key]:
        """The PPK keys of the filter's instansi, province and head type."""
        f = self.filter
        return [
            k
            for k in super().ppks
            if (f.instansi is None or k.instansi == f.instansi) and self._key_keeps(k.kid)
        ]


def snapshot(index: ComplianceIndex, flt: Filter, today: str) -> Snapshot:
    """The snapshot the filter asks for (as of ``until``, else ``today``)."""
    as_of = flt.until or today
    if flt.empty:
        return index.snapshot(as_of)
    return FilteredSnapshot(index, as_of, flt)
