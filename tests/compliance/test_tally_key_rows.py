"""Today's signers table (every PPK key's record) from the tally: the snapshot's rows.

The random histories of ``test_tally_heads`` (PPK keys enrolled at a random point of the
log, in three instansi and four provinces, with random head types and terms, revoked and
succeeded, recommendations and steps moved to successors; declarations by ASN keys and
successors), with some declarations signed by the PPK keys too.  Taken by an index whose
tally is made at a random point, or fed from a log without any index; the tally's rows
(unfiltered, and of one instansi, province or head type) must be
:func:`registry.compliance.views.signers`'s at every day it moves to (a figure past the
group bound: its count only), each PPK key's record with its recommendations' outcomes
(:mod:`registry.compliance.key_record`) :func:`registry.compliance.views.signer`'s and
its page :func:`registry.compliance.dashboard.signer_page`'s, and its bytes must give
them back.  A key enrolled a second
time (refused by the policy) makes the table inexact, and the table made again from the
index is the snapshot's.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import heads, key_record
from registry.compliance.dashboard import signer_page
from registry.compliance.facts import Fact, FollowUp, Key, Rec, Signed, Succession
from registry.compliance.feed import feed
from registry.compliance.index import ComplianceIndex
from registry.compliance.metrics import Snapshot
from registry.compliance.tally import NationalTally, index_reader
from registry.compliance.views import signer, signers
from registry.verify.trust import b64url
from tests.compliance.test_tally import DAYS, KIDS
from tests.compliance.test_tally_feed import FactList, spaced
from tests.compliance.test_tally_heads import histories, saved_alike
from tests.compliance.test_tally_instansi import (
    OFFICES,
    assert_rows,
    every_day,
    every_entry,
    exact_or_made_again,
    fed_and_indexed,
)
from tests.compliance.test_tally_provinces import PROVINCES
from tests.loop import in_loop

Filters = dict[str, Any]


def declared(rng: random.Random, facts: list[Fact]) -> list[Fact]:
    """``facts`` with some declarations signed by a PPK key (or a successor of one)."""
    new: list[bytes] = []
    out: list[Fact] = []
    for taken in facts:
        fact = taken
        if isinstance(fact, Succession):
            new.append(fact.new)
        if isinstance(fact, Signed) and fact.kind == "declaration" and rng.random() < 0.4:
            fact = dataclasses.replace(fact, signer=rng.choice([*KIDS, *new]))
        out.append(fact)
    return out


def filters(rng: random.Random) -> Filters:
    """No filter, or one of the API's."""
    return rng.choice(
        [
            {},
            {"instansi": rng.choice(OFFICES)},
            {"province": rng.choice(PROVINCES)},
            {"head_type": rng.choice([*heads.HEAD_TYPES, None])},
        ]
    )


def checked(
    tally: NationalTally, index: ComplianceIndex, day: str, twice: bool, bound: int, f: Filters
) -> None:
    want = signers(Snapshot(index, day), **f)

    def table(found: NationalTally) -> list[dict[str, Any]] | None:
        return found.signers_rows(**f)

    if exact_or_made_again(tally, index, day, bound, table, want, "kid"):
        assert twice, "inexact only once a key was enrolled a second time"
        return
    snap = Snapshot(index, day)
    for kid in tally.offices.keys:  # /api/compliance/signers/{kid}: its record
        if key_record.wanted(tally, kid) is None:  # more recommendations than it lists
            assert bound < 100
            continue
        found = key_record.record(tally, kid, index_reader(index))
        record = signer(snap, kid)
        if found is None or record is None:
            assert found is record is None, "enrolled as of a later day"
        else:
            assert_rows([found], [record], bound, "kid")
        if key_record.page_wanted(tally, kid) is not None:  # /signers/{kid}: its page
            page = key_record.page(tally, kid, index_reader(index))
            if page is None:
                assert signer_page(snap, kid) is None
            else:
                assert_rows([page], [signer_page(snap, kid)], bound, "kid")


def history_of(rng: random.Random, size: int, again: float = 0.0) -> tuple[list[Fact], bool]:
    facts, twice = histories(rng, size, again)
    return declared(rng, facts), twice


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(1, 120),
    bound=st.sampled_from([2, 100]),
    again=st.sampled_from([0.0, 0.0, 0.1]),
)
def test_the_tallys_signers_are_the_snapshots_at_every_day(
    seed: int, size: int, bound: int, again: float
) -> None:
    rng = random.Random(seed)
    facts, twice = history_of(rng, size, again)
    for tally, index, day in every_day(rng, facts, bound):
        checked(tally, index, day, twice, bound, filters(rng))
        saved_alike(tally, NationalTally.signers_rows)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 70), bound=st.sampled_from([2, 100]))
def test_the_signers_fed_from_the_log_are_the_indexs_after_every_entry(
    seed: int, size: int, bound: int
) -> None:
    rng = random.Random(seed)
    facts, twice = history_of(rng, size)
    for tally, index, day in every_entry(rng, FactList(spaced(rng, facts)), bound):
        checked(tally, index, day, twice, bound, filters(rng))


PPK, OTHER = KIDS[0], KIDS[1]
NEW, NEWER = bytes([200]) * 32, bytes([201]) * 32


def _enrolment(idx: int, kid: bytes, role: str = "ppk", instansi: str = "I") -> Key:
    return Key(
        idx, DAYS[0], kid, role, f"n{idx}", None, "j", instansi, "Bali", "pj", DAYS[0], DAYS[-1]
    )


def _rec(idx: int, kid: bytes, deadline: str = DAYS[-1]) -> Rec:
    return Rec(idx, DAYS[1], f"C{idx}", "I", kid, b"s", deadline, None, None)


def _sanction(idx: int, rec: int, signer: bytes) -> FollowUp:
    return FollowUp(idx, DAYS[2], rec, "sanctioned", DAYS[2], signer)


def test_a_successor_carries_its_predecessors_record_through_two_successions() -> None:
    facts: list[Fact] = [
        _enrolment(0, PPK),
        _rec(1, PPK),
        _sanction(2, 1, NEW),  # by the successor-to-be: another key when it was signed
        Signed(3, DAYS[1], "declaration", PPK, "I", "e", DAYS[1]),
        Succession(4, DAYS[3], PPK, NEW),
        _rec(5, NEW, DAYS[4]),
        Signed(6, DAYS[3], "pact", NEW, "I", "e", DAYS[3]),
        Succession(7, DAYS[6], NEW, NEWER),
        _rec(8, NEWER),
        _sanction(9, 8, OTHER),
    ]
    early, late = fed_and_indexed(facts, [DAYS[5], DAYS[7]], NationalTally.signers_rows, signers)
    first, second = early
    assert first["followed_up_by_others"] == {"value": 1, "entries": [2]}, "NEW is not PPK's"
    assert second["predecessors"] == [b64url(PPK)]
    assert second["recommendations"]["entries"] == [1, 5]
    assert second["followed_up_by_others"] == {"value": 0, "entries": []}, "NEW's own"
    assert second["overdue"] == {"value": 1, "entries": [5]}
    assert second["declarations"] == {"value": 1, "entries": [3]}
    assert second["pacts"] == {"value": 1, "entries": [6]}
    third = late[2]
    assert third["predecessors"] == [b64url(NEW), b64url(PPK)]
    assert third["recommendations"]["entries"] == [1, 5, 8]
    assert third["followed_up_by_others"] == {"value": 1, "entries": [9]}
    assert third["follow_up_rate"]["value"] == round(2 / 3, 4), "sanctions 2 and 9"


def test_a_declaration_before_its_signers_enrolment_counts_once_it_is_a_ppks() -> None:
    facts: list[Fact] = [
        Signed(0, DAYS[1], "declaration", PPK, "I", "e", DAYS[1]),
        Signed(1, DAYS[1], "declaration", OTHER, "I", "e", DAYS[1]),
        _enrolment(2, PPK),
        _enrolment(3, OTHER, "asn"),
    ]
    [rows] = fed_and_indexed(facts, [DAYS[5]], NationalTally.signers_rows, signers)
    [row] = rows
    assert row["declarations"] == {"value": 1, "entries": [0]}, "the ASN's is in no row"
    index = ComplianceIndex()
    index.tally = NationalTally(DAYS[5], 0)
    for fact in facts:
        index.take(fact)
    assert set(index.tally.by_key.figures.groups) == {PPK}, "nothing kept for the ASN key"


def test_a_key_enrolled_again_with_another_role_makes_the_table_inexact() -> None:
    facts: list[Fact] = [
        _enrolment(0, PPK),
        Signed(1, DAYS[1], "declaration", PPK, "I", "e", DAYS[1]),
        _enrolment(2, PPK, "asn"),
        _enrolment(3, PPK),  # counted as a PPK's again: the index never dropped it
    ]
    index = ComplianceIndex()
    index.tally = NationalTally(DAYS[5], 0)
    for fact in facts:
        index.take(fact)
    assert index.tally.signers_rows() is None, "its declarations were taken as an ASN's"
    fed = NationalTally(DAYS[5], 0)
    in_loop(feed(fed, FactList(list(facts)), len(facts)))
    assert fed.signers_rows() is None
    index.size = len(facts)
    made = NationalTally.build(index, DAYS[5]).signers_rows()
    assert made == signers(Snapshot(index, DAYS[5])), "the index answers, made again exact"
    assert made is not None
    assert made[0]["declarations"] == {"value": 1, "entries": [1]}


def test_a_signers_figure_past_the_bound_gives_its_count_only() -> None:
    index = ComplianceIndex()
    facts: list[Fact] = [_enrolment(0, PPK), *(_rec(i, PPK) for i in range(1, 4))]
    for fact in facts:
        index.take(fact)
    index.size = len(facts)
    [row] = NationalTally.build(index, DAYS[5], group_bound=2).signers_rows() or []
    assert row["recommendations"] == {"value": 3, "entries": None, "entries_total": 3}
    assert row["pending"] == {"value": 3, "entries": None, "entries_total": 3}
    assert row["followed_up"] == {"value": 0, "entries": []}


def test_a_tally_made_from_the_index_counts_a_predecessors_declarations_whatever_its_role() -> None:
    # An ASN key succeeded, its successor enrolled again as a PPK (refused by the policy):
    # the snapshot gives the PPK its predecessor's declaration, and so does a tally made
    # from the index (the fallback that answers once the fed tally turned inexact).
    facts: list[Fact] = [
        _enrolment(0, OTHER, "asn"),
        Signed(1, DAYS[1], "declaration", OTHER, "I", "e", DAYS[1]),
        Succession(2, DAYS[1], OTHER, NEW),
        _enrolment(3, NEW),
    ]
    index = ComplianceIndex()
    for fact in facts:
        index.take(fact)
    index.size = len(facts)
    made = NationalTally.build(index, DAYS[5]).signers_rows()
    assert made is not None
    assert made == signers(Snapshot(index, DAYS[5]))
    assert made[0]["declarations"] == {"value": 1, "entries": [1]}
    assert made[0]["predecessors"] == [b64url(OTHER)]
