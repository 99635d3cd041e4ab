"""QR payloads: the offline payload verifies alone; every mutation fails with its reason."""

from __future__ import annotations

import hashlib
import zlib
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.signing.cose import CoseSigner
from registry.signing.timestamp import sign_entry_timestamp
from registry.verify.cbor import encode_deterministic
from registry.verify.leaf import Leaf, decode_leaf
from registry.verify.link import LinkQr, check_link_leaf, link_text, parse_link
from registry.verify.qr import (
    BASE45,
    PREFIX,
    REVOCATION_NOTE,
    b45decode,
    b45encode,
    decode_offline,
    encode_offline,
    verify_offline,
    zlib_decompress,
)
from registry.verify.result import Reason
from tests.factories import ISSUED_AT, fixed_key, logged, signed_pact

ORIGIN = "test.example/log"
STATEMENTS = [signed_pact(place=f"Kota {i}") for i in range(5)]
LEAVES, RECEIPTS, REGISTRY = logged(STATEMENTS, ORIGIN)
SIGNER = CoseSigner(fixed_key("ppk-jabar"))
KEYS = {REGISTRY.kid: REGISTRY.public_key}
STRANGER = CoseSigner(fixed_key("stranger"))


def timestamp(leaf: bytes, key: CoseSigner = REGISTRY) -> bytes:
    return sign_entry_timestamp(key, ORIGIN, leaf, ISSUED_AT)


def with_receipt(index: int = 2, **parts: bytes) -> str:
    values = {
        "statement": STATEMENTS[index],
        "public_key": SIGNER.public_key,
        "leaf": LEAVES[index],
        "receipt": RECEIPTS[index],
    } | parts
    return encode_offline(
        values["statement"], values["public_key"], values["leaf"], receipt=values["receipt"]
    )


def with_timestamp(index: int = 2, **parts: bytes) -> str:
    values = {
        "statement": STATEMENTS[index],
        "public_key": SIGNER.public_key,
        "leaf": LEAVES[index],
        "timestamp": timestamp(LEAVES[index]),
    } | parts
    return encode_offline(
        values["statement"], values["public_key"], values["leaf"], timestamp=values["timestamp"]
    )


def pack(body: Any, level: int = 9) -> str:
    """The offline text of any CBOR item (for payloads encode_offline would not make)."""
    return PREFIX + b45encode(zlib.compress(cbor2.dumps(body), level))


RECEIPT_TEXT = with_receipt()
TIMESTAMP_TEXT = with_timestamp()


# -- base45 (RFC 9285) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
    ],
)
def test_base45_matches_the_rfc_9285_examples(raw: bytes, text: str) -> None:
    assert b45encode(raw) == text
    assert b45decode(text) == raw


@given(st.binary(max_size=300))
def test_base45_round_trips(data: bytes) -> None:
    assert b45decode(b45encode(data)) == data


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("GGW", "over 65535"),  # 16 + 16*45 + 32*2025 = 65536
        ("BB8:", "3k\\+1"),
        ("bb8", "not a base45 character"),
        ("BB8_", "3k\\+1"),
        ("BB_", "not a base45 character"),
        ("BB8V5", "over 255"),  # a final pair of 31 + 5*45 = 256
    ],
)
def test_base45_is_strict(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        b45decode(text)


def test_base45_largest_values_decode() -> None:
    assert b45decode("FGW") == b"\xff\xff"  # 15 + 16*45 + 32*2025 = 65535
    assert b45decode("U5") == b"\xff"  # 30 + 5*45 = 255


# -- the offline payload verifies -----------------------------------------------------------


def test_payload_with_receipt_verifies_with_only_the_registry_key() -> None:
    verdict = verify_offline(RECEIPT_TEXT, KEYS, ORIGIN)
    assert verdict.ok, verdict.explain()
    record = verdict.unwrap()
    assert (record.index, record.proven_by, record.tree_size) == (2, "receipt", 5)
    assert record.statement_type == "pact"
    assert record.payload["place"] == "Kota 2"
    assert record.signer_public_key == SIGNER.public_key
    assert record.registered_at == ISSUED_AT * 1000 + 2
    assert record.leaf_hash == hashlib.sha256(b"\x00" + LEAVES[2]).digest()
    assert record.revocation == REVOCATION_NOTE.format(index=2)
    assert verdict.evidence["revocation"] == "not checked"


def test_payload_with_timestamp_verifies() -> None:
    record = verify_offline(TIMESTAMP_TEXT, KEYS, ORIGIN).unwrap()
    assert (record.index, record.proven_by, record.tree_size, record.root) == (
        2,
        "timestamp",
        None,
        None,
    )
    assert record.origin == ORIGIN
    assert record.registry_kid == REGISTRY.kid


def test_offline_text_is_in_the_qr_alphanumeric_set() -> None:
    assert RECEIPT_TEXT.startswith("PI1:")
    assert set(RECEIPT_TEXT) <= set(BASE45)


def test_encode_offline_needs_exactly_one_proof() -> None:
    with pytest.raises(ValueError, match="either"):
        encode_offline(STATEMENTS[0], SIGNER.public_key, LEAVES[0])
    with pytest.raises(ValueError, match="either"):
        encode_offline(STATEMENTS[0], SIGNER.public_key, LEAVES[0], receipt=b"r", timestamp=b"t")


# -- every mutation fails with its reason ---------------------------------------------------


def _flipped(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


OTHER_LEAF_SAME_STATEMENT = Leaf(
    2, decode_leaf(LEAVES[2]).unwrap().prev_leaf_hash, 1, hashlib.sha256(STATEMENTS[2]).digest()
).to_bytes()

MUTATIONS: dict[str, tuple[str, Reason]] = {
    "statement-byte-changed": (
        with_receipt(statement=_flipped(STATEMENTS[2], len(STATEMENTS[2]) - 80)),
        Reason.BAD_SIGNATURE,
    ),
    "statement-signature-changed": (
        with_receipt(statement=_flipped(STATEMENTS[2], len(STATEMENTS[2]) - 1)),
        Reason.BAD_SIGNATURE,
    ),
    "signer-key-of-someone-else": (
        with_receipt(public_key=STRANGER.public_key),
        Reason.UNKNOWN_KEY,
    ),
    "leaf-from-entry-3": (with_receipt(leaf=LEAVES[3]), Reason.WRONG_STATEMENT),
    "receipt-of-entry-3": (with_receipt(receipt=RECEIPTS[3]), Reason.WRONG_LEAF),
    "leaf-not-the-receipts": (
        with_receipt(leaf=OTHER_LEAF_SAME_STATEMENT),
        Reason.WRONG_LEAF,
    ),
    "timestamp-over-entry-3": (
        with_timestamp(timestamp=timestamp(LEAVES[3])),
        Reason.BAD_SIGNATURE,
    ),
    "timestamp-by-a-stranger": (
        with_timestamp(timestamp=timestamp(LEAVES[2], STRANGER)),
        Reason.UNKNOWN_KEY,
    ),
    "timestamp-with-attached-payload": (
        with_timestamp(timestamp=REGISTRY.sign1({15: {1: ORIGIN, 6: 1}}, {}, LEAVES[2])),
        Reason.MALFORMED,
    ),
    "timestamp-without-claims": (
        with_timestamp(timestamp=REGISTRY.sign1({}, {}, LEAVES[2], detached=True)),
        Reason.MALFORMED,
    ),
    "receipt-as-timestamp": (with_timestamp(timestamp=RECEIPTS[2]), Reason.MALFORMED),
    # whole base45 groups cut off the end: the zlib stream is what ends too soon
    "truncated-by-3": (
        RECEIPT_TEXT[: -3 - (len(RECEIPT_TEXT) - len(PREFIX)) % 3],
        Reason.TRUNCATED,
    ),
    "truncated-by-1": (RECEIPT_TEXT[:-1], Reason.MALFORMED),
    "truncated-to-the-prefix": (PREFIX, Reason.EMPTY),
    "bad-prefix": ("PI2:" + RECEIPT_TEXT[4:], Reason.MALFORMED),
    "lowercase-prefix": ("pi1:" + RECEIPT_TEXT[4:], Reason.MALFORMED),
    "no-prefix": (RECEIPT_TEXT[4:], Reason.MALFORMED),
    "lowercase-payload": (RECEIPT_TEXT[:4] + RECEIPT_TEXT[4:].lower(), Reason.MALFORMED),
    "empty": ("", Reason.EMPTY),
    "zip-bomb": (PREFIX + b45encode(zlib.compress(bytes(10_000_000), 9)), Reason.OVERSIZED),
    "trailing-bytes-after-zlib": (
        PREFIX + b45encode(zlib.compress(b"\xa0", 9) + b"\x00"),
        Reason.TRAILING_DATA,
    ),
    "raw-deflate-not-zlib": (
        PREFIX + b45encode(zlib.compress(b"\xa0", 9)[2:-4]),
        Reason.MALFORMED,
    ),
    "not-a-map": (pack([1, 2, 3]), Reason.MALFORMED),
    "both-receipt-and-timestamp": (
        pack({1: STATEMENTS[2], 2: SIGNER.public_key, 3: LEAVES[2], 4: b"", 5: b""}),
        Reason.MALFORMED,
    ),
    "unknown-key-6": (
        pack({1: STATEMENTS[2], 2: SIGNER.public_key, 3: LEAVES[2], 4: RECEIPTS[2], 6: b""}),
        Reason.MALFORMED,
    ),
    "true-as-key-1": (
        PREFIX
        + b45encode(
            zlib.compress(
                encode_deterministic(
                    {True: STATEMENTS[2], 2: SIGNER.public_key, 3: LEAVES[2], 4: RECEIPTS[2]}
                )
            )
        ),
        Reason.MALFORMED,
    ),
    "text-instead-of-bytes": (
        pack({1: "statement", 2: SIGNER.public_key, 3: LEAVES[2], 4: RECEIPTS[2]}),
        Reason.MALFORMED,
    ),
    "public-key-31-bytes": (with_receipt(public_key=SIGNER.public_key[:31]), Reason.MALFORMED),
    "keys-not-in-deterministic-order": (
        PREFIX
        + b45encode(
            zlib.compress(
                b"\xa4"
                + b"".join(
                    cbor2.dumps(k) + cbor2.dumps(v)
                    for k, v in [
                        (2, SIGNER.public_key),
                        (1, STATEMENTS[2]),
                        (3, LEAVES[2]),
                        (4, RECEIPTS[2]),
                    ]
                )
            )
        ),
        Reason.NOT_DETERMINISTIC,
    ),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_mutation_is_refused_with_its_reason(name: str) -> None:
    text, reason = MUTATIONS[name]
    verdict = verify_offline(text, KEYS)
    assert not verdict.ok
    assert verdict.reason == reason, verdict.explain()


def test_unknown_registry_key_is_refused() -> None:
    strangers = {STRANGER.kid: STRANGER.public_key}
    assert verify_offline(RECEIPT_TEXT, strangers).reason == Reason.UNKNOWN_KEY
    assert verify_offline(TIMESTAMP_TEXT, strangers).reason == Reason.UNKNOWN_KEY
    assert verify_offline(RECEIPT_TEXT, {}).reason == Reason.UNKNOWN_KEY


def test_proof_for_another_log_is_refused_when_the_origin_is_known() -> None:
    for text in (RECEIPT_TEXT, TIMESTAMP_TEXT):
        verdict = verify_offline(text, KEYS, origin="elsewhere.example/log")
        assert verdict.reason == Reason.WRONG_ORIGIN
        assert verdict.evidence["found"] == ORIGIN


def test_non_text_input_is_refused() -> None:
    assert verify_offline(RECEIPT_TEXT.encode(), KEYS).reason == Reason.WRONG_TYPE
    assert verify_offline(None, KEYS).reason == Reason.WRONG_TYPE


def test_set_padding_bits_are_refused() -> None:
    """A decoder ignores the bits after the last deflate block; they must be zero."""
    for size in range(1, 40):
        data = zlib.compress(encode_deterministic({1: bytes(range(size))}), 9)
        last = len(data) - 5
        padding = [bit for bit in range(8) if _same_output(data, _flip(data, last, bit))]
        if padding:
            assert all(not data[last] >> bit & 1 for bit in padding)  # zlib writes zeros
            for bit in padding:
                verdict = zlib_decompress(_flip(data, last, bit))
                assert verdict.reason == Reason.NOT_DETERMINISTIC
            assert zlib_decompress(data).ok
            return
    pytest.fail("no stream with padding bits found")


def _flip(data: bytes, at: int, bit: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 1 << bit]) + data[at + 1 :]


def _same_output(data: bytes, changed: bytes) -> bool:
    try:
        return zlib.decompress(changed) == zlib.decompress(data)
    except zlib.error:
        return False


# -- properties -----------------------------------------------------------------------------


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_arbitrary_text_never_crashes(text: str) -> None:
    assert not verify_offline(text, KEYS).ok


@settings(max_examples=300)
@given(st.text(alphabet=BASE45, max_size=400))
def test_arbitrary_base45_after_the_prefix_never_crashes(text: str) -> None:
    assert not verify_offline(PREFIX + text, KEYS).ok


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_every_single_character_change_is_refused(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from([RECEIPT_TEXT, TIMESTAMP_TEXT]))
    at = data.draw(st.integers(0, len(text) - 1))
    alphabet = BASE45 + "abcxyz#!\n"
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda c: c != text[at]))
    assert not verify_offline(text[:at] + replacement + text[at + 1 :], KEYS).ok


@pytest.mark.parametrize("text", [RECEIPT_TEXT, TIMESTAMP_TEXT], ids=["receipt", "timestamp"])
def test_every_change_of_the_head_and_tail_is_refused(text: str) -> None:
    """Exhaustively where the structure is (prefix, zlib header, deflate end, Adler-32)."""
    positions = [*range(12), *range(len(text) - 24, len(text))]
    for at in positions:
        for replacement in BASE45:
            if replacement != text[at]:
                changed = text[:at] + replacement + text[at + 1 :]
                assert not verify_offline(changed, KEYS).ok, (at, replacement)


# -- the link QR ----------------------------------------------------------------------------

LEAF_HASH = hashlib.sha256(b"\x00" + LEAVES[2]).digest()
LINK = link_text("https://pakta.example.go.id/", 2, LEAF_HASH)


def test_link_text_follows_the_format() -> None:
    assert LINK.startswith("https://pakta.example.go.id/v/2#")
    assert len(LINK.split("#")[1]) == 22
    link = parse_link(LINK).unwrap()
    assert link == LinkQr("https://pakta.example.go.id", 2, LEAF_HASH[:16])
    assert link.url == LINK


def test_link_checks_the_leaf_the_server_answers_with() -> None:
    link = parse_link(LINK).unwrap()
    assert check_link_leaf(link, LEAVES[2]).unwrap().index == 2
    assert check_link_leaf(link, LEAVES[3]).reason == Reason.WRONG_LEAF
    same_index = parse_link(link_text("https://x.example", 3, LEAF_HASH)).unwrap()
    assert check_link_leaf(same_index, LEAVES[3]).reason == Reason.WRONG_LEAF
    assert check_link_leaf(link, b"\x00").reason == Reason.MALFORMED


@pytest.mark.parametrize(
    "text",
    [
        "",
        "https://x.example/v/2",
        "https://x.example/v/2#",
        "https://x.example/v/02#" + "A" * 22,
        "https://x.example/v/-2#" + "A" * 22,
        "https://x.example/v/2?x=1#" + "A" * 22,
        "ftp://x.example/v/2#" + "A" * 22,
        "https://x.example/v/2#" + "A" * 21,
        "https://x.example/v/2#" + "A" * 23,
        "https://x.example/v/2#" + "A" * 21 + "B",  # 22 characters with bits past 16 bytes
        "https://x.example/e/2#" + "A" * 22,
        "https://x.example/v/2#" + "A" * 20 + "+/",
    ],
)
def test_malformed_links_are_refused(text: str) -> None:
    assert parse_link(text).reason == Reason.MALFORMED


@given(st.text(max_size=200))
def test_arbitrary_links_never_crash(text: str) -> None:
    verdict = parse_link(text)
    if verdict.ok:
        assert verdict.unwrap().url == text


def test_decode_offline_gives_the_map_without_verifying() -> None:
    item = decode_offline(RECEIPT_TEXT).unwrap()
    assert set(item) == {1, 2, 3, 4}
    assert item[1] == STATEMENTS[2]
