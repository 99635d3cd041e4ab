"""A batch's receipts are signed once between them, and are the bytes signed one by one."""

from __future__ import annotations

import hashlib

from registry.log.receipt import _unprotected, issue_receipt, issue_receipts
from registry.log.tree import MerkleTree
from registry.signing.cose import CoseSigner
from registry.verify.cbor import encode_deterministic
from registry.verify.receipt import HEADER_LEAF, HEADER_VDP, VDP_INCLUSION
from tests.factories import fixed_key

ORIGIN = "test.example/pakta"


def test_receipts_of_a_batch_are_the_receipts_issued_one_by_one() -> None:
    signer = CoseSigner(fixed_key("log-batch"))
    tree = MerkleTree()
    leaves = [b"leaf %d" % i for i in range(300)]
    for leaf in leaves:
        tree.append(hashlib.sha256(b"\x00" + leaf).digest())
    size, issued = 300, 1_733_000_000
    root = tree.root(size)
    batch = [(leaves[i], i, tree.inclusion_proof(i, size)) for i in range(250, 300)]
    together = issue_receipts(signer, ORIGIN, batch, size, root, issued)
    one_by_one = [
        issue_receipt(
            CoseSigner(fixed_key("log-batch")), ORIGIN, leaf, i, size, proof, root, issued
        )
        for leaf, i, proof in batch
    ]
    assert together == one_by_one
    assert len(set(together)) == len(batch)


def test_a_frame_with_a_payload_is_sign1_with_the_payload_attached() -> None:
    signer = CoseSigner(fixed_key("frame"))
    prefix, suffix = signer.sign1_frame({3: "text/plain"}, b"payload")
    unprotected = {4: b"k" * 5}
    assert prefix + encode_deterministic(unprotected) + suffix == signer.sign1(
        {3: "text/plain"}, unprotected, b"payload"
    )


def test_the_unprotected_header_put_together_is_its_deterministic_encoding() -> None:
    for hashes in (0, 1, 23, 24, 40):  # an array head of one byte, then of two
        proof = [bytes([i]) * 32 for i in range(hashes)]
        expected = encode_deterministic(
            {
                HEADER_VDP: {VDP_INCLUSION: [encode_deterministic([2**40, 7, proof])]},
                HEADER_LEAF: b"leaf",
            }
        )
        assert _unprotected(encode_deterministic(2**40), 7, proof, b"leaf") == expected
