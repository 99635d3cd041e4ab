"""Today's head-types table read off the national tally: no pass over every fact.

:func:`registry.compliance.heads.head_types` groups every standing recommendation by
the ``head_type`` of the addressed PPK key's enrolment, and every standing pact and
declaration by its signer's (``None`` for a key not enrolled as of the day), then
adds per head type the instansi its PPK keys in office led, and how many of those a
standing recommendation named; :func:`~registry.compliance.heads.acting_led` does
the last two for the acting heads together.

The national tally counts each unit's members under its key's head type beside its
province (:attr:`Provinces.head_types <registry.compliance.provinces.Provinces.head_types>`:
the same key read when the fact is taken, the same cases of a key not enrolled yet
or enrolled as of a later day, and the same fallback for a key enrolled twice).
The instansi led come from the tally's PPK offices
(:class:`~registry.compliance.groups.Offices`, a few records per PPK key), and
whether an instansi was named by a standing recommendation from its row of the
instansi table (:attr:`NationalTally.instansi
<registry.compliance.tally_counts.Counts.instansi>`): nothing per entry.

A figure lists its entries while it has at most the group bound of them (then
``entries`` is None and ``entries_total`` its count: the API links the listing),
as the tally's other tables do; with the keys in office on another day (``on``) too,
linked with that ``on`` (stop 33: :func:`registry.compliance.figure_members.located`).
"""

from __future__ import annotations

from collections.abc import Iterable

from registry.compliance.groups import Office, Offices, Row
from registry.compliance.heads import ACTING_HEAD_TYPES
from registry.compliance.kept import Members
from registry.compliance.metrics import Figure


def _figure(value: object, heads: Iterable[int], recs: list[Members], bound: int) -> Figure:
    """A figure of the enrolments ``heads`` and the recommendations of ``recs`` (no
    entry is in two), its entries listed while at most ``bound``."""
    listed = set(heads)
    total = len(listed) + sum(m.count for m in recs)
    if total > bound or any(m.entries is None for m in recs):
        return {"value": value, "entries": None, "entries_total": total}
    for m in recs:
        listed.update(m.entries or ())
    return {"value": value, "entries": sorted(listed)}


OWN = ("instansi_led_with_recommendations", "share_with_recommendations")
"""The head-types figures one election's table counts of its own recommendations (the others
are every election's, as the unfiltered table's)."""


LED = ("instansi_led", "instansi_led_with_recommendations", "share_with_recommendations")
"""The figures of the instansi led on a day (the acting heads' row has the three, the rows
the first two)."""


class HeadTable:
    """The PPK keys in office on a day, and the instansi named by a standing recommendation
    (``recs``: an instansi's recommendations figure in the tally's instansi table)."""

    def __init__(
        self,
        offices: Offices,
        day: str,
        recs: dict[str, Members],
        bound: int,
        on: str | None = None,
    ) -> None:
        """The table as of ``day`` with the keys (enrolled by then) in office ``on``
        (default ``day``)."""
        self.day = on or day
        self.bound = bound
        self.heads = [
            k
            for k in sorted(offices.keys.values(), key=lambda k: k.idx)
            if k.day <= day and offices.in_office(k, self.day, day)
        ]
        self.recs = {i: m for i, m in recs.items() if m.count}

    def led(self, types: frozenset[str | None]) -> tuple[Figure, Figure, list[Office]]:
        """The instansi led by keys of ``types``, those of them named by a recommendation,
        and the keys (as :func:`registry.compliance.heads._led`)."""
        heads = [k for k in self.heads if k.head_type in types]
        led = {k.instansi for k in heads}
        hit = sorted(i for i in led if i in self.recs)
        named = [k.idx for k in heads if k.instansi in self.recs]
        return (
            _figure(len(led), (k.idx for k in heads), [], self.bound),
            _figure(len(hit), named, [self.recs[i] for i in hit], self.bound),
            heads,
        )

    def parts(self, types: frozenset[str | None], figure: str) -> tuple[list[int], list[str]]:
        """The enrolments, and the instansi whose recommendations figure (in the tally's
        instansi table) make figure ``figure`` of the keys of ``types`` (one of :data:`LED`),
        as :meth:`led` and :meth:`acting` make it: every entry of it, past any bound."""
        heads = [k for k in self.heads if k.head_type in types]
        led = {k.instansi for k in heads}
        if figure == "instansi_led":
            return [k.idx for k in heads], []
        if figure == "instansi_led_with_recommendations":
            return [k.idx for k in heads if k.instansi in self.recs], sorted(led & set(self.recs))
        return [k.idx for k in heads], sorted(led & set(self.recs))  # the share's

    def rows(self, grouped: list[Row]) -> list[Row]:
        """The head-types rows: ``grouped`` (the tally's per-head-type figures) with the
        instansi led on this table's day."""
        for row in grouped:
            led, hit, _ = self.led(frozenset({row["head_type"]}))
            row["on"] = self.day
            row["instansi_led"] = led
            row["instansi_led_with_recommendations"] = hit
        return grouped

    def acting(self) -> Row:
        """All acting heads together, as :func:`registry.compliance.heads.acting_led`."""
        led, hit, heads = self.led(ACTING_HEAD_TYPES)
        share = round(hit["value"] / led["value"], 4) if led["value"] else None
        named = sorted({k.instansi for k in heads} & set(self.recs))
        return {
            "on": self.day,
            "election": None,
            "instansi_led": led,
            "instansi_led_with_recommendations": hit,
            "share_with_recommendations": _figure(
                share, (k.idx for k in heads), [self.recs[i] for i in named], self.bound
            ),
        }
