"""A PPK key's page past the tally's group bound, its lists found as the search table finds
them: the snapshot's.

The random histories of ``test_tally_key_rows`` (PPK and ASN keys, successions, declarations
by PPK keys and their successors, random revocations), with a group bound of 1 or 2 so that
many keys' recommendations and declarations are only counted.  For every PPK key whose page
the tally cannot give from its lists, :func:`key_search.page` with the search table's rows
(every recommendation addressed to the key, every declaration it signed, as the tables name
them) must be :func:`registry.compliance.dashboard.signer_page` of the whole snapshot.  A
row of a counted entry left out leaves it to the index; a row naming another key's entry is
read and left out; the tables disagreeing or the search table behind leave it to the index.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import key_record, key_search
from registry.compliance.browsing import SearchBehind
from registry.compliance.dashboard import signer_page
from registry.compliance.facts import Fact, Rec, Signed
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally
from registry.store.models import SearchCriteria
from tests.compliance.test_tally import KIDS
from tests.compliance.test_tally_feed import FactList
from tests.compliance.test_tally_instansi import assert_rows, every_day
from tests.compliance.test_tally_key_rows import history_of
from tests.loop import in_loop

Rows = dict[str, list[int]]
"""What the tables name: each kind's rows of a key (``recommendation``, ``declaration``)."""


def many_declared(rng: random.Random, facts: list[Fact]) -> list[Fact]:
    """``facts`` with most declarations signed by one of two PPK keys (past a bound of 2)."""
    return [
        dataclasses.replace(f, signer=rng.choice(KIDS[:2]))
        if isinstance(f, Signed) and f.kind == "declaration" and rng.random() < 0.7
        else f
        for f in facts
    ]


def rows_of(facts: list[Fact], kid: bytes) -> Rows:
    """The search table's rows of ``kid`` as the registry writes them: the recommendations
    addressed to it and the declarations it signed, standing or not."""
    return {
        "recommendation": [f.idx for f in facts if isinstance(f, Rec) and f.ppk_kid == kid],
        "declaration": [
            f.idx
            for f in facts
            if isinstance(f, Signed) and f.kind == "declaration" and f.signer == kid
        ],
    }


def page_of(
    tally: NationalTally, log: FactList, kid: bytes, rows: Rows, behind: bool = False
) -> tuple[bool, dict[str, object] | None]:
    async def find(criteria: SearchCriteria, below: int) -> list[int]:
        assert criteria.type == "recommendation"
        assert criteria.kid == kid
        if behind:
            raise SearchBehind(0, below)
        return [i for i in rows["recommendation"] if i < below]

    async def statements(key: bytes, kinds: Sequence[str], below: int) -> list[int] | None:
        assert key == kid
        assert list(kinds) == ["declaration"]
        return None if behind else [i for i in rows["declaration"] if i < below]

    return in_loop(key_search.page(tally, kid, log, find, statements))


def busy(tally: NationalTally, kid: bytes) -> bool:
    """Whether the tally only counts ``kid``'s recommendations or declarations."""
    return key_record.page_wanted(tally, kid) is None


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    bound=st.sampled_from([1, 2]),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_a_busy_keys_page_from_the_search_rows_is_the_snapshots(
    seed: int, size: int, bound: int, again: float
) -> None:
    rng = random.Random(seed)
    facts = many_declared(rng, history_of(rng, size, again)[0])
    log = FactList(list(facts))
    for tally, index, day in every_day(rng, facts, bound):
        snap = Snapshot(index, day)
        for kid in sorted(tally.offices.keys):
            if not busy(tally, kid):
                continue
            rows = rows_of(facts, kid)
            known, page = page_of(tally, log, kid, rows)
            if not tally.keys_exact:
                assert not known, "inexact: the index answers"
                continue
            assert known, "every row there: the tally's counts met"
            want = signer_page(snap, kid)
            if page is None or want is None:
                assert page is want is None, "enrolled as of a later day"
            else:
                assert_rows([page], [want], bound, "kid")
            others = [i for i, f in enumerate(facts) if isinstance(f, Rec | Signed)]
            named = {k: sorted({*v, *others}) for k, v in rows.items()}
            assert page_of(tally, log, kid, named) == (known, page), "others read, left out"
            assert page_of(tally, log, kid, rows, behind=True) == (False, None)
            for kind, idxs in rows.items():
                counted = [i for i in idxs if _counted(tally, facts[i])]
                if counted and _searched(tally, kid, kind):
                    gone = rng.choice(counted)
                    less = {**rows, kind: [i for i in idxs if i != gone]}
                    assert page_of(tally, log, kid, less) == (False, None), f"a {kind} missing"


def _counted(tally: NationalTally, fact: Fact) -> bool:
    """Whether ``fact`` (one of the key's rows) is a standing one the tally counts."""
    return isinstance(fact, Rec | Signed) and tally.stands(fact)


def _searched(tally: NationalTally, kid: bytes, kind: str) -> bool:
    """Whether the tally only counts ``kid``'s entries of ``kind`` (they are searched)."""
    if kind == "recommendation":
        return tally.by_key.recommendations(kid) is None
    return key_record.listed_declarations(tally, kid) is None


def test_a_key_no_ppks_or_listed_is_left_to_its_other_paths() -> None:
    tally = NationalTally("2024-10-01", 0)
    assert page_of(tally, FactList([]), bytes(32), {}) == (False, None), "no PPK's key"
