"""Signed statements: the valid one and its mutations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.verify.cose import sig_structure
from tests.ed25519 import malleate, sign_with_nonce
from tests.factories import ISSUED_AT, pact_payload
from tests.verify.vectors.material import (
    ISSUER,
    OK,
    OTHER,
    PAYLOAD,
    PPK,
    PPK_KEY,
    PROTECTED,
    SIGNER_TRUST,
    STATEMENT,
    Case,
    bstr,
    claims,
    enc,
    flip,
    protected_map,
    sign1,
    signed,
)


def statement_cases() -> Iterator[Case]:
    def case(name: str, description: str, data: bytes, expect: str) -> Case:
        return Case(f"statement/{name}", "statement", description, data, SIGNER_TRUST, expect)

    body = STATEMENT[1:]  # the array after the tag
    parts = (bstr(PROTECTED), b"\xa0", bstr(PAYLOAD), bstr(STATEMENT[-64:]))
    yield case("valid", "a pact as the registry's signer makes it", STATEMENT, OK)
    yield case(
        "second-signature-same-content",
        "the same protected header and payload with another valid signature (another nonce, as"
        " a non-deterministic signer makes): valid, and the same statement for the registry",
        sign1(
            PROTECTED,
            b"\xa0",
            PAYLOAD,
            sign_with_nonce(PPK_KEY, sig_structure(PROTECTED, PAYLOAD), b"2"),
        ),
        OK,
    )
    yield case("untagged", "the COSE_Sign1 array without tag 18", body, "non-canonical-encoding")
    yield case(
        "indefinite-length-array",
        "the outer array of indefinite length (0x9f ... 0xff)",
        b"\xd2\x9f" + b"".join(parts) + b"\xff",
        "non-canonical-encoding",
    )
    yield case(
        "array-head-not-shortest",
        "the outer array's length written in one more byte than needed (0x98 0x04)",
        b"\xd2\x98\x04" + b"".join(parts),
        "non-canonical-encoding",
    )
    yield case(
        "tag-head-not-shortest",
        "tag 18 written in two bytes (0xd8 0x12)",
        b"\xd8\x12" + body,
        "non-canonical-encoding",
    )
    yield case(
        "signature-length-not-shortest",
        "the signature's length written in two bytes (0x59 0x00 0x40)",
        b"\xd2\x84" + b"".join(parts[:3]) + b"\x59\x00\x40" + STATEMENT[-64:],
        "non-canonical-encoding",
    )
    yield case(
        "payload-indefinite-length-byte-string",
        "the payload as an indefinite-length byte string of two chunks",
        b"\xd2\x84"
        + parts[0]
        + parts[1]
        + b"\x5f"
        + bstr(PAYLOAD[:10])
        + bstr(PAYLOAD[10:])
        + b"\xff"
        + parts[3],
        "non-canonical-encoding",
    )
    yield case(
        "unprotected-header-not-empty",
        'an unprotected header {"note": "hello"} added (it is not signed)',
        signed(PROTECTED, PAYLOAD, unprotected=enc({"note": "hello"})),
        "non-canonical-encoding",
    )
    yield case(
        "unprotected-header-kid",
        "the kid repeated in the unprotected header",
        signed(PROTECTED, PAYLOAD, unprotected=enc({4: PPK.kid})),
        "non-canonical-encoding",
    )
    yield case(
        "unprotected-header-indefinite-empty-map",
        "the empty unprotected header as an indefinite-length map (0xbf 0xff)",
        signed(PROTECTED, PAYLOAD, unprotected=b"\xbf\xff"),
        "non-canonical-encoding",
    )
    unsorted = (
        b"\xa4\x01\x27\x04"
        + bstr(PPK.kid)
        + b"\x03"
        + enc("application/cbor")
        + b"\x0f"
        + enc(claims())
    )
    yield case(
        "protected-header-not-deterministic",
        "the protected header's keys out of order (4 before 3), validly signed over those bytes",
        signed(unsorted, PAYLOAD),
        "non-canonical-encoding",
    )
    yield case(
        "protected-header-indefinite-map",
        "the protected header as an indefinite-length map, validly signed",
        signed(b"\xbf" + PROTECTED[1:] + b"\xff", PAYLOAD),
        "non-canonical-encoding",
    )
    yield case(
        "trailing-garbage", "a zero byte after the statement", STATEMENT + b"\x00", "trailing-data"
    )
    yield case("truncated", "the last ten bytes cut off", STATEMENT[:-10], "truncated")
    yield case("empty", "no bytes at all", b"", "empty")
    yield case(
        "oversized",
        "70,000 bytes (over 64 KiB)",
        b"\x5a\x00\x01\x11\x70" + bytes(70_000),
        "oversized",
    )
    yield case("other-tag", "tag 98 (COSE_Sign) instead of 18", b"\xd8\x62" + body, "malformed")
    yield case("tagged-twice", "tag 18 around tag 18", b"\xd2" + STATEMENT, "wrong-type")
    yield case(
        "three-items",
        "a COSE_Sign1 of three items",
        b"\xd2\x83" + b"".join(parts[:3]),
        "wrong-type",
    )
    yield case(
        "map-instead-of-array", "a map where the array should be", enc({"a": 1}), "wrong-type"
    )
    yield case(
        "protected-header-not-bytes",
        "the protected header as a map, not a byte string",
        b"\xd2\x84" + PROTECTED + b"".join(parts[1:]),
        "malformed",
    )
    yield case(
        "unprotected-header-not-map",
        "the unprotected header as an array",
        b"\xd2\x84" + parts[0] + b"\x80" + parts[2] + parts[3],
        "malformed",
    )
    yield case(
        "payload-not-bytes",
        "the payload as text",
        b"\xd2\x84" + parts[0] + parts[1] + enc("pact") + parts[3],
        "malformed",
    )
    yield case(
        "payload-detached",
        "the payload nil (detached), which a statement never is",
        sign1(PROTECTED, b"\xa0", None, STATEMENT[-64:]),
        "malformed",
    )
    yield case(
        "signature-not-bytes",
        "the signature as text",
        b"\xd2\x84" + b"".join(parts[:3]) + enc("signature"),
        "malformed",
    )
    yield case(
        "signature-63-bytes",
        "the signature's last byte cut off",
        sign1(PROTECTED, b"\xa0", PAYLOAD, STATEMENT[-64:-1]),
        "malformed",
    )
    yield case(
        "protected-header-empty",
        "an empty protected header (a zero-length byte string)",
        sign1(b"", b"\xa0", PAYLOAD, STATEMENT[-64:]),
        "wrong-algorithm",
    )
    yield case(
        "algorithm-es256",
        "alg -7 (ES256) instead of -8, validly signed",
        signed(enc(protected_map(alg=-7)), PAYLOAD),
        "wrong-algorithm",
    )
    yield case(
        "algorithm-missing",
        "no alg in the protected header, validly signed",
        signed(enc(protected_map(alg=None)), PAYLOAD),
        "wrong-algorithm",
    )
    yield case(
        "kid-missing",
        "no kid in the protected header, validly signed",
        signed(enc(protected_map(kid=None)), PAYLOAD),
        "malformed",
    )
    yield case(
        "kid-16-bytes",
        "a 16-byte kid, validly signed",
        signed(enc(protected_map(kid=PPK.kid[:16])), PAYLOAD),
        "malformed",
    )
    yield case(
        "signed-by-another-key",
        "signed by another key (its own kid): not the key trusted here",
        OTHER.sign_statement(pact_payload(), ISSUER, ISSUED_AT),
        "unknown-key",
    )
    yield case(
        "kid-of-another-key",
        "the kid of another key, signed by the trusted one",
        signed(enc(protected_map(kid=OTHER.kid)), PAYLOAD),
        "unknown-key",
    )
    yield case(
        "signature-bit-flipped",
        "bit 0 of the signature's first byte flipped",
        flip(STATEMENT, -64),
        "bad-signature",
    )
    yield case(
        "signature-s-plus-l",
        "the signature's S replaced by S + L (equal modulo the group order): RFC 8032 refuses it",
        sign1(PROTECTED, b"\xa0", PAYLOAD, malleate(STATEMENT[-64:])),
        "bad-signature",
    )
    yield case(
        "payload-swapped",
        "another pact's payload under this signature",
        sign1(PROTECTED, b"\xa0", enc(pact_payload(place="Jakarta")), STATEMENT[-64:]),
        "bad-signature",
    )
    yield case(
        "protected-header-swapped",
        "another issued-at under this signature",
        sign1(enc(protected_map(cwt=claims(iat=ISSUED_AT + 1))), b"\xa0", PAYLOAD, STATEMENT[-64:]),
        "bad-signature",
    )
    yield case(
        "payload-not-deterministic",
        "the payload's map keys out of order, validly signed",
        signed(PROTECTED, b"\xa2" + enc("type") + enc("pact") + enc("date") + enc("2024-09-27")),
        "not-deterministic",
    )
    yield case(
        "payload-float",
        "a float in the payload, validly signed",
        signed(
            PROTECTED, b"\xa2" + enc("x") + b"\xfb\x3f\xf8" + bytes(6) + enc("type") + enc("pact")
        ),
        "malformed",
    )
    yield case(
        "payload-integer-2^53",
        "the integer 2^53 in the payload (beyond what JavaScript holds exactly), validly signed",
        signed(PROTECTED, enc({"type": "pact", "n": 2**53})),
        "malformed",
    )
    yield case(
        "payload-integer-2^53-1",
        "the integer 2^53 - 1 in the payload, validly signed: the largest allowed",
        signed(PROTECTED, enc({"type": "pact", "n": 2**53 - 1})),
        OK,
    )
    yield case(
        "payload-integer-minus-2^53",
        "the integer -2^53 in the payload, validly signed: the smallest allowed",
        signed(PROTECTED, enc({"type": "pact", "n": -(2**53)})),
        OK,
    )
    yield case(
        "payload-other-tag",
        "tag 1 (epoch time) in the payload, validly signed",
        signed(
            PROTECTED, b"\xa2" + enc("t") + b"\xc1\x1a\x66\xf6\x11\x00" + enc("type") + enc("pact")
        ),
        "malformed",
    )
    yield case(
        "payload-undefined",
        "the simple value undefined in the payload, validly signed",
        signed(PROTECTED, b"\xa2" + enc("n") + b"\xf7" + enc("type") + enc("pact")),
        "malformed",
    )
    deep: Any = "x"
    for _ in range(16):  # the payload map at depth 0, the lists at 1 to 16, "x" at 17
        deep = [deep]
    yield case(
        "payload-nested-17-deep",
        "an item 17 levels below the payload map, validly signed",
        signed(PROTECTED, enc({"type": "pact", "d": deep})),
        "malformed",
    )
    yield case(
        "payload-nested-16-deep",
        "an item 16 levels below the payload map (the deepest allowed), validly signed",
        signed(PROTECTED, enc({"type": "pact", "d": deep[0]})),
        OK,
    )
    yield case(
        "payload-invalid-utf8",
        "a text string in the payload that is not UTF-8, validly signed",
        signed(PROTECTED, b"\xa2" + enc("p") + b"\x62\xc3\x28" + enc("type") + enc("pact")),
        "malformed",
    )
    yield case(
        "payload-bool-map-key",
        "a map key true in the payload, validly signed",
        signed(PROTECTED, b"\xa2" + enc("type") + enc("pact") + b"\xf5\x01"),
        "malformed",
    )
    yield case(
        "payload-not-a-map",
        "the payload an array, validly signed",
        signed(PROTECTED, enc(["pact"])),
        "malformed",
    )
    yield case(
        "payload-integer-key",
        "an integer key in the payload map, validly signed",
        signed(PROTECTED, enc({1: 2, "type": "pact"})),
        "malformed",
    )
    yield case(
        "payload-without-type",
        'no "type" in the payload, validly signed',
        signed(PROTECTED, enc({"place": "Bandung"})),
        "malformed",
    )
    yield case(
        "content-type-missing",
        "no content type in the protected header, validly signed",
        signed(enc(protected_map(cty=None)), PAYLOAD),
        "malformed",
    )
    yield case(
        "content-type-json",
        "content type application/json, validly signed",
        signed(enc(protected_map(cty="application/json")), PAYLOAD),
        "malformed",
    )
    yield case(
        "claims-missing",
        "no CWT claims, validly signed",
        signed(enc(protected_map(cwt=None)), PAYLOAD),
        "malformed",
    )
    yield case(
        "claims-issuer-empty",
        "an empty iss claim, validly signed",
        signed(enc(protected_map(cwt=claims(iss=""))), PAYLOAD),
        "malformed",
    )
    yield case(
        "claims-subject-not-the-type",
        'sub "declaration" over a pact, validly signed',
        signed(enc(protected_map(cwt=claims(sub="declaration"))), PAYLOAD),
        "malformed",
    )
    yield case(
        "claims-issued-at-negative",
        "a negative iat, validly signed",
        signed(enc(protected_map(cwt=claims(iat=-1))), PAYLOAD),
        "malformed",
    )
