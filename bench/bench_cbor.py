"""Micro-benchmark deterministic CBOR: the direct encoder against the general path.

    python bench/bench_cbor.py [--number N] [--rounds R]

For the items a registration encodes (a pact payload of ten text keys with a
witness list, an enrolment, a COSE protected header, a receipt-like tagged
COSE_Sign1 with mixed-sign integer header labels, a leaf) it times, in one
run so the ratios compare like with like:

- ``general``: ``cbor2.dumps(_sortable(obj))``, the rebuild-then-cbor2 path
  that was all of ``encode_deterministic`` before the direct encoder, and is
  still its fallback for other types and for refusals;
- ``encode``: ``encode_deterministic`` (the direct encoder);
- ``decode-det``: ``decode_deterministic`` of the encoded bytes (decode,
  re-encode, compare), against ``decode`` plus the general path.

Figures are µs per call, best of ``--rounds`` runs of ``--number`` calls.
It checks that both paths give the same bytes; it asserts nothing else.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import platform
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cbor2

from registry.verify.cbor import _sortable, decode, decode_deterministic, encode_deterministic

DIGEST = hashlib.sha256(b"Pakta Integritas Netralitas ASN").digest()

PACT: dict[str, Any] = {
    "type": "pact",
    "template": DIGEST,
    "election": "pilkada-2024",
    "instansi": "Pemerintah Kabupaten Bench 7",
    "place": "Bandung",
    "date": "2024-09-27",
    "sequence": 12345,
    "public_key": DIGEST,
    "signed": True,
    "witnesses": [
        {"name": "Rahmat Bagja", "jabatan": "Ketua", "instansi": "Bawaslu RI"},
        {"name": "Lolly Suhenty", "jabatan": "Anggota", "instansi": "Bawaslu RI"},
    ],
}
ENROLMENT: dict[str, Any] = {
    "type": "enrolment",
    "public_key": DIGEST,
    "role": "ppk",
    "name": "PPK Bench 7",
    "jabatan": "Penjabat Bupati",
    "instansi": "Pemerintah Kabupaten Bench 7",
    "province": "Jawa Barat",
    "head_type": "acting",
    "decree_number": "Kepmendagri No. 7/2023",
    "decree_date": "2023-09-01",
    "term_start": "2023-09-05",
    "term_end": "2024-12-31",
}
HEADER = {1: -8, 4: DIGEST, 3: "application/cbor", 15: {1: "operator", 2: "pact", 6: 1727395200}}
RECEIPT = cbor2.CBORTag(
    18,
    [
        cbor2.dumps({1: -8, 4: DIGEST, 395: 1}),
        {396: {-1: [cbor2.dumps([1_234_567, 10_000_000, [DIGEST] * 24])]}, -65537: DIGEST},
        None,
        DIGEST * 2,
    ],
)
LEAF = [1, 1_234_567, DIGEST, 1_727_395_200, DIGEST]
ITEMS = {"pact": PACT, "enrolment": ENROLMENT, "header": HEADER, "receipt": RECEIPT, "leaf": LEAF}


def general(obj: Any) -> bytes:
    """The general path: rebuild with sorted maps, then ``cbor2.dumps``."""
    return cbor2.dumps(_sortable(obj))


def decode_then_general(data: bytes) -> bool:
    """What ``decode_deterministic`` did with the general path as its encoder."""
    verdict = decode(data, "item")
    return verdict.ok and general(verdict.value) == data


def best_us(call: Callable[[], object], number: int, rounds: int) -> float:
    return min(timeit.repeat(call, number=number, repeat=rounds)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--number", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, cbor2 (C), {args.number} calls x {args.rounds}")
    print(
        f"{'item':10} {'bytes':>6} {'general':>9} {'encode':>9} {'x':>5}   "
        f"{'dec+gen':>9} {'decode-det':>10} {'x':>5}"
    )
    for name, obj in ITEMS.items():
        data = encode_deterministic(obj)
        assert data == general(obj), name
        assert decode_deterministic(data, "item").ok, name
        timed = functools.partial(best_us, number=args.number, rounds=args.rounds)
        old = timed(functools.partial(general, obj))
        new = timed(functools.partial(encode_deterministic, obj))
        old_dec = timed(functools.partial(decode_then_general, data))
        new_dec = timed(functools.partial(decode_deterministic, data, "item"))
        print(
            f"{name:10} {len(data):6} {old:8.2f}µ {new:8.2f}µ {old / new:5.2f}   "
            f"{old_dec:8.2f}µ {new_dec:9.2f}µ {old_dec / new_dec:5.2f}"
        )


if __name__ == "__main__":
    main()
