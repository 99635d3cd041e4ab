"""A PPK key's standing recommendations and declarations past the tally's group bound, found
through the search table, for its record and its page without the compliance index.

The tally lists a key's standing recommendations and declarations while they are at most
its group bound, and only counts them past it (:mod:`registry.compliance.key_rows`).  Past
it they are found through the record search: the recommendations through the search
table's rows of the key (``find``: a recommendation's row names the PPK it is addressed
to), the declarations through the rows of the key **and** the ``entries`` table's signer
column, which must name the same entries (``statements``).  Each entry found is read
checked from the log and kept only where the tally's own definitions keep it
(:func:`key_record.standing`, :func:`key_record.declarations`), and the kept ones are used
only if as many as the tally counts.  A row deleted, moved to another key, or added
naming a counted entry elsewhere, the two tables disagreeing, or the search table still
behind the log: None, and the index answers.

Nothing is kept: memory is the key's own entries, read for one answer.
"""

from __future__ import annotations

from registry.compliance import key_record
from registry.compliance.browsing import SearchBehind
from registry.compliance.facts import Fact
from registry.compliance.feed import FactLog
from registry.compliance.groups import Row
from registry.compliance.other_key_record import Statements
from registry.compliance.recommendation_rows import Find
from registry.compliance.tally import NationalTally
from registry.store.models import SearchCriteria

Found = tuple[list[int], dict[int, Fact | None]]
"""Entries found and kept, and the facts read to find them."""


async def recommendations(
    tally: NationalTally, kid: bytes, find: Find | None, facts: FactLog
) -> Found | None:
    """The standing recommendations addressed to PPK key ``kid`` as of the tally's day, found
    through ``find`` and read from ``facts``; None where they cannot be (see the module)."""
    if find is None:
        return None
    try:
        found = await find(SearchCriteria(type="recommendation", kid=kid), tally.size)
    except SearchBehind:
        return None
    read = await facts.facts_at(found)
    recs = key_record.standing(tally, kid, found, read.get)
    return None if recs is None else (recs, read)


async def declarations(
    tally: NationalTally, kid: bytes, statements: Statements | None, facts: FactLog
) -> Found | None:
    """The standing declarations PPK key ``kid`` signed as of the tally's day, found through
    ``statements`` and read from ``facts``; None where they cannot be (see the module)."""
    if statements is None:
        return None
    found = await statements(kid, ("declaration",), tally.size)
    if found is None:
        return None
    read = await facts.facts_at(found)
    declared = key_record.declarations(tally, kid, found, read.get)
    return None if declared is None else (declared, read)


async def page(
    tally: NationalTally,
    kid: bytes,
    facts: FactLog,
    find: Find | None,
    statements: Statements | None,
) -> tuple[bool, Row | None]:
    """The page of PPK key ``kid`` (:func:`key_record.page`) whose standing recommendations
    or declarations the tally only counts, those found as the module says: whether it can
    say, and what (None: enrolled as of a later day)."""
    if kid not in tally.offices.keys or not tally.keys_exact:
        return False, None
    read: dict[int, Fact | None] = {}
    recs = declared = None
    if tally.by_key.recommendations(kid) is None:
        found = await recommendations(tally, kid, find, facts)
        if found is None:
            return False, None
        recs, more = found
        read.update(more)
    if key_record.listed_declarations(tally, kid) is None:
        found = await declarations(tally, kid, statements, facts)
        if found is None:
            return False, None
        declared, more = found
        read.update(more)
    wanted = key_record.page_wanted(tally, kid, recs, declared)
    if wanted is None:  # pragma: no cover - both lists given
        return False, None
    read.update(await facts.facts_at([i for i in wanted if i not in read]))
    try:
        return True, key_record.page(tally, kid, read.__getitem__, recs, declared)
    except KeyError:  # an index fed it an entry meanwhile, naming one not read: the index
        return False, None
