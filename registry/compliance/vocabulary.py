"""The values the dashboard's filter may take, kept by the national tally as facts are taken.

:func:`registry.compliance.filtering.choices` reads them off the index: every
election a record names or the calendar holds, every province of a key or report,
every instansi of a PPK key, recommendation or signed record, every head type of a
key.  :class:`Vocabulary` keeps the same sets as the tally takes each fact (a few
hundred short strings: 38 provinces, some 600 instansi, a few elections and four
head types), so the unfiltered dashboard's form is drawn without the index.  The
election calendar is the tally's own (its election records, less those revoked).

The index keeps only the latest enrolment of a key; the policy refuses a second
(``already-enrolled``), so each key's values are those of its only enrolment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from registry.compliance.election_rows import Dated
from registry.compliance.elections import calendar
from registry.compliance.facts import Fact, Key, Rec, Report, Signed
from registry.compliance.filtering import Choices, choices_of


class Vocabulary:
    """Every election, province, instansi and head type the facts taken name."""

    def __init__(self) -> None:
        self.elections: set[str] = set()
        self.provinces: set[str] = set()
        self.instansi: set[str] = set()
        self.head_types: set[str] = set()

    def take(self, fact: Fact) -> None:
        """Note the values ``fact`` names (as :func:`~registry.compliance.filtering.choices`
        reads them)."""
        if isinstance(fact, Key):
            self._add(self.provinces, fact.province)
            self._add(self.head_types, fact.head_type)
            if fact.role == "ppk":
                self.instansi.add(fact.instansi)
        elif isinstance(fact, Rec | Signed):
            self._add(self.elections, fact.election)
            self.instansi.add(fact.instansi)
        elif isinstance(fact, Report):
            self._add(self.elections, fact.election)
            self._add(self.provinces, fact.province)

    @staticmethod
    def _add(values: set[str], value: str | None) -> None:
        if value:
            values.add(value)

    @classmethod
    def of(cls, *facts: Iterable[Fact]) -> Vocabulary:
        """The vocabulary of an index's facts (its keys, recommendations, reports, signed)."""
        found = cls()
        for each in facts:
            for fact in each:
                found.take(fact)
        return found

    def choices(self, records: Mapping[int, Dated], revoked: Mapping[int, str]) -> Choices:
        """The filter's choices (``records``: the election records taken, ``revoked``: the
        entries revoked, on any day), as :func:`registry.compliance.filtering.choices`."""
        known = calendar(e for idx, e in sorted(records.items()) if idx not in revoked)
        return choices_of(known, self.elections, self.provinces, self.instansi, self.head_types)

    def encode(self) -> list[list[str]]:
        return [sorted(s) for s in (self.elections, self.provinces, self.instansi, self.head_types)]

    @classmethod
    def decode(cls, saved: list[list[str]]) -> Vocabulary:
        found = cls()
        elections, provinces, instansi, head_types = saved
        found.elections, found.provinces = set(elections), set(provinces)
        found.instansi, found.head_types = set(instansi), set(head_types)
        return found
