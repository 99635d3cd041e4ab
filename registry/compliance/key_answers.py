"""One key's record and one PPK key's page from a national tally, without the index.

Which path answers (each "whether it can say, and what"; where it cannot, the caller
computes the answer from the compliance index):

* a PPK key the tally lists: its standing recommendations and their follow-ups read
  from the log (:mod:`registry.compliance.key_record`);
* a PPK key with more standing recommendations (or, for the page, declarations) than
  the tally lists: found through the search table, read, and checked against the
  tally's counts (:mod:`registry.compliance.key_search`);
* a key that is no PPK's: from its own entries (:mod:`registry.compliance.other_key_record`);
* a key nobody enrolled: no record, where the tally's per-key figures are exact.

The tally may be today's or a past day's (:mod:`registry.compliance.tallies`): each
function reads only the tally, its day and its size.  The caller holds the lock the
tally is fed under.
"""

from __future__ import annotations

from typing import Any

from registry.compliance import key_record, key_search, other_key_record, recommendation_rows
from registry.compliance.feed import Log, LogFacts
from registry.compliance.tally import NationalTally

Row = dict[str, Any]


async def record(
    tally: NationalTally,
    kid: bytes,
    facts: LogFacts,
    log: Log,
    follow_up_days: int,
    statements: other_key_record.Statements | None,
    find: recommendation_rows.Find | None,
) -> tuple[bool, Row | None]:
    """Key ``kid``'s record as of the tally's day (``views.signer``'s row): whether it can
    say, and what."""
    wanted = key_record.wanted(tally, kid)
    if wanted is None:  # no PPK key's (not enrolled at all: None), or it cannot say
        if kid in tally.offices.keys:
            return await _many_recommendations(tally, kid, find, facts)
        key = log.key_entries(kid)
        if key is None:
            return tally.by_key.exact, None
        if statements is None:
            return False, None
        return await _other_key(tally, kid, key, statements, facts, log, follow_up_days)
    read = await facts.facts_at(wanted)
    try:
        return True, key_record.record(tally, kid, read.__getitem__)
    except KeyError:  # an index fed it an entry meanwhile, naming one not read: the index
        return False, None


async def _many_recommendations(
    tally: NationalTally, kid: bytes, find: recommendation_rows.Find | None, facts: LogFacts
) -> tuple[bool, Row | None]:
    """The record of PPK key ``kid`` whose standing recommendations the tally only counts
    (more than the bound): found through ``find``, read, and checked against that count
    (:func:`key_search.recommendations`)."""
    if not tally.keys_exact or tally.by_key.recommendations(kid) is not None:
        return False, None
    found = await key_search.recommendations(tally, kid, find, facts)
    if found is None:
        return False, None
    recs, read = found
    read.update(await facts.facts_at(tally.with_answers(recs)))
    try:
        return True, key_record.record(tally, kid, read.__getitem__, recs)
    except KeyError:  # as for a listed key's record
        return False, None


async def _other_key(
    tally: NationalTally,
    kid: bytes,
    key: tuple[int, int | None],
    statements: other_key_record.Statements,
    facts: LogFacts,
    log: Log,
    follow_up_days: int,
) -> tuple[bool, Row | None]:
    """The record of ``kid``, no PPK's, enrolled and ended by the entries ``key``, from
    its own entries."""
    if key[0] >= tally.size:  # enrolled after the entries the tally holds
        return False, None
    own = await statements(kid, other_key_record.KINDS, tally.size)
    if own is None:
        return False, None
    wanted = other_key_record.wanted(key, own, log.revoked_by, tally.size)
    read = await facts.facts_at(wanted)
    found = other_key_record.record(kid, read, own, tally.day, follow_up_days)
    return found is not None, found


async def page(
    tally: NationalTally,
    kid: bytes,
    facts: LogFacts,
    find: recommendation_rows.Find | None,
    statements: other_key_record.Statements | None,
) -> tuple[bool, Row | None]:
    """PPK key ``kid``'s page (:func:`key_record.page`; None for a key that is no PPK's),
    its recommendations and declarations past the tally's bound found through ``find`` and
    ``statements`` (:func:`key_search.page`): whether it can say, and what."""
    wanted = key_record.page_wanted(tally, kid)
    if wanted is None:
        if kid in tally.offices.keys:
            return await key_search.page(tally, kid, facts, find, statements)
        return tally.by_key.exact, None
    read = await facts.facts_at(wanted)
    try:
        return True, key_record.page(tally, kid, read.__getitem__)
    except KeyError:  # as in :func:`record`
        return False, None
