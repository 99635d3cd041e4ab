"""The entries behind a figure under an election or head type filter, paged from that scope's
tally and the log (:func:`registry.compliance.figure_pages.paged` given a
:class:`~registry.compliance.scoped_tally.ScopedTally`), are the whole index's list of the
same figure under the same filter (:func:`registry.compliance.dashboard.figure_entries` of
:func:`filtering.snapshot`): over the random histories of ``test_scoped_tally``, for every
scope, every table it answers, every row and figure that lists entries, followed page by
page at a random limit (the scopes also with ``since`` a day, and of one past day); a
tally that lists the entries, and one that keeps only counts (bound 2: scanned from the
search's rows, each entry counted by the scope's contribution).
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import dashboard, filtering
from registry.compliance.feed import feed
from registry.compliance.figure_members import located
from registry.compliance.filtering import Filter
from registry.compliance.index import ComplianceIndex
from registry.compliance.scoped_tally import ScopedTally, answers
from tests.compliance.test_figure_pages import Search, asked_of, walk
from tests.compliance.test_recommendation_pages import Log
from tests.compliance.test_scoped_index import with_elections
from tests.compliance.test_scoped_tally import BIG, citing, dated, index_of, scopes_of
from tests.compliance.test_tally import DAYS
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_heads import histories
from tests.loop import in_loop


def checked(rng: random.Random, tally: ScopedTally, index: ComplianceIndex) -> int:
    """Every figure's pages of the scope's tables against the filtered index's list; how many
    figures the tally paged."""
    scope = tally.scope
    flt = Filter(election=scope.election, head_type=scope.head_type, since=scope.since)
    snap = filtering.snapshot(index, flt, tally.day)
    paged = 0
    for asked in asked_of(snap):
        if not answers(tally.scope, asked[0]):
            continue
        want = dashboard.figure_entries(snap, *asked)
        where = located(tally, *asked) if tally.keys_exact else None
        limit = rng.choice([1, 2, 3, 7, 10_000])
        found = walk(tally, Search(index), Log(index), asked, limit)
        if where is None:  # left to the index
            assert found is None or [e for p in found for e in p.entries] == want, asked
            continue
        assert found is not None, f"{tally.scope} {asked}: the untouched search table answers"
        assert [e for p in found for e in p.entries] == want, (tally.scope, asked)
        assert all(p.total == len(want) and p.day == tally.day for p in found), asked
        paged += 1
    return paged


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 80), bound=st.sampled_from([2, BIG]))
def test_a_scoped_figures_pages_are_the_filtered_indexs_list(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    facts, _ = histories(rng, size)
    log = FactList(spaced(rng, citing(rng, with_elections(rng, facts))))
    index = index_of(log, len(log.entries))
    scopes = scopes_of(index)
    for scope in [*scopes, *dated(rng, scopes)]:  # and since a day, or of one day
        tally = ScopedTally(scope.until or rng.choice(DAYS[:10]), 0, bound, bound, scope)
        in_loop(feed(tally, log, len(log.entries)))
        if tally.exact:
            checked(rng, tally, index)
