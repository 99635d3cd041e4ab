"""Search people can use: records by part of a PPK's name, part of an instansi, region,
type and the date a statement claims; suggestions as one types.

Read from the compliance index (the facts of every entry of the types it
reads).  The API and the home page answer the same questions without the
index, from the database (:mod:`registry.compliance.browsing`, whose tests and
benchmark hold it to these functions): they share :class:`Found`,
:class:`Query`, :func:`checked_query`, :func:`keeps` and the word matching.
Names are matched without their degrees and punctuation: each word typed must appear in the name
(``"ridwan kamil"`` finds ``"Dr. H. Ridwan Kamil, S.T., M.U.D."``), in any
case.  Only PPKs (public officials) are found by name: ASN names are not
searchable here.  Records without a person (reports) are found by instansi,
region, type and date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from registry.compliance.filtering import FilterRefused, choices, field, iso_day, slug
from registry.compliance.index import ComplianceIndex
from registry.i18n import Message
from registry.verify.trust import b64url

TYPES = (
    "enrolment",
    "pact",
    "declaration",
    "report",
    "recommendation",
    "follow-up",
    "enforcement",
)
"""The record types the search finds."""
SUGGESTIONS = 10
MIN_QUERY = 2


def words(text: str) -> list[str]:
    """``text`` in lower case, as words of letters and digits (dots and commas dropped)."""
    return re.findall(r"[0-9a-z]+", text.casefold().replace(".", ""))


def matches(query: str, text: str) -> bool:
    """Whether every word of ``query`` is part of a word of ``text`` (see the module docstring)."""
    wanted = words(query)
    have = words(text)
    return bool(wanted) and all(any(w in h for h in have) for w in wanted)


@dataclass(frozen=True)
class Found:
    """One record as the search lists it."""

    index: int
    type: str
    day: str
    claimed: str
    instansi: str
    province: str | None
    person: str | None
    person_kid: str | None

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready data, with the addresses of its pages."""
        return {
            "index": self.index,
            "type": self.type,
            "day": self.day,
            "claimed": self.claimed,
            "instansi": self.instansi,
            "instansi_id": slug(self.instansi),
            "province": self.province,
            "person": self.person,
            "person_kid": self.person_kid,
            "url": f"/v/{self.index}",
        }


def _newer(facts: dict[Any, Any], since: int) -> list[Any]:
    """The facts of ``facts`` (kept in log order) from index ``since`` on."""
    out = []
    for fact in reversed(facts.values()):
        if fact.idx < since:
            break
        out.append(fact)
    return out


def _records(index: ComplianceIndex, since: int = 0) -> list[Found]:
    """Every record of :data:`TYPES` the index holds from entry ``since`` on, in log order.

    The index keeps each kind of fact in log order, so only the new ones are read
    (a key enrolled again keeps its first place: it is listed as first enrolled).
    """

    def person(kid: bytes) -> tuple[str | None, str | None, str | None]:
        k = index.keys.get(kid)
        if k is None or k.role != "ppk":
            return (None, None, None)
        return (k.name, b64url(kid), k.province)

    out: list[Found] = []
    for k in _newer(index.keys, since):
        name, kid, _ = person(k.kid)
        out.append(
            Found(k.idx, "enrolment", k.day, k.term_start, k.instansi, k.province, name, kid)
        )
    for s in _newer(index.signed, since):
        name, kid, province = person(s.signer)
        out.append(Found(s.idx, s.kind, s.day, s.date, s.instansi, province, name, kid))
    for r in _newer(index.reports, since):
        out.append(Found(r.idx, "report", r.day, r.day, r.instansi, r.province, None, None))
    for c in _newer(index.recs, since):
        name, kid, province = person(c.ppk_kid)
        out.append(Found(c.idx, "recommendation", c.day, c.day, c.instansi, province, name, kid))
    for f in _newer(index.follow_ups, since):
        rec = index.recs.get(f.recommendation)
        name, kid, province = person(f.signer)
        claimed = f.decree_date or f.day
        instansi = rec.instansi if rec else ""
        out.append(Found(f.idx, "follow-up", f.day, claimed, instansi, province, name, kid))
    for t in _newer(index.steps, since):
        name, kid, province = person(t.ppk_kid)
        out.append(Found(t.idx, "enforcement", t.day, t.day, t.instansi, province, name, kid))
    out.sort(key=lambda f: f.index)
    return out


_CACHE: WeakKeyDictionary[ComplianceIndex, tuple[int, list[Found]]] = WeakKeyDictionary()


def records(index: ComplianceIndex) -> list[Found]:
    """:func:`_records` of the whole index, extended with each new entry, not rebuilt."""
    cached = _CACHE.get(index)
    if cached is None or cached[0] > index.size:
        cached = (index.size, _records(index))
    elif cached[0] < index.size:
        cached = (index.size, cached[1] + _records(index, cached[0]))
    _CACHE[index] = cached
    return cached[1]


@dataclass(frozen=True)
class Query:
    """A search; ``None`` keeps everything."""

    name: str | None = None
    instansi: str | None = None
    province: str | None = None
    type: str | None = None
    claimed_since: str | None = None
    claimed_until: str | None = None

    def params(self) -> dict[str, str]:
        """The search as query parameters (those that are set)."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


def check_query(index: ComplianceIndex, raw: dict[str, str | None]) -> Query:
    """The search ``raw`` asks for, each value checked; :class:`FilterRefused` otherwise."""
    return checked_query(choices(index).provinces, raw)


def checked_query(known: list[str], raw: dict[str, str | None]) -> Query:
    """The search ``raw`` asks for, each value checked (a province among ``known``);
    :class:`FilterRefused` otherwise."""
    given = {k: (v.strip() if v else None) or None for k, v in raw.items()}
    for name in ("name", "instansi"):
        value = given.get(name)
        if value is not None and len(value) < MIN_QUERY:
            raise FilterRefused(
                Message("dashboard.search.too-short", {"name": field(name), "min": MIN_QUERY})
            )
        if value is not None and not words(value):
            raise FilterRefused(Message("dashboard.search.no-words", {"name": field(name)}))
    kind = given.get("type")
    if kind is not None and kind not in TYPES:
        raise FilterRefused(
            Message(
                "dashboard.filter.unknown",
                {"name": field("type"), "value": kind, "known": ", ".join(TYPES)},
            )
        )
    province = given.get("province")
    if province is not None and province not in known:
        raise FilterRefused(
            Message(
                "dashboard.filter.unknown",
                {"name": field("province"), "value": province, "known": ", ".join(known)},
            )
        )
    since = iso_day("claimed_since", given.get("claimed_since"))
    until = iso_day("claimed_until", given.get("claimed_until"))
    if since and until and since > until:
        raise FilterRefused(Message("dashboard.filter.range", {"since": since, "until": until}))
    return Query(given.get("name"), given.get("instansi"), province, kind, since, until)


def keeps(query: Query, f: Found) -> bool:
    """Whether record ``f`` matches every part of ``query``."""
    return (
        (query.type is None or f.type == query.type)
        and (query.province is None or f.province == query.province)
        and (query.claimed_since is None or f.claimed >= query.claimed_since)
        and (query.claimed_until is None or f.claimed <= query.claimed_until)
        and (query.instansi is None or matches(query.instansi, f.instansi))
        and (query.name is None or bool(f.person and matches(query.name, f.person)))
    )


def search(index: ComplianceIndex, query: Query) -> list[Found]:
    """The records matching every part of ``query``, newest first."""
    out = [f for f in records(index) if keeps(query, f)]
    out.reverse()
    return out


def find(index: ComplianceIndex, query: Query, offset: int, limit: int) -> tuple[list[Found], int]:
    """One page of :func:`search` (newest first) and how many match; without a filter, the
    page is cut from the list of records without reading the rest."""
    if not query.params():
        every = records(index)
        total = len(every)
        end = max(total - offset, 0)
        return every[max(end - limit, 0) : end][::-1], total
    found = search(index, query)
    return found[offset : offset + limit], len(found)


def suggest(index: ComplianceIndex, text: str) -> list[dict[str, str]]:
    """Up to :data:`SUGGESTIONS` PPKs, instansi and provinces whose name holds what was typed."""
    if len(text.strip()) < MIN_QUERY or not words(text):
        return []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for key in sorted((k for k in index.keys.values() if k.role == "ppk"), key=lambda k: k.name):
        if matches(text, key.name) and key.name not in seen:
            seen.add(key.name)
            out.append(
                {
                    "kind": "ppk",
                    "label": key.name,
                    "detail": key.instansi,
                    "url": f"/signers/{b64url(key.kid)}",
                }
            )
    known = choices(index)
    for name in known.instansi:
        if matches(text, name):
            out.append(
                {"kind": "instansi", "label": name, "detail": "", "url": f"/instansi/{slug(name)}"}
            )
    for name in known.provinces:
        if matches(text, name):
            out.append(
                {
                    "kind": "province",
                    "label": name,
                    "detail": "",
                    "url": "/dashboard?" + urlencode({"province": name}),
                }
            )
    return out[:SUGGESTIONS]
