"""A national tally as saved beside the index's segments (:mod:`registry.compliance.saved`).

The bytes are MessagePack of the tally's version, day, size and bounds, and
of everything it keeps (:data:`Saved`); read back, a tally of another version or bytes
that are not one are refused with ``ValueError`` (and the tally made again).
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import Any

import msgspec

from registry.compliance import signer_rows
from registry.compliance.answers import Answers
from registry.compliance.election_rows import ElectionTable
from registry.compliance.groups import GroupFigures, Offices
from registry.compliance.kept import Members
from registry.compliance.key_rows import KeyTable
from registry.compliance.month_rows import MonthTable
from registry.compliance.provinces import Provinces
from registry.compliance.tally import VERSION, NationalTally
from registry.compliance.tally_counts import NAMES
from registry.compliance.vocabulary import Vocabulary


def encode(tally: NationalTally) -> bytes:
    """The bytes a saved ``tally`` holds."""
    return msgspec.msgpack.encode(
        (
            VERSION,
            tally.day,
            tally.size,
            tally.bound,
            sorted((kind, idx, last) for (kind, idx), last in tally.waiting.items()),
            [(name, m.count, m.listed()) for name, m in tally.figures.items()],
            sorted(tally.days.items()),
            sorted(tally.signers.items()),
            sorted(tally.deadlines.items()),
            tally.answers.packed(),
            sorted(tally.revoked.items()),
            tally.instansi.bound,
            tally.instansi.encode(),
            tally.offices.encode(),
            tally.provinces.encode(),
            tally.elections.encode(),
            tally.months.encode(),
            signer_rows.encode(tally.with_overdue),
            tally.vocabulary.encode(),
            tally.by_key.encode(),
        )
    )


def decode(data: bytes) -> NationalTally:
    """A tally from :func:`encode`'s bytes; ``ValueError`` if they are not one.

    The garbage collector is paused meanwhile: the tally is hundreds of thousands of small
    objects without a cycle, and collections as they are made took about as long as making
    them (0.12 s of 0.27 s at 100,000 entries, docs/benchmarks.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _decoded(data)
    finally:
        if enabled:
            gc.enable()


def _decoded(data: bytes) -> NationalTally:
    try:
        saved = _DECODER.decode(data)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise ValueError(f"not a saved tally ({exc})") from None
    (version, day, size, bound, waiting, figures, days, signers, deadlines, answers, revoked,
     group_bound, groups, offices, provinces, elections, months, with_overdue,
     vocabulary, by_key) = saved  # fmt: skip
    if version != VERSION or {name for name, _, _ in figures} != set(NAMES):
        raise ValueError("a saved tally of another version")
    tally = NationalTally(day, size, bound, group_bound)
    tally.instansi = GroupFigures.decode(groups, group_bound)
    tally.offices = Offices.decode(offices)
    tally.provinces = Provinces.decode(provinces, group_bound)
    for name, count, entries in figures:
        tally.figures[name] = Members.saved(count, entries)  # None even at 0
    tally.waiting = {(kind, idx): last for kind, idx, last in waiting}
    tally.days = Counter(dict(days))
    tally.signers = Counter(dict(signers))
    tally.deadlines = dict(deadlines)
    if any(len(run) % 8 for run in answers):
        raise ValueError("not a saved tally (a follow-up cut short)")
    tally.answers = Answers(answers)
    tally.revoked = dict(revoked)
    try:  # its shape is not in :data:`Saved` (sealed: only ever this code's bytes)
        tally.elections = ElectionTable.decode(elections, group_bound, day, tally.revoked)
        tally.months = MonthTable.decode(months, group_bound)
        tally.with_overdue = signer_rows.decode(with_overdue, group_bound)
        tally.vocabulary = Vocabulary.decode(vocabulary)
        tally.by_key = KeyTable.decode(by_key, group_bound)
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise ValueError(f"not a saved tally ({exc})") from None
    return tally


Saved = tuple[
    int,
    str,
    int,
    int,
    list[tuple[str, int, str]],
    list[tuple[str, int, list[int] | None]],
    list[tuple[int, int]],
    list[tuple[bytes, int]],
    list[tuple[int, str]],
    list[bytes],
    list[tuple[int, str]],
    int,
    tuple[list[tuple[Any, list[tuple[str, int, list[int] | None]], list[tuple[int, int]],
                     list[tuple[int, str]]]], list[tuple[int, Any]]],
    tuple[list[tuple[int, str, bytes, str, str | None, str, str, str, str, str | None]],
          list[tuple[bytes, tuple[str, str, int]]]],
    tuple[tuple[list[tuple[Any, list[tuple[str, int, list[int] | None]], list[tuple[int, int]],
                           list[tuple[int, str]]]], list[tuple[int, Any]]],
          list[tuple[bytes, list[tuple[str, int]]]], bool, Any],
    list[Any],
    Any,
    Any,
    Any,
    Any,
]  # fmt: skip
"""What :func:`encode` writes: version, day, size, bound, waiting, figures,
days, signers, deadlines, answers (packed), revoked, the group bound, the instansi figures
(group, figures, days, steps; each pending recommendation's group), the PPK offices
(keys, revocations) and the province figures (as the instansi ones; the units whose key was
not enrolled yet, by kid; whether they are exact) and the election figures
(:meth:`~registry.compliance.election_rows.ElectionTable.encode`), the month figures,
the pact signers' (:func:`registry.compliance.signer_rows.encode`), the filter's vocabulary
and the signers table's (:meth:`registry.compliance.key_rows.KeyTable.encode`)."""
_DECODER: msgspec.msgpack.Decoder[Saved] = msgspec.msgpack.Decoder(Saved)
