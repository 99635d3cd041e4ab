"""Log key rotation: receipts and checkpoints against a configuration listing a retired log key.

The trust names two log keys: the material's log key, retired after tree size
``SIZE - 1`` (its ``valid_until_size``), and its successor, valid from
``SIZE``.  Each key signs a tree within its validity (``ok``) and one outside it
(``key-outside-validity``): a retired key cannot vouch for a larger tree, a new
one for a tree before its announcement.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from registry.log.checkpoint import sign_checkpoint
from registry.log.receipt import issue_receipt
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.verify.trust import b64url
from tests.factories import ISSUED_AT, fixed_key
from tests.verify.vectors.material import (
    CONFIGURATION,
    INDEX,
    LEAVES,
    LOG,
    NOTE,
    OK,
    ORIGIN,
    SIZE,
    TREE,
    Case,
)

NEW_KEY = fixed_key("vectors-log-2")
NEW_LOG = CoseSigner(NEW_KEY)
NEW_NOTE = NoteSigner(NEW_KEY, ORIGIN)
END = SIZE - 1
"""The largest tree the retired key may sign; its successor signs from ``END + 1``."""
OUTSIDE = "key-outside-validity"


def _key(signer: CoseSigner, note: NoteSigner, **validity: int) -> dict[str, Any]:
    return {
        "kid": signer.kid.hex(),
        "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64url(signer.public_key)},
        "note_verifier_key": note.verifier_key_string,
        **validity,
    }


ROTATED_TRUST = {
    "configuration": {
        **CONFIGURATION,
        "keys": [
            _key(LOG, NOTE, valid_from_size=0, valid_until_size=END),
            _key(NEW_LOG, NEW_NOTE, valid_from_size=END + 1),
        ],
    }
}


def _receipt(signer: CoseSigner, size: int) -> bytes:
    return issue_receipt(
        signer,
        ORIGIN,
        LEAVES[INDEX],
        INDEX,
        size,
        TREE.inclusion_proof(INDEX, size),
        TREE.root(size),
        ISSUED_AT,
    )


def rotation_cases() -> Iterator[Case]:
    def case(kind: str, name: str, description: str, data: Any, expect: str) -> Case:
        return Case(f"rotation/{name}", kind, description, data, ROTATED_TRUST, expect)

    for what, retired, new in (
        ("receipt", _receipt(LOG, END), _receipt(NEW_LOG, SIZE)),
        (
            "checkpoint",
            sign_checkpoint(NOTE, ORIGIN, END, TREE.root(END)),
            sign_checkpoint(NEW_NOTE, ORIGIN, SIZE, TREE.root(SIZE)),
        ),
    ):
        yield case(
            what,
            f"{what}-by-retired-key-before-its-end",
            f"a {what} of size {END} by the log key retired after size {END}: made before",
            retired,
            OK,
        )
        yield case(
            what,
            f"{what}-by-new-key",
            f"a {what} of size {SIZE} by the log key valid from size {END + 1}",
            new,
            OK,
        )
    yield case(
        "receipt",
        "receipt-by-retired-key-after-its-end",
        f"a receipt of size {SIZE} by the log key retired after size {END}",
        _receipt(LOG, SIZE),
        OUTSIDE,
    )
    yield case(
        "receipt",
        "receipt-by-new-key-before-its-start",
        f"a receipt of size {END} by the log key valid only from size {END + 1}",
        _receipt(NEW_LOG, END),
        OUTSIDE,
    )
    yield case(
        "checkpoint",
        "checkpoint-by-retired-key-after-its-end",
        f"a checkpoint of size {SIZE} by the log key retired after size {END}",
        sign_checkpoint(NOTE, ORIGIN, SIZE, TREE.root(SIZE)),
        OUTSIDE,
    )
    yield case(
        "checkpoint",
        "checkpoint-by-new-key-before-its-start",
        f"a checkpoint of size {END} by the log key valid only from size {END + 1}",
        sign_checkpoint(NEW_NOTE, ORIGIN, END, TREE.root(END)),
        OUTSIDE,
    )
