"""Today's record of one PPK key (``/api/compliance/signers/{kid}``) from the national tally.

:func:`registry.compliance.views.signer` gives a key's row of the signers table and the
outcome of each standing recommendation addressed to it (not to its predecessors).  The
tally lists which those are while they are at most its group bound
(:meth:`KeyTable.recommendations <registry.compliance.key_rows.KeyTable.recommendations>`);
each one and its follow-ups are then read from the log (:func:`wanted`), and its outcome
computed as the tally computes it (:meth:`NationalTally.outcome
<registry.compliance.tally.NationalTally.outcome>`), under the province and head type of
the key's office and the election the tally's calendar gives.  Nothing is kept for it.

The key's page (``/signers/{kid}``, ``/api/profiles/signers/{kid}``:
:func:`registry.compliance.dashboard.signer_page`) adds its standing pacts, declarations and
enforcement steps, which the tally lists per PPK key too (:func:`page`).

Where the tally cannot say (a key of another role than a PPK's, more recommendations or
declarations than it lists, an inexact signers table), :func:`wanted` and
:func:`page_wanted` answer None.  A PPK key's standing recommendations and declarations
past the bound are then found through the search table and kept only if as many as the
tally counts (:func:`standing`, :func:`declarations`;
:mod:`registry.compliance.key_search`), else the index answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from registry.compliance.dashboard import profile
from registry.compliance.facts import Fact, Rec, Signed, Step
from registry.compliance.groups import Row
from registry.compliance.metrics import Outcome
from registry.compliance.tally import NationalTally
from registry.compliance.tally_counts import Read
from registry.compliance.views import outcome_entry


def wanted(tally: NationalTally, kid: bytes, recs: Sequence[int] | None = None) -> list[int] | None:
    """The entries :func:`record` of PPK key ``kid`` reads (its standing recommendations and
    their follow-ups), or None where the tally cannot give its record (see the module).
    ``recs``: its standing recommendations where the tally only counts them
    (:func:`standing`)."""
    office = tally.offices.keys.get(kid)
    if recs is None:
        recs = tally.by_key.recommendations(kid)
    if office is None or recs is None or not tally.keys_exact:
        return None
    return tally.with_answers(recs)


def record(
    tally: NationalTally, kid: bytes, read: Read, recs: Sequence[int] | None = None
) -> Row | None:
    """The record of ``kid``, for which :func:`wanted` named the entries ``read`` gives, as of
    the tally's day (None for a key enrolled as of a later day).  ``recs``: its standing
    recommendations where the tally only counts them (:func:`standing`)."""
    found = _record(tally, kid, read, recs)
    return None if found is None else found[0]


def standing(
    tally: NationalTally, kid: bytes, found: Iterable[int], read: Read
) -> list[int] | None:
    """Of the entries ``found`` (the search table's recommendations to ``kid``, read), those
    that are standing recommendations addressed to ``kid``, in log order; None unless they
    are as many as the tally counts (a search row deleted or moved away: the index answers)."""

    def addressed(fact: Fact | None) -> bool:
        return isinstance(fact, Rec) and fact.ppk_kid == kid and tally.stands(fact)

    return _as_counted(tally, kid, "recommendations", found, read, addressed)


def declarations(
    tally: NationalTally, kid: bytes, found: Iterable[int], read: Read
) -> list[int] | None:
    """Of the entries ``found`` (the declarations the tables say PPK key ``kid`` signed,
    read), its standing declarations, in log order; None unless they are as many as the
    tally counts under the key (:meth:`KeyTable.signed_members
    <registry.compliance.key_rows.KeyTable.signed_members>`: the index answers)."""

    def own(fact: Fact | None) -> bool:
        return (
            isinstance(fact, Signed)
            and fact.kind == "declaration"
            and fact.signer == kid
            and tally.stands(fact)
        )

    return _as_counted(tally, kid, "declarations", found, read, own)


def _as_counted(
    tally: NationalTally,
    kid: bytes,
    name: str,
    found: Iterable[int],
    read: Read,
    counts: Callable[[Fact | None], bool],
) -> list[int] | None:
    """Those of ``found`` (read) that ``counts`` keeps, in log order, if as many as the
    tally's figure ``name`` of key ``kid`` counts; else None."""
    group = tally.by_key.figures.groups.get(kid)
    counted = 0 if group is None else group.figures[name].count
    kept = [i for i in sorted(set(found)) if counts(read(i))]
    return kept if len(kept) == counted else None


def _record(
    tally: NationalTally, kid: bytes, read: Read, recs: Sequence[int] | None = None
) -> tuple[Row, list[Outcome]] | None:
    office = tally.offices.keys[kid]
    if office.day > tally.day:
        return None
    row = tally.by_key.row(tally.offices, tally.day, tally.with_overdue, kid)
    outcomes = []
    entries = []
    listed = tally.by_key.recommendations(kid)
    for idx in (recs if listed is None else listed) or ():
        rec = read(idx)
        found = tally.outcome(rec, read) if isinstance(rec, Rec) else None
        if not isinstance(rec, Rec) or found is None:  # pragma: no cover - standing ones only
            raise LookupError(f"entry {idx} is no standing recommendation")
        outcomes.append(found)
        entries.append(outcome_entry(found, office, tally.elections.election(rec)))
    row["recommendation_outcomes"] = entries
    return row, outcomes


def page_wanted(
    tally: NationalTally,
    kid: bytes,
    recs: Sequence[int] | None = None,
    declared: Iterable[int] | None = None,
) -> list[int] | None:
    """The entries :func:`page` of ``kid`` reads: :func:`wanted`'s, and its standing pacts,
    declarations and enforcement steps (None where the tally cannot say).  ``recs`` and
    ``declared``: its standing recommendations and declarations where the tally only
    counts them (:func:`standing`, :func:`declarations`)."""
    found = wanted(tally, kid, recs)
    declared = listed_declarations(tally, kid) if declared is None else set(declared)
    if found is None or declared is None:
        return None
    signers = tally.with_overdue
    return [*found, *signers.pacts.get(kid, ()), *declared, *signers.steps.get(kid, {})]


def page(
    tally: NationalTally,
    kid: bytes,
    read: Read,
    recs: Sequence[int] | None = None,
    declared: Iterable[int] | None = None,
) -> Row | None:
    """:func:`registry.compliance.dashboard.signer_page` of ``kid`` as of the tally's day,
    for which :func:`page_wanted` (given the same ``recs`` and ``declared``) named the
    entries ``read`` gives."""
    found = _record(tally, kid, read, recs)
    if found is None:
        return None
    row, outcomes = found
    declared = (listed_declarations(tally, kid) or set()) if declared is None else set(declared)
    signers = tally.with_overdue
    signed = [read(i) for i in sorted({*signers.pacts.get(kid, ()), *declared})]
    steps = [read(i) for i in sorted(signers.steps.get(kid, {}))]
    return profile(
        row,
        outcomes,
        [s for s in signed if isinstance(s, Signed)],
        [s for s in steps if isinstance(s, Step)],
        tally.day,
    )


def listed_declarations(tally: NationalTally, kid: bytes) -> set[int] | None:
    """The standing declarations of PPK key ``kid`` the tally lists (None past its bound)."""
    group = tally.by_key.figures.groups.get(kid)
    if group is None:
        return set()
    entries = group.figures["declarations"].entries
    return None if entries is None else set(entries)
