"""Today's recommendations list from the tally and the search's rows: the snapshot's list.

The random histories of ``test_tally_key_rows`` (PPK keys of three instansi and four
provinces enrolled, revoked and succeeded at random points, recommendations and
follow-ups, refusals and downgrades, revocations, facts dated after the day).  The
search table's rows are played by every recommendation the index holds (standing or
not) of the asked key or instansi, in log order.  At every day the tally moves to,
:func:`registry.compliance.recommendation_rows.part` with each filter (none, a PPK key, an
instansi, a status, a key and an instansi) must be
:func:`registry.compliance.views.recommendations`'s, read through the tally's answering
follow-ups only; a row missing from the search (deleted in the database) makes the answer
None wherever it hid a standing recommendation, and a row naming an entry of another
type or key changes nothing.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import recommendation_rows
from registry.compliance.facts import Fact
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally, index_reader
from registry.compliance.views import recommendations
from tests.compliance.test_tally import KIDS
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_instansi import OFFICES, every_day, every_entry
from tests.compliance.test_tally_key_rows import history_of

STATUSES = ("followed-up", "overdue", "pending")


def asked(rng: random.Random) -> dict[str, Any]:
    """The API's filters: none, or some of a key, an instansi and a status."""
    found: dict[str, Any] = {}
    if rng.random() < 0.4:
        found["ppk"] = rng.choice(KIDS)
    if rng.random() < 0.4:
        found["instansi"] = rng.choice(OFFICES)
    if rng.random() < 0.3:
        found["status"] = rng.choice(STATUSES)
    return found


def searched(index: ComplianceIndex, ppk: bytes | None, instansi: str | None) -> list[int]:
    """What ``search_records`` gives for :func:`recommendation_rows.criteria`: every
    recommendation logged to the key, else of the instansi, else every one."""
    return [
        idx
        for idx, rec in sorted(index.recs.items())
        if (rec.ppk_kid == ppk if ppk is not None else instansi in (None, rec.instansi))
    ]


def checked(rng: random.Random, tally: NationalTally, index: ComplianceIndex, day: str) -> None:
    if not tally.keys_exact:  # a key enrolled twice: the index answers
        return
    f = asked(rng)
    want = recommendations(Snapshot(index, day), **f)
    ppk, instansi = f.get("ppk"), f.get("instansi")
    idxs = searched(index, ppk, instansi)
    wanted = set(tally.with_answers(idxs))
    facts = index_reader(index)

    def read(idx: int) -> Fact | None:
        assert idx in wanted, f"entry {idx} was not named to read"
        return facts(idx)

    def rows(found: list[int]) -> list[dict[str, Any]] | None:  # as listed() checks them
        out, standing = recommendation_rows.part(tally, found, read, index.keys.get, **f)
        return out if standing == recommendation_rows.expected(tally, ppk, instansi) else None

    assert rows(idxs) == want
    searched_for = recommendations(Snapshot(index, day), ppk, None if ppk else instansi)
    standing = {row["index"] for row in searched_for}
    if idxs:  # a row deleted: None where it hid a standing recommendation
        gone = rng.choice(idxs)
        found = rows([i for i in idxs if i != gone])
        assert found is None if gone in standing else found == want
    others = sorted(set(range(index.size)) - set(idxs))
    if others:  # a row edited to name another entry (of another key, instansi, type): not shown
        extra = rng.choice(others)
        wanted.update(tally.with_answers([extra]))
        assert rows(sorted([*idxs, extra])) == want


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_todays_recommendations_are_the_snapshots_at_every_day(
    seed: int, size: int, again: float
) -> None:
    rng = random.Random(seed)
    facts, _ = history_of(rng, size, again)
    for tally, index, day in every_day(rng, facts, 2):
        checked(rng, tally, index, day)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 70))
def test_todays_recommendations_fed_from_the_log_are_the_indexs_after_every_entry(
    seed: int, size: int
) -> None:
    rng = random.Random(seed)
    facts, _ = history_of(rng, size)
    for tally, index, day in every_entry(rng, FactList(spaced(rng, facts)), 100):
        checked(rng, tally, index, day)
