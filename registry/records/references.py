"""What a batch's statements refer to: earlier entries, read before the batch is admitted.

The registration rules for recommendations, follow-ups and enforcement steps
(:mod:`registry.records.policy`) need more than the entries a payload names:
the follow-ups already made to a recommendation, a PPK's enforcement history
and the recommendations addressed to it.  :func:`prefetch` reads all of that
from the store in a few queries per instansi concerned, and :class:`LogView`
holds it in memory for the policy, updated as each statement of the batch is
admitted (so a recommendation and its follow-up may arrive together).

Entries are read through :class:`~registry.records.verified.VerifiedEntries`
(each checked against the log), and whether one still stands from the
revocations derived from the log, never from the database's copies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Any, Protocol

from registry.records.citations import CITING_TYPES, template_sha256
from registry.records.cited import KEPT_KINDS, CitedEntries
from registry.records.policy import Admission, EntrySummary
from registry.records.verified import VerifiedEntries
from registry.store.models import EntryRecord, SignerKeyRecord
from registry.verify.cbor import decode
from registry.verify.cose import HEADER_CWT_CLAIMS, parse_sign1
from registry.verify.statement import CWT_IAT, Statement

SEARCH_PAGE = 500
"""Rows per query when reading an instansi's entries of one type."""


class _Keys(Protocol):
    def get(self, kid: bytes) -> SignerKeyRecord | None: ...


class LogView:
    """Earlier entries as the policy sees them, indexed by what the rules ask.

    Implements :class:`registry.records.policy.ReferenceView`.  Lists come back
    in log order, revoked entries included (each summary says whether it stands).
    """

    def __init__(self, summaries: Iterable[EntrySummary] = ()) -> None:
        self.known: dict[int, EntrySummary] = {}
        self._follow_ups: dict[int, set[int]] = defaultdict(set)
        self._steps: dict[bytes, set[int]] = defaultdict(set)
        self._addressed: dict[bytes, set[int]] = defaultdict(set)
        self._attested: dict[bytes, list[int]] = defaultdict(list)
        self._templates: dict[bytes, set[int]] = defaultdict(set)
        self._elections: dict[str, set[int]] = defaultdict(set)
        for summary in summaries:
            self.add(summary)

    def add(self, summary: EntrySummary) -> None:
        """Know ``summary`` (replacing an earlier summary of the same entry)."""
        self.known[summary.idx] = summary
        payload = summary.payload
        if summary.type == "follow-up" and isinstance(payload.get("recommendation"), int):
            self._follow_ups[payload["recommendation"]].add(summary.idx)
        elif summary.type == "enforcement" and isinstance(payload.get("ppk_kid"), bytes):
            self._steps[payload["ppk_kid"]].add(summary.idx)
        elif summary.type == "recommendation" and isinstance(payload.get("ppk_kid"), bytes):
            self._addressed[payload["ppk_kid"]].add(summary.idx)
        elif summary.type == "attestation" and isinstance(payload.get("statements"), list):
            for content in payload["statements"]:
                if isinstance(content, bytes) and summary.idx not in self._attested[content]:
                    self._attested[content].append(summary.idx)
        elif summary.type == "template" and (sha256 := template_sha256(payload)) is not None:
            self._templates[sha256].add(summary.idx)
        elif summary.type == "election" and isinstance(payload.get("name"), str):
            self._elections[payload["name"]].add(summary.idx)

    def mark_revoked(self, idx: int) -> None:
        """Entry ``idx`` no longer stands."""
        old = self.known.get(idx)
        if old is not None:
            self.known[idx] = EntrySummary(
                old.idx, old.type, old.signer_kid, True, old.payload, old.issued_at
            )

    def admitted(self, idx: int, statement: Statement, admission: Admission) -> None:
        """Record that ``statement`` was admitted as entry ``idx`` of the batch."""
        if admission.revokes is not None:
            self.mark_revoked(admission.revokes)
        self.add(
            EntrySummary(
                idx,
                statement.statement_type,
                statement.kid,
                False,
                statement.payload,
                statement.issued_at,
            )
        )

    def summary(self, idx: int) -> EntrySummary | None:
        """The entry at ``idx``, if known."""
        return self.known.get(idx)

    def attestation_of(self, content_sha256: bytes) -> int | None:
        """The first standing attestation listing ``content_sha256`` (see AttestationView)."""
        return next(
            (i for i in self._attested.get(content_sha256, []) if not self.known[i].revoked),
            None,
        )

    def _list(self, idxs: set[int]) -> list[EntrySummary]:
        return [self.known[i] for i in sorted(idxs)]

    def follow_ups(self, recommendation: int) -> list[EntrySummary]:
        """Follow-ups that answer entry ``recommendation``."""
        return self._list(self._follow_ups.get(recommendation, set()))

    def enforcement_steps(self, ppk_kid: bytes) -> list[EntrySummary]:
        """Enforcement steps against the PPK key ``ppk_kid``."""
        return self._list(self._steps.get(ppk_kid, set()))

    def recommendations_to(self, ppk_kid: bytes) -> list[EntrySummary]:
        """Recommendations addressed to the PPK key ``ppk_kid``."""
        return self._list(self._addressed.get(ppk_kid, set()))

    def templates(self, sha256: bytes) -> list[EntrySummary]:
        """Template entries whose text hashes to ``sha256`` (a CitationView)."""
        return self._list(self._templates.get(sha256, set()))

    def elections(self, name: str) -> list[EntrySummary]:
        """Election entries named ``name`` (a CitationView)."""
        return self._list(self._elections.get(name, set()))


def summarise(record: EntryRecord, revoked: bool) -> EntrySummary:
    """An entry's summary with its decoded payload (binary fields as bytes) and issued-at."""
    payload: dict[str, Any] = {}
    issued_at = 0
    # As logged: entries from before the one-encoding rule are read too.
    parsed = parse_sign1(record.statement, canonical=False)
    if parsed.ok and parsed.value is not None and parsed.value.payload is not None:
        decoded = decode(parsed.value.payload, "payload")
        if decoded.ok and isinstance(decoded.value, dict):
            payload = decoded.value
        claims = parsed.value.protected.get(HEADER_CWT_CLAIMS)
        if isinstance(claims, dict) and isinstance(claims.get(CWT_IAT), int):
            issued_at = claims[CWT_IAT]
    return EntrySummary(record.idx, record.type, record.signer_kid, revoked, payload, issued_at)


def _named(payload: Mapping[str, Any], fields: Sequence[str], size: int) -> set[int]:
    found: set[int] = set()
    for name in fields:
        value = payload.get(name)
        values = value if isinstance(value, list) else [value]
        found.update(v for v in values if isinstance(v, int) and 0 <= v < size)
    return found


async def _search_all(
    entries: VerifiedEntries, kind: str, instansi: str | None
) -> list[EntryRecord]:
    rows: list[EntryRecord] = []
    async for page in entries.pages(SEARCH_PAGE, type=kind, instansi=instansi):
        rows.extend(page)
    return rows


def _scope(keys: _Keys, instansi: Any, ppk_kid: Any) -> set[str]:
    """The instansi whose entries bear on a record naming ``instansi`` and ``ppk_kid``."""
    scope = {instansi} if isinstance(instansi, str) else set()
    key = keys.get(ppk_kid) if isinstance(ppk_kid, bytes) else None
    if key is not None:
        scope.add(key.instansi)
    return scope


async def prefetch(
    entries: VerifiedEntries,
    keys: _Keys,
    revoked: Container[int],
    size: int,
    payloads: Sequence[Mapping[str, Any]],
    fields: Sequence[str],
    attestations: bool = False,
    kept: CitedEntries | None = None,
) -> LogView:
    """The view of the log a batch of statements (their ``payloads``) needs.

    It holds the entries named by ``fields`` (an index, or a list of indexes),
    and for every instansi concerned all its follow-ups (for a follow-up of a
    recommendation there) or all its recommendations, follow-ups and
    enforcement steps (for an enforcement step against one of its PPKs), every
    and every attestation when ``attestations`` (a statement of the
    batch claims a time past the maximum age); every election when one of them
    cites or registers one, every template when one is a pact or declaration
    (:mod:`registry.records.citations`), from ``kept`` if given.  An entry's instansi is the one
    the store keeps for search (checked against its statement); ``revoked``
    holds the indexes of the entries that no longer stand.
    """
    records: dict[int, EntryRecord] = {}
    for idx in sorted(set().union(*(_named(p, fields, size) for p in payloads))):
        entry = await entries.entry(idx, receipt=False)
        if entry is not None:
            records[idx] = entry
    searches: set[tuple[str, str]] = set()
    for payload in payloads:
        kind = payload.get("type")
        if kind == "follow-up" and payload.get("recommendation") in records:
            cited = records[payload["recommendation"]]
            if cited.type == "recommendation":
                data = summarise(cited, False).payload
                scope = _scope(keys, data.get("instansi"), data.get("ppk_kid"))
                searches.update(("follow-up", i) for i in scope)
        elif kind == "enforcement":
            scope = _scope(keys, payload.get("instansi"), payload.get("ppk_kid"))
            for name in ("follow-up", "recommendation", "enforcement"):
                searches.update((name, i) for i in scope)
    if attestations:
        searches.add(("attestation", ""))
    kinds = {p.get("type") for p in payloads}
    if kinds & (CITING_TYPES | {"election"}):
        searches.add(("election", ""))
    if kinds & {"pact", "declaration"}:
        searches.add(("template", ""))
    for name, instansi in sorted(searches):
        if kept is not None and name in KEPT_KINDS:
            found = await kept.of_kind(name, lambda kind: _search_all(entries, kind, None))
        else:
            found = await _search_all(entries, name, instansi or None)
        for entry in found:
            records[entry.idx] = entry
    return LogView(summarise(r, r.idx in revoked) for r in records.values())
