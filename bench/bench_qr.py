"""Benchmark the offline QR: its size at 10 million entries, and how fast a PNG is made.

    python bench/bench_qr.py [--rounds R]

For realistic statements (the largest pact and the largest declaration of
`registry demo`, whose issuer is the signer's kid in hex as `registry sign`
writes it, and a pact with four witnesses of long names and titles) it builds
the offline payload of docs/formats.md twice:

- with a receipt whose inclusion proof has 24 hashes, as for most entries of a
  log of 10,000,000 (a leaf at index 1,234,567 of 10,000,000, a valid receipt
  by a fixed registry key over 24 fixed hashes);
- with the registry's entry timestamp instead (what `registry/documents/qr.py` falls
  back to when the receipt does not fit version 25-M),

and prints for each the bytes at every stage (CBOR map, zlib, base45 text)
and the QR version at error correction M; then the same timestamp payload with
a witnessed checkpoint (key ``6``: the size, the root and 1 to 4 witnesses'
tlog-cosignature/v1 cosignatures of 76 bytes), to show how many cosignatures
fit the budget at that size.  Then the longest inclusion proof
with which the receipt still fits 25-M (so the log size up to which QR codes
carry receipts), and the time to make a PNG of each QR with qrcode (8.x, PIL)
and with segno, best of ``--rounds``.  Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cbor2
import qrcode
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.demo import build_demo
from registry.documents.qr import MAX_OFFLINE_VERSION, entry_timestamp, png_image, qr_version
from registry.log.receipt import issue_receipt
from registry.signing.cose import CoseSigner
from registry.signing.note import NoteSigner
from registry.verify.cbor import encode_deterministic
from registry.verify.checkpoint import Checkpoint
from registry.verify.leaf import Leaf
from registry.verify.merkle import root_from_inclusion_proof
from registry.verify.qr import PREFIX, b45encode, encode_offline, verify_offline
from registry.verify.witnessed import cosignature_bytes, encode_witnessed

SIZE = 10_000_000
INDEX = 1_234_567  # its proof in a tree of 10,000,000 has 24 hashes
ORIGIN = "pakta-integritas.bkn.go.id/log"
REGISTERED_AT = 1_730_790_420_123


def _key(label: str) -> CoseSigner:
    return CoseSigner(Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest()))


REGISTRY = _key("bench-registry")
WITNESSES = [
    NoteSigner(
        Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"bench-witness-%d" % n).digest()),
        name,
    )
    for n, name in enumerate(
        ["saksi.bawaslu.go.id", "saksi.bkn.go.id", "saksi.menpan.go.id", "saksi.kemendagri.go.id"]
    )
]
WITNESSED_ROOT = hashlib.sha256(b"the tree of 10,000,000 the witnesses cosigned").digest()


def cosignatures(count: int) -> list[bytes]:
    """``count`` witnesses' cosignatures on the checkpoint of ``SIZE`` entries."""
    body = Checkpoint(ORIGIN, SIZE, WITNESSED_ROOT).body
    return [
        cosignature_bytes(w.cosignature(body, REGISTERED_AT // 1000 + 5)) for w in WITNESSES[:count]
    ]


def _payload(statement: bytes) -> dict[str, object]:
    payload: dict[str, object] = cbor2.loads(cbor2.loads(statement).value[2])
    return payload


def statements() -> list[tuple[str, bytes, bytes]]:
    """(name, statement, signer's public key): demo's largest pact and declaration, and more."""
    demo = build_demo(_key("bench-admin"))
    keys = {s.kid: s.public_key for s in demo.signers}
    chosen = []
    for kind in ("pact", "declaration"):
        of_kind = [s for s in demo.statements if _payload(s).get("type") == kind]
        largest = max(of_kind, key=len)
        kid = cbor2.loads(cbor2.loads(largest).value[0])[4]
        chosen.append((f"largest demo {kind}", largest, keys[kid]))
    ppk = _key("bench-ppk")
    witnesses = [
        {
            "name": f"Prof. Dr. Ir. Nama Saksi Yang Panjang Sekali {n}, S.H., M.H., M.Si.",
            "jabatan": "Deputi Bidang Pengawasan dan Pengendalian Kepegawaian",
            "instansi": "Badan Pengawas Pemilihan Umum Provinsi Kepulauan Bangka Belitung",
        }
        for n in range(4)
    ]
    four = {
        "type": "pact",
        "template": hashlib.sha256(b"template").digest(),
        "election": "pilkada-2024",
        "instansi": "Pemerintah Provinsi Kepulauan Bangka Belitung",
        "place": "Pangkalpinang",
        "date": "2024-08-19",
        "witnesses": witnesses,
    }
    signed = ppk.sign_statement(four, ppk.kid.hex(), 1_724_040_000)
    chosen.append(("pact, 4 long witnesses", signed, ppk.public_key))
    return chosen


def receipt_for(statement: bytes, proof_length: int = 24) -> tuple[bytes, bytes]:
    """A leaf at ``INDEX`` and a valid receipt with a proof of ``proof_length`` hashes."""
    size = SIZE if proof_length == 24 else 1 << proof_length
    index = INDEX if proof_length == 24 else 0
    digest = hashlib.sha256(statement).digest()
    leaf = Leaf(index, bytes(32) if index == 0 else b"\x07" * 32, REGISTERED_AT, digest).to_bytes()
    path = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(proof_length)]
    hashed = hashlib.sha256(b"\x00" + leaf).digest()
    root = root_from_inclusion_proof(index, size, hashed, path).unwrap()
    receipt = issue_receipt(REGISTRY, ORIGIN, leaf, index, size, path, root, REGISTERED_AT // 1000)
    return leaf, receipt


def stages(statement: bytes, public_key: bytes, leaf: bytes, proof: dict[int, object]) -> str:
    """One table row: the byte sizes at each stage and the QR version at M."""
    body = encode_deterministic({1: statement, 2: public_key, 3: leaf, **proof})
    packed = zlib.compress(body, 9)
    text = PREFIX + b45encode(packed)
    witness_keys = [w.cosignature_verifier_key for w in WITNESSES]
    assert verify_offline(text, {REGISTRY.kid: REGISTRY.public_key}, None, witness_keys).ok
    version = qr_version(text)
    fits = "yes" if version is not None and version <= MAX_OFFLINE_VERSION else "no"
    return (
        f"{len(statement):>9} {len(body):>6} {len(packed):>6} {len(text):>7} {version!s:>8} {fits}"
    )


def best(run: Callable[[], object], rounds: int, repeat: int = 20) -> float:
    """Best time of ``run`` in milliseconds, over ``rounds`` rounds of ``repeat`` calls."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            run()
        times.append((time.perf_counter() - start) / repeat)
    return min(times) * 1000


def qrcode_png(text: str) -> bytes:
    """A PNG with qrcode (PIL image factory), the same module size as ``png_image`` gives."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    code.box_size = max(2, 640 // (code.modules_count + 8))
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, segno {segno.__version__}")
    print(f"log of {SIZE:,} entries, entry {INDEX:,}: a 24-hash inclusion proof\n")
    print(f"{'bytes:':46} {'statement':>9} {'CBOR':>6} {'zlib':>6} {'text':>7} {'version':>8} fits")
    texts = []
    for name, statement, public_key in statements():
        leaf, receipt = receipt_for(statement)
        stamp = entry_timestamp(REGISTRY, ORIGIN, leaf)
        print(f"{name + ', receipt':46} {stages(statement, public_key, leaf, {4: receipt})}")
        print(f"{name + ', timestamp':46} {stages(statement, public_key, leaf, {5: stamp})}")
        print(f"{'':46} (receipt {len(receipt)} bytes, timestamp {len(stamp)} bytes)")
        for count in range(1, len(WITNESSES) + 1):
            witnessed = encode_witnessed(SIZE, WITNESSED_ROOT, cosignatures(count))
            row = stages(statement, public_key, leaf, {5: stamp, 6: witnessed})
            print(f"{name + f', timestamp + {count} cosig.':46} {row}")
        longest = -1
        for length in range(25):
            small_leaf, small_receipt = receipt_for(statement, length)
            text = encode_offline(statement, public_key, small_leaf, receipt=small_receipt)
            version = qr_version(text)
            if version is not None and version <= MAX_OFFLINE_VERSION:
                longest = length
        limit = f"logs up to {1 << longest:,} entries" if longest >= 0 else "never"
        print(f"{'':46} receipt fits 25-M with proofs of up to {longest} hashes: {limit}")
        texts.append((name, encode_offline(statement, public_key, leaf, timestamp=stamp)))
    print("\nPNG of the offline QR (about 640 px wide), best of", args.rounds, "rounds:")
    for name, text in texts:
        ms_qrcode = best(lambda t=text: qrcode_png(t), args.rounds)
        ms_segno = best(lambda t=text: png_image(t), args.rounds)
        ms_encode = best(lambda t=text: segno.make_qr(t, error="m"), args.rounds)
        ms_version = best(lambda t=text: qr_version(t), args.rounds)
        print(
            f"  {name:26} version {qr_version(text)}: qrcode {ms_qrcode:6.1f} ms, "
            f"segno {ms_segno:5.1f} ms (qrcode/segno {ms_qrcode / ms_segno:.2f}); of segno's, "
            f"encoding with the mask choice {ms_encode:.1f} ms; qr_version (one mask) "
            f"{ms_version:.1f} ms"
        )


if __name__ == "__main__":
    main()
