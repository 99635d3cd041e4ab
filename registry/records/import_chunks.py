"""A bulk import, one chunk at a time: prepare the rows, then register them, each chunk atomic.

`registry import` (locally, or through a running registry's
``/api/imports/...``) cuts a file into chunks of a few hundred rows, so no
process ever holds the file.  For each chunk:

1. :func:`prepare_chunk`: its rows checked (:func:`registry.records.bulk.validate_table`)
   into payloads to sign, each ASN's commitment made under the registry's
   stable salt (:mod:`registry.records.salts`), so the same row is the same
   statement at every import.
2. The signer signs them (on every core: :mod:`registry.records.bulk_crypto`).
3. :func:`register_chunk`: the statements verified on every core, the
   identities behind them kept, the old ones attested, and all registered in
   one transaction (:meth:`RegistryService.register_atomic`).  If the registry
   refuses some, none of that attempt is written; the refused rows are set
   aside (with the registry's reason) and the others registered, again in one
   transaction.  A row whose content is in the log already comes back as that
   entry (``existed``): importing a file again registers nothing new.

New identities (no unerased one kept for that commitment) are kept before
the registration and erased again if no registered row names them, so a
commitment in the log always has its identity behind it, and a refused chunk
never erases an identity an earlier import kept.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from registry.i18n import Message
from registry.records.bulk import RowError, Validated, validate_table
from registry.records.bulk_crypto import CryptoPool
from registry.records.errors import BatchRefused, RegistrationRefused, refusal_for
from registry.records.queued import Registered
from registry.records.salts import StableSalts
from registry.records.spreadsheet import ImportType, Table
from registry.store.models import AccessRecord, IdentityRecord, SignerKeyRecord
from registry.verify.cose import parse_sign1
from registry.verify.result import Reason
from registry.verify.statement import Statement, statement_content

if TYPE_CHECKING:
    from registry.records.service import RegistryService


class Turn:
    """A chunk's place in its file: it is handed to the sequencer only once the chunk before
    it is appended to the tree (or has ended), so a file's entries follow its rows' order
    although several chunks are prepared, verified and checked against the log at once."""

    def __init__(self, before: Turn | None = None) -> None:
        self._before = None if before is None else before._mine
        self._mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def wait(self) -> None:
        """Until the chunk before this one is appended or has ended."""
        if self._before is not None:
            await asyncio.shield(self._before)

    def done(self) -> None:
        """This chunk is appended (or has ended): the next one may go."""
        if not self._mine.done():
            self._mine.set_result(None)


Importer = SignerKeyRecord
"""The enrolled key an import through the API is signed with."""
Attester = Callable[[Sequence[bytes]], list[bytes]]
"""Signs the attestations that the given (old, new) statements need."""


@dataclass(frozen=True)
class SignedRow:
    """A row's statement, and the person it names (NIP and name, if any)."""

    row: int
    statement: bytes
    nip: str | None = None
    name: str | None = None


@dataclass
class ChunkOutcome:
    """What became of a chunk's rows: entries (row, registered), refusals (row, why)."""

    registered: list[tuple[int, Registered]] = field(default_factory=list)
    refused: list[tuple[int, RegistrationRefused]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    """Rows refused before the registry saw them (their statement names another person)."""
    identities: int = 0
    """Identities kept by this chunk (new ones, named by a registered row)."""


async def prepare_chunk(
    service: RegistryService,
    table: Table,
    kind: ImportType,
    salts: StableSalts,
    pool: CryptoPool,
    *,
    header: bool,
) -> Validated:
    """``table``'s rows checked into payloads (with stable commitments) and errors, in one
    of ``pool``'s worker processes (the checks need the PPKs' keys, not the log)."""
    ppks = []  # only recommendations name a PPK by NIP (read by role: one entry a PPK)
    if kind == "recommendation":
        ppks = [k for k in await service.signers_with_role("ppk") if k.revoked_at is None]
    nips = await service.identities.nips_of(
        [k.nip_commitment for k in ppks if k.nip_commitment is not None]
    )
    ppks = [k for k in ppks if k.nip or k.nip_commitment in nips]
    return await pool.call(
        validate_table, table, kind, enrolled=ppks, nips=nips, salts=salts, header=header
    )


PreparedRow = tuple[int, dict[str, Any], int | None, str | None, str | None]
"""A valid row: its number, the payload to sign, its day (or None), the NIP and name it names."""


def prepared_rows(validated: Validated) -> list[PreparedRow]:
    """The valid rows of ``validated``, each with the person (NIP, name) it names, if any."""
    people = {i.commitment: i for i in validated.identities}
    rows: list[PreparedRow] = []
    for row in validated.rows:
        person = people.get(bytes(row.payload.get("subject_commitment", b"")))
        nip, name = (person.nip, person.name) if person else (None, None)
        rows.append((row.row, row.payload, row.issued_at, nip, name))
    return rows


def _kid(statement: bytes) -> bytes | None:
    parsed = parse_sign1(statement, canonical=False)
    return parsed.value.kid if parsed.ok and parsed.value is not None else None


Verified = tuple[list[Statement | None], dict[int, RegistrationRefused]]
"""A chunk's statements verified (None: the registrar will), and refusals by position."""


async def verify_chunk(
    service: RegistryService, pool: CryptoPool, rows: Sequence[SignedRow]
) -> Verified:
    """Each row's statement verified on every core (None: the registrar will), and refusals.

    Needs no log: a chunk may be verified while the one before it is being
    registered (:func:`register_chunk`'s ``ahead``).  The registrar still
    checks, when it admits each statement, that its key is the one enrolled
    under its kid then (a key revoked meanwhile refuses the row).
    """
    kids = {k for k in {_kid(rows[0].statement)} if k is not None} if rows else set()
    keys = {k: key for k in kids if (key := service.registrar.lookup(k)) is not None}
    verdicts = await pool.verify([r.statement for r in rows], keys)
    verified: list[Statement | None] = []
    refused: dict[int, RegistrationRefused] = {}
    for position, verdict in enumerate(verdicts):
        if verdict.ok and verdict.value is not None:
            verified.append(verdict.value)
            continue
        verified.append(None)
        if verdict.reason is not Reason.UNKNOWN_KEY:  # another kid: the registrar decides
            refused[position] = refusal_for(verdict.reason, verdict.detail, verdict.evidence)
    return verified, refused


def _people(
    salts: StableSalts, rows: Sequence[SignedRow], verified: Sequence[Statement | None]
) -> tuple[dict[int, IdentityRecord], list[RowError]]:
    """The identity each row names (by position), and rows whose statement names another."""
    people: dict[int, IdentityRecord] = {}
    errors: list[RowError] = []
    for position, (row, statement) in enumerate(zip(rows, verified, strict=True)):
        if row.nip is None:
            continue
        person = salts.identity(row.nip, row.name)
        named = statement.payload.get("subject_commitment") if statement else None
        if statement is not None and named != person.commitment:
            errors.append(RowError.of(row.row, "", Message("import.not-the-person")))
            continue
        people[position] = person
    return people, errors


async def register_chunk(
    service: RegistryService,
    rows: Sequence[SignedRow],
    salts: StableSalts,
    pool: CryptoPool,
    attester: Attester,
    ahead: Verified | None = None,
    turn: Turn | None = None,
) -> ChunkOutcome:
    """Register ``rows``' statements in one transaction; refused rows are set aside and the
    others registered in one transaction again (see the module).  ``ahead``: what
    :func:`verify_chunk` made of ``rows`` already (else they are verified here).  ``turn``:
    handed to the sequencer after the chunk before (:class:`Turn`), and marked done as soon
    as this one is appended."""
    turn = turn or Turn()
    outcome = ChunkOutcome()
    verified, refused = ahead if ahead is not None else await verify_chunk(service, pool, rows)
    people, outcome.errors = _people(salts, rows, verified)
    wrong = {e.row for e in outcome.errors}
    live = [p for p in range(len(rows)) if p not in refused and rows[p].row not in wrong]
    outcome.refused = [(rows[p].row, r) for p, r in refused.items()]
    claims = _claims_of(service)
    naming = {people[p].commitment for p in live if p in people}
    async with claims.lock:  # another chunk in flight may name the same people
        claims.hold(naming)
        try:
            new = await _keep_new(service, [people[p] for p in live if p in people])
        except BaseException:
            claims.release(naming, new=set(), named=set())
            raise
    registered: list[tuple[int, Registered]] = []
    contents = [
        v.content_sha256 if v is not None else statement_content(r.statement)
        for r, v in zip(rows, verified, strict=True)
    ]
    oldest = int(time.time()) - service.settings.max_statement_age_hours * 3600
    old = {p for p, v in enumerate(verified) if v is None or v.issued_at < oldest}
    try:
        while live:
            statements = [rows[p].statement for p in live]
            history = [p for p in live if p in old]  # only these may need attesting
            unlogged = await _not_in_log(
                service, [rows[p].statement for p in history], [contents[p] for p in history]
            )
            attestations = attester(unlogged) if unlogged else []
            first = len(attestations)
            await turn.wait()
            try:
                results = await service.register_atomic(
                    [*attestations, *statements],
                    verified=[None] * first + [verified[p] for p in live],
                    on_appended=turn.done,
                )
            except BatchRefused as batch:
                out = {live[p - first]: r for p, r in batch.refusals if p >= first}
                if len(out) < len(batch.refusals):  # an attestation refused: every row is
                    reason = next(r for p, r in batch.refusals if p < first)
                    out = dict.fromkeys(live, reason)
                outcome.refused += [(rows[p].row, r) for p, r in out.items()]
                live = [p for p in live if p not in out]
                continue
            registered = [(rows[p].row, r) for p, r in zip(live, results[first:], strict=True)]
            break
    finally:
        turn.done()
        standing = registered or (
            live and not await _not_in_log(service, [rows[live[0]].statement], [contents[live[0]]])
        )
        named = {people[p].commitment for p in live if p in people} if standing else set()
        outcome.identities = len([c for c in new if c in named])
        await _release(service, claims, naming, set(new), named)
    outcome.registered = registered
    outcome.refused.sort(key=lambda r: r[0])
    return outcome


async def _release(
    service: RegistryService,
    claims: _Claims,
    naming: set[bytes],
    new: set[bytes],
    named: set[bytes],
) -> None:
    """The chunk's claims on the people it names let go; identities it kept that no
    registered row names (and no other chunk in flight holds) erased."""
    async with claims.lock:
        unused = claims.release(naming, new=new, named=named)
        if unused:
            await service.store.erase_identities(unused, now_ms=int(time.time() * 1000))


@dataclass
class _Claim:
    holders: int = 0
    """Chunks in flight whose rows name the person."""
    new: bool = False
    """One of them kept the person's identity (it was not kept before)."""
    named: bool = False
    """One of them registered a row naming the person."""


@dataclass
class _Claims:
    """The people named by the chunks being registered at once (several chunks of an
    import, or imports of several institutions, are in flight together).

    A chunk keeps the identities it names that are not kept yet, and erases
    them again if none of its registered rows names them.  With chunks in
    flight together, one may have kept an identity that another's rows name:
    the identity is erased only when the last chunk naming it ends, and only
    if it was new and no registered row of those chunks names it.
    """

    people: dict[bytes, _Claim] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def hold(self, commitments: set[bytes]) -> None:
        """A chunk naming ``commitments`` starts (before it keeps the new ones)."""
        for commitment in commitments:
            self.people.setdefault(commitment, _Claim()).holders += 1

    def release(
        self, commitments: set[bytes], *, new: set[bytes], named: set[bytes]
    ) -> list[bytes]:
        """A chunk that held ``commitments``, kept ``new`` and registered rows naming
        ``named`` ends: the identities to erase now."""
        unused = []
        for commitment in commitments:
            claim = self.people[commitment]
            claim.holders -= 1
            claim.new |= commitment in new
            claim.named |= commitment in named
            if claim.holders == 0:
                del self.people[commitment]
                if claim.new and not claim.named:
                    unused.append(commitment)
        return unused


_CLAIMS: weakref.WeakKeyDictionary[RegistryService, _Claims] = weakref.WeakKeyDictionary()


def _claims_of(service: RegistryService) -> _Claims:
    return _CLAIMS.setdefault(service, _Claims())


async def _keep_new(service: RegistryService, people: Sequence[IdentityRecord]) -> list[bytes]:
    """Keep the identities not kept yet; their commitments (to erase if nothing names them)."""
    if not people:
        return []
    kept = await service.identities.nips_of([p.commitment for p in people])
    new = list({p.commitment: p for p in people if p.commitment not in kept}.values())
    await service.identities.keep(new)
    return [p.commitment for p in new]


async def _not_in_log(
    service: RegistryService, statements: Sequence[bytes], contents: Sequence[bytes | None]
) -> list[bytes]:
    """The statements (with these signed-content hashes) the log does not have yet."""
    found = await service.store.find_by_content_sha256([c for c in contents if c is not None])
    return [s for s, c in zip(statements, contents, strict=True) if c is None or c not in found]


async def record_commitments_asked(
    service: RegistryService, key: SignerKeyRecord, asked: str, request: bytes
) -> None:
    """Record in the access log of personal data that ``key`` had NIPs turned into
    commitments (a prepare of recommendations), by the signed ``request``."""
    await service.identities.record_access(
        AccessRecord(
            at_ms=int(time.time() * 1000),
            kid=key.kid,
            role=key.role,
            what="import-commitments",
            asked=asked,
            subject=None,
            request=request,
        )
    )
