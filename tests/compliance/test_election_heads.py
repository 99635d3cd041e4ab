"""The head-types table of one election (``/api/compliance/head-types?election=``) from the
national tally and that election's scoped tally, without the index: it equals
:func:`registry.compliance.heads.table` of the whole index for the same election, day and
``on``.

That table groups every election's standing recommendations, pacts and declarations by
head type (as the unfiltered one) and takes only the election's recommendations for
``instansi_led_with_recommendations``; so its figures come from the national tally of the
day, and the instansi the election's recommendations name from the election's tally of
the same day and entries (its instansi table).  Random histories of
``test_scoped_tally``: today, a past day (a tally of that day alone) and keys in office on
another day.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import filtering, heads
from registry.compliance.feed import feed
from registry.compliance.metrics import Snapshot
from registry.compliance.scoped_tally import Scope, ScopedTally
from registry.compliance.tally import NationalTally
from tests.compliance.test_scoped_index import with_elections
from tests.compliance.test_scoped_tally import BIG, citing, index_of
from tests.compliance.test_tally import DAYS
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_heads import histories
from tests.loop import in_loop


def fed(tally: NationalTally, log: FactList) -> NationalTally:
    in_loop(feed(tally, log, len(log.entries)))
    return tally


def table_of(national: NationalTally, scoped: ScopedTally, on: str, election: str) -> Any:
    return national.head_types_rows(on, scoped, election)


def compared(seed: int, size: int) -> int:
    """Each election's table of a random history (three days, each with ``on`` its day and
    another) from the tallies against the index's; how many were compared (an inexact
    tally's are not: the index answers)."""
    rng = random.Random(seed)
    facts, _ = histories(rng, size)
    log = FactList(spaced(rng, citing(rng, with_elections(rng, facts))))
    whole = index_of(log, len(log.entries))
    elections = [*filtering.choices(whole).elections, "none-such"]
    count = 0
    for day in rng.sample(DAYS, 3):
        national = fed(NationalTally(day, 0, BIG, BIG), log)
        snap = Snapshot(whole, day)
        for election in elections:
            scoped = fed(ScopedTally(day, 0, BIG, BIG, Scope(election, until=day)), log)
            if not (scoped.exact and national.provinces.exact):
                continue
            for on in (day, rng.choice(DAYS)):
                want = heads.table(snap, on, election)
                assert table_of(national, scoped, on, election) == want, (election, day, on)
                count += 1
    return count


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 100))
def test_one_elections_head_types_from_the_tallies_are_the_indexs(seed: int, size: int) -> None:
    compared(seed, size)


def test_the_property_compares_tables() -> None:
    # not vacuous: most tallies of these histories are exact, and their tables compared
    assert sum(compared(seed, 60) for seed in range(8)) >= 40


def test_the_acting_row_names_the_election_and_without_it_none() -> None:
    national = NationalTally(DAYS[0], 0, BIG, BIG)
    scoped = ScopedTally(DAYS[0], 0, BIG, BIG, Scope("e", until=DAYS[0]))
    found = national.head_types_rows(None, scoped, "e")
    assert found is not None
    assert found[1]["election"] == "e"
    every = national.head_types_rows()
    assert every is not None
    assert every[1]["election"] is None
