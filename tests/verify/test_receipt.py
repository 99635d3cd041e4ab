"""COSE Receipts: issued receipts verify alone; every mutation fails with its reason."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.verify.cbor import encode_deterministic
from registry.verify.leaf import decode_leaf
from registry.verify.merkle import leaf_hash
from registry.verify.receipt import HEADER_LEAF, HEADER_VDP, signed_tree_size, verify_receipt
from registry.verify.result import Reason
from tests.factories import logged, signed_pact

STATEMENTS = [signed_pact(place=f"Kota {i}") for i in range(7)]
LEAVES, RECEIPTS, REGISTRY = logged(STATEMENTS)
KEYS = {REGISTRY.kid: REGISTRY.public_key}


@pytest.mark.parametrize("index", range(len(STATEMENTS)))
def test_every_receipt_verifies_for_its_statement(index: int) -> None:
    verdict = verify_receipt(RECEIPTS[index], KEYS, STATEMENTS[index])
    assert verdict.ok, verdict.explain()
    info = verdict.unwrap()
    assert (info.index, info.tree_size) == (index, len(STATEMENTS))
    assert info.leaf_bytes == LEAVES[index]
    assert info.origin == "test.example/log"


def test_signed_tree_size_is_read_without_verifying() -> None:
    assert {signed_tree_size(r) for r in RECEIPTS} == {len(STATEMENTS)}
    assert signed_tree_size(b"not a receipt") is None
    assert signed_tree_size(STATEMENTS[0]) is None  # a statement states no tree size


def test_all_receipts_share_one_root() -> None:
    roots = {verify_receipt(r, KEYS).unwrap().root for r in RECEIPTS}
    assert len(roots) == 1


def test_leaves_chain_each_to_the_one_before() -> None:
    for prev, leaf in itertools.pairwise(LEAVES):
        assert decode_leaf(leaf).unwrap().prev_leaf_hash == leaf_hash(prev)


def test_receipt_for_another_statement_is_refused() -> None:
    verdict = verify_receipt(RECEIPTS[0], KEYS, STATEMENTS[1])
    assert verdict.reason == Reason.WRONG_STATEMENT


def test_receipt_from_unknown_key_is_refused() -> None:
    assert verify_receipt(RECEIPTS[0], {}).reason == Reason.UNKNOWN_KEY


def _mutate(change: Callable[[list[Any]], None]) -> bytes:
    item = cbor2.loads(RECEIPTS[2])
    change(item.value)
    return cbor2.dumps(item)


def _set_proof(body: list[Any], value: list[Any]) -> None:
    body[1][HEADER_VDP][-1] = [encode_deterministic(value)]


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("leaf-swapped", lambda b: b[1].__setitem__(HEADER_LEAF, LEAVES[3]), Reason.WRONG_LEAF),
        ("leaf-missing", lambda b: b[1].pop(HEADER_LEAF), Reason.MALFORMED),
        ("proof-missing", lambda b: b[1].pop(HEADER_VDP), Reason.MALFORMED),
        ("two-proofs", lambda b: b[1][HEADER_VDP][-1].append(b"\x80"), Reason.MALFORMED),
        (
            "proof-size-changed",
            lambda b: _set_proof(b, [6, 2, cbor2.loads(b[1][HEADER_VDP][-1][0])[2]]),
            Reason.SIZE_MISMATCH,
        ),
        ("proof-index-out-of-range", lambda b: _set_proof(b, [7, 9, []]), Reason.WRONG_LEAF),
        (
            "proof-path-truncated",
            lambda b: _set_proof(b, [7, 2, cbor2.loads(b[1][HEADER_VDP][-1][0])[2][:-1]]),
            Reason.WRONG_PROOF_LENGTH,
        ),
        ("signature-zeroed", lambda b: b.__setitem__(3, bytes(64)), Reason.BAD_SIGNATURE),
        ("payload-attached", lambda b: b.__setitem__(2, b"x" * 32), Reason.MALFORMED),
        (
            "vds-changed",
            lambda b: b.__setitem__(0, encode_deterministic({**cbor2.loads(b[0]), 395: 2})),
            Reason.WRONG_ALGORITHM,
        ),
    ],
)
def test_mutated_receipt_is_refused(
    name: str, change: Callable[[list[Any]], None], reason: Reason
) -> None:
    verdict = verify_receipt(_mutate(change), KEYS)
    assert not verdict.ok
    assert verdict.reason == reason, verdict.explain()


def test_bad_signature_failure_carries_the_computed_root() -> None:
    verdict = verify_receipt(_mutate(lambda b: b.__setitem__(3, bytes(64))), KEYS)
    assert len(bytes.fromhex(verdict.evidence["computed_root"])) == 32


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_single_bit_flip_is_rejected(data: st.DataObject) -> None:
    receipt = RECEIPTS[data.draw(st.integers(0, len(RECEIPTS) - 1))]
    bit = data.draw(st.integers(0, len(receipt) * 8 - 1))
    flipped = bytearray(receipt)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert not verify_receipt(bytes(flipped), KEYS).ok
