"""The record of a key that is no PPK's from its own entries: the snapshot's.

The random histories of ``test_tally_heads`` (PPK and ASN keys enrolled at random points,
key revocations and successions of any of them, declarations by ASN keys and their
successors, random revocations of any entry), indexed whole.  For every key, at a few
days, the entries :func:`other_key_record.wanted` names (found as the key directory, the
tables and the derived revocations find them: the enrolment, the first end, every pact and
declaration the key signed, the first revocation of each) give
:func:`other_key_record.record`, which must be :func:`registry.compliance.views.signer` of
the whole snapshot for a key of another role than a PPK's, and None (the index answers)
for a PPK's key, a successor, or statements the tables named wrongly.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.compliance import other_key_record
from registry.compliance.facts import Fact, Key, KeyEnd, Revoked, Signed, Succession
from registry.compliance.index import ComplianceIndex
from registry.compliance.views import signer
from tests.compliance.test_tally import DAYS
from tests.compliance.test_tally_heads import histories


def located(facts: list[Fact], kid: bytes) -> tuple[int, int | None] | None:
    """The key directory's entries of ``kid``: what enrolled it, and its first end."""
    enrolled = [
        f.idx
        for f in facts
        if (isinstance(f, Key) and f.kid == kid) or (isinstance(f, Succession) and f.new == kid)
    ]
    ends = [
        f.idx
        for f in facts
        if (isinstance(f, KeyEnd) and f.kid == kid) or (isinstance(f, Succession) and f.old == kid)
    ]
    return None if not enrolled else (enrolled[-1], ends[0] if ends else None)


def signed_by(facts: list[Fact], kid: bytes) -> list[int]:
    return [
        f.idx
        for f in facts
        if isinstance(f, Signed) and f.signer == kid and f.kind in other_key_record.KINDS
    ]


def revoker(facts: list[Fact]) -> dict[int, int]:
    """Each revoked entry's first revocation (what the derived revocations hold)."""
    found: dict[int, int] = {}
    for f in facts:
        if isinstance(f, Revoked):
            found.setdefault(f.target, f.idx)
    return found


def record_of(
    facts: list[Fact], kid: bytes, day: str, statements: list[int] | None = None
) -> dict[str, object] | None:
    key = located(facts, kid)
    assert key is not None
    own = signed_by(facts, kid) if statements is None else statements
    wanted = other_key_record.wanted(key, own, revoker(facts).get, len(facts))
    read = {i: facts[i] for i in wanted}
    return other_key_record.record(kid, read, own, day, 14)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32), size=st.integers(1, 120))
def test_the_record_of_a_key_of_another_role_from_its_entries_is_the_snapshots(
    seed: int, size: int
) -> None:
    rng = random.Random(seed)
    facts, _ = histories(rng, size)
    index = ComplianceIndex()
    for fact in facts:
        index.take(fact)
    index.size = len(facts)
    kids = {f.kid for f in facts if isinstance(f, Key)} | {
        f.new for f in facts if isinstance(f, Succession)
    }
    for day in sorted(rng.sample(DAYS, 3)):
        snap = index.snapshot(day)
        for kid in sorted(kids):
            got = record_of(facts, kid, day)
            key = index.keys.get(kid)
            if key is None or key.role == "ppk" or kid in index.predecessor:
                assert got is None, "a PPK's key or a successor: the index answers"
            else:
                assert got == signer(snap, kid)


def test_a_statement_the_tables_named_wrongly_leaves_the_record_to_the_index() -> None:
    asn = bytes([9]) * 32
    other = bytes([8]) * 32
    facts: list[Fact] = [
        Key(0, DAYS[0], asn, "asn", "n", None, "j", "I", None, None, DAYS[0], DAYS[-1]),
        Signed(1, DAYS[1], "declaration", asn, "I", "e", DAYS[1]),
        Signed(2, DAYS[1], "declaration", other, "I", "e", DAYS[1]),
        Revoked(3, DAYS[2], 1),
    ]
    got = record_of(facts, asn, DAYS[3])
    assert got is not None
    assert got["declarations"] == {"value": 0, "entries": []}, "revoked on the day before"
    earlier = record_of(facts, asn, DAYS[1])
    assert earlier is not None
    assert earlier["declarations"] == {"value": 1, "entries": [1]}
    assert record_of(facts, asn, DAYS[3], [1, 2]) is None, "another key's declaration"
    assert record_of(facts, asn, DAYS[3], [0, 1]) is None, "an enrolment named a statement"
