"""Registration rules of what a pledge, report or recommendation cites: a template, an election.

Rule (5) of :mod:`registry.records.policy` (docs/compliance.md "Elections"):

* a ``pact`` or ``declaration`` cites a template by the SHA-256 of its text:
  a standing ``template`` entry of the log with that text
  (``unknown-template``, ``revoked-template``), of the same kind, a pact
  citing a pact template and a declaration a declaration template
  (``wrong-template-kind``);
* a ``pact``, ``declaration``, ``report`` or ``recommendation`` cites an
  election by name: a standing ``election`` entry of the log
  (``unknown-election``, also when it names none; ``revoked-election``);
* an ``election`` is registered once per name: a second one while the first
  stands is refused (``duplicate-election``); revoke the first to correct it.

Free text (``pemilu-1955``) or a hash of no published text no longer counts
in the figures as if it were an election or a template.  Entries logged
before these rules are read as they are (:func:`~registry.records.schemas.parse_record`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from registry.records.errors import refused
from registry.records.obligations import EntrySummary
from registry.records.schemas import Declaration, Election, Pact, Recommendation, Record, Report

CITING_TYPES = frozenset({"pact", "declaration", "report", "recommendation"})
"""Statement types that cite an election (pacts and declarations a template too)."""


def template_sha256(payload: Mapping[str, Any]) -> bytes | None:
    """The SHA-256 of a template entry's text (UTF-8): what pledges cite; None if it has none."""
    text = payload.get("text")
    return hashlib.sha256(text.encode()).digest() if isinstance(text, str) else None


@runtime_checkable
class CitationView(Protocol):
    """Earlier template and election entries, revoked ones included (flagged), in log order."""

    def templates(self, sha256: bytes) -> Sequence[EntrySummary]:
        """Template entries whose text hashes to ``sha256``."""
        ...

    def elections(self, name: str) -> Sequence[EntrySummary]:
        """Election entries named ``name``."""
        ...


def _standing(found: Sequence[EntrySummary], idx: int) -> list[EntrySummary]:
    return [e for e in found if not e.revoked and e.idx < idx]


def check_citations(record: Record, idx: int, entries: CitationView) -> None:
    """The rules above for ``record`` registered as entry ``idx``; raise a refusal."""
    if isinstance(record, Election):
        standing = _standing(entries.elections(record.name), idx)
        if standing:
            raise refused(
                "duplicate-election",
                "refusal.duplicate-election",
                409,
                name=record.name,
                entry=standing[0].idx,
            )
        return
    if isinstance(record, Pact | Declaration):
        _check_template(record, idx, entries)
    if isinstance(record, Pact | Declaration | Report | Recommendation):
        _check_election(record.election, idx, entries)


def _check_template(record: Pact | Declaration, idx: int, entries: CitationView) -> None:
    found = [e for e in entries.templates(record.template) if e.idx < idx]
    shown = record.template.hex()
    if not found:
        raise refused("unknown-template", "refusal.unknown-template", 404, sha256=shown)
    standing = _standing(found, idx)
    if not standing:
        raise refused(
            "revoked-template", "refusal.revoked-template", 409, sha256=shown, entry=found[-1].idx
        )
    kind = "pact" if isinstance(record, Pact) else "declaration"
    if not any(e.payload.get("kind") == kind for e in standing):
        raise refused(
            "wrong-template-kind",
            "refusal.wrong-template-kind",
            422,
            entry=standing[-1].idx,
            kind=str(standing[-1].payload.get("kind")),
            needed=kind,
        )


def _check_election(name: str | None, idx: int, entries: CitationView) -> None:
    if name is None:
        raise refused("unknown-election", "refusal.unknown-election.none", 422)
    found = [e for e in entries.elections(name) if e.idx < idx]
    if not found:
        raise refused("unknown-election", "refusal.unknown-election", 404, name=repr(name))
    if not _standing(found, idx):
        raise refused(
            "revoked-election",
            "refusal.revoked-election",
            409,
            name=repr(name),
            entry=found[-1].idx,
        )
