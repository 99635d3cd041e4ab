"""Today's record of a key that is no PPK's (``/api/compliance/signers/{kid}``) without the index.

:func:`registry.compliance.views.signer` of an ASN's, a recommender's or Bawaslu's key
says who holds it (its enrolment, and its end: a key revocation, or a succession that
replaced it), the keys it succeeded, and its standing pacts and declarations.  Its
follow-up figures and enforcement are empty: the policy addresses recommendations and
enforcement steps to PPK keys only.  Those are a handful of entries, so they are read
from the log, checked against the tree, and given to a
:class:`~registry.compliance.index.ComplianceIndex` of their own, whose snapshot the same
view answers from: one definition of the row, not a second one that could drift.

Where each entry comes from (:func:`wanted`):

- the enrolment and its end: the worker's key directory (``Log.key_entries``);
- the statements: the search table's rows of the key and the ``entries`` table's rows
  signed by it, which must name the same entries
  (:meth:`~registry.compliance.browsing.RecordSearch.signed_by`), each then read and
  checked, and its fact must be a pact or declaration signed by the key;
- their revocations: the worker's derived revocations (``Log.revoked_by``).

The index answers instead (None here) for a key that succeeded another (its
predecessors' statements count too), a fact read that is not what its row said, or
tables that disagree.  The tally's exactness is not involved: nothing of this record is
in the tally.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence

from registry.compliance import views
from registry.compliance.facts import Fact, Key, KeyEnd, Revoked, Signed, Succession
from registry.compliance.groups import Row
from registry.compliance.index import ComplianceIndex

KINDS = ("pact", "declaration")
"""The statements a key's record counts (its own, standing)."""
Statements = Callable[[bytes, Sequence[str], int], Awaitable[list[int] | None]]
"""The entries of some types a key signed below a size, None where the tables disagree
(:meth:`RecordSearch.signed_by <registry.compliance.browsing.RecordSearch.signed_by>`)."""


def wanted(
    key: tuple[int, int | None],
    statements: Iterable[int],
    revoked_by: Callable[[int], int | None],
    below: int,
) -> list[int]:
    """The entries the record reads: the key's enrolment and end (``key``), its
    ``statements`` and the revocation of each (``revoked_by``), those below ``below``."""
    enrolment, end = key
    own = list(statements)
    found = {enrolment, *own, *(r for r in map(revoked_by, own) if r is not None)}
    if end is not None:
        found.add(end)
    return sorted(i for i in found if i < below)


def record(
    kid: bytes,
    facts: Mapping[int, Fact | None],
    statements: Sequence[int],
    day: str,
    follow_up_days: int,
) -> Row | None:
    """The record of ``kid`` as of ``day`` from ``facts`` (:func:`wanted`'s entries, read),
    ``statements`` being those the tables named; None where these cannot give it (the key
    succeeded another, so its enrolment entry is a succession; it is a PPK's; a fact is not
    what the tables said): the index
    answers (so too for a key whose enrolment is not among ``facts``)."""
    enrolment = next((f for f in facts.values() if isinstance(f, Key) and f.kid == kid), None)
    if (
        enrolment is None
        or enrolment.role == "ppk"
        or not all(_signed_by(facts.get(i), kid) for i in statements)
    ):
        return None
    own = set(statements)
    index = ComplianceIndex(follow_up_days)
    for idx in sorted(facts):
        fact = facts[idx]
        if fact is not None and _belongs(fact, kid, own):
            index.take(fact)
    if facts:
        index.size = max(facts) + 1
    return views.signer(index.snapshot(day), kid)


def _signed_by(fact: Fact | None, kid: bytes) -> bool:
    return isinstance(fact, Signed) and fact.signer == kid and fact.kind in KINDS


def _belongs(fact: Fact, kid: bytes, statements: set[int]) -> bool:
    """Whether ``fact`` is one the record counts: the key's enrolment or end, one of its
    statements, or the revocation of one of them."""
    if isinstance(fact, Key):
        return fact.kid == kid
    if isinstance(fact, KeyEnd):
        return fact.kid == kid
    if isinstance(fact, Succession):
        return fact.old == kid
    if isinstance(fact, Signed):
        return fact.idx in statements
    if isinstance(fact, Revoked):
        return fact.target in statements
    return False
