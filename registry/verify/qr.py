"""The offline QR's payload (docs/formats.md "QR codes"); the link QR is in :mod:`.link`.

Offline QR: ``PI1:`` + base45(zlib(CBOR map)).  Steps of :func:`verify_offline`:
(1) the prefix is exactly ``PI1:``;
(2) strict base45 (RFC 9285): only its 45 characters, no length of 3k+1, no
    group over 0xFFFF (nor a final pair over 0xFF), so each byte string has
    exactly one text;
(3) one complete zlib stream, its output bounded (zip bombs), no bytes after
    it, and its padding bits zero (a decoder ignores them; fixing them keeps
    every changed character a rejected payload);
(4) a deterministic CBOR map of keys ``1 2 3``, exactly one of ``4 5``, and
    maybe ``6``;
(5) the statement's signature with the carried key ``2``;
(6) the leaf ``3`` logs that statement (its SHA-256);
(7) ``4``: the receipt verifies with a registry key and carries leaf ``3``; or
    ``5``: the entry timestamp is the registry's signature over leaf ``3``;
(8) ``6``, the witnessed checkpoint (:mod:`registry.verify.witnessed`): its tree
    covers the entry (with a receipt: it is the receipt's tree, same size and
    root) and every cosignature by a trusted witness verifies;
(9) at least ``witnesses_required`` trusted witnesses cosigned: fewer is
    :attr:`Reason.NOT_WITNESSED` ("not yet witnessed", not invalid), a verdict
    that still carries the record.
Revocation cannot be known offline; the value says so.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.verify.canonical import decode_canonical
from registry.verify.cbor import MAX_CBOR_SIZE, encode_deterministic
from registry.verify.cose import key_id, parse_sign1, unprotected_empty, verify_signature
from registry.verify.leaf import Leaf, decode_leaf
from registry.verify.merkle import leaf_hash
from registry.verify.note import VerifierKey
from registry.verify.receipt import HEADER_VDS, from_another_log, signed_claims, verify_receipt
from registry.verify.result import Reason, Verdict
from registry.verify.signed_by import SignedBy, signed_by
from registry.verify.statement import KeyLookup, registry_key, verify_statement
from registry.verify.validity import Validity, stamped_outside_validity
from registry.verify.witnessed import encode_witnessed, verify_witnessed

PREFIX = "PI1:"
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
KEY_STATEMENT, KEY_PUBLIC_KEY, KEY_LEAF, KEY_RECEIPT, KEY_TIMESTAMP = 1, 2, 3, 4, 5
KEY_WITNESSED = 6
_WITH_RECEIPT = {KEY_STATEMENT, KEY_PUBLIC_KEY, KEY_LEAF, KEY_RECEIPT}
_WITH_TIMESTAMP = {KEY_STATEMENT, KEY_PUBLIC_KEY, KEY_LEAF, KEY_TIMESTAMP}
_SHAPES = (
    _WITH_RECEIPT,
    _WITH_TIMESTAMP,
    _WITH_RECEIPT | {KEY_WITNESSED},
    _WITH_TIMESTAMP | {KEY_WITNESSED},
)
MAX_PAYLOAD_SIZE = 2 * MAX_CBOR_SIZE
"""Largest decompressed CBOR map: a statement (at most 64 KiB) and its proofs."""
MAX_TEXT = len(PREFIX) + 3 * MAX_PAYLOAD_SIZE // 2
"""Longest offline text looked at (far beyond any QR: version 40 holds 4,296 characters)."""
REVOCATION_NOTE = (
    "not checked: revocation cannot be known offline; see /entries/{index} online "
    "(pencabutan tidak dapat diperiksa secara luring)"
)
PROVEN_BY_RECEIPT = "receipt"
PROVEN_BY_TIMESTAMP = "timestamp"

_BASE45_VALUES = {c: i for i, c in enumerate(BASE45)}


def b45encode(data: bytes) -> str:
    """RFC 9285 base45 of ``data`` (three characters per two bytes, two for a last byte)."""
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += [BASE45[n % 45], BASE45[n // 45 % 45], BASE45[n // 2025]]
    if len(data) % 2:
        out += [BASE45[data[-1] % 45], BASE45[data[-1] // 45]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    """Strict RFC 9285 base45; raises ``ValueError`` naming the fault."""
    if len(text) % 3 == 1:
        raise ValueError(f"base45 text of {len(text)} characters (3k+1) is impossible")
    try:
        values = [_BASE45_VALUES[c] for c in text]
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a base45 character") from None
    out = bytearray()
    for i in range(0, len(values), 3):
        group = values[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(group))
        if len(group) == 2:
            if n > 0xFF:
                raise ValueError(f"the last base45 pair at {i} is {n}, over 255")
            out.append(n)
        elif n > 0xFFFF:
            raise ValueError(f"the base45 group at {i} is {n}, over 65535")
        else:
            out += n.to_bytes(2, "big")
    return bytes(out)


def _inflate(data: bytes, limit: int) -> tuple[bytes, Reason | None, str]:
    """One zlib stream's output (at most ``limit + 1`` bytes) and why it is refused, if it is."""
    inflater = zlib.decompressobj(wbits=15)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        return b"", Reason.MALFORMED, f"not a zlib stream: {exc}"
    if len(out) > limit:
        return out, Reason.OVERSIZED, f"decompresses to over {limit} bytes"
    if not inflater.eof:
        return out, Reason.TRUNCATED, "the zlib stream ends early"
    if inflater.unused_data:
        return out, Reason.TRAILING_DATA, "bytes follow the zlib stream"
    return out, None, ""


def zlib_decompress(data: bytes, limit: int = MAX_PAYLOAD_SIZE) -> Verdict[bytes]:
    """Decompress exactly one zlib stream, refusing more than ``limit`` bytes of output.

    The deflate stream's padding bits (after its last block, before the
    Adler-32) must be zero: decoders ignore them, so otherwise one text
    character could change and the payload still verify.
    """
    check = "decompress offline payload"
    out, reason, detail = _inflate(data, limit)
    if reason is not None:
        return Verdict.failed(check, reason, detail)
    last = len(data) - 5  # the deflate stream's last byte, before the 4-byte Adler-32
    for bit in range(7, -1, -1):
        if last < 2 or not data[last] >> bit & 1:
            continue
        cleared = data[:last] + bytes([data[last] & ~(1 << bit)]) + data[last + 1 :]
        again, fault, _ = _inflate(cleared, limit)
        if fault is not None or again != out:
            break  # a bit the stream needs: every bit below it is needed too
        return Verdict.failed(
            check, Reason.NOT_DETERMINISTIC, "the deflate stream's padding bits are not zero"
        )
    return Verdict.passed(check, out)


@dataclass(frozen=True)
class OfflineRecord:
    """What a verified offline QR proves: this signed record is logged at ``index``.

    ``proven_by`` is ``"receipt"`` (a Merkle inclusion proof under a signed
    root of ``tree_size``) or ``"timestamp"`` (the registry's signature over
    the leaf; the receipt is online).  ``revocation`` says it was not checked.
    ``witnesses`` are the trusted witnesses that cosigned the checkpoint of
    ``witnessed_size`` (with a receipt, the receipt's tree; with a timestamp, a
    tree the registry signed that it logged the leaf in, its inclusion proof
    online).
    """

    statement_type: str
    payload: dict[str, Any]
    signer_kid: bytes
    signer_public_key: bytes
    issuer: str
    index: int
    registered_at: int
    leaf_hash: bytes
    proven_by: str
    registry_kid: bytes
    origin: str
    tree_size: int | None
    root: bytes | None
    revocation: str
    leaf_bytes: bytes = field(repr=False)
    witnessed_size: int | None = None
    witnessed_root: bytes | None = None
    witnesses: tuple[str, ...] = ()

    @property
    def signed_by(self) -> SignedBy | None:
        """The signer (name, jabatan, instansi) the verified payload names, if it names one."""
        return signed_by(self.statement_type, self.payload)


def decode_offline(text: object) -> Verdict[dict[int, Any]]:
    """Steps (1)-(4): the offline text's CBOR map, its shape checked, nothing verified."""
    check = "decode offline QR"
    if not isinstance(text, str):
        return Verdict.failed(check, Reason.WRONG_TYPE, "an offline QR payload is text")
    if not text:
        return Verdict.failed(check, Reason.EMPTY, "the QR text is empty")
    if len(text) > MAX_TEXT:
        return Verdict.failed(check, Reason.OVERSIZED, f"{len(text)} characters is too long")
    # (1)
    if not text.startswith(PREFIX):
        return Verdict.failed(
            check, Reason.MALFORMED, f"an offline QR starts with {PREFIX!r}", start=text[:8]
        )
    # (2)
    try:
        compressed = b45decode(text[len(PREFIX) :])
    except ValueError as exc:
        return Verdict.failed(check, Reason.MALFORMED, f"not base45: {exc}")
    if not compressed:
        return Verdict.failed(check, Reason.EMPTY, f"nothing follows {PREFIX!r}")
    # (3)
    inflated = zlib_decompress(compressed)
    if not inflated.ok or inflated.value is None:
        return inflated.fail_as(check)
    # (4)
    decoded = decode_canonical(inflated.value, "offline payload", MAX_PAYLOAD_SIZE)
    if not decoded.ok:
        return decoded.fail_as(check)
    item = decoded.value
    if not isinstance(item, dict):
        return Verdict.failed(check, Reason.MALFORMED, "the offline payload is a CBOR map")
    keys = set(item)
    if (
        keys not in _SHAPES
        or not all(type(k) is int for k in keys)  # not True for 1
        or not all(isinstance(v, bytes) for k, v in item.items() if k != KEY_WITNESSED)
    ):
        return Verdict.failed(
            check,
            Reason.MALFORMED,
            "the offline payload maps 1, 2, 3 and either 4 or 5 to byte strings,"
            " and maybe 6 to a witnessed checkpoint",
            keys=" ".join(sorted(str(k) for k in keys)),
        )
    return Verdict.passed(check, item)


def _timestamp(
    data: bytes,
    registry_keys: KeyLookup,
    leaf: bytes,
    origin: str | None,
    index: int = 0,
    validity: Validity | None = None,
) -> Verdict[tuple[bytes, str]]:
    """Step (7) with ``5``: the registry's signature over the leaf, naming the log ``origin``
    (when given); value (kid, origin)."""
    check = "entry timestamp"
    parsed = parse_sign1(data, "entry timestamp")
    if not parsed.ok or parsed.value is None:
        return parsed.fail_as(check)
    message = parsed.value
    if message.payload is not None or HEADER_VDS in message.protected:
        return Verdict.failed(
            check, Reason.MALFORMED, "an entry timestamp has a detached payload and no vds"
        )
    unsigned = unprotected_empty(message, check, "an entry timestamp")
    if unsigned is not None:
        return unsigned
    claims = signed_claims(message.protected)
    if claims is None:
        return Verdict.failed(
            check, Reason.MALFORMED, "the entry timestamp's claims are {1: origin, 6: iat}"
        )
    signer = registry_key(message, registry_keys, check, "the entry timestamp")
    if isinstance(signer, Verdict):
        return signer
    kid, public_key = signer
    signed = verify_signature(message, public_key, payload=leaf, what="entry timestamp signature")
    if not signed.ok:
        return signed.fail_as(check)
    retired = stamped_outside_validity(check, public_key, index, validity)
    if retired is not None:
        return retired
    elsewhere = from_another_log(check, "the entry timestamp", claims[0], origin)
    if elsewhere is not None:
        return elsewhere
    return Verdict.passed(check, (kid, claims[0]), kid=kid.hex())


def verify_offline(
    text: object,
    registry_keys: KeyLookup,
    origin: str | None = None,
    witness_keys: Sequence[VerifierKey] = (),
    witnesses_required: int = 0,
    validity: Validity | None = None,
) -> Verdict[OfflineRecord]:
    """Verify an offline QR's text with only the registry's public keys (steps at the top).

    With ``origin``, the registry's proof must name that log.  The value is an
    :class:`OfflineRecord`; with fewer than ``witnesses_required`` of
    ``witness_keys`` cosigning, the verdict is :attr:`Reason.NOT_WITNESSED` and
    still carries it.
    """
    check = "offline QR"
    decoded = decode_offline(text)
    if not decoded.ok or decoded.value is None:
        return decoded.fail_as(check)
    item = decoded.value
    statement, public_key, leaf_bytes = item[KEY_STATEMENT], item[KEY_PUBLIC_KEY], item[KEY_LEAF]
    # (5)
    if len(public_key) != 32:
        return Verdict.failed(check, Reason.MALFORMED, "the signer's key (2) is 32 bytes")
    signed = verify_statement(statement, {key_id(public_key): public_key})
    if not signed.ok or signed.value is None:
        return signed.fail_as(check)
    # (6)
    parsed_leaf = decode_leaf(leaf_bytes)
    if not parsed_leaf.ok or parsed_leaf.value is None:
        return parsed_leaf.fail_as(check)
    leaf: Leaf = parsed_leaf.value
    if leaf.statement_sha256 != signed.value.sha256:
        return Verdict.failed(
            check,
            Reason.WRONG_STATEMENT,
            "the leaf logs another statement",
            statement_sha256=signed.value.sha256.hex(),
            leaf_statement_sha256=leaf.statement_sha256.hex(),
        )
    # (7)
    tree_size: int | None = None
    root: bytes | None = None
    if KEY_RECEIPT in item:
        proven_by = PROVEN_BY_RECEIPT
        # Not given the statement: the leaf (3) logs it (6), and the receipt must carry that leaf.
        receipt = verify_receipt(item[KEY_RECEIPT], registry_keys, origin=origin, validity=validity)
        if not receipt.ok or receipt.value is None:
            return receipt.fail_as(check)
        info = receipt.value
        if info.leaf_bytes != leaf_bytes:
            return Verdict.failed(
                check,
                Reason.WRONG_LEAF,
                "the receipt is for another leaf than the QR's",
                receipt_index=str(info.index),
                leaf_index=str(leaf.index),
            )
        registry_kid, claimed, tree_size, root = info.kid, info.origin, info.tree_size, info.root
    else:
        proven_by = PROVEN_BY_TIMESTAMP
        stamped = _timestamp(
            item[KEY_TIMESTAMP], registry_keys, leaf_bytes, origin, leaf.index, validity
        )
        if not stamped.ok or stamped.value is None:
            return stamped.fail_as(check)
        registry_kid, claimed = stamped.value
    # (8)
    witnessed_size: int | None = None
    witnessed_root: bytes | None = None
    witnesses: tuple[str, ...] = ()
    if KEY_WITNESSED in item:
        witnessed = verify_witnessed(item[KEY_WITNESSED], claimed, witness_keys)
        if not witnessed.ok or witnessed.value is None:
            return witnessed.fail_as(check)
        seen = witnessed.value.checkpoint
        if seen.size <= leaf.index:
            return Verdict.failed(
                check,
                Reason.INDEX_OUT_OF_RANGE,
                "the witnessed checkpoint is of a tree without the entry",
                size=str(seen.size),
                index=str(leaf.index),
            )
        if tree_size is not None and (seen.size, seen.root) != (tree_size, root):
            reason = Reason.SIZE_MISMATCH if seen.size != tree_size else Reason.WRONG_ROOT
            return Verdict.failed(
                check,
                reason,
                "the witnessed checkpoint is not the receipt's tree",
                witnessed=seen.describe(),
                receipt_size=str(tree_size),
            )
        witnessed_size, witnessed_root = seen.size, seen.root
        witnesses = witnessed.value.witnesses
    record = OfflineRecord(
        statement_type=signed.value.statement_type,
        payload=signed.value.payload,
        signer_kid=signed.value.kid,
        signer_public_key=public_key,
        issuer=signed.value.issuer,
        index=leaf.index,
        registered_at=leaf.registered_at,
        leaf_hash=leaf_hash(leaf_bytes),
        proven_by=proven_by,
        registry_kid=registry_kid,
        origin=claimed,
        tree_size=tree_size,
        root=root,
        revocation=REVOCATION_NOTE.format(index=leaf.index),
        leaf_bytes=leaf_bytes,
        witnessed_size=witnessed_size,
        witnessed_root=witnessed_root,
        witnesses=witnesses,
    )
    evidence = {
        "index": str(leaf.index),
        "proven_by": proven_by,
        "witnesses": ", ".join(witnesses),
        "revocation": "not checked",
    }
    # (9)
    if len(witnesses) < witnesses_required:
        why = (
            f"not witnessed offline: {len(witnesses)} of the {witnesses_required} witness"
            " cosignatures required; the registry's proof holds, check the record online"
        )
        return Verdict.not_witnessed(check, record, why, **evidence)
    return Verdict.passed(check, record, **evidence)


def encode_offline(
    statement: bytes,
    public_key: bytes,
    leaf: bytes,
    *,
    receipt: bytes | None = None,
    timestamp: bytes | None = None,
    witnessed: tuple[int, bytes, Sequence[bytes]] | None = None,
) -> str:
    """The offline QR text carrying ``receipt`` or (exclusively) ``timestamp``, and the
    ``witnessed`` checkpoint (size, root, cosignatures) when given."""
    if (receipt is None) == (timestamp is None):
        raise ValueError("an offline QR carries either the receipt or the entry timestamp")
    proof: dict[int, Any] = (
        {KEY_RECEIPT: receipt} if receipt is not None else {KEY_TIMESTAMP: timestamp}
    )
    if witnessed is not None:
        proof[KEY_WITNESSED] = encode_witnessed(*witnessed)
    body = encode_deterministic(
        {KEY_STATEMENT: statement, KEY_PUBLIC_KEY: public_key, KEY_LEAF: leaf, **proof}
    )
    return PREFIX + b45encode(zlib.compress(body, 9))
