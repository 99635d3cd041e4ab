"""Witness quorums: checkpoints and offline QRs checked against a policy of 2 of 2 witnesses.

The trust is the registry's configuration listing two witnesses and
``witnesses_required: 2``.  Quorum met, quorum not met (``not-witnessed``: not
invalid), a cosignature by a witness not listed, a bad cosignature, and a
cosignature over another checkpoint, for the signed note and for the offline
QR's witnessed checkpoint (key ``6``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from registry.signing.note import NoteSigner
from registry.verify.checkpoint import Checkpoint
from registry.verify.witnessed import cosignature_bytes
from tests.factories import ISSUED_AT, fixed_key
from tests.verify.vectors.material import (
    CHECKPOINT,
    CONFIGURATION,
    INDEX,
    LEAF,
    OK,
    ORIGIN,
    PPK,
    RECEIPT,
    ROOT,
    SIZE,
    STATEMENT,
    TIMESTAMP,
    Case,
    enc,
    flip,
)
from tests.verify.vectors.qr import offline_text

WITNESSES = [
    NoteSigner(fixed_key("vectors-witness-bawaslu"), "saksi.bawaslu.example/w"),
    NoteSigner(fixed_key("vectors-witness-bkn"), "saksi.bkn.example/w"),
]
STRANGER = NoteSigner(fixed_key("vectors-witness-stranger"), "saksi.lain.example/w")
WITNESSED_TRUST = {
    "configuration": {
        **CONFIGURATION,
        "witnesses": [
            {
                "name": w.name,
                "verifier_key": w.cosignature_verifier_key_string,
                "url": f"https://{w.name.split('/')[0]}",
            }
            for w in WITNESSES
        ],
        "witnesses_required": 2,
    }
}
BODY = Checkpoint(ORIGIN, SIZE, ROOT).body
OTHER_BODY = Checkpoint(ORIGIN, SIZE, bytes(32)).body
COSIGNED_AT = ISSUED_AT + 90


def line(witness: NoteSigner, body: str = BODY) -> str:
    return witness.cosign(body, COSIGNED_AT)


def raw(witness: NoteSigner, body: str = BODY) -> bytes:
    return cosignature_bytes(witness.cosignature(body, COSIGNED_AT))


def flipped_line(text: str) -> str:
    name, blob = text.removeprefix("\u2014 ").removesuffix("\n").split(" ")
    changed = flip(base64.b64decode(blob), -1)
    return f"\u2014 {name} {base64.b64encode(changed).decode()}\n"


def witnessed_cases() -> Iterator[Case]:
    yield from _checkpoints()
    yield from _offline()


def _checkpoints() -> Iterator[Case]:
    def case(name: str, description: str, text: str, expect: str) -> Case:
        return Case(f"checkpoint/{name}", "checkpoint", description, text, WITNESSED_TRUST, expect)

    w1, w2 = WITNESSES
    yield case(
        "witnessed-quorum-met",
        "cosigned by both witnesses the policy requires (2 of 2)",
        CHECKPOINT + line(w1) + line(w2),
        OK,
    )
    yield case(
        "witnessed-quorum-not-met",
        "cosigned by one of the two witnesses required: not yet witnessed, not invalid",
        CHECKPOINT + line(w1),
        "not-witnessed",
    )
    yield case(
        "witnessed-by-an-unknown-witness",
        "the second cosignature is by a witness the policy does not list: set aside",
        CHECKPOINT + line(w1) + line(STRANGER),
        "not-witnessed",
    )
    yield case(
        "witnessed-cosignature-bit-flipped",
        "bit 0 of the last byte of a listed witness's cosignature flipped",
        CHECKPOINT + line(w1) + flipped_line(line(w2)),
        "bad-signature",
    )
    yield case(
        "witnessed-cosignature-over-another-checkpoint",
        "a listed witness's cosignature of another root of this size, moved onto this one",
        CHECKPOINT + line(w1) + line(w2, OTHER_BODY),
        "bad-signature",
    )
    yield case(
        "witnessed-log-signature-missing",
        "both witnesses' cosignatures, no signature by the log",
        BODY + "\n" + line(w1) + line(w2),
        "unknown-key",
    )


def _offline() -> Iterator[Case]:
    def case(name: str, description: str, text: str, expect: str) -> Case:
        return Case(f"offline-qr/{name}", "offline-qr", description, text, WITNESSED_TRUST, expect)

    def payload(proof: dict[int, Any], cosigs: list[bytes] | None, size: int = SIZE) -> str:
        items: dict[int, Any] = {1: STATEMENT, 2: PPK.public_key, 3: LEAF, **proof}
        if cosigs is not None:
            items[6] = [size, ROOT, cosigs]
        return offline_text(enc(items))

    w1, w2 = WITNESSES
    stamped, receipted = {5: TIMESTAMP}, {4: RECEIPT}
    both = [raw(w1), raw(w2)]
    yield case(
        "witnessed-quorum-met",
        "entry timestamp and the checkpoint of size 5 cosigned by both witnesses",
        payload(stamped, both),
        OK,
    )
    yield case(
        "witnessed-receipt-quorum-met",
        "the receipt and its checkpoint cosigned by both witnesses: a complete offline proof",
        payload(receipted, both),
        OK,
    )
    yield case(
        "witnessed-quorum-not-met",
        "one witness's cosignature of the two required: not witnessed offline, not invalid",
        payload(stamped, [raw(w1)]),
        "not-witnessed",
    )
    yield case(
        "witnessed-nothing-carried",
        "no witnessed checkpoint (key 6) under a policy that requires two",
        payload(stamped, None),
        "not-witnessed",
    )
    yield case(
        "witnessed-by-an-unknown-witness",
        "the second cosignature is by a witness the policy does not list: set aside",
        payload(stamped, [raw(w1), raw(STRANGER)]),
        "not-witnessed",
    )
    yield case(
        "witnessed-cosignature-bit-flipped",
        "bit 0 of the last byte of a listed witness's cosignature flipped",
        payload(stamped, [raw(w1), flip(raw(w2), -1)]),
        "bad-signature",
    )
    yield case(
        "witnessed-cosignature-timestamp-changed",
        "a cosignature's timestamp (signed with it) one second later",
        payload(stamped, [raw(w1), flip(raw(w2), 11)]),
        "bad-signature",
    )
    yield case(
        "witnessed-cosignature-over-another-checkpoint",
        "a listed witness's cosignature of another root of this size",
        payload(stamped, [raw(w1), raw(w2, OTHER_BODY)]),
        "bad-signature",
    )
    yield case(
        "witnessed-tree-without-the-entry",
        f"the witnessed checkpoint is of size {INDEX}, a tree without entry {INDEX}",
        payload(
            stamped, [raw(w, Checkpoint(ORIGIN, INDEX, ROOT).body) for w in WITNESSES], size=INDEX
        ),
        "index-out-of-range",
    )
    yield case(
        "witnessed-size-not-the-receipts",
        "with the receipt, a witnessed checkpoint of another size than the receipt's",
        payload(
            receipted,
            [raw(w, Checkpoint(ORIGIN, SIZE + 1, ROOT).body) for w in WITNESSES],
            size=SIZE + 1,
        ),
        "size-mismatch",
    )
    yield case(
        "witnessed-one-witness-twice",
        "the same cosignature twice",
        payload(stamped, [raw(w1), raw(w1)]),
        "malformed",
    )
    yield case(
        "witnessed-not-an-array",
        "key 6 is a byte string",
        offline_text(enc({1: STATEMENT, 2: PPK.public_key, 3: LEAF, 5: TIMESTAMP, 6: raw(w1)})),
        "malformed",
    )
