"""Offline QR payloads and link QRs: entry 2's and their mutations."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.verify.cose import sig_structure
from registry.verify.link import link_text
from registry.verify.merkle import leaf_hash
from registry.verify.qr import PREFIX, b45encode
from registry.verify.trust import b64url
from tests.factories import ISSUED_AT
from tests.verify.vectors.material import (
    BASE_URL,
    INDEX,
    LEAF,
    LEAVES,
    LOG,
    LOG_KEY,
    OK,
    ORIGIN,
    OTHER,
    OTHER_KEY,
    PAYLOAD,
    PPK,
    PROTECTED,
    RECEIPT,
    REGISTRY_TRUST,
    STATEMENT,
    STATEMENTS,
    TIMESTAMP,
    UNNAMED_INDEX,
    Case,
    enc,
    flip,
    receipt_for,
    sign1,
    signed,
)


def _padding_bit(compressed: bytes) -> bytes:
    """``compressed`` with one padding bit of its deflate stream set (same output)."""
    last = len(compressed) - 5
    out = zlib.decompress(compressed)
    for bit in range(7, -1, -1):
        if compressed[last] >> bit & 1:
            break
        changed = flip(compressed, last, bit)
        try:
            if zlib.decompress(changed) == out:
                return changed
        except zlib.error:
            break
    raise ValueError("this deflate stream has no padding bits")


def offline_text(
    body: bytes, compress: Callable[[bytes], bytes] = lambda b: zlib.compress(b, 9)
) -> str:
    return PREFIX + b45encode(compress(body))


def offline_cases() -> Iterator[Case]:
    def case(name: str, description: str, text: str, expect: str, **more: Any) -> Case:
        return Case(
            f"offline-qr/{name}", "offline-qr", description, text, REGISTRY_TRUST, expect, **more
        )

    def body(**changes: bytes | None) -> bytes:
        items: dict[int, bytes | None] = {1: STATEMENT, 2: PPK.public_key, 3: LEAF, 4: RECEIPT}
        for key, value in changes.items():
            items[int(key[1:])] = value
        return enc({k: v for k, v in items.items() if v is not None})

    stamped = body(k4=None, k5=TIMESTAMP)

    def stamp(
        protected: dict[int, Any],
        unprotected: bytes = b"\xa0",
        payload: bytes | None = None,
        key: Ed25519PrivateKey = LOG_KEY,
        over: bytes = LEAF,
    ) -> bytes:
        encoded = enc(protected)
        return sign1(encoded, unprotected, payload, key.sign(sig_structure(encoded, over)))

    stamp_header: dict[int, Any] = {1: -8, 4: LOG.kid, 15: {1: ORIGIN, 6: ISSUED_AT + 120}}
    assert stamp(stamp_header) == TIMESTAMP
    yield case("valid-with-receipt", "entry 2 with its receipt", offline_text(body()), OK)
    yield case(
        "valid-with-timestamp",
        "entry 2 with the registry's signed entry timestamp",
        offline_text(stamped),
        OK,
    )
    yield case(
        "valid-pact-naming-no-signer",
        "entry 1, a pact logged before pacts named their signer: valid, no signer to show",
        offline_text(
            body(k1=STATEMENTS[UNNAMED_INDEX], k3=LEAVES[UNNAMED_INDEX], k4=receipt_for(1))
        ),
        OK,
        signed_by=None,
    )
    yield case(
        "valid-zlib-level-0",
        "the same payload in stored (uncompressed) deflate blocks: zlib's encoding is not pinned",
        offline_text(body(), lambda b: zlib.compress(b, 0)),
        OK,
    )
    yield case(
        "timestamp-without-claims",
        "an entry timestamp whose protected header has no claims (15), validly signed",
        offline_text(body(k4=None, k5=stamp({1: -8, 4: LOG.kid}))),
        "malformed",
    )
    yield case(
        "timestamp-claims-without-issued-at",
        "an entry timestamp with claims {1: origin} only, validly signed",
        offline_text(body(k4=None, k5=stamp({1: -8, 4: LOG.kid, 15: {1: ORIGIN}}))),
        "malformed",
    )
    yield case(
        "timestamp-of-another-origin",
        "an entry timestamp naming another log, validly signed",
        offline_text(
            body(k4=None, k5=stamp({1: -8, 4: LOG.kid, 15: {1: "other.example/log", 6: 1}}))
        ),
        "wrong-origin",
    )
    yield case(
        "timestamp-unprotected-header-not-empty",
        "an entry timestamp with an unprotected label 33",
        offline_text(body(k4=None, k5=stamp(stamp_header, unprotected=enc({33: b"x"})))),
        "non-canonical-encoding",
    )
    yield case(
        "timestamp-payload-attached",
        "an entry timestamp carrying the leaf as its payload",
        offline_text(body(k4=None, k5=stamp(stamp_header, payload=LEAF))),
        "malformed",
    )
    yield case(
        "timestamp-signed-by-another-key",
        "an entry timestamp by a key that is not the log's",
        offline_text(body(k4=None, k5=stamp({**stamp_header, 4: OTHER.kid}, key=OTHER_KEY))),
        "unknown-key",
    )
    yield case(
        "timestamp-over-another-leaf",
        "an entry timestamp over entry 3's leaf",
        offline_text(body(k4=None, k5=stamp(stamp_header, over=LEAVES[3]))),
        "bad-signature",
    )
    yield case(
        "timestamp-untagged",
        "the entry timestamp without tag 18",
        offline_text(body(k4=None, k5=TIMESTAMP[1:])),
        "non-canonical-encoding",
    )
    yield case(
        "zlib-padding-bits-set",
        "a padding bit of the deflate stream's last byte set (zlib ignores it)",
        PREFIX + b45encode(_padding_bit(zlib.compress(body(), 9))),
        "not-deterministic",
    )
    yield case(
        "timestamp-zlib-padding-bits-set",
        "a padding bit of the deflate stream's last byte set, in a QR with an entry timestamp",
        PREFIX + b45encode(_padding_bit(zlib.compress(stamped, 9))),
        "not-deterministic",
    )
    yield case(
        "zlib-trailing-bytes",
        "a byte after the zlib stream",
        PREFIX + b45encode(zlib.compress(body(), 9) + b"\x00"),
        "trailing-data",
    )
    yield case(
        "zlib-truncated",
        "the zlib stream's checksum cut off",
        PREFIX + b45encode(zlib.compress(body(), 9)[:-4]),
        "truncated",
    )
    yield case(
        "zlib-checksum-wrong",
        "the zlib stream's Adler-32 checksum altered",
        PREFIX + b45encode(flip(zlib.compress(body(), 9), -1)),
        "malformed",
    )
    yield case(
        "not-zlib",
        "raw CBOR where the zlib stream should be",
        PREFIX + b45encode(body()),
        "malformed",
    )
    yield case(
        "zip-bomb",
        "a stream that inflates to 200,000 bytes",
        PREFIX + b45encode(zlib.compress(bytes(200_000), 9)),
        "oversized",
    )
    yield case("prefix-PI2", "the prefix PI2:", "PI2:" + offline_text(body())[4:], "malformed")
    yield case(
        "prefix-lowercase", "the prefix pi1:", "pi1:" + offline_text(body())[4:], "malformed"
    )
    yield case("nothing-after-prefix", "the prefix alone", PREFIX, "empty")
    yield case("empty", "no text at all", "", "empty")
    yield case(
        "base45-lowercase",
        "a base45 text in lowercase",
        PREFIX + offline_text(body())[4:].lower(),
        "malformed",
    )
    yield case(
        "base45-3k+1-characters",
        "one character added to the base45 text",
        offline_text(body()) + "0",
        "malformed",
    )
    yield case(
        "base45-group-over-65535",
        "a last group GGW (65536)",
        offline_text(body())[:-3] + "GGW",
        "malformed",
    )
    yield case(
        "trailing-newline", "a newline after the text", offline_text(body()) + "\n", "malformed"
    )
    yield case(
        "payload-not-deterministic",
        "the CBOR map's keys out of order",
        offline_text(
            b"\xa4\x02"
            + enc(PPK.public_key)
            + b"\x01"
            + enc(STATEMENT)
            + b"\x03"
            + enc(LEAF)
            + b"\x04"
            + enc(RECEIPT)
        ),
        "not-deterministic",
    )
    yield case("payload-unknown-key", "a key 6 added", offline_text(body(k6=b"x")), "malformed")
    yield case(
        "payload-receipt-and-timestamp",
        "both 4 and 5",
        offline_text(body(k5=TIMESTAMP)),
        "malformed",
    )
    yield case("payload-without-leaf", "no leaf (3)", offline_text(body(k3=None)), "malformed")
    yield case(
        "payload-value-not-bytes",
        "the signer key (2) as text",
        offline_text(enc({1: STATEMENT, 2: "key", 3: LEAF, 4: RECEIPT})),
        "malformed",
    )
    yield case(
        "payload-an-array",
        "an array instead of the map",
        offline_text(enc([STATEMENT, PPK.public_key])),
        "malformed",
    )
    yield case(
        "signer-key-31-bytes",
        "the signer key (2) one byte short",
        offline_text(body(k2=PPK.public_key[:31])),
        "malformed",
    )
    yield case(
        "signer-key-of-another",
        "another signer's key (2)",
        offline_text(body(k2=OTHER.public_key)),
        "unknown-key",
    )
    yield case(
        "statement-untagged",
        "the statement (1) without tag 18",
        offline_text(body(k1=STATEMENT[1:])),
        "non-canonical-encoding",
    )
    yield case(
        "statement-unprotected-header-not-empty",
        "the statement (1) with an unprotected label added",
        offline_text(body(k1=signed(PROTECTED, PAYLOAD, unprotected=enc({33: b"x"})))),
        "non-canonical-encoding",
    )
    yield case(
        "statement-bit-flipped",
        "bit 0 of the statement's signature flipped",
        offline_text(body(k1=flip(STATEMENT, -64))),
        "bad-signature",
    )
    yield case(
        "leaf-of-another-statement",
        "entry 3's leaf (3)",
        offline_text(body(k3=LEAVES[3])),
        "wrong-statement",
    )
    yield case(
        "receipt-of-another-entry",
        "entry 3's receipt with entry 2's statement and leaf",
        offline_text(body(k4=receipt_for(3))),
        "wrong-leaf",
    )
    yield case(
        "receipt-of-another-origin",
        "a receipt naming another log, validly signed",
        offline_text(body(k4=receipt_for(origin="other.example/log"))),
        "wrong-origin",
    )
    yield case(
        "receipt-bit-flipped",
        "bit 0 of the receipt's signature flipped",
        offline_text(body(k4=flip(RECEIPT, -64))),
        "bad-signature",
    )


def link_cases() -> Iterator[Case]:
    def case(name: str, description: str, link: str, leaf: bytes, expect: str) -> Case:
        data = {"link": link, "leaf": b64url(leaf)}
        return Case(f"link-qr/{name}", "link-qr", description, data, {}, expect)

    link = link_text(BASE_URL, INDEX, leaf_hash(LEAF))
    fragment = link.rpartition("#")[2]
    yield case("valid", "entry 2's link, and the leaf a server answers with", link, LEAF, OK)
    yield case(
        "leaf-of-entry-3", "the server answers with entry 3's leaf", link, LEAVES[3], "wrong-leaf"
    )
    yield case(
        "fragment-of-entry-3",
        "entry 3's fingerprint under entry 2's index",
        f"{BASE_URL}/v/{INDEX}#{link_text(BASE_URL, 3, leaf_hash(LEAVES[3])).rpartition('#')[2]}",
        LEAF,
        "wrong-leaf",
    )
    yield case(
        "index-of-entry-3",
        "entry 2's fingerprint under index 3, answered with entry 3's leaf",
        f"{BASE_URL}/v/3#{fragment}",
        LEAVES[3],
        "wrong-leaf",
    )
    yield case(
        "index-leading-zero",
        "the index written 02",
        f"{BASE_URL}/v/0{INDEX}#{fragment}",
        LEAF,
        "malformed",
    )
    yield case(
        "index-20-digits",
        "an index of 20 digits",
        f"{BASE_URL}/v/{10**19}#{fragment}",
        LEAF,
        "malformed",
    )
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".index(fragment[-1])
    yield case(
        "fragment-unused-bits-set",
        "the fingerprint's last character with its unused bits set (same 16 bytes)",
        link[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1],
        LEAF,
        "malformed",
    )
    yield case(
        "fragment-21-characters",
        "the fingerprint one character short",
        link[:-1],
        LEAF,
        "malformed",
    )
    yield case(
        "no-fragment", "the link without its fingerprint", link.partition("#")[0], LEAF, "malformed"
    )
    yield case(
        "query-string",
        "a query string before the fingerprint",
        f"{BASE_URL}/v/{INDEX}?lang=en#{fragment}",
        LEAF,
        "malformed",
    )
    yield case(
        "trailing-slash",
        "a slash after the index",
        f"{BASE_URL}/v/{INDEX}/#{fragment}",
        LEAF,
        "malformed",
    )
    yield case(
        "ftp-scheme", "an ftp:// link", link.replace("https://", "ftp://"), LEAF, "malformed"
    )
    yield case(
        "scheme-uppercase",
        "HTTPS:// in capitals",
        link.replace("https://", "HTTPS://"),
        LEAF,
        "malformed",
    )
    yield case("leaf-truncated", "the server answers with a cut leaf", link, LEAF[:-1], "truncated")
