"""Statement types and their schemas (DESIGN.md "Records").

Each record is a msgspec Struct; a payload is a plain map whose ``type`` picks
the Struct.  :func:`parse_record` validates a decoded payload, and
:func:`record_payload` gives a record back as the map that is signed.
A record that does not fit raises :class:`RecordError` listing every bad
field in words (:mod:`registry.records.fields`), not msgspec's first error,
and every rule the types cannot say (:mod:`registry.records.record_rules`).
Binary fields (keys, hashes, commitments) are bytes in CBOR; records read from
YAML or JSON, where they are base64url or hex text, go through
:mod:`registry.records.text_form`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, cast

import msgspec

from registry.i18n import DEFAULT_LANGUAGE
from registry.records.errors import FieldError, summary
from registry.records.fields import (
    DATE_PATTERN,
    LANGUAGE_PATTERN,
    LONG_TEXT_MAX_LENGTH,
    NIP_PATTERN,
    SLUG_PATTERN,
    field_errors,
    from_msgspec,
)
from registry.records.record_rules import rule_errors
from registry.records.vocabulary import ViolationCategory

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=LONG_TEXT_MAX_LENGTH)]
IsoDate = Annotated[str, msgspec.Meta(pattern=DATE_PATTERN)]
Hash = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
Nip = Annotated[str, msgspec.Meta(pattern=NIP_PATTERN)]
EntryIndex = Annotated[int, msgspec.Meta(ge=0)]

Role = Literal["admin", "ppk", "asn", "recommender", "bkn", "bawaslu", "panel"]
"""``panel``: a JPT selection panel, which reads track records and signs nothing but revocations."""
HeadType = Literal["definitive", "pj", "plt", "pjs"]
"""A PPK's head type: elected (definitive), or acting as Pj (penjabat), Plt (pelaksana tugas)
or Pjs (penjabat sementara, while the incumbent campaigns)."""
Sanction = Literal["moral", "light", "medium", "heavy"]
"""Moral (PP 42/2004), or light, medium, heavy discipline (PP 94/2021), weakest first."""
ATTESTED_MAX = 1500
"""Most statements one attestation lists (its hashes fit a 64 KiB statement); more: several."""
EnforcementStep = Literal["early-warning", "warning", "reprimand", "block", "unblock"]


class RecordError(ValueError):
    """A record that does not fit its type's schema; ``errors`` lists every bad field.

    ``message`` says it in words (``schema.errors``); ``str()`` is its English.
    """

    def __init__(self, errors: Sequence[FieldError], kind: str | None = None) -> None:
        self.errors = list(errors)
        self.kind = kind
        self.message = summary(self.errors, kind)
        super().__init__(self.message.render(DEFAULT_LANGUAGE))


class _Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    pass


class Enrolment(_Record, tag="enrolment", tag_field="type", kw_only=True, frozen=True):
    """Binds a public key to a person and the office they hold, with a role and a term."""

    public_key: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
    role: Role
    name: Text
    nip: Nip | None = None
    """Read in entries logged before commitments; refused in a new enrolment (public forever)."""
    nip_commitment: Hash | None = None
    """SHA-256(salt || NIP): the holder's NIP, kept with its salt in the identities table."""
    jabatan: Text
    instansi: Text
    province: Text | None = None
    head_type: HeadType | None = None
    decree_number: Text
    decree_date: IsoDate
    term_start: IsoDate
    term_end: IsoDate
    decree_issuer: Text | None = None
    """Who issued the decree of office (SK), e.g. "Menteri Dalam Negeri"."""
    decree_sha256: Hash | None = None
    """SHA-256 of the decree's scanned file, which a confirming institution checks."""


class KeyRevocation(_Record, tag="key-revocation", tag_field="type", kw_only=True, frozen=True):
    """Revokes an enrolled key from a date on (for example, the office ended early)."""

    kid: Hash
    reason: Text
    effective: IsoDate


class Template(_Record, tag="template", tag_field="type", kw_only=True, frozen=True):
    """A published pact or declaration text; records cite it by SHA-256 of ``text``."""

    kind: Literal["pact", "declaration"]
    title: Text
    language: Annotated[str, msgspec.Meta(pattern=LANGUAGE_PATTERN)] = "id"
    text: LongText


class Election(_Record, tag="election", tag_field="type", kw_only=True, frozen=True):
    """An election, registered by the operator; pacts, declarations, reports and
    recommendations cite it by ``name`` (docs/compliance.md "Elections")."""

    kind: Literal["pemilu", "pilkada"]
    name: Annotated[str, msgspec.Meta(pattern=SLUG_PATTERN, max_length=64)]
    title: Text
    voting_day: IsoDate
    campaign_start: IsoDate
    campaign_end: IsoDate
    regions: Annotated[list[Text], msgspec.Meta(min_length=1, max_length=1000)]
    """Province, kabupaten or kota names that vote, or ``national``."""


class Official(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A person in an office: name, jabatan (position) and instansi (agency)."""

    name: Text
    jabatan: Text
    instansi: Text


class Witness(Official, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """A person witnessing a pact signing (Bawaslu, KASN...)."""


class Signer(Official, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Who signs a pact, declaration or follow-up, as the signing key's enrolment names them.

    Signed inside the payload, so the registry's receipt covers the name and office an
    offline verifier shows; registration refuses one that differs from the enrolment
    (``signer-mismatch``).
    """


class Pact(_Record, tag="pact", tag_field="type", kw_only=True, frozen=True):
    """A PPK's integrity pact (Pakta Integritas)."""

    template: Hash
    election: Text
    instansi: Text
    place: Text
    date: IsoDate
    witnesses: list[Witness] = []
    signer: Signer | None = None
    """Required in a new pact; entries logged before it existed have none."""


class Declaration(_Record, tag="declaration", tag_field="type", kw_only=True, frozen=True):
    """An ASN's or PPK's neutrality declaration (Deklarasi Netralitas)."""

    template: Hash
    election: Text
    instansi: Text
    date: IsoDate
    signer: Signer | None = None
    """Required in a new declaration; entries logged before it existed have none."""


class Report(_Record, tag="report", tag_field="type", kw_only=True, frozen=True):
    """A complaint of a suspected violation (as SIAPNET takes them)."""

    case_number: Text
    reporter: Text
    instansi: Text
    province: Text | None = None
    subject_commitment: Hash
    category: ViolationCategory
    description: LongText
    place: Text
    date: IsoDate
    evidence: list[Hash] = []
    election: Text | None = None
    """The registered election (by name) the report is about; needed in a new report."""
    reporter_commitment: Hash | None = None
    """The reporting ASN (if one), as a salted commitment: for the retaliation watch."""
    witness_commitments: list[Hash] | None = None
    """ASN witnesses, as salted commitments: for the retaliation watch."""


class Recommendation(_Record, tag="recommendation", tag_field="type", kw_only=True, frozen=True):
    """A sanction recommendation addressed to a PPK about a named (committed) ASN."""

    case_number: Text
    instansi: Text
    ppk_kid: Hash
    subject_commitment: Hash
    category: ViolationCategory
    sanction: Sanction
    deadline: IsoDate
    report: EntryIndex | None = None
    election: Text | None = None
    """The registered election (by name); needed in a new recommendation."""


class FollowUp(_Record, tag="follow-up", tag_field="type", kw_only=True, frozen=True):
    """A PPK's follow-up of a recommendation: sanctioned (with the decree) or refused."""

    recommendation: EntryIndex
    action: Literal["sanctioned", "refused"]
    decree_number: Text | None = None
    decree_date: IsoDate | None = None
    reason: Text | None = None
    sanction: Sanction | None = None
    """The sanction imposed (a follow-up without one claims the sanction recommended)."""
    idis_reference: Text | None = None
    """BKN I'DIS reference, where the discipline goes through BKN."""
    decree_sha256: Hash | None = None
    """SHA-256 of the decree's file (computed where it was signed, the file never sent)."""
    signer: Signer | None = None
    """The PPK who follows up (optional; checked against the enrolment when given)."""


class Enforcement(_Record, tag="enforcement", tag_field="type", kw_only=True, frozen=True):
    """A BKN enforcement step against an instansi whose PPK does not follow up."""

    instansi: Text
    ppk_kid: Hash
    step: EnforcementStep
    reason: Text
    recommendations: list[EntryIndex] = []


class Revocation(_Record, tag="revocation", tag_field="type", kw_only=True, frozen=True):
    """Says an earlier entry no longer stands, and why; nothing is ever deleted."""

    entry: EntryIndex
    reason: Text


class LogKeyRotation(_Record, tag="log-key-rotation", tag_field="type", kw_only=True, frozen=True):
    """Replaces the log's key (receipts, checkpoints): ``previous_key`` signs trees up to this
    entry's index, ``public_key`` every tree that holds this entry (docs/formats.md)."""

    previous_key: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
    public_key: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
    reason: Text


class KeySuccession(_Record, tag="key-succession", tag_field="type", kw_only=True, frozen=True):
    """Replaces the enrolled key ``kid`` by ``public_key`` for the same person and office:
    signed by the old key or an admin; the old key stops signing (docs/formats.md)."""

    kid: Hash
    public_key: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
    reason: Text


class StaffBlock(_Record, tag="staff-block", tag_field="type", kw_only=True, frozen=True):
    """BKN blocks (or unblocks) in SAPK/SIASN the staff status of the ASN a recommendation names,
    because the PPK did not impose the sanction (seed 000); keyed to the ASN's commitment."""

    recommendation: EntryIndex
    subject_commitment: Hash
    instansi: Text
    action: Literal["block", "unblock"]
    system: Literal["SAPK", "SIASN"] = "SIASN"
    reason: Text


class Transfer(_Record, tag="transfer", tag_field="type", kw_only=True, frozen=True):
    """A PPK's transfer, demotion or dismissal decision about an ASN (BKN's I-Mut)."""

    subject_commitment: Hash
    instansi: Text
    decision: Literal["transfer", "demotion", "dismissal"]
    from_post: Text
    to_post: Text | None = None
    decree_number: Text
    decree_date: IsoDate


class Attestation(_Record, tag="attestation", tag_field="type", kw_only=True, frozen=True):
    """An authority's signed word for history loaded in bulk (an import, the demo).

    A statement whose claimed time is older than the registry's maximum age
    (``REGISTRY_MAX_STATEMENT_AGE_HOURS``) is admitted only if a standing
    attestation registered before it lists it, by the SHA-256 of its signed
    content (``content_sha256``); compliance shows it as attested history,
    never as timely by the registry's clock.
    """

    source: Text
    reason: Text
    statements: Annotated[list[Hash], msgspec.Meta(min_length=1, max_length=ATTESTED_MAX)]


class EnrolmentConfirmation(
    _Record, tag="enrolment-confirmation", tag_field="type", kw_only=True, frozen=True
):
    """A second institution's countersignature of an enrolment: it checked the decree."""

    enrolment: EntryIndex
    decree_sha256: Hash
    note: Text | None = None


Record = (
    Enrolment
    | KeyRevocation
    | Template
    | Election
    | Pact
    | Declaration
    | Report
    | Recommendation
    | FollowUp
    | Enforcement
    | Revocation
    | LogKeyRotation
    | KeySuccession
    | StaffBlock
    | Transfer
    | Attestation
    | EnrolmentConfirmation
)
RECORD_TYPES: dict[str, type[Any]] = {
    "enrolment": Enrolment,
    "key-revocation": KeyRevocation,
    "template": Template,
    "election": Election,
    "pact": Pact,
    "declaration": Declaration,
    "report": Report,
    "recommendation": Recommendation,
    "follow-up": FollowUp,
    "enforcement": Enforcement,
    "revocation": Revocation,
    "log-key-rotation": LogKeyRotation,
    "key-succession": KeySuccession,
    "staff-block": StaffBlock,
    "transfer": Transfer,
    "attestation": Attestation,
    "enrolment-confirmation": EnrolmentConfirmation,
}


def parse_record(
    payload: dict[str, Any], *, logged: bool = False, known: Sequence[FieldError] = ()
) -> Record:
    """Validate a decoded statement payload against its type's schema.

    Raises :class:`RecordError` listing every bad field, not only the first,
    and every rule the types cannot say (:mod:`registry.records.record_rules`).
    ``logged`` reads an entry already in the log: the rules that keep personal
    data out of the log (:mod:`registry.records.personal`) were not there when
    older entries were registered, so they apply to new statements only.
    ``known`` are errors found while reading the payload (a hash that is not
    hex nor base64url, :mod:`registry.records.text_form`): listed with the rest.
    """
    if not isinstance(payload, Mapping):
        raise RecordError([FieldError("", "not-a-record", {})])
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in RECORD_TYPES:
        shown = repr(kind) if kind is None or isinstance(kind, str) else f"{type(kind).__name__}"
        known_types = ", ".join(RECORD_TYPES)
        raise RecordError([FieldError("", "unknown-type", {"type": shown, "known": known_types})])
    struct = RECORD_TYPES[kind]
    if not known:
        try:
            # The Struct of its type, not the union Record: msgspec works out a union's
            # decoder again at every call (about 25 times the conversion itself).
            record = cast(Record, msgspec.convert(payload, type=struct, strict=True))
        except msgspec.ValidationError:
            pass  # list every bad field below, not only msgspec's first
        else:
            errors = rule_errors(kind, struct, payload, logged)
            if errors:
                raise RecordError(errors, kind)
            return record
    skip = frozenset(e.field for e in known)
    errors = [*known, *field_errors(struct, payload, skip)]
    bad = skip | {e.field for e in errors}
    errors += [e for e in rule_errors(kind, struct, payload, logged) if e.field not in bad]
    if not errors:  # msgspec saw something the walk does not check: say it as msgspec does
        try:
            msgspec.convert(payload, type=Record, strict=True)
        except msgspec.ValidationError as exc:
            errors = [from_msgspec(exc)]
    raise RecordError(errors, kind)


def record_payload(record: Record) -> dict[str, Any]:
    """The record as the map that is signed (``type`` first, no None fields)."""
    data: dict[str, Any] = msgspec.to_builtins(record, enc_hook=None)
    raw = {k: v for k, v in data.items() if v is not None}
    for name in msgspec.structs.fields(record):
        value = getattr(record, name.name)
        if isinstance(value, bytes):
            raw[name.name] = value
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            raw[name.name] = list(value)
    return raw
