"""What the record search shows of an entry, read from the checked entry itself.

A row of ``search_records`` only says where to look (:mod:`registry.compliance.browsing`);
what a record shows (:class:`registry.compliance.finder.Found`: its type, days, instansi,
province and person) comes from its entry, read and checked against the tree, and from
the checked entries it names: the enrolment a person's name and province come from (located
by the key directory) and the recommendation a follow-up answers.

Memory: the enrolments read for the last :data:`KEYS_KEPT` keys and the recommendations
for the last :data:`RECS_KEPT` follow-ups; nothing per entry.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from registry.compliance.facts import FollowUp, Key, Rec, Report, Signed, Step, Succession
from registry.compliance.facts import read_entry as fact_of
from registry.compliance.finder import Found
from registry.compliance.search_rows import LISTED_TYPES
from registry.store.models import EntryRecord
from registry.verify.trust import b64url

if TYPE_CHECKING:
    from registry.compliance.browsing import CheckedLog

KEYS_KEPT = 4096
RECS_KEPT = 4096


class FoundRecords:
    """The records of checked entries, with the keys and recommendations they name."""

    def __init__(self, log: CheckedLog, follow_up_days: int) -> None:
        self._log = log
        self._days = follow_up_days
        self._keys: OrderedDict[bytes, tuple[int, Key | None]] = OrderedDict()
        self._recs: OrderedDict[int, Rec | None] = OrderedDict()

    async def found_at(self, idxs: Sequence[int]) -> list[Found]:
        """The records at ``idxs`` (in that order), each from its checked entry; an entry
        of no listed record is left out."""
        out = []
        for record in await self._log.entries_at(idxs):
            found = await self.found(record)
            if found is not None:
                out.append(found)
        return out

    async def found(self, record: EntryRecord) -> Found | None:
        if record.type not in LISTED_TYPES:
            return None
        fact = fact_of(record, self._days)
        if isinstance(fact, Key | Succession):
            kid = fact.kid if isinstance(fact, Key) else fact.new
            key = await self.key(kid)
            if key is None or key.idx != fact.idx:  # pragma: no cover - enrolled twice
                key = fact if isinstance(fact, Key) else None
            if key is None:
                return None
            name, pkid, _ = _person(key)
            return Found(
                key.idx, "enrolment", key.day, key.term_start, key.instansi, key.province,
                name, pkid,
            )  # fmt: skip
        if isinstance(fact, Report):
            return Found(fact.idx, "report", fact.day, fact.day, fact.instansi, fact.province,
                         None, None)  # fmt: skip
        if isinstance(fact, Signed):
            name, pkid, province = _person(await self.key(fact.signer))
            return Found(fact.idx, fact.kind, fact.day, fact.date, fact.instansi, province,
                         name, pkid)  # fmt: skip
        if isinstance(fact, Rec):
            name, pkid, province = _person(await self.key(fact.ppk_kid))
            return Found(fact.idx, "recommendation", fact.day, fact.day, fact.instansi,
                         province, name, pkid)  # fmt: skip
        if isinstance(fact, FollowUp):
            rec = await self._rec(fact.recommendation)
            name, pkid, province = _person(await self.key(fact.signer))
            instansi = rec.instansi if rec else ""
            return Found(fact.idx, "follow-up", fact.day, fact.decree_date or fact.day,
                         instansi, province, name, pkid)  # fmt: skip
        if isinstance(fact, Step):
            name, pkid, province = _person(await self.key(fact.ppk_kid))
            return Found(fact.idx, "enforcement", fact.day, fact.day, fact.instansi, province,
                         name, pkid)  # fmt: skip
        return None

    async def key(self, kid: bytes) -> Key | None:
        """The enrolment of ``kid`` the key directory locates, read from its checked entry
        (a successor's: its predecessor's, at the succession's index and day)."""
        at = self._log.enrolment_of(kid)
        if at is None or at >= self._log.size:
            return None
        kept = self._keys.get(kid)
        if kept is not None and kept[0] == at:
            self._keys.move_to_end(kid)
            return kept[1]
        [record] = await self._log.entries_at([at])
        fact = fact_of(record, self._days)
        found: Key | None = None
        if isinstance(fact, Key) and fact.kid == kid:
            found = fact
        elif isinstance(fact, Succession) and fact.new == kid and fact.old != kid:
            old = await self.key(fact.old)
            found = None if old is None else replace(old, idx=at, day=fact.day, kid=kid)
        self._keys[kid] = (at, found)
        while len(self._keys) > KEYS_KEPT:
            self._keys.popitem(last=False)
        return found

    async def _rec(self, idx: int) -> Rec | None:
        """The recommendation at ``idx``, from its checked entry (None if it is not one)."""
        if idx in self._recs:
            self._recs.move_to_end(idx)
            return self._recs[idx]
        found = None
        if 0 <= idx < self._log.size:
            records = await self._log.entries_at([idx])
            fact = fact_of(records[0], self._days) if records else None
            found = fact if isinstance(fact, Rec) else None
        self._recs[idx] = found
        while len(self._recs) > RECS_KEPT:
            self._recs.popitem(last=False)
        return found


def _person(key: Key | None) -> tuple[str | None, str | None, str | None]:
    """A record's person (a PPK's name and kid) and province, from its key's enrolment."""
    if key is None or key.role != "ppk":
        return (None, None, None)
    return (key.name, b64url(key.kid), key.province)
