"""A dashboard filter of one province or instansi answered from an index of just its facts.

:class:`~registry.compliance.filtering.FilteredSnapshot` keeps only the facts of the
filter; by a province or an instansi those are a small part of the log (about 1/38 and
1/600 of it in Indonesia).  A :class:`~registry.compliance.index.ComplianceIndex` given only
the facts of that **scope** and what the placement rules and the views read of them (its
**closure**) gives the same tables through the same snapshot: one definition of each table,
not a second one.  What the closure holds (:func:`index_of` decides it from the facts
themselves, never from a derived row):

- the keys of the scope: by a province, every key enrolled there (a PPK's, and an ASN's
  whose declarations count under its enrolment's province); by an instansi, the PPK keys
  enrolled for it and every key a kept record names (the addressed PPK, the signer); with
  the keys they succeeded, their successions and ends (a key revocation);
- the records of the scope: recommendations addressed to a key of the province or naming
  the instansi; reports of the province or instansi; pacts and declarations signed by a key
  of the province or naming the instansi; enforcement steps targeting a key of the province
  or naming the instansi;
- the follow-ups answering a kept recommendation;
- the revocations of any kept entry;
- every election (a few: a record naming none is placed by the calendar).

:mod:`registry.compliance.scoped_filter` finds the candidates (the search table, the key
directory, the national tally), reads them checked, and cross-checks the answer against the
tally's rows of the scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from registry.compliance.facts import (
    Election,
    Fact,
    FollowUp,
    Key,
    KeyEnd,
    Rec,
    Report,
    Revoked,
    Signed,
    Step,
    Succession,
)
from registry.compliance.filtering import Filter
from registry.compliance.index import ComplianceIndex


@dataclass(frozen=True)
class Scope:
    """The facts of one province or of one instansi (``instansi`` when both are asked: the
    smaller; the filter narrows to the other)."""

    province: str | None = None
    instansi: str | None = None


def scope_of(flt: Filter) -> Scope | None:
    """The scope whose facts answer ``flt`` (None: it names neither a province nor an
    instansi, and most of the log is its facts: the whole index answers)."""
    if flt.instansi is not None:
        return Scope(instansi=flt.instansi)
    if flt.province is not None:
        return Scope(province=flt.province)
    return None


def _key_of(fact: Fact) -> bytes | None:
    """The key whose enrolment places a record (the addressed PPK, the signer)."""
    if isinstance(fact, (Rec, Step)):
        return fact.ppk_kid
    if isinstance(fact, Signed):
        return fact.signer
    return None


def keys_of(facts: Iterable[Fact]) -> dict[bytes, Key]:
    """Each key's enrolment as the index holds it (a successor holds its predecessor's
    office), from the key facts among ``facts`` in log order."""
    keys: dict[bytes, Key] = {}
    for fact in facts:
        if isinstance(fact, Key):
            keys[fact.kid] = fact
        elif isinstance(fact, Succession) and fact.old in keys:
            keys[fact.new] = replace(keys[fact.old], idx=fact.idx, day=fact.day, kid=fact.new)
    return keys


def in_scope(fact: Fact, scope: Scope, keys: dict[bytes, Key]) -> bool:
    """Whether record ``fact`` is one of the scope's (by its own fields, or its key's
    enrolment among ``keys``)."""
    if not isinstance(fact, (Rec, Report, Signed, Step)):
        return False
    if scope.instansi is not None:
        return fact.instansi == scope.instansi
    if isinstance(fact, Report):
        return fact.province == scope.province
    kid = _key_of(fact)
    key = None if kid is None else keys.get(kid)
    return key is not None and key.province == scope.province


def _key_in_scope(key: Key, scope: Scope) -> bool:
    if scope.instansi is not None:
        return key.role == "ppk" and key.instansi == scope.instansi
    return key.province == scope.province


def closure(facts: Iterable[Fact], scope: Scope) -> list[Fact]:
    """The facts among ``facts`` (any superset of the closure, in log order) that the
    scope's index holds (see the module docstring), in log order."""
    facts = list(facts)
    keys = keys_of(facts)
    records = {f.idx for f in facts if in_scope(f, scope, keys)}
    kids = {k for k, key in keys.items() if _key_in_scope(key, scope)}
    kids |= {kid for f in facts if f.idx in records and (kid := _key_of(f)) is not None}
    predecessor = {f.new: f.old for f in facts if isinstance(f, Succession)}
    for kept_kid in list(kids):
        kid = kept_kid
        while kid in predecessor and predecessor[kid] not in kids:
            kid = predecessor[kid]
            kids.add(kid)
    answers = {f.idx for f in facts if isinstance(f, FollowUp) and f.recommendation in records}
    kept = records | answers
    kept |= {
        f.idx
        for f in facts
        if (isinstance(f, Key) and f.kid in kids)
        or (isinstance(f, KeyEnd) and f.kid in kids)
        or (isinstance(f, Succession) and (f.new in kids or f.old in kids))
        or isinstance(f, Election)
    }
    kept |= {f.idx for f in facts if isinstance(f, Revoked) and f.target in kept}
    return [f for f in facts if f.idx in kept]


def index_of(
    facts: Iterable[Fact], scope: Scope, size: int, follow_up_days: int
) -> ComplianceIndex:
    """The index of the scope's closure among ``facts`` (read from entries below ``size``)."""
    index = ComplianceIndex(follow_up_days)
    for fact in closure(sorted(facts, key=lambda f: f.idx), scope):
        index.take(fact)
    index.size = size
    return index
