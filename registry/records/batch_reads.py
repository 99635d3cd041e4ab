"""What a batch reads before it is admitted: the keys and earlier entries it names.

The :class:`~registry.records.registration.Registrar` asks these before it admits a
batch: which of its signed contents the log holds already (:func:`contents_in_log`),
the enrolled keys with those of the batches still being written (:func:`keys_with`),
and the earlier entries its payloads name or its rules need (:func:`references`),
read ahead so that the policy (``policy.py``) decides without a database round trip.
"""

from __future__ import annotations

from typing import Any

from registry.log.state import LogState
from registry.records.cited import CitedEntries
from registry.records.directory import KID, KeyDirectory, RevokedEntries
from registry.records.errors import TamperedEntry
from registry.records.pipeline import AppendedBatch
from registry.records.queued import Queued
from registry.records.references import LogView, prefetch
from registry.records.seen import SeenStatements
from registry.records.verified import VerifiedEntries
from registry.store.repository import Store
from registry.verify.cbor import decode
from registry.verify.cose import HEADER_CWT_CLAIMS, key_id, parse_sign1
from registry.verify.statement import CWT_IAT

REFERENCE_FIELDS = ("entry", "recommendation", "report", "recommendations", "enrolment")
"""Payload fields that name earlier entries, looked up before a batch is admitted."""


async def contents_in_log(
    store: Store, seen: SeenStatements, batch: list[Queued]
) -> dict[bytes, tuple[int, bytes]]:
    """(index, statement SHA-256) of the entries with the signed content of ``batch``'s
    statements, asking the store only about those the filter may have seen."""
    maybe = [p.content for p in batch if p.content and seen.may_contain(p.content)]
    return await store.find_by_content_sha256(maybe) if maybe else {}


def keys_with(directory: KeyDirectory, unwritten: list[AppendedBatch]) -> KeyDirectory:
    """The enrolled keys with those of the batches appended but not yet written."""
    keys = directory.overlay()
    for earlier in unwritten:
        for change in earlier.key_changes:
            keys.apply(change)
    return keys


async def references(
    batch: list[Queued],
    reads: VerifiedEntries,
    now: int,
    max_age_s: int,
    state: LogState,
    directory: KeyDirectory,
    revoked: RevokedEntries,
    cited: CitedEntries,
) -> LogView:
    """Earlier entries the batch's payloads name or its rules need, read before admitting.

    The attestations too when one of the batch claims a time more than ``max_age_s``
    before ``now``; ``directory``, ``revoked`` and ``cited`` are the registrar's (and
    ``state`` its log, whose size bounds what may be named).
    """
    payloads, claimed, signers = [], [], []
    for item in batch:
        if item.verified is not None:
            payloads.append(item.verified.payload)
            claimed.append(item.verified.issued_at)
            signers.append(item.verified.kid)
        else:
            payload, iat, kid = _peek(item.statement)
            payloads.append(payload)
            claimed.append(iat)
            signers.extend(() if kid is None else (kid,))
    # The full records of the keys the batch signs with or names, read from their
    # enrolment entries (those not held already), before the policy asks for them.
    # One whose enrolment entry was edited is not loaded: the statements that need it
    # are refused with the read's evidence (tampered-entry).
    await reads.checker.directory.load([*signers, *named_keys(payloads)])
    oldest = now // 1000 - max_age_s
    attestations = any(iat < oldest for iat in claimed)

    async def read(these: list[dict[str, Any]]) -> LogView:
        return await prefetch(
            reads,
            directory,
            revoked,
            state.size,
            these,
            REFERENCE_FIELDS,
            attestations=attestations,
            kept=cited,
        )

    try:
        return await read(payloads)
    except TamperedEntry:
        pass
    # One of them refers to an entry edited in the database: answer those that do with
    # that (tampered-entry), and admit the others against what they read.
    kept = []
    for item, payload in zip(batch, payloads, strict=True):
        try:
            await read([payload])
        except TamperedEntry as tampered:
            item.future.set_exception(tampered)
        else:
            kept.append(payload)
    return await read(kept)


def _peek(statement: bytes) -> tuple[dict[str, Any], int, bytes | None]:
    """The payload, claimed time and kid of a statement not yet verified (only to prefetch
    what it refers to); ``{}``, 0 and None for what cannot be read."""
    # Only to prefetch: verification refuses what is not in its one encoding.
    parsed = parse_sign1(statement, canonical=False)
    if not parsed.ok or parsed.value is None or parsed.value.payload is None:
        return {}, 0, None
    claims = parsed.value.protected.get(HEADER_CWT_CLAIMS)
    iat = claims.get(CWT_IAT) if isinstance(claims, dict) else None
    payload = decode(parsed.value.payload, "payload")
    found = payload.value if payload.ok and isinstance(payload.value, dict) else {}
    return found, iat if isinstance(iat, int) else 0, parsed.value.kid


def named_keys(payloads: list[dict[str, Any]]) -> list[bytes]:
    """The kids ``payloads`` name (any 32-byte value), and those of the public keys they
    name: the keys the policy may look up for them."""
    kids = []
    for payload in payloads:
        for name, value in payload.items():
            if isinstance(value, bytes) and len(value) == KID:
                kids.append(key_id(value) if name == "public_key" else value)
    return kids
