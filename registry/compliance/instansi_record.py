"""Today's page of one instansi (``/instansi/{id}``, ``/api/profiles/instansi/{id}``) from the
national tally, without the compliance index.

:func:`registry.compliance.dashboard.instansi_page` gives an instansi's row of the instansi
table, its PPK keys over time, its newest standing recommendations (their outcomes), pacts
and declarations and enforcement steps (each list at most
:data:`~registry.compliance.profile_lists.LISTED`, with how many there are), and its follow-up
rate by month over every standing recommendation.  Here:

- the id is looked up among the instansi the tally's vocabulary knows, the row is the
  tally's (:meth:`~registry.compliance.tally_counts.Counts.instansi_rows`), the PPK keys its
  offices;
- the recommendations, pacts and declarations are those the tally lists for the instansi
  while at most its group bound, else those the record search (``search_records``) finds;
  each is read from the log, checked (an edited entry raises ``TamperedEntry``), and taken
  only if it is what it should be: a recommendation's outcome is computed as the tally
  computes it (:func:`registry.compliance.recommendation_rows.part`), a signed record must
  be of the instansi, its kind, and stand.  Those found must be as many as the tally counts
  for the instansi, so an edited or deleted search row can neither hide a record nor show
  one the log does not say; the records are read
  :data:`~registry.compliance.recommendation_rows.CHUNK` a round, each one
  adding to the rate by month, and only the newest are kept;
- the steps are the tally's standing steps of the instansi (all listed), the newest read.

Where it cannot say (:func:`page` answers None: the index answers): the tally's per-key
figures are inexact (``Counts.keys_exact``), the counts are short, the search table is
behind, or the tally moved on while the entries were read, :data:`ROUNDS` times.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Sequence

from registry.compliance import profile_lists, recommendation_rows
from registry.compliance.browsing import SearchBehind
from registry.compliance.facts import Rec, Signed, Step
from registry.compliance.feed import FactLog
from registry.compliance.groups import Row
from registry.compliance.metrics import figures
from registry.compliance.profile_lists import (
    MonthRates,
    instansi_lists,
    instansi_name,
    ppk_rows,
)
from registry.compliance.recommendation_rows import ROUNDS, Find, part
from registry.compliance.signer_rows import key_info
from registry.compliance.tally import NationalTally
from registry.store.models import SearchCriteria

KINDS = ("pact", "declaration")
"""The signed records an instansi's page lists."""
FIGURE = {"recommendation": "recommendations", "pact": "pacts", "declaration": "declarations"}
"""The tally's figure of the instansi counting each type."""


class _Again(Exception):
    """The tally was fed or moved to another day while the page was read."""


class _Short(Exception):
    """The page cannot be made from the tally (the index answers)."""


class _Read:
    """What one reading of the page gathers: the rate by month, the newest ``listed`` of
    each list, how many of each type were found."""

    def __init__(self, listed: int) -> None:
        self.rates = MonthRates()
        self.outcomes: deque[Row] = deque(maxlen=listed)
        self.signed: dict[str, deque[Signed]] = {kind: deque(maxlen=listed) for kind in KINDS}
        self.found = dict.fromkeys(FIGURE, 0)


async def page(
    tally: NationalTally,
    ident: str,
    find: Find,
    facts: FactLog,
    lock: asyncio.Lock,
    listed: int | None = None,
) -> tuple[str, int, Row | None] | None:
    """The page of the instansi of id ``ident`` (None: none has it; ``listed`` of each list, default
    :data:`~registry.compliance.profile_lists.LISTED`)
    with the tally's day and size, from ``tally`` (fed under ``lock``), the search's ``find``
    and the log's ``facts``; None where it cannot say (see the module)."""
    listed = profile_lists.LISTED if listed is None else listed
    for _ in range(ROUNDS):
        try:
            return await _page(tally, ident, find, facts, lock, listed)
        except _Again:
            continue
        except (_Short, SearchBehind, KeyError):
            # KeyError: an index fed the tally an entry naming one not read
            return None
    return None


async def _page(
    tally: NationalTally, ident: str, find: Find, facts: FactLog, lock: asyncio.Lock, listed: int
) -> tuple[str, int, Row | None]:
    async with lock:
        mark = (tally.size, tally.day)
        if not tally.keys_exact:
            raise _Short
        name = instansi_name(tally.choices().instansi, ident)
        if name is None:
            return tally.day, tally.size, None
        rows = tally.instansi_rows(name=name)
        row: Row = rows[0] if rows else {"instansi": name, **figures([])}
        offices = tally.offices
        row["ppks"] = ppk_rows(
            (k for k in offices.keys.values() if k.instansi == name and k.day <= tally.day),
            lambda k: key_info(offices, k, tally.day),
            lambda k: offices.in_office(k, tally.day),
        )
        group = tally.instansi.groups.get(name)
        kept: dict[str, list[int] | None] = {
            kind: [] if group is None else _listed(group.figures[figure].entries)
            for kind, figure in FIGURE.items()
        }
        counted = {
            kind: 0 if group is None else group.figures[figure].count
            for kind, figure in FIGURE.items()
        }
        standing_steps = [] if group is None else sorted(group.steps)
    read = _Read(listed)
    for kind in FIGURE:
        entries = kept[kind]
        if entries is not None:
            idxs = entries
        else:
            idxs = await find(SearchCriteria(type=kind, instansi=(name,)), mark[0])
        chunk = recommendation_rows.CHUNK
        for start in range(0, len(idxs), chunk):
            await _chunk(tally, mark, name, kind, idxs[start : start + chunk], facts, lock, read)
    steps = await facts.facts_at(standing_steps[-listed:])
    async with lock:
        _same(tally, mark)
        if read.found != counted:
            raise _Short  # a search row deleted or edited away
        newest = [steps[i] for i in standing_steps[-listed:]]
        if not all(isinstance(s, Step) and s.instansi == name for s in newest):
            raise _Short  # pragma: no cover - the tally lists the instansi's steps
        signed = sorted((s for kind in KINDS for s in read.signed[kind]), key=lambda s: s.idx)
        found = instansi_lists(
            row,
            ident,
            (list(read.outcomes), counted["recommendation"]),
            ([s for s in newest if isinstance(s, Step)], len(standing_steps)),
            (signed, counted["pact"] + counted["declaration"]),
            read.rates.rows(tally.day),
            listed,
        )
        return tally.day, tally.size, found


def _listed(entries: Iterable[int] | None) -> list[int] | None:
    """A figure's listed entries in log order (None: only counted)."""
    return None if entries is None else sorted(entries)


def _same(tally: NationalTally, mark: tuple[int, str]) -> None:
    if (tally.size, tally.day) != mark:
        raise _Again


async def _chunk(
    tally: NationalTally,
    mark: tuple[int, str],
    name: str,
    kind: str,
    idxs: Sequence[int],
    facts: FactLog,
    lock: asyncio.Lock,
    read: _Read,
) -> None:
    """Read some of the instansi's records of ``kind`` and take what they are into ``read``."""
    if kind == "recommendation":
        got = await facts.facts_at(tally.with_answers(idxs))
        keys = await facts.keys([f.ppk_kid for f in got.values() if isinstance(f, Rec)])
        async with lock:
            _same(tally, mark)
            rows, found = part(tally, idxs, got.__getitem__, keys.__getitem__, instansi=name)
        read.found[kind] += found
        for row in rows:
            read.rates.add(row["day"], row["decree_date"])
        read.outcomes.extend(rows)
        return
    got = await facts.facts_at(idxs)
    async with lock:
        _same(tally, mark)
        for idx in idxs:
            fact = got[idx]
            if (
                isinstance(fact, Signed)
                and fact.kind == kind
                and fact.instansi == name
                and tally.stands(fact)
            ):
                read.found[kind] += 1
                read.signed[kind].append(fact)
