"""Our statements and receipts verify with an independent COSE library (pycose)."""

from __future__ import annotations

import cbor2
from pycose.keys.curves import Ed25519
from pycose.keys.keyparam import KpKeyOps
from pycose.keys.okp import OKPKey
from pycose.messages import Sign1Message

from registry.signing.cose import CoseSigner
from tests.factories import fixed_key, logged, signed_pact


def _pycose_key(public_key: bytes) -> OKPKey:
    return OKPKey(crv=Ed25519, x=public_key, optional_params={KpKeyOps: ["verify"]})


def test_statement_verifies_with_pycose() -> None:
    statement = signed_pact()
    message = Sign1Message.decode(statement)
    message.key = _pycose_key(CoseSigner(fixed_key("ppk-jabar")).public_key)
    assert message.verify_signature()
    assert cbor2.loads(message.payload)["type"] == "pact"


def test_altered_statement_fails_with_pycose() -> None:
    statement = bytearray(signed_pact())
    statement[-1] ^= 1
    message = Sign1Message.decode(bytes(statement))
    message.key = _pycose_key(CoseSigner(fixed_key("ppk-jabar")).public_key)
    assert not message.verify_signature()


def test_receipt_signature_verifies_with_pycose_over_the_root() -> None:
    _, receipts, registry = logged([signed_pact(place=f"Kota {i}") for i in range(5)])
    from registry.verify.receipt import verify_receipt

    root = verify_receipt(receipts[3], {registry.kid: registry.public_key}).unwrap().root
    message = Sign1Message.decode(receipts[3])
    message.key = _pycose_key(registry.public_key)
    message.payload = root  # RFC 9942: the detached payload is the root
    assert message.verify_signature()


def test_receipts_of_one_batch_share_one_signature_and_each_verifies() -> None:
    from registry.verify.receipt import verify_receipt

    statements = [signed_pact(place=f"Kota {i}") for i in range(4)]
    _, receipts, registry = logged(statements)
    keys = {registry.kid: registry.public_key}
    assert all(verify_receipt(r, keys, s).ok for r, s in zip(receipts, statements, strict=True))
    signatures = {cbor2.loads(r).value[3] for r in receipts}
    assert len(signatures) == 1
    other = registry.sign_statement({"type": "pact", "x": 1}, "op", 1)
    assert cbor2.loads(other).value[3] not in signatures
